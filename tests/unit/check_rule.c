/*
 * check_rule.c — rule files: common keys, defaults, parameters and
 * overrides, sources, packs, and every rule-file error with its line.
 */
#include "unit.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_kind.h"
#include "pack.h"
#include "util.h"

static char dir[] = "/tmp/rbaudit-rules-XXXXXX";

static void make_dir(void)
{
    strcpy(dir, "/tmp/rbaudit-rules-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    unit_remove_tree(dir);
}

static char *write_file(const char *name, const char *text)
{
    char *path = rb_xasprintf("%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0700);
    *slash = '/';
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text as a rule file; returns the code, with the ruleset in *out. */
static rb_code load(const char *text, rb_overrides *ov, rb_ruleset **out, rb_error *err)
{
    char *path = write_file("pack1/r.yaml", text);
    *out = rb_ruleset_new();
    rb_error_clear(err);
    rb_code rc = rb_ruleset_load(*out, path, ov, err);
    rb_ruleset_finish(*out);
    remove(path);
    free(path);
    return rc;
}

START_TEST(compiles_common_keys_and_defaults)
{
    make_dir();
    rb_ruleset *rs;
    rb_error err;
    const char *text = "- id: BEAM-DL-002\n"
                       "  title: Evidence exported first\n"
                       "  severity: warning\n"
                       "  runbook: \"000 › loop, step 5\"\n"
                       "  remediation: Export first.\n"
                       "  tags: [dead-letter, evidence]\n"
                       "  params: {window: 24h, limit: 3}\n"
                       "  events: {source: beam.bus}\n"
                       "  key: detail.nonce\n"
                       "  match: {type: requeued}\n"
                       "- id: BEAM-X-001\n"
                       "  title: Plain\n"
                       "  severity: note\n"
                       "  match: {}\n";
    ck_assert_int_eq(load(text, NULL, &rs, &err), RB_OK);
    ck_assert_int_eq(rs->n, 2);
    const rb_rule *r = rb_ruleset_find(rs, "BEAM-DL-002");
    ck_assert_str_eq(r->title, "Evidence exported first");
    ck_assert_int_eq(r->severity, RB_SEV_WARNING);
    ck_assert_str_eq(r->runbook, "000 › loop, step 5");
    ck_assert_str_eq(r->remediation, "Export first.");
    ck_assert_str_eq(r->message, "Evidence exported first");
    ck_assert_str_eq(r->pack, "pack1");
    ck_assert_int_eq(r->line, 1);
    ck_assert_json_eq(r->tags, "[\"dead-letter\",\"evidence\"]");
    ck_assert_json_eq(r->params, "{\"window\":\"24h\",\"limit\":3}");
    ck_assert_str_eq(rb_jsonpath_text(r->key), "detail.nonce");
    ck_assert_ptr_eq(r->check, &rb_check_match);
    ck_assert(!r->reads_documents);
    ck_assert_ptr_nonnull(r->select);
    const rb_rule *plain = rb_ruleset_find(rs, "BEAM-X-001");
    ck_assert_int_eq(plain->line, 11);
    ck_assert_str_eq(rb_jsonpath_text(plain->key), "key");
    ck_assert_ptr_null(plain->select);
    ck_assert_ptr_null(plain->runbook);
    ck_assert_json_eq(plain->tags, "[]");
    ck_assert_str_eq(rs->rules[0]->id, "BEAM-DL-002"); /* sorted by id */
    rb_ruleset_free(rs);
}
END_TEST

START_TEST(applies_typed_overrides)
{
    make_dir();
    rb_overrides ov = {0};
    rb_error err;
    ck_assert_int_eq(rb_overrides_add(&ov, "TEST-A-001.limit=5", &err), RB_OK);
    ck_assert_int_eq(rb_overrides_add(&ov, "TEST-A-001.window=1h", &err), RB_OK);
    ck_assert_int_eq(rb_overrides_add(&ov, "TEST-B-001.limit=2", &err), RB_OK);
    ck_assert_int_eq(rb_overrides_add(&ov, "nodot=1", &err), RB_EUSAGE);
    ck_assert_int_eq(rb_overrides_add(&ov, "TEST-A-001.limit", &err), RB_EUSAGE);
    rb_ruleset *rs;
    const char *text = "- id: TEST-A-001\n  title: t\n  severity: error\n"
                       "  params: {limit: 3, window: 2h}\n  match: {n|gt: \"{limit}\"}\n";
    ck_assert_int_eq(load(text, &ov, &rs, &err), RB_OK);
    ck_assert_json_eq(rs->rules[0]->params, "{\"limit\":5,\"window\":\"1h\"}");
    ck_assert_int_eq(rb_overrides_check_used(&ov, &err), RB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "TEST-B-001"));
    rb_ruleset_free(rs);
    rb_overrides_free(&ov);

    ck_assert_int_eq(rb_overrides_add(&ov, "TEST-A-001.nope=1", &err), RB_OK);
    ck_assert_int_eq(load(text, &ov, &rs, &err), RB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "has no parameter 'nope'"));
    rb_ruleset_free(rs);
    rb_overrides_free(&ov);
}
END_TEST

START_TEST(reports_errors_with_lines)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"- id: A-B-001\n  title: t\n  severity: error\n  colour: red\n  match: {}\n", "r.yaml:4: unknown key 'colour'"},
        {"- id: A-B-001\n  severity: error\n  match: {}\n", "r.yaml:1: rule has no 'title'"},
        {"- id: A-B-001\n  title: t\n  severity: loud\n  match: {}\n", "r.yaml:3: unknown severity"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  tags: x\n  match: {}\n", "r.yaml:4: 'tags' must be a list"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  params: [1]\n  match: {}\n", "r.yaml:4: 'params' must be a mapping"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  key: 3\n  match: {}\n", "r.yaml:4: 'key' must be a dotted field"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  key: a..b\n  match: {}\n", "r.yaml:4: 'key' is not a valid"},
        {"- id: A-B-001\n  title: t\n  severity: error\n", "r.yaml:1: rule has no check"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  integrity: {kinds: [missing]}\n",
         "r.yaml:4: the check takes no keys (expected integrity: {})"},
        {"- id: A-B-001\n  title: \"\"\n  severity: error\n  match: {}\n", "r.yaml:2: 'title' must be a non-empty string"},
        {"- just a string\n", "r.yaml:1: a rule must be a mapping"},
        {"rules: {a: 1}\n", "r.yaml:1: expected a list of rules"},
        {"42\n", "r.yaml:1: expected a list of rules, or a mapping"},
        {"sources:\n  - name: s\n    files: x\n    colour: red\n", "r.yaml:4: unknown key 'colour' in a source"},
        {"sources:\n  - name: s\n", "r.yaml:2: a source needs 'name' and 'files'"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  match: {type: [1\n", "r.yaml:"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  severity_when: {when: {}}\n  match: {}\n",
         "r.yaml:4: 'severity_when' must be a non-empty list"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  severity_when:\n    - {when: {a: 1}}\n  match: {}\n",
         "r.yaml:5: a severity_when entry is {when: SELECTOR, severity: LEVEL}"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  severity_when:\n    - when: {a: 1}\n      severity: loud\n"
         "  match: {}\n", "r.yaml:6: unknown severity"},
        {"- id: A-B-001\n  title: t\n  severity: error\n  severity_when:\n    - when: {a|nope: 1}\n      severity: note\n"
         "  match: {}\n", "r.yaml:5: unknown modifier"},
    };
    make_dir();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_ruleset *rs;
        rb_error err;
        rb_code rc = load(cases[i].text, NULL, &rs, &err);
        ck_assert_msg(rc == RB_ERULE, "case %zu: code %d (%s)", i, rc, err.message);
        ck_assert_msg(strstr(err.message, cases[i].message), "case %zu: '%s' lacks '%s'", i, err.message,
                      cases[i].message);
        rb_ruleset_free(rs);
    }
}
END_TEST

