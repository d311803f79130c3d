/*
 * check_prefilter.c — the plan and the line scanner: which texts selectors
 * need (rb_selector_needs), the scanner of lines no rule wants, and which
 * lines a ruleset's plan lets through.  Every line the scanner accepts must
 * be one jansson reads the same, and every line a rule selects must pass
 * the plan.
 */
#include "unit.h"

#include <inttypes.h>

#include "input_limits.h"
#include "line_scan.h"
#include "pack.h"
#include "plan_build.h"
#include "selector.h"
#include "timeutil.h"
#include "util.h"

/* ---- what selectors need ---- */

static void assert_needs(const char *spec_text, const char *expected)
{
    json_t *spec = unit_json(spec_text);
    rb_sel_env env = {"rules/x.yaml", NULL, NULL, NULL};
    rb_selector *sel = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_selector_compile(spec, "0.match", &env, &sel, &err) == RB_OK, "%s", err.message);
    json_t *needs = rb_selector_needs(sel);
    ck_assert_json_eq(needs, expected);
    json_decref(needs);
    rb_selector_free(sel);
    json_decref(spec);
}

START_TEST(needs_of_string_matches)
{
    assert_needs("{\"type\": \"queued\"}", "[[\"\\\"queued\\\"\"]]");
    assert_needs("{\"type|in\": [\"a\", \"b\"]}", "[[\"\\\"a\\\"\", \"\\\"b\\\"\"]]");
    assert_needs("{\"type\": [\"a\", \"b\"]}", "[[\"\\\"a\\\"\", \"\\\"b\\\"\"]]");
    assert_needs("{\"code|contains\": \"40\"}", "[[\"40\"]]");
    assert_needs("{\"path|startswith\": \"config/\"}", "[[\"\\\"config/\"]]");
    assert_needs("{\"path|endswith\": \".yaml\"}", "[[\".yaml\\\"\"]]");
    assert_needs("{\"type\": \"a\", \"source\": \"beam.bus\"}", "[[\"\\\"a\\\"\"], [\"\\\"beam.bus\\\"\"]]");
}
END_TEST

START_TEST(needs_nothing_it_cannot_see)
{
    assert_needs("{\"retry_count|gt\": 3}", "[]");
    assert_needs("{\"retry_count\": 0}", "[]");
    assert_needs("{\"type|not\": \"a\"}", "[]");
    assert_needs("{\"not\": {\"type\": \"a\"}}", "[]");
    assert_needs("{\"code|contains|i\": \"forbidden\"}", "[]");
    assert_needs("{\"path|glob\": \"config/*\"}", "[]");
    assert_needs("{\"owner|exists\": true}", "[]");
    assert_needs("{\"owner|len|gt\": 0}", "[]");
    assert_needs("{\"code|contains\": \"\"}", "[]");
    assert_needs("{\"type\": [\"a\", 1]}", "[]");
}
END_TEST

START_TEST(needs_of_any_and_all)
{
    assert_needs("{\"any\": [{\"type\": \"a\"}, {\"type\": \"b\", \"env\": \"production\"}]}",
                 "[[\"\\\"a\\\"\", \"\\\"production\\\"\"]]");
    assert_needs("{\"any\": [{\"type\": \"a\"}, {\"n|gt\": 1}]}", "[]");
    assert_needs("{\"all\": [{\"type\": \"a\"}, {\"n|gt\": 1}]}", "[[\"\\\"a\\\"\"]]");
    assert_needs("{\"type\": \"a\", \"any\": [{\"x\": \"b\"}, {\"y|contains\": \"c\"}]}",
                 "[[\"\\\"a\\\"\"], [\"\\\"b\\\"\", \"c\"]]");
}
END_TEST

/* ---- the line scanner ---- */

static const char *const names[] = {"ts", "type", "seq"};

