/*
 * check_yaml.c — the YAML loader: scalar typing, line maps, streams,
 * anchors and merges, every error it reports, and hostile input.
 */
#include "unit.h"

#include <time.h>

#include "linemap.h"
#include "util.h"
#include "yaml_load.h"

/* Loads text that must parse; the caller frees with rb_yaml_docs_free. */
static rb_yaml_doc *load_ok(const char *text, size_t *n)
{
    rb_yaml_doc *docs = NULL;
    rb_error err = {RB_OK, ""};
    rb_code rc = rb_yaml_load("t.yaml", (const unsigned char *)text, strlen(text), NULL, &docs, n, &err);
    ck_assert_msg(rc == RB_OK, "load failed: %s", err.message);
    return docs;
}

/* The value of a one-document stream (a new reference). */
static json_t *load_one(const char *text)
{
    size_t n = 0;
    rb_yaml_doc *docs = load_ok(text, &n);
    ck_assert_uint_eq(n, 1);
    json_t *v = json_incref(docs[0].value);
    rb_yaml_docs_free(docs, n);
    return v;
}

/* Loads bytes that must fail with RB_EINPUT leaving nothing allocated, and
 * returns the message (in a static buffer). */
static const char *load_fail_bytes(const char *name, const unsigned char *data, size_t len,
                                   const rb_yaml_limits *limits)
{
    static rb_error err;
    rb_yaml_doc *docs = (rb_yaml_doc *)&err; /* poisoned: must come back NULL */
    size_t n = 42;
    rb_code rc = rb_yaml_load(name, data, len, limits, &docs, &n, &err);
    ck_assert_int_eq(rc, RB_EINPUT);
    ck_assert_int_eq(err.code, RB_EINPUT);
    ck_assert_ptr_null(docs);
    ck_assert_uint_eq(n, 0);
    return err.message;
}

static const char *load_fail(const char *text)
{
    return load_fail_bytes("e.yaml", (const unsigned char *)text, strlen(text), NULL);
}

#define ck_assert_has(haystack, needle) \
    ck_assert_msg(strstr((haystack), (needle)) != NULL, "'%s' does not contain '%s'", (haystack), (needle))

START_TEST(plain_scalars_follow_the_core_schema)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
        {"~", "null"}, {"null", "null"}, {"Null", "null"}, {"NULL", "null"}, {"", "null"},
        {"true", "true"}, {"True", "true"}, {"FALSE", "false"},
        {"yes", "\"yes\""}, {"on", "\"on\""}, {"no", "\"no\""}, {"nULL", "\"nULL\""},
        {"1:2", "\"1:2\""}, {"0x1F", "31"}, {"0o17", "15"}, {"017", "17"}, {"-12", "-12"}, {"+7", "7"},
        {"-0x10", "-16"}, {"0x", "\"0x\""}, {"0o8", "\"0o8\""}, {"0b101", "\"0b101\""}, {"1_000", "\"1_000\""},
        {"9223372036854775807", "9223372036854775807"}, {"-9223372036854775808", "-9223372036854775808"},
        {"1e3", "1000.0"}, {"1.5", "1.5"}, {".5", "0.5"}, {"-2.5e-1", "-0.25"}, {"1.", "1.0"}, {"+1E+2", "100.0"},
        {"1e", "\"1e\""}, {".", "\".\""}, {"-.e1", "\"-.e1\""},
        {".inf", "\".inf\""}, {"-.inf", "\"-.inf\""}, {".nan", "\".nan\""},
        {"hello world", "\"hello world\""}, {"12abc", "\"12abc\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *direct = rb_yaml_plain_scalar(cases[i].yaml, strlen(cases[i].yaml));
        ck_assert_json_eq(direct, cases[i].json);
        json_decref(direct);
        char *doc = rb_xasprintf("v: %s\n", cases[i].yaml);
        json_t *loaded = load_one(doc);
        ck_assert_json_eq(json_object_get(loaded, "v"), cases[i].json);
        json_decref(loaded);
        free(doc);
    }
}
END_TEST

START_TEST(plain_scalar_reads_only_len_bytes)
{
    json_t *v = rb_yaml_plain_scalar("123abc", 3);
    ck_assert_json_eq(v, "123");
    json_decref(v);
    /* no error channel: an out-of-range integer stays text */
    v = rb_yaml_plain_scalar("99999999999999999999", 20);
    ck_assert_json_eq(v, "\"99999999999999999999\"");
    json_decref(v);
}
END_TEST

