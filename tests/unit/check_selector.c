/*
 * check_selector.c — the selector language of SPEC §4: every modifier,
 * typed values, parameters, correlation with three-valued results, and
 * every compile error with its file and line.
 */
#include "unit.h"

#include "selector.h"
#include "util.h"

static json_t *params;
static const char *const refs[] = {"first", NULL};

static void setup(void)
{
    params = unit_json("{\"limit\": 3, \"envs\": [\"production\", \"staging\"], \"window\": \"2h\","
                       " \"prefix\": \"beam\", \"on\": true}");
}

static void teardown(void)
{
    json_decref(params);
}

static rb_sel_env env_with(const rb_linemap *lines)
{
    rb_sel_env env = {"rules/x.yaml", lines, params, refs};
    return env;
}

static rb_selector *compile_ok(const char *spec_text)
{
    json_t *spec = unit_json(spec_text);
    rb_sel_env env = env_with(NULL);
    rb_selector *sel = NULL;
    rb_error err;
    rb_error_clear(&err);
    rb_code rc = rb_selector_compile(spec, "0.match", &env, &sel, &err);
    json_decref(spec);
    ck_assert_msg(rc == RB_OK, "compiling %s: %s", spec_text, err.message);
    ck_assert_ptr_nonnull(sel);
    return sel;
}

/* Three-valued result of spec on event, with "first" bound to first_text
 * when it is not NULL. */
static rb_sel_result eval3(const char *spec_text, const char *event_text, const char *first_text)
{
    rb_selector *sel = compile_ok(spec_text);
    json_t *event = unit_json(event_text);
    json_t *first = first_text ? unit_json(first_text) : NULL;
    rb_bindings b = {1, {"first"}, {first}};
    rb_sel_result r = rb_selector_eval(sel, event, first ? &b : NULL);
    json_decref(first);
    json_decref(event);
    rb_selector_free(sel);
    return r;
}

static bool match(const char *spec_text, const char *event_text)
{
    rb_selector *sel = compile_ok(spec_text);
    json_t *event = unit_json(event_text);
    bool r = rb_selector_match(sel, event);
    ck_assert_int_eq(r, rb_selector_eval(sel, event, NULL) == RB_SEL_TRUE);
    json_decref(event);
    rb_selector_free(sel);
    return r;
}

#define MATCHES(spec, event) ck_assert_msg(match(spec, event), "%s should match %s", spec, event)
#define MISSES(spec, event) ck_assert_msg(!match(spec, event), "%s should not match %s", spec, event)

/* Compiles spec at path "rules.0.match" with each given path on its line;
 * returns the error message (caller frees), failing when it compiles. */
static char *compile_error(const char *spec_text, const char *const *paths, const long *lines_of)
{
    rb_linemap *lines = rb_linemap_new();
    rb_linemap_set(lines, "", 1);
    rb_linemap_set(lines, "rules.0.match", 5);
    for (size_t i = 0; paths && paths[i]; i++)
        rb_linemap_set(lines, paths[i], lines_of[i]);
    json_t *spec = unit_json(spec_text);
    rb_sel_env env = env_with(lines);
    rb_selector *sel = (rb_selector *)1;
    rb_error err;
    rb_error_clear(&err);
    rb_code rc = rb_selector_compile(spec, "rules.0.match", &env, &sel, &err);
    json_decref(spec);
    rb_linemap_free(lines);
    ck_assert_msg(rc == RB_ERULE, "%s compiled but should not", spec_text);
    ck_assert_int_eq(err.code, RB_ERULE);
    ck_assert_ptr_null(sel);
    return rb_xstrdup(err.message);
}

#define ERROR_AT(spec, path, line, expected)                                             \
    do {                                                                             \
        const char *const paths_[] = {path, NULL};                                   \
        const long lines_[] = {line};                                                \
        char *msg_ = compile_error(spec, paths_, lines_);                            \
        ck_assert_msg(strstr(msg_, expected) != NULL, "message '%s' lacks '%s'", msg_, expected); \
        free(msg_);                                                                  \
    } while (0)

/* ---- equality and values ---- */

START_TEST(equality_is_typed)
{
    MATCHES("{\"type\": \"pruned\"}", "{\"type\": \"pruned\"}");
    MISSES("{\"type\": \"pruned\"}", "{\"type\": \"Pruned\"}");
    MISSES("{\"n\": \"1\"}", "{\"n\": 1}");
    MISSES("{\"n\": 1}", "{\"n\": \"1\"}");
    MATCHES("{\"n\": 1}", "{\"n\": 1.0}");
    MATCHES("{\"n\": 2.5}", "{\"n\": 2.5}");
    MISSES("{\"n\": 1}", "{\"n\": true}");
    MATCHES("{\"ok\": false}", "{\"ok\": false}");
    MISSES("{\"ok\": false}", "{\"ok\": 0}");
    MATCHES("{\"z\": null}", "{\"z\": null}");
    MISSES("{\"z\": null}", "{}");
    MATCHES("{\"o\": {\"a\": 1}}", "{\"o\": {\"a\": 1}}");
    MISSES("{\"o\": {\"a\": 1}}", "{\"o\": {\"a\": 2}}");
    MATCHES("{\"type|eq\": \"pruned\"}", "{\"type\": \"pruned\"}");
    MISSES("{\"type|eq\": \"pruned\"}", "{\"type\": \"requeued\"}");
}
END_TEST

START_TEST(entries_are_anded_and_empty_matches_all)
{
    MATCHES("{\"type\": \"a\", \"env\": \"prod\"}", "{\"type\": \"a\", \"env\": \"prod\"}");
    MISSES("{\"type\": \"a\", \"env\": \"prod\"}", "{\"type\": \"a\", \"env\": \"dev\"}");
    MATCHES("{}", "{\"anything\": 1}");
    MATCHES("{}", "[1, 2]");
}
END_TEST

