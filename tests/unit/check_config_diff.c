/*
 * check_config_diff.c — structural diffs of config revisions: leaves
 * added, removed and modified at depth, keyed and positional lists, type
 * changes, whole files added or deleted, multi-document YAML, JSON with
 * lines, declarations and their digest, and dotted path globs.  A file
 * with no revision on one side (no text, an empty file, a null document,
 * /dev/null) is diffed against the empty document: one change per leaf.
 */
#include "unit.h"

#include <sys/stat.h>

#include "config_diff.h"
#include "jsonpath.h"
#include "util.h"

/* Diffs two YAML texts of `file` under the set (may be NULL); either text
 * may be NULL for a missing side. */
static json_t *diff_yaml(const rb_config_set *set, const char *file, const char *old_text, const char *new_text)
{
    json_t *old = NULL, *new = NULL;
    rb_linemap *old_lines = NULL, *new_lines = NULL;
    rb_error err;
    if (old_text)
        ck_assert_msg(rb_config_parse(file, (const unsigned char *)old_text, strlen(old_text), &old, &old_lines,
                                      &err) == RB_OK, "%s", err.message);
    if (new_text)
        ck_assert_msg(rb_config_parse(file, (const unsigned char *)new_text, strlen(new_text), &new, &new_lines,
                                      &err) == RB_OK, "%s", err.message);
    json_t *changes = json_array();
    rb_config_diff(set, file, old, new, new_lines, changes);
    json_decref(old);
    json_decref(new);
    rb_linemap_free(old_lines);
    rb_linemap_free(new_lines);
    return changes;
}

#define expect_diff(set, file, old, new, expected)            \
    do {                                                      \
        json_t *diff_ = diff_yaml((set), (file), (old), (new)); \
        ck_assert_json_eq(diff_, (expected));                 \
        json_decref(diff_);                                   \
    } while (0)

START_TEST(leaves_change_at_depth)
{
    expect_diff(NULL, "c.yaml", "a:\n  b:\n    c: 1\n    d: 2\n  gone: x\n",
                "a:\n  b:\n    c: 5\n    d: 2\n    e: {f: true}\n",
                "[{\"path\":\"a.b.c\",\"op\":\"modify\",\"old\":1,\"new\":5,\"line\":3},"
                "{\"path\":\"a.b.e.f\",\"op\":\"add\",\"new\":true,\"line\":5},"
                "{\"path\":\"a.gone\",\"op\":\"remove\",\"old\":\"x\",\"line\":1}]");
    /* equal revisions, whatever the order of keys */
    expect_diff(NULL, "c.yaml", "a: 1\nb: 2\n", "b: 2\na: 1\n", "[]");
    /* a type change is one modification of the whole value; values are typed */
    expect_diff(NULL, "c.yaml", "a: 1\nb: \"1\"\n", "a: {x: 1}\nb: 1\n",
                "[{\"path\":\"a\",\"op\":\"modify\",\"old\":1,\"new\":{\"x\":1},\"line\":1},"
                "{\"path\":\"b\",\"op\":\"modify\",\"old\":\"1\",\"new\":1,\"line\":2}]");
    /* a key with a dot is escaped in the path; empty containers are leaves */
    expect_diff(NULL, "c.yaml", "labels: {}\n", "labels: {app.io/name: x}\nlist: []\n",
                "[{\"path\":\"labels.app\\\\.io/name\",\"op\":\"add\",\"new\":\"x\",\"line\":1},"
                "{\"path\":\"list\",\"op\":\"add\",\"new\":[],\"line\":2}]");
}
END_TEST

