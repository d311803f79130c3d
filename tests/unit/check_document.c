/*
 * check_document.c — the `document` check kind: assertions by JSON path on
 * YAML and JSON documents, their lines, and compile errors.
 */
#include "unit.h"

#include <stdio.h>
#include <unistd.h>

#include "engine.h"
#include "pack.h"
#include "util.h"

static const rb_load_opts plain_opts = {0};

/* Runs the rule file text over the document text (named doc); returns the
 * code of loading the rules, the findings in *out. */
static rb_code audit(const char *rules, const char *doc, const char *text, rb_findings *out, rb_error *err)
{
    unit_write_file("r.yaml", rules);
    unit_write_file(doc, text);
    rb_ruleset *rs = rb_ruleset_new();
    rb_error_clear(err);
    rb_code rc = rb_ruleset_load(rs, "r.yaml", NULL, err);
    rb_ruleset_finish(rs);
    if (!rc) {
        rb_evidence *ev = rb_evidence_new();
        ck_assert_int_eq(rb_load_input(ev, doc, NULL, &plain_opts, err), RB_OK);
        rb_engine_opts opts = {0};
        rb_engine_result result;
        ck_assert_int_eq(rb_engine_run(rs, ev, &opts, out, &result, err), RB_OK);
        rb_engine_result_free(&result);
        /* findings borrow inputs: keep what the tests read as text */
        for (size_t i = 0; i < out->n; i++)
            out->items[i]->origins[0].input = NULL;
        rb_evidence_free(ev);
    }
    rb_ruleset_free(rs);
    return rc;
}

static const char *config = "project: billing\n"
                            "retries:\n"
                            "  max: 3\n"
                            "  backoff: 30s\n"
                            "artifacts:\n"
                            "  - path: a.json\n"
                            "    sha256: abc\n"
                            "owner: \"\"\n"
                            "labels: [prod, eu]\n";

static const char *rule_head = "- id: DOC-T-001\n  title: t\n  severity: error\n"
                               "  message: \"{path}={actual}\"\n  document:\n    assert:\n";

/* The "line:path" of each finding, comma-separated. */
static char *places(const rb_findings *list)
{
    rb_buf b = {0};
    rb_buf_puts(&b, "");
    for (size_t i = 0; i < list->n; i++)
        rb_buf_printf(&b, "%s%ld:%s", i ? "," : "", list->items[i]->origins[0].line,
                      json_string_value(json_object_get(json_array_get(list->items[i]->evidence, 0), "assert")));
    return rb_buf_take(&b);
}

static void expect_places(const char *asserts, const char *expected)
{
    rb_findings found = {0};
    rb_error err;
    char *rules = rb_xasprintf("%s%s", rule_head, asserts);
    ck_assert_msg(audit(rules, "c.yaml", config, &found, &err) == RB_OK, "%s", err.message);
    char *got = places(&found);
    ck_assert_msg(strcmp(got, expected) == 0, "for %s: got '%s', expected '%s'", asserts, got, expected);
    free(got);
    free(rules);
    rb_findings_clear(&found);
}

START_TEST(each_comparison_passes_and_fails)
{
    unit_enter_workdir();
    /* passing assertions give nothing */
    expect_places("      - {path: project, eq: billing}\n"
                  "      - {path: retries.max, gte: 3}\n"
                  "      - {path: retries.backoff, lt: 1m}\n"
                  "      - {path: artifacts.0.path, endswith: .json}\n"
                  "      - {path: labels, contains: eu}\n"
                  "      - {path: labels, len: 2}\n"
                  "      - {path: owner, exists: true}\n"
                  "      - {path: approver, exists: false}\n"
                  "      - {path: project, re: \"^bill\"}\n"
                  "      - {path: project, startswith|i: BILL}\n"
                  "      - {path: project, not|in: [ledger]}\n",
                  "");
    /* failing ones point at the node's line */
    expect_places("      - {path: project, eq: ledger}\n"
                  "      - {path: retries.max, lt: 3}\n"
                  "      - {path: retries.backoff, gt: 1m}\n"
                  "      - {path: artifacts.0.sha256, glob: \"????*\"}\n"
                  "      - {path: labels, contains: us}\n"
                  "      - {path: owner, len|gt: 0}\n"
                  "      - {path: project, not|in: [billing]}\n",
                  "1:project,1:project,3:retries.max,4:retries.backoff,7:artifacts.0.sha256,8:owner,9:labels");
}
END_TEST