START_TEST(quoted_and_block_scalars_are_strings)
{
    json_t *v = load_one("a: \"true\"\nb: '3'\nc: |\n  x\n  y\nd: >\n  p\n  q\ne: \"null\"\nf: ''\ng: \"a\\tb\"\n");
    ck_assert_json_eq(v, "{\"a\":\"true\",\"b\":\"3\",\"c\":\"x\\ny\\n\",\"d\":\"p q\\n\",\"e\":\"null\",\"f\":\"\","
                         "\"g\":\"a\\tb\"}");
    json_decref(v);
}
END_TEST

START_TEST(explicit_tags_are_honoured)
{
    json_t *v = load_one("a: !!str 3\nb: !!int \"42\"\nc: !!float 1\nd: !!bool 'true'\ne: !!null ''\n"
                         "f: !custom 5\ng: ! 5\nh: !!float \"2.5\"\ni: !!str true\nj: !!int 0x10\n");
    ck_assert_json_eq(v, "{\"a\":\"3\",\"b\":42,\"c\":1.0,\"d\":true,\"e\":null,\"f\":5,\"g\":\"5\",\"h\":2.5,"
                         "\"i\":\"true\",\"j\":16}");
    json_decref(v);
}
END_TEST

START_TEST(untypable_explicit_tags_are_errors)
{
    const char *msg = load_fail("a: 1\nb: !!int abc\n");
    ck_assert_has(msg, "e.yaml:2:");
    ck_assert_has(msg, "'abc' is not a valid !!int (expected");
    ck_assert_has(load_fail("- !!bool yes\n"), "'yes' is not a valid !!bool");
    ck_assert_has(load_fail("- !!float .inf\n"), "'.inf' is not a valid !!float");
    ck_assert_has(load_fail("- !!null x\n"), "'x' is not a valid !!null");
}
END_TEST

START_TEST(out_of_range_numbers_are_errors)
{
    const char *msg = load_fail("a: 1\nb: 9223372036854775808\n");
    ck_assert_has(msg, "e.yaml:2:");
    ck_assert_has(msg, "number '9223372036854775808' is out of range");
    ck_assert_has(load_fail("- -9223372036854775809\n"), "out of range");
    ck_assert_has(load_fail("- 0xFFFFFFFFFFFFFFFFF\n"), "out of range");
    ck_assert_has(load_fail("- 1e999\n"), "out of range");
}
END_TEST

START_TEST(keys_are_their_text)
{
    json_t *v = load_one("null: 1\n1: 2\n~: 3\n\"q\": 4\ntrue: 5\n");
    ck_assert_json_eq(v, "{\"null\":1,\"1\":2,\"~\":3,\"q\":4,\"true\":5}");
    json_decref(v);
}
END_TEST