START_TEST(dotted_paths_and_indexes)
{
    const char *ev = "{\"detail\": {\"code\": \"E1\"}, \"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}],"
                     " \"a.b\": 7}";
    MATCHES("{\"detail.code\": \"E1\"}", ev);
    MISSES("{\"detail.code\": \"E2\"}", ev);
    MATCHES("{\"items.1.name\": \"b\"}", ev);
    MISSES("{\"items.1.name\": \"a\"}", ev);
    MISSES("{\"items.5.name\": \"a\"}", ev);
    MATCHES("{\"a\\\\.b\": 7}", ev);
    MISSES("{\"detail.code.deeper\": \"E1\"}", ev);
}
END_TEST

START_TEST(list_value_means_any_of)
{
    MATCHES("{\"type\": [\"pruned\", \"requeued\"]}", "{\"type\": \"requeued\"}");
    MISSES("{\"type\": [\"pruned\", \"requeued\"]}", "{\"type\": \"acked\"}");
    MATCHES("{\"msg|contains\": [\"deny\", \"forbid\"]}", "{\"msg\": \"was forbidden\"}");
    MISSES("{\"msg|contains\": [\"deny\", \"forbid\"]}", "{\"msg\": \"allowed\"}");
    /* not negates the whole any-of: contains neither */
    MISSES("{\"msg|not|contains\": [\"deny\", \"forbid\"]}", "{\"msg\": \"was forbidden\"}");
    MATCHES("{\"msg|not|contains\": [\"deny\", \"forbid\"]}", "{\"msg\": \"allowed\"}");
    MISSES("{\"type\": []}", "{\"type\": \"x\"}");
}
END_TEST

START_TEST(missing_field_and_present_null)
{
    MISSES("{\"x\": \"a\"}", "{}");
    MATCHES("{\"x|not\": \"a\"}", "{}");
    MATCHES("{\"x|not|in\": [\"a\"]}", "{}");
    MATCHES("{\"x|not|contains\": \"a\"}", "{}");
    MATCHES("{\"x|not|gt\": 1}", "{}");
    MATCHES("{\"x|not|len\": 0}", "{}");
    MISSES("{\"x|contains\": \"a\"}", "{}");
    MISSES("{\"x|len\": 0}", "{}");
    MISSES("{\"x|lt\": 5}", "{}");
    MATCHES("{\"x|exists\": false}", "{}");
    MISSES("{\"x|exists\": true}", "{}");
    MATCHES("{\"x|exists\": true}", "{\"x\": null}");
    MISSES("{\"x|exists\": false}", "{\"x\": null}");
    MATCHES("{\"x|not|exists\": true}", "{}");
    MISSES("{\"x|not|exists\": true}", "{\"x\": null}");
    MATCHES("{\"x|not|exists\": false}", "{\"x\": 1}");
    MISSES("{\"x|not|exists\": false}", "{}");
}
END_TEST

/* ---- string modifiers ---- */

START_TEST(in_and_not_in)
{
    MATCHES("{\"status|in\": [\"acked\", \"acted\"]}", "{\"status\": \"acted\"}");
    MISSES("{\"status|in\": [\"acked\", \"acted\"]}", "{\"status\": \"open\"}");
    MISSES("{\"status|in\": [\"1\"]}", "{\"status\": 1}");
    MATCHES("{\"status|in\": [1, 2]}", "{\"status\": 2.0}");
    MATCHES("{\"status|not|in\": [\"acked\", \"acted\"]}", "{\"status\": \"open\"}");
    MISSES("{\"status|not|in\": [\"acked\", \"acted\"]}", "{\"status\": \"acked\"}");
    MISSES("{\"status|in\": []}", "{\"status\": \"open\"}");
    MATCHES("{\"status|in|i\": [\"ACKED\"]}", "{\"status\": \"acked\"}");
    MISSES("{\"status|in\": [\"ACKED\"]}", "{\"status\": \"acked\"}");
}
END_TEST

START_TEST(contains_on_strings_and_lists)
{
    MATCHES("{\"msg|contains\": \"forbid\"}", "{\"msg\": \"403 forbidden\"}");
    MISSES("{\"msg|contains\": \"forbid\"}", "{\"msg\": \"403 Forbidden\"}");
    MATCHES("{\"msg|contains|i\": \"forbid\"}", "{\"msg\": \"403 FORBIDDEN\"}");
    MISSES("{\"msg|contains|i\": \"denied\"}", "{\"msg\": \"403 FORBIDDEN\"}");
    MATCHES("{\"tags|contains\": \"prod\"}", "{\"tags\": [\"dev\", \"prod\"]}");
    MISSES("{\"tags|contains\": \"pro\"}", "{\"tags\": [\"dev\", \"prod\"]}");
    MATCHES("{\"ids|contains\": 3}", "{\"ids\": [1, 3.0]}");
    MATCHES("{\"tags|contains|i\": \"PROD\"}", "{\"tags\": [\"prod\"]}");
    MISSES("{\"n|contains\": \"1\"}", "{\"n\": 1}");
    MATCHES("{\"msg|not|contains\": \"forbid\"}", "{\"msg\": \"ok\"}");
    MISSES("{\"msg|not|contains\": \"forbid\"}", "{\"msg\": \"forbidden\"}");
}
END_TEST

START_TEST(startswith_and_endswith)
{
    MATCHES("{\"s|startswith\": \"beam.\"}", "{\"s\": \"beam.bus\"}");
    MISSES("{\"s|startswith\": \"beam.\"}", "{\"s\": \"xbeam.bus\"}");
    MISSES("{\"s|startswith\": \"beam.bus.long\"}", "{\"s\": \"beam.bus\"}");
    MATCHES("{\"s|startswith|i\": \"BEAM\"}", "{\"s\": \"beam.bus\"}");
    MISSES("{\"s|startswith\": \"1\"}", "{\"s\": 12}");
    MATCHES("{\"s|endswith\": \".bus\"}", "{\"s\": \"beam.bus\"}");
    MISSES("{\"s|endswith\": \".bus\"}", "{\"s\": \"beam.bush\"}");
    MISSES("{\"s|endswith\": \"xbeam.bus\"}", "{\"s\": \"beam.bus\"}");
    MATCHES("{\"s|endswith|i\": \".BUS\"}", "{\"s\": \"beam.bus\"}");
    MISSES("{\"s|endswith\": \".BUS\"}", "{\"s\": \"beam.bus\"}");
    MATCHES("{\"s|not|startswith\": \"x\"}", "{\"s\": \"beam\"}");
    MISSES("{\"s|not|endswith\": \"m\"}", "{\"s\": \"beam\"}");
}
END_TEST