START_TEST(loads_packs_and_sources)
{
    make_dir();
    char *a = write_file("beam/a.yaml", "- id: BEAM-A-001\n  title: a\n  severity: error\n  match: {}\n");
    char *s = write_file("beam/sources.yaml", "sources:\n  - name: export\n    files: \"*.jsonl\"\n"
                                              "    fields: {ts: created_at}\n    set: {source: beam.bus}\n");
    char *t = write_file("beam/tests/t.yaml", "this is not a rule file: [\n");
    char *b = write_file("platform/b.yml", "rules:\n  - id: PL-B-001\n    title: b\n    severity: note\n    match: {}\n");
    rb_ruleset *rs = rb_ruleset_new();
    rb_error err;
    ck_assert_int_eq(rb_ruleset_load(rs, dir, NULL, &err), RB_OK);
    rb_ruleset_finish(rs);
    ck_assert_int_eq(rs->n, 2);
    ck_assert_str_eq(rb_ruleset_find(rs, "BEAM-A-001")->pack, "beam");
    ck_assert_str_eq(rb_ruleset_find(rs, "PL-B-001")->pack, "platform");
    ck_assert_int_eq(rs->n_sources, 1);
    ck_assert_str_eq(rs->sources[0].files, "*.jsonl");
    ck_assert_json_eq(rs->sources[0].fields, "{\"ts\":\"created_at\"}");
    ck_assert_json_eq(rs->sources[0].set, "{\"source\":\"beam.bus\"}");
    /* the same pack twice: every id is a duplicate */
    ck_assert_int_eq(rb_ruleset_load(rs, a, NULL, &err), RB_ERULE);
    ck_assert_ptr_nonnull(strstr(err.message, "duplicate rule id 'BEAM-A-001' (first defined at"));
    rb_ruleset_free(rs);
    char *files[] = {a, s, t, b};
    for (size_t i = 0; i < 4; i++) {
        remove(files[i]);
        free(files[i]);
    }
}
END_TEST