START_TEST(nested_nodes_have_lines)
{
    const char *text = "# a comment\n"
                       "name: demo\n"
                       "spec:\n"
                       "  replicas: 3\n"
                       "  labels:\n"
                       "    app.kubernetes.io/name: web\n"
                       "  ports:\n"
                       "    - 80\n"
                       "    - name: https\n"
                       "      port: 443\n"
                       "list: [a,\n"
                       "  b]\n"
                       "empty:\n";
    size_t n = 0;
    rb_yaml_doc *docs = load_ok(text, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_json_eq(docs[0].value, "{\"name\":\"demo\",\"spec\":{\"replicas\":3,\"labels\":{\"app.kubernetes.io/name\":"
                                     "\"web\"},\"ports\":[80,{\"name\":\"https\",\"port\":443}]},\"list\":[\"a\",\"b\"],"
                                     "\"empty\":null}");
    const rb_linemap *m = docs[0].lines;
    ck_assert_int_eq(docs[0].line, 2);
    ck_assert_int_eq(rb_linemap_get(m, ""), 2);
    ck_assert_int_eq(rb_linemap_get(m, "name"), 2);
    ck_assert_int_eq(rb_linemap_get(m, "spec"), 3);
    ck_assert_int_eq(rb_linemap_get(m, "spec.replicas"), 4);
    ck_assert_int_eq(rb_linemap_get(m, "spec.labels.app\\.kubernetes\\.io/name"), 6);
    ck_assert_int_eq(rb_linemap_get(m, "spec.ports"), 7);
    ck_assert_int_eq(rb_linemap_get(m, "spec.ports.0"), 8);
    ck_assert_int_eq(rb_linemap_get(m, "spec.ports.1"), 9);
    ck_assert_int_eq(rb_linemap_get(m, "spec.ports.1.name"), 9);
    ck_assert_int_eq(rb_linemap_get(m, "spec.ports.1.port"), 10);
    ck_assert_int_eq(rb_linemap_get(m, "list.0"), 11);
    ck_assert_int_eq(rb_linemap_get(m, "list.1"), 12);
    ck_assert_int_eq(rb_linemap_get(m, "empty"), 13);
    ck_assert_int_eq(rb_linemap_get(m, "spec.ports.2"), 0);
    rb_yaml_docs_free(docs, n);
}
END_TEST

START_TEST(every_document_of_a_stream)
{
    size_t n = 0;
    rb_yaml_doc *docs = load_ok("a: 1\n---\nb: 2\n...\n---\n- x\n--- plain\n---\n", &n);
    ck_assert_uint_eq(n, 5);
    ck_assert_json_eq(docs[0].value, "{\"a\":1}");
    ck_assert_json_eq(docs[1].value, "{\"b\":2}");
    ck_assert_json_eq(docs[2].value, "[\"x\"]");
    ck_assert_json_eq(docs[3].value, "\"plain\"");
    ck_assert_json_eq(docs[4].value, "null");
    ck_assert_int_eq(docs[0].line, 1);
    ck_assert_int_eq(docs[1].line, 2);
    ck_assert_int_eq(docs[2].line, 5);
    ck_assert_int_eq(docs[3].line, 7);
    ck_assert_int_eq(rb_linemap_get(docs[1].lines, "b"), 3);
    ck_assert_int_eq(rb_linemap_get(docs[2].lines, "0"), 6);
    rb_yaml_docs_free(docs, n);
}
END_TEST

START_TEST(an_empty_stream_has_no_documents)
{
    static const char *const texts[] = {"", "\n\n", "# only a comment\n"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        size_t n = 7;
        rb_yaml_doc *docs = load_ok(texts[i], &n);
        ck_assert_uint_eq(n, 0);
        rb_yaml_docs_free(docs, n);
    }
    rb_yaml_doc *docs = (rb_yaml_doc *)texts;
    size_t n = 7;
    rb_error err;
    ck_assert_int_eq(rb_yaml_load("none", NULL, 0, NULL, &docs, &n, &err), RB_OK);
    ck_assert_uint_eq(n, 0);
    rb_yaml_docs_free(docs, n);
}
END_TEST

START_TEST(aliases_copy_anchored_values)
{
    size_t n = 0;
    rb_yaml_doc *docs = load_ok("base: &b {x: 1, y: [1, 2]}\n"
                                "copy: *b\n"
                                "item: &s hello\n"
                                "list: [*s,\n"
                                "  *s]\n"
                                "nested: &n [*b, *s]\n"
                                "again: *n\n",
                                &n);
    json_t *v = docs[0].value;
    ck_assert_json_eq(v, "{\"base\":{\"x\":1,\"y\":[1,2]},\"copy\":{\"x\":1,\"y\":[1,2]},\"item\":\"hello\","
                         "\"list\":[\"hello\",\"hello\"],\"nested\":[{\"x\":1,\"y\":[1,2]},\"hello\"],"
                         "\"again\":[{\"x\":1,\"y\":[1,2]},\"hello\"]}");
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "copy"), 2);
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "list.1"), 5);
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "again"), 7);
    /* a copy, not a shared node: changing one leaves the other */
    json_object_set_new(json_object_get(v, "copy"), "x", json_integer(9));
    ck_assert_json_eq(json_object_get(v, "base"), "{\"x\":1,\"y\":[1,2]}");
    rb_yaml_docs_free(docs, n);
}
END_TEST

START_TEST(anchors_stay_in_their_document)
{
    ck_assert_has(load_fail("a: &x 1\n---\nb: *x\n"), "e.yaml:3:4: unknown alias '*x'");
}
END_TEST

START_TEST(unknown_aliases_are_errors)
{
    const char *msg = load_fail("a: 1\nb: [1, *nope]\n");
    ck_assert_str_eq(msg, "e.yaml:2:8: unknown alias '*nope' (expected an anchor defined earlier in the document)");
    /* an anchor is not visible inside its own node */
    ck_assert_has(load_fail("a: &r [1, *r]\n"), "unknown alias '*r'");
}
END_TEST