START_TEST(missing_paths_fail_comparisons)
{
    unit_enter_workdir();
    /* a missing node points at its nearest ancestor; `not|…` fails too */
    expect_places("      - {path: retries.jitter, not: 5}\n"
                  "      - {path: artifacts.3.path, exists: true}\n"
                  "      - {path: approver, exists: false}\n",
                  "2:retries.jitter,5:artifacts.3.path");
}
END_TEST

START_TEST(json_documents_and_select)
{
    unit_enter_workdir();
    rb_findings found = {0};
    rb_error err;
    const char *rules = "- id: DOC-T-001\n  title: t\n  severity: warning\n  document:\n"
                        "    select: {kind: json}\n    assert:\n      - {path: a.b, eq: 2}\n";
    ck_assert_int_eq(audit(rules, "d.json", "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n", &found, &err), RB_OK);
    ck_assert_int_eq(found.n, 1);
    ck_assert_int_eq(found.items[0]->origins[0].line, 3);
    ck_assert_json_eq(found.items[0]->key, "\"d.json\"");
    ck_assert_json_eq(json_array_get(found.items[0]->evidence, 0),
                      "{\"path\":\"d.json\",\"assert\":\"a.b\",\"expected\":{\"eq\":2},\"actual\":1}");
    rb_findings_clear(&found);
    ck_assert_int_eq(audit(rules, "d.yaml", "a: {b: 1}\n", &found, &err), RB_OK);
    ck_assert_int_eq(found.n, 0);
}
END_TEST

START_TEST(messages_name_path_and_value)
{
    unit_enter_workdir();
    rb_findings found = {0};
    rb_error err;
    char *rules = rb_xasprintf("%s      - {path: retries.max, lte: 2}\n", rule_head);
    ck_assert_int_eq(audit(rules, "c.yaml", config, &found, &err), RB_OK);
    ck_assert_int_eq(found.n, 1);
    ck_assert_str_eq(found.items[0]->message, "retries.max=3");
    rb_findings_clear(&found);
    free(rules);
}
END_TEST

static void expect_compile_error(const char *asserts, const char *message)
{
    rb_findings found = {0};
    rb_error err;
    char *rules = rb_xasprintf("%s%s", rule_head, asserts);
    ck_assert_int_eq(audit(rules, "c.yaml", config, &found, &err), RB_ERULE);
    ck_assert_msg(strstr(err.message, message), "'%s' lacks '%s'", err.message, message);
    free(rules);
}

START_TEST(mistakes_name_their_line)
{
    unit_enter_workdir();
    expect_compile_error("      - {path: a}\n", "r.yaml:7: an assertion needs a comparison");
    expect_compile_error("      - {path: a, eq: 1, gt: 0}\n", "r.yaml:7: an assertion has one comparison");
    expect_compile_error("      - {eq: 1}\n", "r.yaml:7: an assertion needs 'path'");
    expect_compile_error("      - {path: a, startwith: x}\n", "r.yaml:7: unknown modifier 'startwith'");
    expect_compile_error("      - just-text\n", "r.yaml:7: an assertion must be a mapping");
    expect_compile_error("      - {path: a, eq: 1}\n    colour: red\n", "r.yaml:8: unknown key 'colour' in the check");
}
END_TEST

static Suite *document_suite(void)
{
    Suite *s = suite_create("document");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, each_comparison_passes_and_fails);
    tcase_add_test(tc, missing_paths_fail_comparisons);
    tcase_add_test(tc, json_documents_and_select);
    tcase_add_test(tc, messages_name_path_and_value);
    tcase_add_test(tc, mistakes_name_their_line);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(document_suite)