START_TEST(glob_on_values)
{
    MATCHES("{\"f|glob\": \"config/*.yaml\"}", "{\"f\": \"config/a/b.yaml\"}");
    MATCHES("{\"f|glob\": \"v?\"}", "{\"f\": \"v2\"}");
    MISSES("{\"f|glob\": \"v?\"}", "{\"f\": \"v10\"}");
    MISSES("{\"f|glob\": \"*.YAML\"}", "{\"f\": \"a.yaml\"}");
    MATCHES("{\"f|glob|i\": \"*.YAML\"}", "{\"f\": \"a.yaml\"}");
    MISSES("{\"f|glob\": \"*\"}", "{\"f\": 5}");
    MATCHES("{\"f|not|glob\": \"*.json\"}", "{\"f\": \"a.yaml\"}");
    MISSES("{\"f|not|glob\": \"*.yaml\"}", "{\"f\": \"a.yaml\"}");
}
END_TEST

START_TEST(regular_expressions)
{
    MATCHES("{\"m|re\": \"err(or)? [0-9]+\"}", "{\"m\": \"an error 42 here\"}");
    MISSES("{\"m|re\": \"^err(or)? [0-9]+$\"}", "{\"m\": \"an error 42 here\"}");
    MISSES("{\"m|re\": \"ERROR\"}", "{\"m\": \"error\"}");
    MATCHES("{\"m|re|i\": \"ERROR\"}", "{\"m\": \"error\"}");
    MATCHES("{\"m|re\": \"^x{2}$\"}", "{\"m\": \"xx\"}");
    MISSES("{\"m|re\": \"^x{2}$\"}", "{\"m\": \"xxx\"}");
    MATCHES("{\"m|re\": \"^a{2,3}$\"}", "{\"m\": \"aaa\"}");
    MISSES("{\"m|re\": \"1\"}", "{\"m\": 1}");
    MATCHES("{\"m|not|re\": \"^x\"}", "{\"m\": \"yx\"}");
    MISSES("{\"m|not|re\": \"x$\"}", "{\"m\": \"yx\"}");
}
END_TEST

START_TEST(case_insensitive_equality)
{
    MATCHES("{\"e|i\": \"PRODUCTION\"}", "{\"e\": \"production\"}");
    MATCHES("{\"e|eq|i\": \"Production\"}", "{\"e\": \"production\"}");
    MISSES("{\"e|i\": \"PRODUCTION\"}", "{\"e\": \"staging\"}");
    MISSES("{\"e|not|i\": \"PRODUCTION\"}", "{\"e\": \"production\"}");
    MATCHES("{\"e|not|i\": \"PRODUCTION\"}", "{\"e\": \"staging\"}");
}
END_TEST

/* ---- comparisons and len ---- */

START_TEST(ordering_numbers)
{
    MATCHES("{\"n|gt\": 3}", "{\"n\": 4}");
    MISSES("{\"n|gt\": 3}", "{\"n\": 3}");
    MATCHES("{\"n|gte\": 3}", "{\"n\": 3.0}");
    MISSES("{\"n|gte\": 3}", "{\"n\": 2.9}");
    MATCHES("{\"n|lt\": 2.5}", "{\"n\": 2}");
    MISSES("{\"n|lt\": 2}", "{\"n\": 2}");
    MATCHES("{\"n|lte\": 2}", "{\"n\": 2}");
    MISSES("{\"n|lte\": 2}", "{\"n\": 3}");
    MATCHES("{\"n|not|gt\": 3}", "{\"n\": 1}");
    MISSES("{\"n|not|gt\": 3}", "{\"n\": 9}");
    MATCHES("{\"n|gt\": [100, 1]}", "{\"n\": 5}");
    MATCHES("{\"n|gt\": 9007199254740992}", "{\"n\": 9007199254740993}");
}
END_TEST

START_TEST(ordering_times_with_offsets)
{
    MATCHES("{\"ts|lt\": \"2026-04-12T09:00:00Z\"}", "{\"ts\": \"2026-04-12T10:00:00+02:00\"}");
    MISSES("{\"ts|gt\": \"2026-04-12T09:00:00Z\"}", "{\"ts\": \"2026-04-12T10:00:00+02:00\"}");
    MATCHES("{\"ts|gte\": \"2026-04-12T08:00:00Z\"}", "{\"ts\": \"2026-04-12T10:00:00+02:00\"}");
    MATCHES("{\"ts|lte\": \"2026-04-12T08:00:00Z\"}", "{\"ts\": \"2026-04-12T10:00:00+02:00\"}");
    MISSES("{\"ts|lt\": \"2026-04-12T08:00:00Z\"}", "{\"ts\": \"2026-04-12T10:00:00+02:00\"}");
}
END_TEST

/* A time is a time in any form: facing an RFC 3339 string, an epoch
 * number is read by its magnitude; two numbers still compare as numbers. */