/* What jansson makes of a line as the JSON Lines reader reads it. */
static json_t *full_reading(const char *line, size_t n)
{
    json_error_t e;
    json_t *v = rb_json_parse(line, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* What the scanner builds of a line is what jansson reads: all of it, or
 * of the members kept, those (and *partial says whether any was left). */
static void assert_built_as_read(const char *line, size_t n, const json_t *parsed)
{
    static const char *const keep[] = {"detail", "seq", "ts", "type"};
    bool partial = false;
    json_t *whole = rb_line_build(line, n, NULL, 0, &partial);
    ck_assert_msg(whole, "accepted but not built: %.*s", (int)n, line);
    ck_assert_msg(json_equal(whole, parsed) && !partial, "built otherwise: %.*s", (int)n, line);
    char *a = json_dumps(whole, JSON_ENCODE_ANY | JSON_COMPACT), *b = json_dumps(parsed, JSON_ENCODE_ANY | JSON_COMPACT);
    ck_assert_msg(strcmp(a, b) == 0, "built %s, read %s", a, b); /* the same order of keys, the same reals */
    free(a);
    free(b);
    json_decref(whole);
    json_t *some = rb_line_build(line, n, keep, 4, &partial);
    ck_assert_ptr_nonnull(some);
    const char *key;
    json_t *value;
    size_t kept = 0;
    json_object_foreach((json_t *)parsed, key, value) {
        bool keep_it = strcmp(key, "detail") == 0 || strcmp(key, "seq") == 0 || strcmp(key, "ts") == 0 ||
                       strcmp(key, "type") == 0;
        ck_assert_msg(keep_it ? json_equal(json_object_get(some, key), value) : !json_object_get(some, key),
                      "member %s of %.*s", key, (int)n, line);
        kept += keep_it;
    }
    ck_assert_int_eq(partial, kept < json_object_size(parsed));
    json_decref(some);
}

/* The scanner's one promise: a line it accepts, jansson reads to an
 * object, and a top-level member it reports is that object's member (a
 * plain string as text, an integer as its digits); what it builds of the
 * line is what jansson reads. */
static void assert_sound(const char *line, size_t n)
{
    rb_scan_value v[3];
    bool partial;
    json_t *built = rb_line_build(line, n, NULL, 0, &partial);
    bool scanned = rb_line_scan(line, n, names, 3, v, NULL);
    ck_assert_msg(scanned == (built != NULL), "scanned %d, built %d: %.*s", scanned, built != NULL, (int)n, line);
    json_decref(built);
    if (!scanned)
        return;
    json_t *parsed = full_reading(line, n);
    ck_assert_msg(parsed, "the scanner accepts what jansson refuses: %.*s", (int)n, line);
    for (size_t i = 0; i < 3; i++) {
        json_t *m = json_object_get(parsed, names[i]);
        ck_assert_msg((v[i].kind == RB_SCAN_ABSENT) == !m, "%s of %.*s", names[i], (int)n, line);
        if (v[i].kind == RB_SCAN_STRING)
            ck_assert_msg(json_is_string(m) && json_string_length(m) == v[i].len &&
                              memcmp(json_string_value(m), v[i].text, v[i].len) == 0,
                          "%s of %.*s", names[i], (int)n, line);
        if (v[i].kind == RB_SCAN_INTEGER)
            ck_assert_msg(json_is_integer(m) && json_integer_value(m) == rb_scan_integer(&v[i]), "%s of %.*s",
                          names[i], (int)n, line);
    }
    assert_built_as_read(line, n, parsed);
    json_decref(parsed);
}

static bool scan(const char *line, rb_scan_value *v)
{
    assert_sound(line, strlen(line));
    return rb_line_scan(line, strlen(line), names, 3, v, NULL);
}

START_TEST(scan_reads_plain_lines)
{
    rb_scan_value v[3];
    ck_assert(scan("{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"queued\",\"seq\":-12,\"ok\":true,"
                   "\"n\":null,\"x\":1.5,\"tags\":[\"a\",[1,2],[]],\"e\":\"\"}", v));
    ck_assert_int_eq(v[0].kind, RB_SCAN_STRING);
    ck_assert_int_eq((int)v[0].len, 20);
    ck_assert(strncmp(v[0].text, "2026-04-12T10:00:00Z", v[0].len) == 0);
    ck_assert_int_eq(v[1].kind, RB_SCAN_STRING);
    ck_assert(strncmp(v[1].text, "queued", v[1].len) == 0);
    ck_assert_int_eq(v[2].kind, RB_SCAN_INTEGER);
    ck_assert(strncmp(v[2].text, "-12", v[2].len) == 0);
    ck_assert(scan("  { \"ts\" : 1775988480000 , \"type\":\"a\" }\t", v));
    ck_assert_int_eq(v[0].kind, RB_SCAN_INTEGER);
    ck_assert_int_eq(v[2].kind, RB_SCAN_ABSENT);
    ck_assert(scan("{}", v));
    ck_assert_int_eq(v[0].kind, RB_SCAN_ABSENT);
    ck_assert(scan("{\"seq\":0.5}", v));
    ck_assert_int_eq(v[2].kind, RB_SCAN_OTHER);
}
END_TEST

/* Real events are nested, escaped and not all ASCII: the scanner reads
 * them, and only the top-level members count. */
START_TEST(scan_reads_nested_escaped_unicode_lines)
{
    static const char *const lines[] = {
        "{\"type\":\"a\",\"detail\":{\"error_code\":\"FORBIDDEN\",\"attempt\":2,\"route\":{\"hops\":[{\"h\":1},{}]}}}",
        "{\"type\":\"a\",\"m\":\"say \\\"hi\\\" \\\\ \\/ \\b\\f\\n\\r\\t\\u00e9 \\ud83d\\ude00\"}",
        "{\"type\":\"caf\xc3\xa9\",\"z\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}",
        "{\"type\":\"a\",\"n\":1e5,\"m\":-1.25E-3,\"k\":0e0,\"big\":123456789012345678}",
        "{\"type\":\"a\",\"x\":{\"type\":\"shadow\",\"seq\":\"inner\"},\"seq\":3}",
        "{\"type\":\"a\",\"a\":{\"k\":1},\"b\":{\"k\":1}}", /* one name in two objects */
    };
    rb_scan_value v[3];
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        ck_assert_msg(scan(lines[i], v), "not read: %s", lines[i]);
    ck_assert_int_eq(v[2].kind, RB_SCAN_ABSENT);
    scan(lines[4], v);
    ck_assert_int_eq(v[2].kind, RB_SCAN_INTEGER);
    ck_assert(strncmp(v[1].text, "a", v[1].len) == 0);
    /* a top-level string with escapes is no plain text */
    ck_assert(scan("{\"type\":\"dead\\u005fletter\"}", v));
    ck_assert_int_eq(v[1].kind, RB_SCAN_OTHER);
}
END_TEST

/* The escaped strings of a line, decoded between quotes, for the plan. */
START_TEST(scan_decodes_escaped_strings)
{
    static const char line[] = "{\"type\":\"dead\\u005fletter\",\"s\":\"beam\\u002ebus\",\"p\":\"plain\","
                               "\"q\":\"a\\\"b\\u00e9\\ud83d\\ude00\",\"o\":{\"k\":\"x\\ty\"},"
                               "\"long\":\"0123456789abcdef\\n0123456789abcdefFORBIDDEN0123456789\"}";
    rb_scan_value v[3];
    rb_buf decoded = {0};
    ck_assert(rb_line_scan(line, strlen(line), names, 3, v, &decoded));
    ck_assert_str_eq(decoded.data, "\"dead_letter\"\"beam.bus\"\"a\"b\xc3\xa9\xf0\x9f\x98\x80\"\"x\ty\""
                                   "\"0123456789abcdef\n0123456789abcdefFORBIDDEN0123456789\"");
    rb_buf_free(&decoded);
}
END_TEST

START_TEST(scan_leaves_the_rest_to_jansson)
{
    static const char *const lines[] = {
        "{\"type\":\"a\",\"type\":\"b\"}",       /* a member twice */
        "{\"o\":{\"k\":1,\"k\":2}}",             /* ... in a nested object */
        "{\"a\\u0062\":1,\"ab\":2}",             /* a name with escapes */
        "{\"n\":\"\\u0000\"}",                   /* a NUL */
        "{\"n\":\"\\ud83d\"}", "{\"n\":\"\\ude00x\"}", /* lone surrogates */
        "{\"n\":\"\\x41\"}", "{\"n\":\"\\u12\"}", "{\"n\":\"\\u12G4\"}",
        "{\"n\":\"\xc0\xaf\"}", "{\"n\":\"\xed\xa0\x80\"}", "{\"n\":\"\xf4\x90\x80\x80\"}", "{\"n\":\"\xe2\x82\"}",
        "{\"n\":\"\x80\"}",
        "{\"n\":1234567890123456789}",           /* 19 digits */
        "{\"n\":1e400}", "{\"n\":1e99999}",
        "{\"n\":01}", "{\"n\":-}", "{\"n\":1.}", "{\"n\":.5}", "{\"n\":1e}", "{\"n\":1e+}",
        "{\"n\":tru}", "{\"n\":truex}", "{\"n\":nul}",
        "{\"type\":\"a\"", "{\"type\":\"a", "{\"type\"}", "{\"type\":}", "{,}", "{\"a\":1,}",
        "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\" 1}", "{'a':1}", "[1]", "\"a\"", "", "   ",
        "{\"type\":\"a\"} x", "{\"type\":\"a\"}{}", "{\"type\":\"a\tb\"}", "{\"o\":{\"k\":1}",
    };
    rb_scan_value v[3];
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        ck_assert_msg(!scan(lines[i], v), "accepted: %s", lines[i]);
}
END_TEST

/* Nesting beyond --max-json-depth is jansson's to refuse, with its
 * message: the scanner stops there, never further. */
START_TEST(scan_stops_at_the_depth_limit)
{
    rb_limits limits = rb_limits_default;
    limits.json_depth = 3;
    rb_limits_set(&limits);
    rb_scan_value v[3];
    ck_assert(scan("{\"a\":{\"b\":[1]}}", v));
    ck_assert(!scan("{\"a\":{\"b\":[[1]]}}", v));
    ck_assert(scan("{\"a\":{\"b\":{\"c\":1}}}", v));
    ck_assert(!scan("{\"a\":{\"b\":{\"c\":{}}}}", v));
    rb_limits_set(&rb_limits_default);
}
END_TEST

/* Every cut and every one-byte change of real-looking lines: whatever the
 * scanner accepts, jansson reads the same (assert_sound). */
START_TEST(scan_is_sound_on_every_mutation)
{
    static const char *const seeds[] = {
        "{\"ts\":\"2026-04-12T10:00:00Z\",\"type\":\"dead_letter\",\"seq\":7,\"detail\":{\"error_code\":"
        "\"FORBIDDEN\",\"attempt\":2,\"route\":{\"region\":\"eu\",\"hops\":[{\"h\":1,\"w\":0.5},{}]}},"
        "\"msg\":\"caf\xc3\xa9 \\\"q\\\" \\u00e9\\ud83d\\ude00\",\"ok\":true,\"n\":null,\"e\":-1.5e-3}",
        "{\"ts\":1775988900000,\"type\":\"a\",\"l\":[[],[{}],\"x\"],\"o\":{}}",
    };
    static const char subst[] = "\"\\{}[],:0-e.u\x80\xc3\xed\xf4 tn";
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
        size_t n = strlen(seeds[s]);
        char *line = rb_xmalloc(n + 1);
        for (size_t cut = 0; cut <= n; cut++)
            assert_sound(seeds[s], cut);
        for (size_t at = 0; at < n; at++)
            for (size_t k = 0; k < sizeof subst - 1; k++) {
                memcpy(line, seeds[s], n + 1);
                line[at] = subst[k];
                assert_sound(line, n);
            }
        free(line);
    }
}
END_TEST

/* A plain line's `ts` is the time the full reading gives it: an epoch
 * integer by its magnitude (seconds, milliseconds, microseconds,
 * nanoseconds, and each boundary), RFC 3339 text; and what is no time for
 * one is none for the other.  (Nanoseconds of this century have 19
 * digits: not plain, they are read by jansson.) */
START_TEST(scan_reads_ts_as_the_full_reading_does)
{
    static const char *const values[] = {
        "\"2026-04-12T10:15:00Z\"", "\"2026-04-12T12:15:00.25+02:00\"", "1775988900", "1775988900000",
        "1775988900000000", "177598890000000000", "-177598890000000000", "99999999999", "100000000000",
        "99999999999999", "100000000000000", "99999999999999999", "100000000000000000", "0", "-1",
        "-62167219200", "-62167219201", "-99999999999", "999999999999999999", "-999999999999999999",
        "\"2026-04-12T10:15:00\"", "\"garbage\"", "\"\"",
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *line = rb_xasprintf("{\"ts\":%s,\"type\":\"a\"}", values[i]);
        rb_scan_value v[3];
        ck_assert_msg(scan(line, v), "not read: %s", line);
        json_t *parsed = json_loads(line, 0, NULL);
        int64_t scanned = 0, full = 0;
        bool scanned_ok = rb_scan_time(&v[0], &scanned);
        bool full_ok = rb_time_from_json(json_object_get(parsed, "ts"), RB_TIME_UNIT_AUTO, &full);
        ck_assert_msg(scanned_ok == full_ok && scanned == full, "%s: scanned %d %" PRId64 ", full %d %" PRId64,
                      line, scanned_ok, scanned, full_ok, full);
        json_decref(parsed);
        free(line);
    }
}
END_TEST

/* The word-at-a-time test of string bytes, against every byte value at
 * every place in and after the first eight-byte word: a byte alone is
 * read when it is printable ASCII (a backslash or a byte of 0x80 and more
 * begins an escape or a sequence, which alone are incomplete). */
START_TEST(scan_tests_every_byte_of_a_string)
{
    rb_scan_value v[3];
    for (int byte = 1; byte < 256; byte++) {
        if (byte == '"')
            continue;
        bool plain_byte = byte >= 0x20 && byte < 0x80 && byte != '\\';
        for (size_t at = 0; at < 19; at++) {
            char line[64];
            char text[20];
            memset(text, 'a', sizeof text - 1);
            text[sizeof text - 1] = '\0';
            text[at] = (char)byte;
            size_t n = (size_t)snprintf(line, sizeof line, "{\"type\":\"%s\"}", text);
            ck_assert_msg(rb_line_scan(line, n, names, 3, v, NULL) == plain_byte, "byte 0x%02x at %zu", byte, at);
            assert_sound(line, n);
        }
    }
}
END_TEST

START_TEST(scan_never_reads_past_the_line)
{
    /* the line is the first n bytes only: what follows must not count */
    const char *text = "{\"type\":\"a\"}garbage";
    rb_scan_value v[3];
    ck_assert(rb_line_scan(text, 12, names, 3, v, NULL));
    ck_assert(!rb_line_scan(text, 11, names, 3, v, NULL));
    ck_assert(!rb_line_scan("{\"type\":\"abc\"}", 11, names, 3, v, NULL));
}
END_TEST

/* ---- a ruleset's prefilter ---- */

static rb_ruleset *load_rules(const char *yaml)
{
    unit_enter_workdir();
    unit_write_file("rules.yaml", yaml);
    rb_ruleset *rs = rb_ruleset_new();
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_ruleset_load(rs, "rules.yaml", NULL, &err) == RB_OK, "%s", err.message);
    rb_ruleset_finish(rs);
    return rs;
}