START_TEST(lists_compare_by_key_or_position)
{
    rb_config_set set = {0};
    json_t *keys = unit_json("{\"services\": \"name\", \"*.jobs\": \"id\"}");
    ck_assert_ptr_null(rb_config_check_list_keys(keys));
    rb_config_set_add(&set, "conf/**", keys);
    json_decref(keys);
    const char *old = "services:\n  - {name: api, port: 1}\n  - {name: db, port: 2}\nsteps: [a, b]\n";
    const char *reordered = "services:\n  - {name: db, port: 2}\n  - {name: api, port: 3}\nsteps: [b, a]\n";
    /* keyed: reordering is no change, an item is named by its key */
    expect_diff(&set, "conf/app.yaml", old, reordered,
                "[{\"path\":\"services.api.port\",\"op\":\"modify\",\"old\":1,\"new\":3,\"line\":3},"
                "{\"path\":\"steps.0\",\"op\":\"modify\",\"old\":\"a\",\"new\":\"b\",\"line\":4},"
                "{\"path\":\"steps.1\",\"op\":\"modify\",\"old\":\"b\",\"new\":\"a\",\"line\":4}]");
    /* a file the declaration does not cover compares the list by position */
    expect_diff(&set, "other/app.yaml", old, reordered,
                "[{\"path\":\"services.0.name\",\"op\":\"modify\",\"old\":\"api\",\"new\":\"db\",\"line\":2},"
                "{\"path\":\"services.0.port\",\"op\":\"modify\",\"old\":1,\"new\":2,\"line\":2},"
                "{\"path\":\"services.1.name\",\"op\":\"modify\",\"old\":\"db\",\"new\":\"api\",\"line\":3},"
                "{\"path\":\"services.1.port\",\"op\":\"modify\",\"old\":2,\"new\":3,\"line\":3},"
                "{\"path\":\"steps.0\",\"op\":\"modify\",\"old\":\"a\",\"new\":\"b\",\"line\":4},"
                "{\"path\":\"steps.1\",\"op\":\"modify\",\"old\":\"b\",\"new\":\"a\",\"line\":4}]");
    /* keyed items added and removed, under a glob that matches the list */
    expect_diff(&set, "conf/app.yaml", "x:\n  jobs:\n    - {id: 1, on: true}\n",
                "x:\n  jobs:\n    - {id: 2, on: true}\n",
                "[{\"path\":\"x.jobs.2.id\",\"op\":\"add\",\"new\":2,\"line\":3},"
                "{\"path\":\"x.jobs.2.on\",\"op\":\"add\",\"new\":true,\"line\":3},"
                "{\"path\":\"x.jobs.1.id\",\"op\":\"remove\",\"old\":1,\"line\":2},"
                "{\"path\":\"x.jobs.1.on\",\"op\":\"remove\",\"old\":true,\"line\":2}]");
    /* an item without the key, or two items sharing one: by position */
    expect_diff(&set, "conf/app.yaml", "services:\n  - {name: a}\n  - {port: 1}\n",
                "services:\n  - {port: 1}\n  - {name: a}\n",
                "[{\"path\":\"services.0.port\",\"op\":\"add\",\"new\":1,\"line\":2},"
                "{\"path\":\"services.0.name\",\"op\":\"remove\",\"old\":\"a\",\"line\":2},"
                "{\"path\":\"services.1.name\",\"op\":\"add\",\"new\":\"a\",\"line\":3},"
                "{\"path\":\"services.1.port\",\"op\":\"remove\",\"old\":1,\"line\":3}]");
    rb_config_set_free(&set);
}
END_TEST

START_TEST(whole_files_and_formats)
{
    /* a file added: every leaf added; deleted: every leaf removed */
    expect_diff(NULL, "c.yaml", NULL, "a: {b: 1}\nc: [x]\n",
                "[{\"path\":\"a.b\",\"op\":\"add\",\"new\":1,\"line\":1},{\"path\":\"c.0\",\"op\":\"add\",\"new\":\"x\",\"line\":2}]");
    expect_diff(NULL, "c.yaml", "a: 1\n", NULL, "[{\"path\":\"a\",\"op\":\"remove\",\"old\":1}]");
    /* several YAML documents are a list of them, placed at their start */
    expect_diff(NULL, "k.yaml", "a: 1\n---\nb: 2\n", "a: 1\n---\nb: 3\n",
                "[{\"path\":\"1.b\",\"op\":\"modify\",\"old\":2,\"new\":3,\"line\":2}]");
    /* JSON by its name, with lines */
    expect_diff(NULL, "s.json", "{\"limits\": {\"cpu\": 2}}", "{\n  \"limits\": {\n    \"cpu\": 4\n  }\n}\n",
                "[{\"path\":\"limits.cpu\",\"op\":\"modify\",\"old\":2,\"new\":4,\"line\":3}]");
    json_t *v;
    rb_linemap *lines;
    rb_error err;
    ck_assert_int_eq(rb_config_parse("s.json", (const unsigned char *)"{\"a\": }", 7, &v, &lines, &err), RB_EINPUT);
    ck_assert_msg(strstr(err.message, "s.json:1:"), "%s", err.message);
    ck_assert_int_eq(rb_config_parse("c.yaml", (const unsigned char *)"a: [\n", 5, &v, &lines, &err), RB_EINPUT);
    ck_assert_msg(strstr(err.message, "c.yaml:2:1:"), "%s", err.message);
}
END_TEST