START_TEST(ordering_times_across_forms)
{
    /* 2026-04-12T10:15:00Z in milliseconds, seconds and nanoseconds */
    MATCHES("{\"ts|gte\": \"2026-04-12T10:15:00Z\"}", "{\"ts\": 1775988900000}");
    MATCHES("{\"ts|gte\": \"2026-04-12T10:15:00Z\"}", "{\"ts\": 1775988900}");
    MATCHES("{\"ts|lte\": \"2026-04-12T12:15:00+02:00\"}", "{\"ts\": 1775988900000000000}");
    MISSES("{\"ts|gt\": \"2026-04-12T10:15:00Z\"}", "{\"ts\": 1775988900000}");
    MISSES("{\"ts|lt\": \"2026-04-12T10:15:00Z\"}", "{\"ts\": 1775988900}");
    MATCHES("{\"ts|lt\": \"2026-04-12T10:15:00.001Z\"}", "{\"ts\": 1775988900000}");
    MATCHES("{\"ts|gt\": \"2026-04-12T10:14:59.5Z\"}", "{\"ts\": 1775988899.75}");
    /* the number on the rule's side */
    MATCHES("{\"ts|gte\": 1775988900000}", "{\"ts\": \"2026-04-12T10:15:00Z\"}");
    MATCHES("{\"ts|lt\": 1775988901}", "{\"ts\": \"2026-04-12T12:15:00+02:00\"}");
    MISSES("{\"ts|gt\": 1775988900}", "{\"ts\": \"2026-04-12T10:15:00Z\"}");
    /* both numbers: as numbers, whatever they mean */
    MISSES("{\"ts|gte\": 1775988900000}", "{\"ts\": 1775988900}");
    MATCHES("{\"n|lt\": 100}", "{\"n\": 5}");
    /* a number that is no time, or text that is none, compares with nothing */
    MISSES("{\"ts|lt\": \"2026-04-12T10:15:00Z\"}", "{\"ts\": 1e300}");
    MISSES("{\"ts|lt\": 1775988900}", "{\"ts\": \"yesterday\"}");
    MISSES("{\"ts|lt\": 1775988900}", "{\"ts\": \"2h\"}");
}
END_TEST

START_TEST(ordering_durations)
{
    MATCHES("{\"d|gt\": \"1h\"}", "{\"d\": \"90m\"}");
    MISSES("{\"d|lt\": \"1h\"}", "{\"d\": \"90m\"}");
    MATCHES("{\"d|gte\": \"1h30m\"}", "{\"d\": \"90m\"}");
    MISSES("{\"d|gt\": \"2h\"}", "{\"d\": \"90m\"}");
}
END_TEST

START_TEST(ordering_mixed_types_is_false)
{
    MISSES("{\"x|gt\": 1}", "{\"x\": \"2\"}");
    MISSES("{\"x|lt\": 1}", "{\"x\": \"0\"}");
    MISSES("{\"x|gt\": \"1h\"}", "{\"x\": 7200}");
    MISSES("{\"x|gt\": \"1h\"}", "{\"x\": \"2026-04-12T09:00:00Z\"}");
    MISSES("{\"x|lt\": \"2026-04-12T09:00:00Z\"}", "{\"x\": \"1h\"}");
    MISSES("{\"x|lt\": \"2026-04-12T09:00:00Z\"}", "{\"x\": \"yesterday\"}");
    MISSES("{\"x|gt\": 0}", "{\"x\": true}");
    MISSES("{\"x|gt\": 0}", "{\"x\": null}");
    MATCHES("{\"x|not|gt\": 1}", "{\"x\": \"2\"}");
}
END_TEST

START_TEST(length_of_strings_lists_objects)
{
    MATCHES("{\"s|len\": 0}", "{\"s\": \"\"}");
    MISSES("{\"s|len\": 0}", "{\"s\": \"a\"}");
    MATCHES("{\"s|len\": 3}", "{\"s\": \"h\\u00e9\\u20ac\"}");
    MATCHES("{\"l|len\": 2}", "{\"l\": [1, [2, 3]]}");
    MATCHES("{\"o|len\": 1}", "{\"o\": {\"a\": [1, 2]}}");
    MISSES("{\"n|len\": 1}", "{\"n\": 5}");
    MISSES("{\"n|len\": 0}", "{\"n\": null}");
    MATCHES("{\"l|len|gt\": 1}", "{\"l\": [1, 2]}");
    MISSES("{\"l|len|gt\": 2}", "{\"l\": [1, 2]}");
    MATCHES("{\"l|len|lte\": 2}", "{\"l\": [1, 2]}");
    MATCHES("{\"s|len|in\": [1, 5]}", "{\"s\": \"hello\"}");
    MISSES("{\"s|len|in\": [1, 2]}", "{\"s\": \"hello\"}");
    MATCHES("{\"s|not|len\": 0}", "{\"s\": \"x\"}");
    MISSES("{\"s|not|len|gte\": 1}", "{\"s\": \"x\"}");
    MATCHES("{\"s|len\": [0, 1]}", "{\"s\": \"x\"}");
}
END_TEST

/* ---- composition ---- */

START_TEST(all_any_not)
{
    const char *ev = "{\"type\": \"pruned\", \"env\": \"prod\", \"n\": 2}";
    MATCHES("{\"any\": [{\"type\": \"requeued\"}, {\"type\": \"pruned\"}]}", ev);
    MISSES("{\"any\": [{\"type\": \"requeued\"}, {\"env\": \"dev\"}]}", ev);
    MATCHES("{\"all\": [{\"type\": \"pruned\"}, {\"env\": \"prod\"}]}", ev);
    MISSES("{\"all\": [{\"type\": \"pruned\"}, {\"env\": \"dev\"}]}", ev);
    MATCHES("{\"not\": {\"type\": \"requeued\"}}", ev);
    MISSES("{\"not\": {\"type\": \"pruned\"}}", ev);
    MATCHES("{\"all\": []}", ev);
    MISSES("{\"any\": []}", ev);
    MATCHES("{\"not\": {\"any\": []}}", ev);
    MATCHES("{\"not\": {\"all\": [{\"type\": \"pruned\"}, {\"n|gt\": 5}]}}", ev);
}
END_TEST

