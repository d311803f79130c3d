/*
 * check_reports.c — the report loaders: JUnit XML (document and test_case
 * events) and Markdown (headings, sections, tables, links, code), and how
 * each refuses hostile input.
 */
#include "unit.h"

#include "loader.h"

static const rb_load_opts plain_opts = {0};

/* Loads text written to name; returns the code and leaves ev for checks. */
static rb_code load(rb_evidence *ev, const char *name, const char *text, rb_error *err)
{
    unit_write_file(name, text);
    return rb_load_input(ev, name, NULL, &plain_opts, err);
}

static const char junit_text[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"ci\">\n"
    "  <testsuite name=\"release\" timestamp=\"2026-04-12T10:00:00\">\n"
    "    <testcase classname=\"smoke\" name=\"release:smoke\" time=\"1.5\"/>\n"
    "    <testcase classname=\"smoke\" name=\"health\" time=\"0.5\">\n"
    "      <failure message=\"503\" type=\"AssertionError\">got 503</failure>\n"
    "    </testcase>\n"
    "    <testcase name=\"later\"><skipped/></testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"untimed\"><testcase name=\"x\"><error message=\"boom\"/></testcase></testsuite>\n"
    "</testsuites>\n";

START_TEST(junit_document_and_events)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    ck_assert_int_eq(load(ev, "results.xml", junit_text, &err), RB_OK);
    ck_assert_str_eq(ev->inputs[0]->kind, "junit");
    ck_assert_uint_eq(ev->n_docs, 1);
    const json_t *doc = ev->docs[0].value;
    ck_assert_json_eq(json_object_get(doc, "tests"), "4");
    ck_assert_json_eq(json_object_get(doc, "failures"), "1");
    ck_assert_json_eq(json_object_get(doc, "errors"), "1");
    ck_assert_json_eq(json_object_get(doc, "skipped"), "1");
    ck_assert_json_eq(json_object_get(doc, "passed"), "1");
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "suites")), 2);
    const json_t *health = json_array_get(json_object_get(doc, "cases"), 1);
    ck_assert_json_eq(json_object_get(health, "status"), "\"failed\"");
    ck_assert_json_eq(json_object_get(health, "message"), "\"503\"");
    ck_assert_json_eq(json_object_get(health, "detail"), "\"got 503\"");
    ck_assert_json_eq(json_object_get(health, "line"), "5");
    /* times follow the cases before; the untimed suite's case is an event
     * of unknown time, and a note on the input says why */
    ck_assert_uint_eq(ev->n_buffered, 4);
    ck_assert_json_eq(json_object_get(ev->buffered[0].fields, "type"), "\"test_case\"");
    ck_assert_json_eq(json_object_get(ev->buffered[0].fields, "ts"), "\"2026-04-12T10:00:00Z\"");
    ck_assert_json_eq(json_object_get(ev->buffered[1].fields, "ts"), "\"2026-04-12T10:00:01.500Z\"");
    ck_assert_json_eq(json_object_get(ev->buffered[2].fields, "status"), "\"skipped\"");
    ck_assert_int_eq(ev->buffered[1].origin.line, 5);
    ck_assert_json_eq(json_object_get(ev->buffered[3].fields, "name"), "\"x\"");
    ck_assert_ptr_null(json_object_get(ev->buffered[3].fields, "ts"));
    ck_assert(!rb_event_has_time(&ev->buffered[3]));
    ck_assert_json_eq(json_object_get(ev->inputs[0]->account, "notes"),
                      "[\"no usable time: suite 'untimed' has no timestamp, nor has any element above it; "
                      "its test case counts only where no time window applies\"]");
    rb_evidence_free(ev);
}
END_TEST

START_TEST(junit_single_suite_root)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    ck_assert_int_eq(load(ev, "one.xml", "<testsuite name=\"s\" timestamp=\"2026-04-12T10:00:00+02:00\">"
                                         "<testcase name=\"a\"/></testsuite>", &err), RB_OK);
    ck_assert_json_eq(json_object_get(ev->buffered[0].fields, "ts"), "\"2026-04-12T08:00:00Z\"");
    rb_evidence_free(ev);
}
END_TEST

/* Each case: a file's text and what the error must say. */
static const char *const bad_xml[][2] = {
    {"<testsuites><testsuite>", "bad.xml:1: invalid XML"},
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
     "<testsuites><testsuite name=\"s\"><testcase name=\"c\">&x;</testcase></testsuite></testsuites>",
     "bad.xml:2: the DOCTYPE declares an external or parameter entity"},
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE t [<!ENTITY x \"inside\">]>\n"
     "<testsuites><testsuite name=\"s\"><testcase name=\"c\">&x;</testcase></testsuite></testsuites>",
     "bad.xml:2: the DOCTYPE declares 1 entity, over the --max-xml-entities limit of 0"},
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE t [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
     "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
     "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
     "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>\n<testsuites><testsuite name=\"&g;\"/></testsuites>",
     "bad.xml:"},
};

/* XML of another kind, named on the command line, is not JUnit: exit 2 (in
 * a directory walk it is skipped instead: check_loaders). */
