/*
 * fuzz_rules.c — rule files: YAML through the typed loader, every member
 * of every check kind, selectors, templates, parameters and `sources:`;
 * a rule file that loads is then run over the Beam dead-letter incident
 * and its findings written in every report format.
 */
#include <stdlib.h>

#include "engine.h"
#include "fuzz.h"
#include "loader.h"

static void run_rules(const rb_ruleset *rules)
{
    char *bus = fuzz_source_path("corpora/beam/incident-dead-letter/bus.jsonl");
    rb_evidence *ev = rb_evidence_new();
    rb_findings findings = {0};
    if (fuzz_audit(rules, bus, NULL, true, ev, &findings) == RB_OK)
        fuzz_write_reports(rules, ev, &findings, NULL, NULL);
    rb_findings_clear(&findings);
    rb_evidence_free(ev);
    free(bus);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_file("pack/rules.yaml", data, size);
    rb_ruleset *rules = rb_ruleset_new();
    rb_error err;
    rb_error_clear(&err);
    rb_code rc = rb_ruleset_load(rules, path, NULL, &err);
    fuzz_expect_no_internal_error(rc, &err);
    if (!rc) {
        rb_ruleset_finish(rules);
        run_rules(rules);
    }
    rb_ruleset_free(rules);
    free(path);
    return 0;
}