START_TEST(composition_beside_field_keys)
{
    const char *spec = "{\"type\": \"pruned\", \"any\": [{\"env\": \"prod\"}, {\"n|gt\": 5}],"
                       " \"not\": {\"owner|exists\": true}, \"all\": [{\"n|lt\": 10}]}";
    MATCHES(spec, "{\"type\": \"pruned\", \"env\": \"prod\", \"n\": 2}");
    MATCHES(spec, "{\"type\": \"pruned\", \"env\": \"dev\", \"n\": 7}");
    MISSES(spec, "{\"type\": \"pruned\", \"env\": \"dev\", \"n\": 2}");
    MISSES(spec, "{\"type\": \"pruned\", \"env\": \"prod\", \"n\": 2, \"owner\": null}");
    MISSES(spec, "{\"type\": \"acked\", \"env\": \"prod\", \"n\": 2}");
    MISSES(spec, "{\"type\": \"pruned\", \"env\": \"prod\", \"n\": 12}");
}
END_TEST

START_TEST(inbox_rule_shape)
{
    const char *spec = "{\"type\": \"inbox_updated\", \"status|in\": [\"acknowledged\", \"acted\"],"
                       " \"any\": [{\"owner|exists\": false}, {\"owner|len\": 0},"
                       " {\"next_action|exists\": false}, {\"next_action|len\": 0}]}";
    MATCHES(spec, "{\"type\": \"inbox_updated\", \"status\": \"acted\", \"owner\": \"bob\"}");
    MATCHES(spec, "{\"type\": \"inbox_updated\", \"status\": \"acted\", \"owner\": \"\","
                  " \"next_action\": \"call\"}");
    MISSES(spec, "{\"type\": \"inbox_updated\", \"status\": \"acted\", \"owner\": \"bob\","
                 " \"next_action\": \"call\"}");
    MISSES(spec, "{\"type\": \"inbox_updated\", \"status\": \"new\"}");
}
END_TEST

/* ---- parameters ---- */

START_TEST(parameters_keep_their_type)
{
    MATCHES("{\"n\": \"{limit}\"}", "{\"n\": 3}");
    MISSES("{\"n\": \"{limit}\"}", "{\"n\": \"3\"}");
    MATCHES("{\"n|gt\": \"{limit}\"}", "{\"n\": 4}");
    MISSES("{\"n|gt\": \"{limit}\"}", "{\"n\": 3}");
    MATCHES("{\"env|in\": \"{envs}\"}", "{\"env\": \"staging\"}");
    MISSES("{\"env|in\": \"{envs}\"}", "{\"env\": \"demo\"}");
    MATCHES("{\"env|not|in\": \"{envs}\"}", "{\"env\": \"demo\"}");
    MATCHES("{\"env\": \"{envs}\"}", "{\"env\": \"production\"}");
    MATCHES("{\"env|in\": [\"demo\", \"{envs}\"]}", "{\"env\": \"staging\"}");
    MATCHES("{\"age|lt\": \"{window}\"}", "{\"age\": \"90m\"}");
    MISSES("{\"age|lt\": \"{window}\"}", "{\"age\": \"3h\"}");
    MATCHES("{\"l|len\": \"{limit}\"}", "{\"l\": [1, 2, 3]}");
    MATCHES("{\"x|exists\": \"{on}\"}", "{\"x\": 0}");
    MATCHES("{\"{prefix}\": 1}", "{\"{prefix}\": 1}");
}
END_TEST

START_TEST(parameters_embedded_in_strings)
{
    MATCHES("{\"source\": \"{prefix}.bus\"}", "{\"source\": \"beam.bus\"}");
    MISSES("{\"source\": \"{prefix}.bus\"}", "{\"source\": \"{prefix}.bus\"}");
    MATCHES("{\"source|startswith\": \"{prefix}.\"}", "{\"source\": \"beam.inbox\"}");
    MATCHES("{\"m|re\": \"^{prefix}-x{2}$\"}", "{\"m\": \"beam-xx\"}");
    MATCHES("{\"m\": \"n={limit}\"}", "{\"m\": \"n=3\"}");
    MATCHES("{\"m\": \"a{{b}\"}", "{\"m\": \"a{{b}\"}");
}
END_TEST

/* ---- correlation ---- */

START_TEST(correlation_true_false_unknown)
{
    const char *spec = "{\"nonce\": \"{first.nonce}\"}";
    const char *then = "{\"nonce\": \"n-1\", \"type\": \"pruned\"}";
    ck_assert_int_eq(eval3(spec, then, "{\"nonce\": \"n-1\"}"), RB_SEL_TRUE);
    ck_assert_int_eq(eval3(spec, then, "{\"nonce\": \"n-2\"}"), RB_SEL_FALSE);
    ck_assert_int_eq(eval3(spec, then, "{}"), RB_SEL_FALSE);
    ck_assert_int_eq(eval3(spec, then, NULL), RB_SEL_UNKNOWN);
    ck_assert_int_eq(eval3(spec, "{}", NULL), RB_SEL_UNKNOWN);
    ck_assert(!match(spec, then));
    /* typed: the bound value keeps its type */
    ck_assert_int_eq(eval3("{\"n\": \"{first.n}\"}", "{\"n\": 1}", "{\"n\": 1.0}"), RB_SEL_TRUE);
    ck_assert_int_eq(eval3("{\"n\": \"{first.n}\"}", "{\"n\": \"1\"}", "{\"n\": 1}"), RB_SEL_FALSE);
    ck_assert_int_eq(eval3("{\"seq|gt\": \"{first.seq}\"}", "{\"seq\": 5}", "{\"seq\": 4}"), RB_SEL_TRUE);
    ck_assert_int_eq(eval3("{\"a\": \"{first.items.1}\"}", "{\"a\": \"y\"}", "{\"items\": [\"x\", \"y\"]}"),
                     RB_SEL_TRUE);
    ck_assert_int_eq(eval3("{\"t|in\": \"{first.allowed}\"}", "{\"t\": \"b\"}", "{\"allowed\": [\"a\", \"b\"]}"),
                     RB_SEL_TRUE);
    ck_assert_int_eq(eval3("{\"n|not\": \"{first.n}\"}", "{\"n\": 1}", "{\"n\": 2}"), RB_SEL_TRUE);
}
END_TEST

