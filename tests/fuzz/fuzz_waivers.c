/*
 * fuzz_waivers.c — waiver files (YAML) and baselines (JSON reports): read,
 * then applied to the findings of the Beam dead-letter incident, whose
 * reports are written in every format.  By the input's size the bytes are
 * a waiver file or a baseline.
 */
#include <stdlib.h>

#include "baseline.h"
#include "fuzz.h"
#include "waiver.h"

static rb_code apply(const char *path, bool baseline, rb_evidence *ev, rb_findings *findings,
                     rb_findings *suppressed, rb_error *err)
{
    rb_code rc;
    if (baseline) {
        rb_baseline *b = NULL;
        if (!(rc = rb_baseline_load(path, &b, err)))
            rb_baseline_apply(b, findings, suppressed);
        rb_baseline_free(b);
    } else {
        rb_waivers *w = NULL;
        if (!(rc = rb_waivers_load(path, ev, &w, err)))
            rb_waivers_apply(w, ev->newest_ts, findings, suppressed);
        rb_waivers_free(w);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool baseline = size % 2;
    char *path = fuzz_file(baseline ? "baseline.json" : ".rbaudit-waivers.yaml", data, size);
    char *bus = fuzz_source_path("corpora/beam/incident-dead-letter/bus.jsonl");
    const rb_ruleset *rules = fuzz_shipped_rules();
    rb_evidence *ev = rb_evidence_new();
    rb_findings findings = {0}, suppressed = {0};
    rb_error err;
    rb_error_clear(&err);
    if (fuzz_audit(rules, bus, NULL, false, ev, &findings) != RB_OK)
        abort();
    rb_code rc = apply(path, baseline, ev, &findings, &suppressed, &err);
    fuzz_expect_no_internal_error(rc, &err);
    if (!rc)
        fuzz_write_reports(rules, ev, &findings, NULL, NULL);
    rb_findings_clear(&findings);
    rb_findings_clear(&suppressed);
    rb_evidence_free(ev);
    free(bus);
    free(path);
    return 0;
}
