/*
 * check_finding.c — messages, fingerprints and the report order of
 * findings.
 */
#include "unit.h"

#include "finding.h"
#include "rule.h"

static rb_rule *make_rule(const char *spec_text)
{
    json_t *spec = unit_json(spec_text);
    rb_rule *rule = NULL;
    rb_error err;
    rb_code rc = rb_rule_compile(spec, "r.yaml", NULL, "0", "test", NULL, &rule, &err);
    ck_assert_msg(rc == RB_OK, "rule: %s", err.message);
    json_decref(spec);
    return rule;
}

static rb_input input_named(const char *path)
{
    rb_input in = {.path = (char *)path, .name = (char *)path, .kind = "jsonl"};
    return in;
}

/* An input given by path that stands at name below its root. */
static rb_input input_at(const char *path, const char *name)
{
    rb_input in = {.path = (char *)path, .name = (char *)name, .kind = "json"};
    return in;
}

static rb_event make_event(const rb_input *in, long line, const char *fields)
{
    rb_event ev = {.fields = unit_json(fields), .origin = {in, line}};
    return ev;
}

START_TEST(renders_messages_in_lookup_order)
{
    rb_rule *rule = make_rule("{\"id\":\"T-A-001\",\"title\":\"t\",\"severity\":\"error\","
                              "\"params\":{\"window\":\"2h\",\"type\":\"param-wins\"},"
                              "\"message\":\"{key}|{type}|{window}|{then.type}|{prev}|{detail.code}|{nope}\","
                              "\"match\":{}}");
    rb_input in = input_named("bus.jsonl");
    rb_event ev = make_event(&in, 3, "{\"type\":\"acked\",\"key\":\"n-1\",\"detail\":{\"code\":\"E1\"}}");
    json_t *then = unit_json("{\"type\":\"requeued\"}");
    json_t *vars = unit_json("{\"prev\":4}");
    rb_bindings bound = {1, {"then"}, {then}};
    rb_finding *f = rb_finding_for_rule(rule);
    rb_finding_set_key(f, json_object_get(ev.fields, "key"));
    rb_finding_add_event(f, &ev);
    rb_message_ctx ctx = {ev.fields, &bound, vars};
    rb_finding_render(f, &ctx);
    ck_assert_str_eq(f->message, "n-1|param-wins|2h|requeued|4|E1|");
    ck_assert_int_eq(f->n_origins, 1);
    ck_assert_int_eq(f->origins[0].line, 3);
    ck_assert_json_eq(f->evidence, "[{\"type\":\"acked\",\"key\":\"n-1\",\"detail\":{\"code\":\"E1\"}}]");
    rb_finding_free(f);
    json_decref(then);
    json_decref(vars);
    json_decref(ev.fields);
    rb_rule_free(rule);
}
END_TEST

/* The fingerprint of a finding of rule over one event. */
static void fingerprint_of(const rb_rule *rule, const rb_input *in, long line, const char *fields,
                           const char *key, char out[65])
{
    rb_event ev = make_event(in, line, fields);
    rb_finding *f = rb_finding_for_rule(rule);
    json_t *k = key ? json_string(key) : NULL;
    rb_finding_set_key(f, k);
    rb_finding_add_event(f, &ev);
    rb_finding_seal(f);
    strcpy(out, f->fingerprint);
    rb_finding_free(f);
    json_decref(k);
    json_decref(ev.fields);
}

START_TEST(fingerprints_follow_content_not_position)
{
    rb_rule *rule = make_rule("{\"id\":\"T-A-001\",\"title\":\"t\",\"severity\":\"error\",\"match\":{}}");
    rb_rule *other = make_rule("{\"id\":\"T-A-002\",\"title\":\"t\",\"severity\":\"error\",\"match\":{}}");
    rb_input in = input_named("bus.jsonl"), renamed = input_named("old/bus.jsonl");
    char base[65], moved[65], reordered[65], changed[65], rekeyed[65], elsewhere[65], byrule[65];
    fingerprint_of(rule, &in, 3, "{\"type\":\"a\",\"n\":1}", "k", base);
    fingerprint_of(rule, &in, 40, "{\"type\":\"a\",\"n\":1}", "k", moved);
    fingerprint_of(rule, &in, 3, "{\"n\":1,\"type\":\"a\"}", "k", reordered);
    fingerprint_of(rule, &in, 3, "{\"type\":\"a\",\"n\":2}", "k", changed);
    fingerprint_of(rule, &in, 3, "{\"type\":\"a\",\"n\":1}", "j", rekeyed);
    fingerprint_of(rule, &renamed, 3, "{\"type\":\"a\",\"n\":1}", "k", elsewhere);
    fingerprint_of(other, &in, 3, "{\"type\":\"a\",\"n\":1}", "k", byrule);
    ck_assert_int_eq(strlen(base), 64);
    ck_assert_str_eq(base, moved);
    ck_assert_str_eq(base, reordered);
    ck_assert_str_ne(base, changed);
    ck_assert_str_ne(base, rekeyed);
    ck_assert_str_ne(base, elsewhere);
    ck_assert_str_ne(base, byrule);
    rb_rule_free(rule);
    rb_rule_free(other);
}
END_TEST

/* The fingerprint of a document finding: its key (key_fmt with the input's
 * path) and its evidence (member: the path) as the document checks and
 * integrity problems make them. */