START_TEST(correlation_embedded_in_strings)
{
    const char *spec = "{\"ref\": \"{prefix}/{first.nonce}/{first.seq}\"}";
    ck_assert_int_eq(eval3(spec, "{\"ref\": \"beam/n-1/4\"}", "{\"nonce\": \"n-1\", \"seq\": 4}"), RB_SEL_TRUE);
    ck_assert_int_eq(eval3(spec, "{\"ref\": \"beam/n-1/4\"}", "{\"nonce\": \"n-2\", \"seq\": 4}"), RB_SEL_FALSE);
    ck_assert_int_eq(eval3(spec, "{\"ref\": \"beam/n-1/4\"}", NULL), RB_SEL_UNKNOWN);
    ck_assert_int_eq(eval3("{\"m|re\": \"^{first.code}[0-9]$\"}", "{\"m\": \"E7\"}", "{\"code\": \"E\"}"),
                     RB_SEL_TRUE);
    ck_assert_int_eq(eval3("{\"m|contains|i\": \"id={first.id}\"}", "{\"m\": \"ID=7 ok\"}", "{\"id\": 7}"),
                     RB_SEL_TRUE);
}
END_TEST

START_TEST(correlation_with_an_offset)
{
    const char *spec = "{\"start\": \"{first.seq + 1}\"}";
    ck_assert_int_eq(eval3(spec, "{\"start\": 10}", "{\"seq\": 9}"), RB_SEL_TRUE);
    ck_assert_int_eq(eval3(spec, "{\"start\": 9}", "{\"seq\": 9}"), RB_SEL_FALSE);
    ck_assert_int_eq(eval3(spec, "{\"start\": 10}", "{\"seq\": \"9\"}"), RB_SEL_FALSE);
    ck_assert_int_eq(eval3(spec, "{\"start\": 10}", NULL), RB_SEL_UNKNOWN);
    ck_assert_int_eq(eval3("{\"n|lte\": \"{first.n-2}\"}", "{\"n\": 3}", "{\"n\": 5}"), RB_SEL_TRUE);
    ck_assert_int_eq(eval3("{\"n\": \"{first.n + 1}\"}", "{\"n\": 0}", "{\"n\": 9223372036854775807}"),
                     RB_SEL_FALSE);
    /* an offset applies to correlation references only */
    char *msg = compile_error("{\"n\": \"{limit + 1}\"}", NULL, NULL);
    ck_assert_msg(strstr(msg, "an offset applies to a correlation reference"), "%s", msg);
    free(msg);
}
END_TEST

START_TEST(pattern_modifiers_on_lists_match_any_item)
{
    MATCHES("{\"paths|glob\": \"schema/*\"}", "{\"paths\": [\"README\", \"schema/x.sql\"]}");
    MISSES("{\"paths|glob\": \"schema/*\"}", "{\"paths\": [\"README\"]}");
    MATCHES("{\"paths|startswith\": \"infra/\"}", "{\"paths\": [\"infra/bus.tf\"]}");
    MATCHES("{\"paths|re|i\": \"_URL$\"}", "{\"paths\": [\"ra\", \"access_url\"]}");
    MISSES("{\"paths|not|re\": \"_url$\"}", "{\"paths\": [\"ra\", \"access_url\"]}");
    MATCHES("{\"paths|not|re\": \"_url$\"}", "{\"paths\": [\"ra\", \"dec\"]}");
    MISSES("{\"paths|glob\": \"*\"}", "{\"paths\": []}");
}
END_TEST

START_TEST(correlation_kleene_logic)
{
    const char *ev = "{\"type\": \"pruned\", \"nonce\": \"n-1\"}";
    /* not unknown = unknown */
    ck_assert_int_eq(eval3("{\"not\": {\"nonce\": \"{first.nonce}\"}}", ev, NULL), RB_SEL_UNKNOWN);
    ck_assert_int_eq(eval3("{\"nonce|not\": \"{first.nonce}\"}", ev, NULL), RB_SEL_UNKNOWN);
    /* false AND unknown = false; true AND unknown = unknown */
    ck_assert_int_eq(eval3("{\"type\": \"acked\", \"nonce\": \"{first.nonce}\"}", ev, NULL), RB_SEL_FALSE);
    ck_assert_int_eq(eval3("{\"type\": \"pruned\", \"nonce\": \"{first.nonce}\"}", ev, NULL), RB_SEL_UNKNOWN);
    /* true OR unknown = true; false OR unknown = unknown */
    ck_assert_int_eq(eval3("{\"any\": [{\"type\": \"pruned\"}, {\"nonce\": \"{first.nonce}\"}]}", ev, NULL),
                     RB_SEL_TRUE);
    ck_assert_int_eq(eval3("{\"any\": [{\"type\": \"acked\"}, {\"nonce\": \"{first.nonce}\"}]}", ev, NULL),
                     RB_SEL_UNKNOWN);
    ck_assert_int_eq(eval3("{\"not\": {\"any\": [{\"type\": \"pruned\"}, {\"nonce\": \"{first.nonce}\"}]}}",
                           ev, NULL),
                     RB_SEL_FALSE);
    /* bound: ordinary two-valued logic */
    ck_assert_int_eq(eval3("{\"type\": \"pruned\", \"nonce\": \"{first.nonce}\"}", ev, "{\"nonce\": \"n-1\"}"),
                     RB_SEL_TRUE);
}
END_TEST

START_TEST(bindings_are_found_by_name)
{
    rb_selector *sel = compile_ok("{\"nonce\": \"{first.nonce}\"}");
    json_t *ev = unit_json("{\"nonce\": \"n-1\"}");
    json_t *other = unit_json("{\"nonce\": \"n-2\"}");
    json_t *first = unit_json("{\"nonce\": \"n-1\"}");
    rb_bindings b = {2, {"from", "first"}, {other, first}};
    ck_assert_int_eq(rb_selector_eval(sel, ev, &b), RB_SEL_TRUE);
    rb_bindings only_other = {1, {"from"}, {first}};
    ck_assert_int_eq(rb_selector_eval(sel, ev, &only_other), RB_SEL_UNKNOWN);
    json_decref(first);
    json_decref(other);
    json_decref(ev);
    rb_selector_free(sel);
}
END_TEST