START_TEST(empty_document_gives_one_change_per_leaf)
{
    static const char text[] = "a:\n  b: 1\n  c: [x, y]\n";
    static const char added[] = "[{\"path\":\"a.b\",\"op\":\"add\",\"new\":1,\"line\":2},"
                                "{\"path\":\"a.c.0\",\"op\":\"add\",\"new\":\"x\",\"line\":3},"
                                "{\"path\":\"a.c.1\",\"op\":\"add\",\"new\":\"y\",\"line\":3}]";
    static const char removed[] = "[{\"path\":\"a.b\",\"op\":\"remove\",\"old\":1},"
                                  "{\"path\":\"a.c.0\",\"op\":\"remove\",\"old\":\"x\"},"
                                  "{\"path\":\"a.c.1\",\"op\":\"remove\",\"old\":\"y\"}]";
    /* a new file: no revision, an empty file and a null document alike,
     * never one change of the whole file at the root */
    expect_diff(NULL, "c.yaml", NULL, text, added);
    expect_diff(NULL, "c.yaml", "", text, added);
    expect_diff(NULL, "c.yaml", "# only a comment\n", text, added);
    expect_diff(NULL, "c.yaml", "~\n", text, added);
    /* a deleted or emptied file: every leaf removed with its old value */
    expect_diff(NULL, "c.yaml", text, NULL, removed);
    expect_diff(NULL, "c.yaml", text, "", removed);
    /* an empty JSON file too */
    expect_diff(NULL, "s.json", "", "{\"limits\": {\"cpu\": 2}}",
                "[{\"path\":\"limits.cpu\",\"op\":\"add\",\"new\":2,\"line\":1}]");
    expect_diff(NULL, "s.json", "{\"limits\": {\"cpu\": 2}}", " \n", "[{\"path\":\"limits.cpu\",\"op\":\"remove\",\"old\":2}]");
    /* nothing against nothing; an empty mapping is a leaf */
    expect_diff(NULL, "c.yaml", "", "", "[]");
    expect_diff(NULL, "c.yaml", "", NULL, "[]");
    expect_diff(NULL, "c.yaml", "", "{}\n", "[{\"path\":\"\",\"op\":\"add\",\"new\":{},\"line\":1}]");
    /* a new file's keyed list is named by key */
    rb_config_set set = {0};
    json_t *keys = unit_json("{\"services\": \"name\"}");
    rb_config_set_add(&set, "conf/**", keys);
    json_decref(keys);
    expect_diff(&set, "conf/app.yaml", "", "services:\n  - {name: api, port: 1}\n",
                "[{\"path\":\"services.api.name\",\"op\":\"add\",\"new\":\"api\",\"line\":2},"
                "{\"path\":\"services.api.port\",\"op\":\"add\",\"new\":1,\"line\":2}]");
    rb_config_set_free(&set);
}
END_TEST

/* rb_config_diff_files of two paths under the set (may be NULL). */
static json_t *diff_files(const rb_config_set *set, const char *old_path, const char *new_path)
{
    json_t *changes;
    rb_error err;
    ck_assert_msg(rb_config_diff_files(set, old_path, new_path, 1 << 20, &changes, &err) == RB_OK, "%s",
                  err.message);
    return changes;
}

#define expect_files(set, old, new, expected)               \
    do {                                                    \
        json_t *diff_ = diff_files((set), (old), (new));    \
        ck_assert_json_eq(diff_, (expected));               \
        json_decref(diff_);                                 \
    } while (0)

START_TEST(dev_null_is_no_revision)
{
    char dir[4096];
    unit_enter_workdir();
    ck_assert_ptr_nonnull(getcwd(dir, sizeof dir));
    unit_write_file("new.yaml", "a: {b: 1}\n");
    unit_write_file("empty.yaml", "");
    ck_assert(rb_config_is_no_revision("/dev/null"));
    ck_assert(!rb_config_is_no_revision("empty.yaml"));
    ck_assert(!rb_config_is_no_revision("missing.yaml"));
    ck_assert(!rb_config_is_no_revision("/dev/zero"));
    static const char added[] = "[{\"path\":\"a.b\",\"op\":\"add\",\"new\":1,\"line\":1}]";
    expect_files(NULL, "/dev/null", "new.yaml", added);
    expect_files(NULL, "empty.yaml", "new.yaml", added);
    expect_files(NULL, "new.yaml", "/dev/null", "[{\"path\":\"a.b\",\"op\":\"remove\",\"old\":1}]");
    expect_files(NULL, "/dev/null", "/dev/null", "[]");
    /* a deleted file's list keys are those of its old path */
    rb_config_set set = {0};
    json_t *keys = unit_json("{\"services\": \"name\"}");
    rb_config_set_add(&set, "conf/**", keys);
    json_decref(keys);
    ck_assert_int_eq(mkdir("conf", 0700), 0);
    unit_write_file("conf/app.yaml", "services:\n  - {name: api}\n");
    expect_files(&set, "conf/app.yaml", "/dev/null", "[{\"path\":\"services.api.name\",\"op\":\"remove\",\"old\":\"api\"}]");
    rb_config_set_free(&set);
    /* a missing side is an error naming it, not an empty revision */
    json_t *changes;
    rb_error err;
    ck_assert_int_eq(rb_config_diff_files(NULL, "missing.yaml", "new.yaml", 1 << 20, &changes, &err), RB_EINPUT);
    ck_assert_msg(strstr(err.message, "missing.yaml: cannot open"), "%s", err.message);
    ck_assert_int_eq(chdir("/"), 0);
    unit_remove_tree(dir);
}
END_TEST