START_TEST(merge_keys_fill_missing_members)
{
    size_t n = 0;
    rb_yaml_doc *docs = load_ok("defaults: &d {retries: 3, timeout: 10s, mode: safe}\n"
                                "extra: &e {mode: fast, color: red}\n"
                                "job:\n"
                                "  timeout: 30s\n"
                                "  <<: [*d, *e]\n"
                                "  name: j\n"
                                "  mode: manual\n"
                                "other:\n"
                                "  <<: *d\n"
                                "  retries: 5\n"
                                "inline: {<<: {a: 1, b: 2}, b: 3}\n",
                                &n);
    json_t *v = docs[0].value;
    ck_assert_json_eq(json_object_get(v, "job"),
                      "{\"timeout\":\"30s\",\"retries\":3,\"mode\":\"manual\",\"color\":\"red\",\"name\":\"j\"}");
    ck_assert_json_eq(json_object_get(v, "other"), "{\"retries\":5,\"timeout\":\"10s\",\"mode\":\"safe\"}");
    ck_assert_json_eq(json_object_get(v, "inline"), "{\"a\":1,\"b\":3}");
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "job.timeout"), 4);
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "job.retries"), 5);
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "job.color"), 5);
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "job.mode"), 7);
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "other.retries"), 10);
    ck_assert_int_eq(rb_linemap_get(docs[0].lines, "job.<<"), 0);
    rb_yaml_docs_free(docs, n);
}
END_TEST

START_TEST(merging_a_non_mapping_is_an_error)
{
    const char *msg = load_fail("a: &s text\nb:\n  <<: *s\n");
    ck_assert_has(msg, "e.yaml:3:7: '<<' must merge a mapping or a list of mappings");
    ck_assert_has(load_fail("a: &m {x: 1}\nb:\n  <<: [*m, 3]\n"), "e.yaml:3:7: '<<' must merge");
}
END_TEST

START_TEST(duplicate_keys_are_errors)
{
    const char *msg = load_fail_bytes("dup.yaml", (const unsigned char *)"a: 1\nb:\n  c: 1\n  c: 2\n", 21, NULL);
    ck_assert_str_eq(msg, "dup.yaml:4: duplicate key 'c' (first at line 3)");
    ck_assert_str_eq(load_fail("{a: 1,\n a: 2}\n"), "e.yaml:2: duplicate key 'a' (first at line 1)");
    /* the same text quoted or plain is the same key */
    ck_assert_str_eq(load_fail("'k': 1\nk: 2\n"), "e.yaml:2: duplicate key 'k' (first at line 1)");
    /* a key with dots, deep in the document, and one in a merge source
     * (which has no place in the document) */
    ck_assert_str_eq(load_fail("a:\n  - b:\n      x.y: 1\n      x.y: 2\n"),
                     "e.yaml:4: duplicate key 'x.y' (first at line 3)");
    ck_assert_str_eq(load_fail("m:\n  <<: {x: 1,\n    x: 2}\n"), "e.yaml:3: duplicate key 'x' (first at line 2)");
}
END_TEST

START_TEST(keys_must_be_scalars)
{
    const char *msg = load_fail("ok: 1\n? [a, b]\n: 1\n");
    ck_assert_has(msg, "e.yaml:2:3: a mapping key must be a scalar");
    ck_assert_has(msg, "found a list");
    ck_assert_has(load_fail("{{a: 1}: 2}\n"), "e.yaml:1:2: a mapping key must be a scalar (expected a plain or quoted "
                                              "key, found a mapping)");
    ck_assert_has(load_fail("a: &k x\n*k : 2\n"), "found an alias");
    ck_assert_has(load_fail("\"a\\0b\": 1\n"), "e.yaml:1:1: a mapping key contains a NUL character");
}
END_TEST

START_TEST(syntax_errors_name_line_and_column)
{
    const char *msg = load_fail_bytes("s.yaml", (const unsigned char *)"a: [1, 2\nb: 3\n", 14, NULL);
    ck_assert_str_eq(msg, "s.yaml:2:2: did not find expected ',' or ']', while parsing a flow sequence at line 1 "
                          "(expected a valid YAML document)");
    msg = load_fail("key: value\n  bad: x\n");
    ck_assert_str_eq(msg, "e.yaml:2:6: mapping values are not allowed in this context (expected a valid YAML document)");
    ck_assert_has(load_fail("a: 'open\n"), "e.yaml:2:1: found unexpected end of stream");
    ck_assert_has(load_fail("a: \"x\\q\"\n"), "e.yaml:1:");
}
END_TEST