#define RULE(id, body) \
    "- id: " id "\n  title: t\n  severity: error\n  runbook: r\n  message: m\n  remediation: x\n" body

static bool may_select(const rb_plan *pf, const char *line)
{
    return rb_plan_may_select(pf, line, strlen(line), NULL, 0);
}

START_TEST(prefilter_takes_the_lines_a_rule_may_select)
{
    rb_ruleset *rs = load_rules(RULE("A-1", "  events: {source: beam.bus}\n  match: {type: dead_letter}\n")
                                RULE("A-2", "  events: {source: beam.acl}\n  key: target\n"
                                            "  final: {field: type, in: [acl_changed]}\n"));
    rb_plan *pf = rb_plan_build(rs);
    ck_assert_ptr_nonnull(pf);
    ck_assert(may_select(pf, "{\"source\":\"beam.bus\",\"type\":\"dead_letter\"}"));
    ck_assert(!may_select(pf, "{\"source\":\"beam.bus\",\"type\":\"queued\"}"));
    ck_assert(!may_select(pf, "{\"source\":\"beam.directory\",\"type\":\"dead_letter\"}"));
    /* the final check sees every event its events: select */
    ck_assert(may_select(pf, "{\"source\":\"beam.acl\",\"type\":\"audit_history_checked\"}"));
    /* a value must be the whole string for equality */
    ck_assert(!may_select(pf, "{\"source\":\"beam.bus2\",\"type\":\"dead_letter\"}"));
    rb_plan_free(pf);
    rb_ruleset_free(rs);
}
END_TEST

