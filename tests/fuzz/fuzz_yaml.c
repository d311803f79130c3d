/*
 * fuzz_yaml.c — YAML documents through libyaml and rbaudit's typed loader
 * (anchors, aliases, tags, limits): once as evidence that every shipped
 * rule reads, once as the new revision of a config file whose changes
 * against a shipped revision are config_change events (--old/--new).
 */
#include <stdlib.h>

#include "engine.h"
#include "fuzz.h"
#include "loader.h"

static void audit_as_new_revision(const char *path)
{
    const rb_ruleset *rules = fuzz_shipped_rules();
    char *old = fuzz_source_path("rules/beampipe/tests/clean/config/wallaby_hires.v1.yaml");
    rb_evidence *ev = rb_evidence_new();
    rb_findings findings = {0};
    rb_engine_result result;
    rb_engine_opts engine = {0};
    rb_load_opts opts = {.config = &rules->config};
    rb_error err;
    rb_error_clear(&err);
    rb_code rc = rb_load_config_pair(ev, old, path, &opts, &err);
    if (!rc)
        rc = rb_engine_run(rules, ev, &engine, &findings, &result, &err);
    fuzz_expect_no_internal_error(rc, &err);
    if (!rc) {
        rb_engine_result_free(&result);
        fuzz_write_reports(rules, ev, &findings, NULL, NULL);
    }
    rb_findings_clear(&findings);
    rb_evidence_free(ev);
    free(old);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"config/wallaby_hires.v1.yaml", "notes.yaml"};
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    char *path = fuzz_file("revision/wallaby_hires.v1.yaml", data, size);
    audit_as_new_revision(path);
    free(path);
    return 0;
}