START_TEST(nesting_is_limited)
{
    rb_yaml_limits lim = {3, 1000};
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rb_error err;
    ck_assert_int_eq(rb_yaml_load("d.yaml", (const unsigned char *)"[[[1]]]", 7, &lim, &docs, &n, &err), RB_OK);
    ck_assert_json_eq(docs[0].value, "[[[1]]]");
    rb_yaml_docs_free(docs, n);
    const char *msg = load_fail_bytes("d.yaml", (const unsigned char *)"a:\n  b:\n    - [1]\n", 18, &lim);
    ck_assert_str_eq(msg, "d.yaml:3:7: collections nested deeper than 3 levels (expected at most 3)");
    /* an alias brings its own depth along */
    msg = load_fail_bytes("d.yaml", (const unsigned char *)"a: &a [[1]]\nb: [*a]\n", 20, &lim);
    ck_assert_has(msg, "d.yaml:2:5: collections nested deeper than 3 levels");
    /* the default limit */
    char deep[600];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    msg = load_fail_bytes("d.yaml", (const unsigned char *)deep, sizeof deep, NULL);
    ck_assert_has(msg, "d.yaml:1:257: collections nested deeper than 256 levels");
}
END_TEST

static const char lol_bomb[] = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                               "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                               "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                               "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                               "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                               "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                               "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
                               "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
                               "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

START_TEST(alias_bombs_fail_fast)
{
    rb_yaml_limits lim = {64, 1000};
    clock_t start = clock();
    const char *msg = load_fail_bytes("lol.yaml", (const unsigned char *)lol_bomb, strlen(lol_bomb), &lim);
    ck_assert_str_eq(msg, "lol.yaml:4: YAML expands to more than 1000 nodes (alias bomb? the --max-yaml-nodes limit)");
    /* with the default limits too, long before a billion nodes */
    msg = load_fail_bytes("lol.yaml", (const unsigned char *)lol_bomb, strlen(lol_bomb), NULL);
    ck_assert_str_eq(msg, "lol.yaml:7: YAML expands to more than 1000000 nodes (alias bomb? the --max-yaml-nodes limit)");
    ck_assert_msg((double)(clock() - start) / CLOCKS_PER_SEC < 30.0, "the bomb took too long");
}
END_TEST

START_TEST(node_count_includes_plain_nodes)
{
    rb_yaml_limits lim = {64, 5};
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rb_error err;
    ck_assert_int_eq(rb_yaml_load("n.yaml", (const unsigned char *)"[1, 2, 3, 4]", 12, &lim, &docs, &n, &err), RB_OK);
    rb_yaml_docs_free(docs, n);
    ck_assert_has(load_fail_bytes("n.yaml", (const unsigned char *)"[1, 2, 3, 4, 5]", 15, &lim),
                  "YAML expands to more than 5 nodes");
}
END_TEST

/* Input in an exact-size heap block, so reading past len is caught. */
static const char *load_fail_exact(const char *bytes, size_t len)
{
    unsigned char *copy = malloc(len);
    memcpy(copy, bytes, len);
    const char *msg = load_fail_bytes("b.yaml", copy, len, NULL);
    free(copy);
    return msg;
}

START_TEST(bad_bytes_are_errors)
{
    const char *msg = load_fail_exact("a: b\0c\n", 7);
    ck_assert_str_eq(msg, "b.yaml:1:5: control characters are not allowed (#x0) (expected UTF-8 text without "
                          "control characters)");
    msg = load_fail_exact("a: 1\nb: x\xff\n", 11);
    ck_assert_has(msg, "b.yaml:2:5: invalid leading UTF-8 octet");
    ck_assert_has(load_fail_exact("a: \xc3", 4), "b.yaml:1:4: incomplete UTF-8 octet sequence");
    ck_assert_has(load_fail_exact("- \xed\xa0\x80\n", 6), "b.yaml:1:3: invalid Unicode character");
    ck_assert_has(load_fail_exact("\0", 1), "control characters are not allowed");
    /* a buffer with no terminator and no final newline is read to len only */
    size_t n = 0;
    unsigned char *copy = malloc(4);
    memcpy(copy, "a: 1", 4);
    rb_yaml_doc *docs = NULL;
    rb_error err;
    ck_assert_int_eq(rb_yaml_load("b.yaml", copy, 4, NULL, &docs, &n, &err), RB_OK);
    ck_assert_json_eq(docs[0].value, "{\"a\":1}");
    rb_yaml_docs_free(docs, n);
    free(copy);
}
END_TEST