START_TEST(prefilter_none_when_a_rule_takes_any_event)
{
    rb_ruleset *rs = load_rules(RULE("A-1", "  events: {source: beam.bus}\n  match: {type: dead_letter}\n")
                                RULE("A-2", "  match: {retry_count|gt: 5}\n"));
    rb_plan *pf = rb_plan_build(rs);
    ck_assert(pf->every_line);
    ck_assert(may_select(pf, "{\"type\":\"anything\"}"));
    rb_plan_free(pf);
    rb_ruleset_free(rs);
}
END_TEST

START_TEST(prefilter_without_event_rules_takes_no_line)
{
    rb_ruleset *rs = load_rules(RULE("D-1", "  documents: {kind: json}\n  match: {enabled: false}\n"));
    rb_plan *pf = rb_plan_build(rs);
    ck_assert_ptr_nonnull(pf);
    ck_assert(!may_select(pf, "{\"ts\":1,\"type\":\"a\",\"enabled\":false}"));
    rb_plan_free(pf);
    rb_ruleset_free(rs);
}
END_TEST

static Suite *prefilter_suite(void)
{
    Suite *s = suite_create("prefilter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, needs_of_string_matches);
    tcase_add_test(tc, needs_nothing_it_cannot_see);
    tcase_add_test(tc, needs_of_any_and_all);
    tcase_add_test(tc, scan_reads_plain_lines);
    tcase_add_test(tc, scan_reads_nested_escaped_unicode_lines);
    tcase_add_test(tc, scan_decodes_escaped_strings);
    tcase_add_test(tc, scan_leaves_the_rest_to_jansson);
    tcase_add_test(tc, scan_stops_at_the_depth_limit);
    tcase_add_test(tc, scan_is_sound_on_every_mutation);
    tcase_add_test(tc, scan_reads_ts_as_the_full_reading_does);
    tcase_add_test(tc, scan_tests_every_byte_of_a_string);
    tcase_add_test(tc, scan_never_reads_past_the_line);
    tcase_add_test(tc, prefilter_takes_the_lines_a_rule_may_select);
    tcase_add_test(tc, prefilter_none_when_a_rule_takes_any_event);
    tcase_add_test(tc, prefilter_without_event_rules_takes_no_line);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(prefilter_suite)