static void document_fingerprint(const rb_input *in, const char *key_fmt, const char *member, char out[65])
{
    rb_finding *f = rb_finding_builtin("T-A-001", RB_SEV_ERROR, "m");
    rb_finding_add_origin(f, (rb_origin){.input = in, .line = 4});
    json_t *key = json_sprintf(key_fmt, in->path);
    rb_finding_set_key(f, key);
    json_decref(key);
    json_array_append_new(f->evidence, json_pack("{s:s, s:s}", member, in->path, "assert", "layers.spec"));
    rb_finding_seal(f);
    strcpy(out, f->fingerprint);
    rb_finding_free(f);
}

START_TEST(fingerprints_follow_names_not_paths)
{
    rb_rule *rule = make_rule("{\"id\":\"T-A-001\",\"title\":\"t\",\"severity\":\"error\",\"match\":{}}");
    rb_input here = input_at("x/trace.jsonl", "trace.jsonl"), abs = input_at("/ci/x/trace.jsonl", "trace.jsonl");
    rb_input other = input_at("x/trace.jsonl", "x/trace.jsonl");
    char a[65], b[65], c[65];
    fingerprint_of(rule, &here, 3, "{\"type\":\"a\"}", "k", a);
    fingerprint_of(rule, &abs, 9, "{\"type\":\"a\"}", "k", b);
    fingerprint_of(rule, &other, 3, "{\"type\":\"a\"}", "k", c);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    /* a document's key and evidence name it by path: read as its name; in
     * other places a value that happens to equal the path is data */
    static const struct {
        const char *key_fmt, *member;
        bool same;
    } cases[] = {{"%s[environment.json]", "path", true}, {"%s", "file", true},
                 {"%s", "actual", false}, {"%s-2", "path", false}};
    rb_input bundle = input_at("incidents/inc-1", ""), moved = input_at("/tmp/inc-1.tgz", "");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        document_fingerprint(&bundle, cases[i].key_fmt, cases[i].member, a);
        document_fingerprint(&moved, cases[i].key_fmt, cases[i].member, b);
        ck_assert_msg((strcmp(a, b) == 0) == cases[i].same, "case %zu", i);
    }
    rb_rule_free(rule);
}
END_TEST

START_TEST(keeps_a_few_events_as_evidence)
{
    rb_rule *rule = make_rule("{\"id\":\"T-A-001\",\"title\":\"t\",\"severity\":\"error\",\"match\":{}}");
    rb_input in = input_named("bus.jsonl");
    rb_finding *f = rb_finding_for_rule(rule);
    for (long i = 1; i <= 8; i++) {
        rb_event ev = make_event(&in, i, "{\"type\":\"a\"}");
        rb_finding_add_event(f, &ev);
        json_decref(ev.fields);
    }
    ck_assert_int_eq(f->n_origins, 8);
    ck_assert_int_eq(json_array_size(f->evidence), RB_FINDING_MAX_EVIDENCE);
    ck_assert(json_is_null(f->key));
    rb_finding_free(f);
    rb_rule_free(rule);
}
END_TEST

static rb_finding *placed(const char *rule_id, rb_severity sev, const rb_input *in, long line, const char *key)
{
    rb_finding *f = rb_finding_builtin(rule_id, sev, "m");
    rb_origin o = {.input = in, .line = line};
    rb_finding_add_origin(f, o);
    json_t *k = key ? json_string(key) : NULL;
    rb_finding_set_key(f, k);
    json_decref(k);
    rb_finding_seal(f);
    return f;
}

START_TEST(sorts_by_severity_rule_path_line_key)
{
    rb_input a = input_named("a.jsonl"), b = input_named("b.jsonl");
    rb_findings list = {0};
    rb_findings_add(&list, placed("Z-A-001", RB_SEV_NOTE, &a, 1, NULL));
    rb_findings_add(&list, placed("B-A-001", RB_SEV_ERROR, &b, 1, "k"));
    rb_findings_add(&list, placed("B-A-001", RB_SEV_ERROR, &a, 9, "k"));
    rb_findings_add(&list, placed("B-A-001", RB_SEV_ERROR, &a, 2, "y"));
    rb_findings_add(&list, placed("B-A-001", RB_SEV_ERROR, &a, 2, "x"));
    rb_findings_add(&list, placed("A-A-001", RB_SEV_WARNING, &a, 1, NULL));
    rb_findings_add(&list, placed("C-A-001", RB_SEV_ERROR, &a, 1, NULL));
    rb_findings_sort(&list);
    const char *expected[] = {"B-A-001 a.jsonl 2 \"x\"", "B-A-001 a.jsonl 2 \"y\"", "B-A-001 a.jsonl 9 \"k\"",
                              "B-A-001 b.jsonl 1 \"k\"", "C-A-001 a.jsonl 1 null", "A-A-001 a.jsonl 1 null",
                              "Z-A-001 a.jsonl 1 null"};
    for (size_t i = 0; i < list.n; i++) {
        char *key = json_dumps(list.items[i]->key, JSON_ENCODE_ANY);
        char got[128];
        snprintf(got, sizeof got, "%s %s %ld %s", list.items[i]->rule_id, list.items[i]->origins[0].input->path,
                 list.items[i]->origins[0].line, key);
        free(key);
        ck_assert_str_eq(got, expected[i]);
    }
    rb_findings_clear(&list);
    ck_assert_int_eq(list.n, 0);
}
END_TEST

static Suite *finding_suite(void)
{
    Suite *s = suite_create("finding");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, renders_messages_in_lookup_order);
    tcase_add_test(tc, fingerprints_follow_content_not_position);
    tcase_add_test(tc, fingerprints_follow_names_not_paths);
    tcase_add_test(tc, keeps_a_few_events_as_evidence);
    tcase_add_test(tc, sorts_by_severity_rule_path_line_key);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(finding_suite)