START_TEST(refers_names_correlation_use)
{
    rb_selector *sel = compile_ok("{\"type\": \"a\", \"any\": [{\"n\": \"x-{first.n}\"}]}");
    ck_assert(rb_selector_refers(sel, "first"));
    ck_assert(!rb_selector_refers(sel, "from"));
    rb_selector_free(sel);
    sel = compile_ok("{\"type\": \"{prefix}\", \"n\": \"{limit}\", \"m|re\": \"x{2}\"}");
    ck_assert(!rb_selector_refers(sel, "first"));
    rb_selector_free(sel);
    sel = compile_ok("{\"not\": {\"nonce\": \"{first.nonce}\"}}");
    ck_assert(rb_selector_refers(sel, "first"));
    rb_selector_free(sel);
}
END_TEST

START_TEST(no_environment_needed)
{
    json_t *spec = unit_json("{\"m|re\": \"x{2}\", \"type\": \"a\"}");
    rb_sel_env env = {"f.yaml", NULL, NULL, NULL};
    rb_selector *sel;
    rb_error err;
    ck_assert_int_eq(rb_selector_compile(spec, "", &env, &sel, &err), RB_OK);
    json_t *ev = unit_json("{\"m\": \"axx\", \"type\": \"a\"}");
    ck_assert(rb_selector_match(sel, ev));
    ck_assert(!rb_selector_refers(sel, "first"));
    rb_selector_free(sel);
    json_decref(ev);
    json_decref(spec);
    spec = unit_json("{\"n\": \"{first.n}\"}");
    ck_assert_int_eq(rb_selector_compile(spec, "", &env, &sel, &err), RB_ERULE);
    ck_assert_ptr_nonnull(strstr(err.message, "f.yaml:0: unknown parameter '{first.n}'"));
    json_decref(spec);
}
END_TEST

/* ---- compile errors ---- */

START_TEST(error_unknown_modifier)
{
    ERROR_AT("{\"type\": \"a\", \"sender|startwith\": \"x\"}", "rules.0.match.sender|startwith", 7,
             "rules/x.yaml:7: unknown modifier 'startwith' in 'sender|startwith' (expected one of: "
             "in, contains, startswith, endswith, glob, re, exists, gt, gte, lt, lte, len, not, i)");
    ERROR_AT("{\"a||in\": [1]}", "rules.0.match.a||in", 8, "rules/x.yaml:8: unknown modifier '' in 'a||in'");
    ERROR_AT("{\"a|in|\": [1]}", "rules.0.match.a|in|", 9, "rules/x.yaml:9: unknown modifier ''");
}
END_TEST

START_TEST(error_modifier_order_and_combinations)
{
    ERROR_AT("{\"a|contains|startswith\": \"x\"}", "rules.0.match.a|contains|startswith", 6,
             "rules/x.yaml:6: two comparisons 'contains' and 'startswith'");
    ERROR_AT("{\"a|gt|lt\": 1}", "rules.0.match.a|gt|lt", 6, "rules/x.yaml:6: two comparisons");
    ERROR_AT("{\"a|in|not\": [1]}", "rules.0.match.a|in|not", 6, "rules/x.yaml:6: 'not' must come right after");
    ERROR_AT("{\"a|not|not\": 1}", "rules.0.match.a|not|not", 6, "'not' must come right after");
    ERROR_AT("{\"a|gt|len\": 1}", "rules.0.match.a|gt|len", 6, "'len' must come before");
    ERROR_AT("{\"a|i|contains\": \"x\"}", "rules.0.match.a|i|contains", 6, "'i' must come last");
    ERROR_AT("{\"a|contains|i|i\": \"x\"}", "rules.0.match.a|contains|i|i", 6, "'i' given twice");
    ERROR_AT("{\"a|len|contains\": 1}", "rules.0.match.a|len|contains", 6,
             "rules/x.yaml:6: 'len' cannot be combined with 'contains'");
    ERROR_AT("{\"a|gt|i\": 1}", "rules.0.match.a|gt|i", 6, "rules/x.yaml:6: 'i' only applies to a string match");
    ERROR_AT("{\"a|len|i\": 1}", "rules.0.match.a|len|i", 6, "'i' only applies to a string match");
    ERROR_AT("{\"a|exists|i\": true}", "rules.0.match.a|exists|i", 6, "'i' only applies");
    ERROR_AT("{\"a|i\": 5}", "rules.0.match.a|i", 6, "rules/x.yaml:6: 'a|i' needs string values");
}
END_TEST

START_TEST(error_values)
{
    ERROR_AT("{\"status|not|in\": \"acked\"}", "rules.0.match.status|not|in", 11,
             "rules/x.yaml:11: 'status|not|in' needs a list of values (expected");
    ERROR_AT("{\"status|in\": \"{limit}\"}", "rules.0.match.status|in", 11,
             "rules/x.yaml:11: 'status|in' needs a list of values");
    ERROR_AT("{\"owner|exists\": \"yes\"}", "rules.0.match.owner|exists", 12,
             "rules/x.yaml:12: 'owner|exists' needs true or false");
    ERROR_AT("{\"owner|exists\": [true]}", "rules.0.match.owner|exists", 12, "needs true or false");
    ERROR_AT("{\"owner|len\": -1}", "rules.0.match.owner|len", 13,
             "rules/x.yaml:13: 'owner|len' needs a non-negative integer");
    ERROR_AT("{\"owner|len|gt\": \"2h\"}", "rules.0.match.owner|len|gt", 13, "needs a non-negative integer");
    ERROR_AT("{\"owner|len|in\": [1, 2.5]}", "rules.0.match.owner|len|in", 13, "rules/x.yaml:13:");
    ERROR_AT("{\"n|gt\": \"soon\"}", "rules.0.match.n|gt", 14,
             "rules/x.yaml:14: 'n|gt' needs a number, an RFC 3339 time or a duration");
    ERROR_AT("{\"n|glob\": 5}", "rules.0.match.n|glob", 14, "'n|glob' needs string values");
    ERROR_AT("{\"n|startswith\": [\"a\", 5]}", "rules.0.match.n|startswith", 14, "rules/x.yaml:14:");
}
END_TEST