START_TEST(escaped_nul_in_values_is_kept)
{
    json_t *v = load_one("a: \"x\\0y\"\n");
    json_t *s = json_object_get(v, "a");
    ck_assert_uint_eq(json_string_length(s), 3);
    ck_assert_mem_eq(json_string_value(s), "x\0y", 3);
    json_decref(v);
}
END_TEST

START_TEST(command_line_values)
{
    static const struct {
        const char *text, *json;
    } cases[] = {
        {"1h", "\"1h\""}, {"3", "3"}, {"true", "true"}, {"[a, b]", "[\"a\",\"b\"]"}, {"'3'", "\"3\""},
        {"", "\"\""}, {"~", "null"}, {"-1.5", "-1.5"}, {"{k: 1, j: [x]}", "{\"k\":1,\"j\":[\"x\"]}"},
        {"a, b", "\"a, b\""}, {"# not a comment?", "\"# not a comment?\""}, {"yes", "\"yes\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *v = NULL;
        rb_error err = {RB_OK, ""};
        ck_assert_msg(rb_yaml_parse_value(cases[i].text, &v, &err) == RB_OK, "%s: %s", cases[i].text, err.message);
        ck_assert_json_eq(v, cases[i].json);
        json_decref(v);
    }
}
END_TEST

START_TEST(invalid_command_line_values)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"[a", "invalid value '[a': did not find expected ',' or ']'"},
        {"a: 1", "invalid value 'a: 1': a mapping in block style (expected a scalar or a flow collection"},
        {"- x", "invalid value '- x': a list in block style"},
        {"a\n---\nb", "invalid value 'a\n---\nb': 2 YAML documents (expected one value)"},
        {"!!int x", "invalid value '!!int x': 'x' is not a valid !!int"},
        {"*a", "invalid value '*a': unknown alias '*a'"},
        {"{a: 1, a: 2}", "invalid value '{a: 1, a: 2}': duplicate key 'a' (first at line 1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *v = json_true();
        rb_error err = {RB_OK, ""};
        ck_assert_int_eq(rb_yaml_parse_value(cases[i].text, &v, &err), RB_EUSAGE);
        ck_assert_int_eq(err.code, RB_EUSAGE);
        ck_assert_ptr_null(v);
        ck_assert_msg(strncmp(err.message, cases[i].message, strlen(cases[i].message)) == 0, "got '%s', expected '%s'",
                      err.message, cases[i].message);
    }
}
END_TEST

static Suite *yaml_suite(void)
{
    Suite *s = suite_create("yaml");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, plain_scalars_follow_the_core_schema);
    tcase_add_test(tc, plain_scalar_reads_only_len_bytes);
    tcase_add_test(tc, quoted_and_block_scalars_are_strings);
    tcase_add_test(tc, explicit_tags_are_honoured);
    tcase_add_test(tc, untypable_explicit_tags_are_errors);
    tcase_add_test(tc, out_of_range_numbers_are_errors);
    tcase_add_test(tc, keys_are_their_text);
    tcase_add_test(tc, nested_nodes_have_lines);
    tcase_add_test(tc, every_document_of_a_stream);
    tcase_add_test(tc, an_empty_stream_has_no_documents);
    tcase_add_test(tc, aliases_copy_anchored_values);
    tcase_add_test(tc, anchors_stay_in_their_document);
    tcase_add_test(tc, unknown_aliases_are_errors);
    tcase_add_test(tc, merge_keys_fill_missing_members);
    tcase_add_test(tc, merging_a_non_mapping_is_an_error);
    tcase_add_test(tc, duplicate_keys_are_errors);
    tcase_add_test(tc, keys_must_be_scalars);
    tcase_add_test(tc, syntax_errors_name_line_and_column);
    tcase_add_test(tc, nesting_is_limited);
    tcase_add_test(tc, alias_bombs_fail_fast);
    tcase_add_test(tc, node_count_includes_plain_nodes);
    tcase_add_test(tc, bad_bytes_are_errors);
    tcase_add_test(tc, escaped_nul_in_values_is_kept);
    tcase_add_test(tc, command_line_values);
    tcase_add_test(tc, invalid_command_line_values);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(yaml_suite)