START_TEST(parses_severities)
{
    rb_severity sev;
    ck_assert(rb_severity_parse("warning", &sev));
    ck_assert_int_eq(sev, RB_SEV_WARNING);
    ck_assert(!rb_severity_parse("Warning", &sev));
    ck_assert_str_eq(rb_severity_name(RB_SEV_ERROR), "error");
    ck_assert(RB_SEV_ERROR > RB_SEV_WARNING && RB_SEV_WARNING > RB_SEV_NOTE);
}
END_TEST

START_TEST(chooses_severity_per_finding)
{
    make_dir();
    rb_ruleset *rs;
    rb_error err;
    const char *text = "- id: A-B-001\n  title: t\n  severity: error\n  severity_when:\n"
                       "    - {when: {transport: async}, severity: note}\n"
                       "    - {when: {transport|in: [async, batch]}, severity: warning}\n"
                       "  match: {}\n";
    ck_assert_int_eq(load(text, NULL, &rs, &err), RB_OK);
    const rb_rule *rule = rs->rules[0];
    json_t *async = unit_json("{\"transport\": \"async\"}");
    json_t *batch = unit_json("{\"transport\": \"batch\"}");
    json_t *sync = unit_json("{\"transport\": \"sync\"}");
    ck_assert_int_eq(rb_rule_severity_for(rule, async), RB_SEV_NOTE);  /* the first entry that matches */
    ck_assert_int_eq(rb_rule_severity_for(rule, batch), RB_SEV_WARNING);
    ck_assert_int_eq(rb_rule_severity_for(rule, sync), RB_SEV_ERROR);
    ck_assert_int_eq(rb_rule_severity_for(rule, NULL), RB_SEV_ERROR);
    json_decref(async);
    json_decref(batch);
    json_decref(sync);
    rb_ruleset_free(rs);
}
END_TEST

static Suite *rule_suite(void)
{
    Suite *s = suite_create("rule");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, remove_dir);
    tcase_add_test(tc, compiles_common_keys_and_defaults);
    tcase_add_test(tc, applies_typed_overrides);
    tcase_add_test(tc, reports_errors_with_lines);
    tcase_add_test(tc, loads_packs_and_sources);
    tcase_add_test(tc, parses_severities);
    tcase_add_test(tc, chooses_severity_per_finding);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(rule_suite)