START_TEST(error_invalid_regex)
{
    const char *const paths[] = {"rules.0.match.msg|re", NULL};
    const long lines[] = {9};
    char *msg = compile_error("{\"msg|re\": \"([\"}", paths, lines);
    ck_assert_msg(strncmp(msg, "rules/x.yaml:9: invalid regular expression '([' in 'msg|re': ", 61) == 0,
                  "got %s", msg);
    ck_assert_uint_gt(strlen(msg), 61);
    free(msg);
    /* the error inside a list points at its item */
    const char *const item_paths[] = {"rules.0.match.msg|re", "rules.0.match.msg|re.1", NULL};
    const long item_lines[] = {9, 11};
    msg = compile_error("{\"msg|re\": [\"ok\", \"a(\"]}", item_paths, item_lines);
    ck_assert_msg(strstr(msg, "rules/x.yaml:11: invalid regular expression 'a('") == msg, "got %s", msg);
    free(msg);
}
END_TEST

START_TEST(error_unknown_references)
{
    ERROR_AT("{\"n\": \"{limt}\"}", "rules.0.match.n", 4,
             "rules/x.yaml:4: unknown parameter '{limt}' in 'n' (expected one of: {limit}");
    ERROR_AT("{\"n\": \"x-{nope}\"}", "rules.0.match.n", 4, "rules/x.yaml:4: unknown parameter '{nope}'");
    ERROR_AT("{\"n\": \"{then.nonce}\"}", "rules.0.match.n", 4,
             "unknown parameter '{then.nonce}' in 'n' (expected");
    ERROR_AT("{\"n\": \"{limit.x}\"}", "rules.0.match.n", 4, "unknown parameter '{limit.x}'");
    ERROR_AT("{\"n|in\": [\"a\", \"{zz}\"]}", "rules.0.match.n|in", 4, "rules/x.yaml:4: unknown parameter '{zz}'");
}
END_TEST

START_TEST(error_structure)
{
    ERROR_AT("[1]", "rules.0.match", 5, "rules/x.yaml:5: a selector must be a mapping");
    ERROR_AT("{\"all\": {\"a\": 1}}", "rules.0.match.all", 15, "rules/x.yaml:15: 'all' needs a list of selectors");
    ERROR_AT("{\"any\": [{\"a\": 1}, \"b\"]}", "rules.0.match.any.1", 16, "rules/x.yaml:16: a selector must be a mapping");
    ERROR_AT("{\"not\": [{\"a\": 1}]}", "rules.0.match.not", 17, "rules/x.yaml:17: a selector must be a mapping");
    ERROR_AT("{\"|in\": [1]}", "rules.0.match.|in", 18, "rules/x.yaml:18: empty field name in '|in'");
    ERROR_AT("{\"a..b\": 1}", "rules.0.match.a\\.\\.b", 19, "rules/x.yaml:19: invalid field path in 'a..b'");
    /* nested errors point at the nested entry; a path with no line of its
     * own falls back to its nearest ancestor */
    ERROR_AT("{\"any\": [{\"x|bogus\": 1}]}", "rules.0.match.any.0.x|bogus", 21,
             "rules/x.yaml:21: unknown modifier 'bogus'");
    ERROR_AT("{\"any\": [{\"x|bogus\": 1}]}", "rules.0.match.any", 20, "rules/x.yaml:20: unknown modifier 'bogus'");
}
END_TEST

static Suite *selector_suite(void)
{
    Suite *s = suite_create("selector");
    TCase *tc = tcase_create("selector");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, equality_is_typed);
    tcase_add_test(tc, entries_are_anded_and_empty_matches_all);
    tcase_add_test(tc, dotted_paths_and_indexes);
    tcase_add_test(tc, list_value_means_any_of);
    tcase_add_test(tc, missing_field_and_present_null);
    tcase_add_test(tc, in_and_not_in);
    tcase_add_test(tc, contains_on_strings_and_lists);
    tcase_add_test(tc, startswith_and_endswith);
    tcase_add_test(tc, glob_on_values);
    tcase_add_test(tc, regular_expressions);
    tcase_add_test(tc, case_insensitive_equality);
    tcase_add_test(tc, ordering_numbers);
    tcase_add_test(tc, ordering_times_with_offsets);
    tcase_add_test(tc, ordering_times_across_forms);
    tcase_add_test(tc, ordering_durations);
    tcase_add_test(tc, ordering_mixed_types_is_false);
    tcase_add_test(tc, length_of_strings_lists_objects);
    tcase_add_test(tc, all_any_not);
    tcase_add_test(tc, composition_beside_field_keys);
    tcase_add_test(tc, inbox_rule_shape);
    tcase_add_test(tc, parameters_keep_their_type);
    tcase_add_test(tc, parameters_embedded_in_strings);
    tcase_add_test(tc, correlation_true_false_unknown);
    tcase_add_test(tc, correlation_with_an_offset);
    tcase_add_test(tc, pattern_modifiers_on_lists_match_any_item);
    tcase_add_test(tc, correlation_embedded_in_strings);
    tcase_add_test(tc, correlation_kleene_logic);
    tcase_add_test(tc, bindings_are_found_by_name);
    tcase_add_test(tc, refers_names_correlation_use);
    tcase_add_test(tc, no_environment_needed);
    tcase_add_test(tc, error_unknown_modifier);
    tcase_add_test(tc, error_modifier_order_and_combinations);
    tcase_add_test(tc, error_values);
    tcase_add_test(tc, error_invalid_regex);
    tcase_add_test(tc, error_unknown_references);
    tcase_add_test(tc, error_structure);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(selector_suite)