START_TEST(globs_are_distinct_and_sorted)
{
    rb_config_set set = {0};
    json_t *globs = rb_config_set_globs(&set);
    ck_assert_json_eq(globs, "[]");
    json_decref(globs);
    rb_config_set_add(&set, "deploy/*.json", NULL);
    rb_config_set_add(&set, "conf/**/*.yaml", NULL);
    rb_config_set_add(&set, "deploy/*.json", NULL);
    globs = rb_config_set_globs(&set);
    ck_assert_json_eq(globs, "[\"conf/**/*.yaml\", \"deploy/*.json\"]");
    json_decref(globs);
    rb_config_set_free(&set);
}
END_TEST

START_TEST(declarations_take_files_and_digest_what_shapes_a_diff)
{
    rb_config_set a = {0}, b = {0};
    rb_config_set_add(&a, "config/**/*.yaml", NULL);
    rb_config_set_add(&b, "config/**/*.yaml", NULL);
    ck_assert(rb_config_set_takes(&a, "config/x.yaml"));
    ck_assert(rb_config_set_takes(&a, "config/p/q/x.yaml"));
    ck_assert(!rb_config_set_takes(&a, "docs/x.yaml"));
    char da[RB_SHA256_HEX_LEN + 1], db[RB_SHA256_HEX_LEN + 1];
    rb_config_set_digest(&a, da);
    rb_config_set_digest(&b, db);
    ck_assert_str_eq(da, db);
    json_t *keys = unit_json("{\"profiles\": \"name\"}");
    rb_config_set_add(&b, "config/**/*.yaml", keys);
    json_decref(keys);
    rb_config_set_digest(&b, db);
    ck_assert_str_ne(da, db);
    rb_config_set_free(&a);
    rb_config_set_free(&b);
    json_t *bad = unit_json("{\"a..b\": \"name\"}");
    ck_assert_ptr_nonnull(rb_config_check_list_keys(bad));
    json_decref(bad);
    bad = unit_json("{\"a\": 3}");
    ck_assert_ptr_nonnull(rb_config_check_list_keys(bad));
    json_decref(bad);
}
END_TEST

static bool glob(const char *pattern, const char *path)
{
    rb_jsonpath *p = rb_jsonpath_compile(pattern), *q = rb_jsonpath_compile(path);
    ck_assert(p && q);
    bool yes = rb_jsonpath_glob(p, q);
    rb_jsonpath_free(p);
    rb_jsonpath_free(q);
    return yes;
}

START_TEST(dotted_globs)
{
    ck_assert(glob("field_maps.**", "field_maps.ra"));
    ck_assert(glob("field_maps.**", "field_maps"));
    ck_assert(glob("field_maps.**", "field_maps.a.b.c"));
    ck_assert(!glob("field_maps.**", "field_maps_old.ra"));
    ck_assert(glob("projects.*.graphs.**", "projects.wallaby.graphs.hires.version"));
    ck_assert(!glob("projects.*.graphs", "projects.a.b.graphs"));
    ck_assert(glob("**.port", "services.api.port"));
    ck_assert(glob("**", "anything.at.all"));
    ck_assert(glob("field_map*.ra", "field_maps.ra"));
    ck_assert(glob("labels.app\\.io/*", "labels.app\\.io/name"));
    ck_assert(!glob("labels.app", "labels.app\\.io/name"));
    ck_assert(!glob("a.b", "a"));
}
END_TEST

static Suite *config_diff_suite(void)
{
    Suite *s = suite_create("config_diff");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, leaves_change_at_depth);
    tcase_add_test(tc, lists_compare_by_key_or_position);
    tcase_add_test(tc, whole_files_and_formats);
    tcase_add_test(tc, empty_document_gives_one_change_per_leaf);
    tcase_add_test(tc, dev_null_is_no_revision);
    tcase_add_test(tc, globs_are_distinct_and_sorted);
    tcase_add_test(tc, declarations_take_files_and_digest_what_shapes_a_diff);
    tcase_add_test(tc, dotted_globs);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(config_diff_suite)