START_TEST(junit_names_the_root_of_other_xml)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    ck_assert_int_eq(load(ev, "bad.xml", "<?xml version=\"1.0\"?>\n<html/>", &err), RB_EKIND);
    ck_assert_msg(strstr(err.message, "bad.xml: XML whose root element is <html>, not JUnit's") != NULL, "message: %s",
                  err.message);
    ck_assert_int_eq(ev->n_inputs, 0);
    rb_evidence_free(ev);
}
END_TEST

START_TEST(junit_refuses_bad_xml)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    ck_assert_int_eq(load(ev, "bad.xml", bad_xml[_i][0], &err), RB_EINPUT);
    ck_assert_msg(strstr(err.message, bad_xml[_i][1]) != NULL, "message: %s", err.message);
    rb_evidence_free(ev);
}
END_TEST

static const char drill_text[] =
    "Preamble with a [hub](https://hub.example/).\n"
    "\n"
    "# Recovery drill 1.0.0\n"
    "\n"
    "## Environments reset\n"
    "\n"
    "- staging\n"
    "- demo\n"
    "\n"
    "## Backups\n"
    "\n"
    "| database | stored at |\n"
    "|---|---|\n"
    "| beam-directory.db | s3://backups/dir |\n"
    "| beam-bus.sqlite | s3://backups/bus |\n"
    "\n"
    "## Validation commands\n"
    "\n"
    "```sh\n"
    "npm run release:smoke\n"
    "```\n"
    "\n"
    "## Backups\n"
    "\n"
    "Second pass.\n";

START_TEST(markdown_document)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    ck_assert_int_eq(load(ev, "drill.md", drill_text, &err), RB_OK);
    ck_assert_uint_eq(ev->n_docs, 1);
    const json_t *doc = ev->docs[0].value;
    ck_assert_json_eq(json_object_get(doc, "headings"),
                      "[{\"level\":1,\"text\":\"Recovery drill 1.0.0\",\"line\":3},"
                      "{\"level\":2,\"text\":\"Environments reset\",\"line\":5},"
                      "{\"level\":2,\"text\":\"Backups\",\"line\":10},"
                      "{\"level\":2,\"text\":\"Validation commands\",\"line\":17},"
                      "{\"level\":2,\"text\":\"Backups\",\"line\":23}]");
    const json_t *sections = json_object_get(doc, "sections");
    ck_assert_json_eq(json_object_get(sections, ""), "\"Preamble with a hub.\"");
    ck_assert_json_eq(json_object_get(sections, "Environments reset"), "\"staging\\ndemo\"");
    ck_assert_json_eq(json_object_get(sections, "Recovery drill 1.0.0"), "\"\"");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(sections, "Backups")), "Second pass."));
    ck_assert_json_eq(json_object_get(doc, "tables"),
                      "[{\"heading\":\"Backups\",\"line\":12,\"columns\":[\"database\",\"stored at\"],"
                      "\"rows\":[{\"database\":\"beam-directory.db\",\"stored at\":\"s3://backups/dir\"},"
                      "{\"database\":\"beam-bus.sqlite\",\"stored at\":\"s3://backups/bus\"}]}]");
    ck_assert_json_eq(json_object_get(doc, "links"), "[{\"text\":\"hub\",\"url\":\"https://hub.example/\",\"line\":1}]");
    ck_assert_json_eq(json_object_get(doc, "code"), "[{\"info\":\"sh\",\"text\":\"npm run release:smoke\\n\",\"line\":19}]");
    rb_evidence_free(ev);
}
END_TEST

START_TEST(markdown_size_cap_and_bad_utf8)
{
    unit_enter_workdir();
    rb_evidence *ev = rb_evidence_new();
    rb_error err;
    rb_limits small = rb_limits_default;
    small.markdown_bytes = 16;
    rb_limits_set(&small);
    unit_write_file("big.md", "# a heading longer than sixteen bytes\n");
    ck_assert_int_eq(rb_load_input(ev, "big.md", NULL, &plain_opts, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "big.md: 38 bytes is over the Markdown size cap of 16 bytes"));
    rb_limits_set(&rb_limits_default);
    ck_assert_int_eq(load(ev, "latin1.md", "# caf\xe9\n\nna\xefve\n", &err), RB_OK);
    ck_assert_json_eq(json_object_get(json_object_get(ev->docs[0].value, "sections"), "caf\xef\xbf\xbd"),
                      "\"na\xef\xbf\xbdve\"");
    rb_evidence_free(ev);
}
END_TEST

static Suite *reports_suite(void)
{
    Suite *s = suite_create("reports");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, junit_document_and_events);
    tcase_add_test(tc, junit_single_suite_root);
    tcase_add_test(tc, junit_names_the_root_of_other_xml);
    tcase_add_loop_test(tc, junit_refuses_bad_xml, 0, (int)(sizeof bad_xml / sizeof bad_xml[0]));
    tcase_add_test(tc, markdown_document);
    tcase_add_test(tc, markdown_size_cap_and_bad_utf8);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(reports_suite)
