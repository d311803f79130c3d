/*
 * check_jsonpath.c — dotted paths, escapes and line maps.
 */
#include "unit.h"

#include "jsonpath.h"
#include "linemap.h"

START_TEST(follows_objects_and_arrays)
{
    json_t *doc = unit_json("{\"a\":{\"b\":[{\"c\":1},{\"c\":2}]},\"7\":\"seven\",\"x.y\":true}");
    ck_assert_json_eq(rb_jsonpath_get(doc, "a.b.1.c"), "2");
    ck_assert_json_eq(rb_jsonpath_get(doc, "a.b.0"), "{\"c\":1}");
    ck_assert_json_eq(rb_jsonpath_get(doc, "7"), "\"seven\"");
    ck_assert_json_eq(rb_jsonpath_get(doc, "x\\.y"), "true");
    ck_assert_json_eq(rb_jsonpath_get(doc, ""), "{\"a\":{\"b\":[{\"c\":1},{\"c\":2}]},\"7\":\"seven\",\"x.y\":true}");
    ck_assert_ptr_null(rb_jsonpath_get(doc, "a.b.2.c"));
    ck_assert_ptr_null(rb_jsonpath_get(doc, "a.b.c"));
    ck_assert_ptr_null(rb_jsonpath_get(doc, "x.y"));
    ck_assert_ptr_null(rb_jsonpath_get(doc, "7.0"));
    json_decref(doc);
}
END_TEST

START_TEST(rejects_malformed_paths)
{
    ck_assert_ptr_null(rb_jsonpath_compile("a..b"));
    ck_assert_ptr_null(rb_jsonpath_compile(".a"));
    ck_assert_ptr_null(rb_jsonpath_compile("a."));
    ck_assert_ptr_null(rb_jsonpath_compile("a\\"));
    rb_jsonpath *p = rb_jsonpath_compile("a.b");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(rb_jsonpath_text(p), "a.b");
    rb_jsonpath_free(p);
}
END_TEST

START_TEST(builds_child_paths)
{
    char *a = rb_jsonpath_child_key("", "rules");
    char *b = rb_jsonpath_child_index(a, 3);
    char *c = rb_jsonpath_child_key(b, "x.y\\z");
    ck_assert_str_eq(a, "rules");
    ck_assert_str_eq(b, "rules.3");
    ck_assert_str_eq(c, "rules.3.x\\.y\\\\z");
    json_t *doc = unit_json("{\"rules\":[0,1,2,{\"x.y\\\\z\":42}]}");
    ck_assert_json_eq(rb_jsonpath_get(doc, c), "42");
    json_decref(doc);
    free(a);
    free(b);
    free(c);
    char *root_index = rb_jsonpath_child_index("", 0);
    ck_assert_str_eq(root_index, "0");
    free(root_index);
}
END_TEST

START_TEST(line_maps_find_nearest_ancestor)
{
    rb_linemap *m = rb_linemap_new();
    rb_linemap_set(m, "", 1);
    rb_linemap_set(m, "0", 2);
    rb_linemap_set(m, "0.match", 7);
    rb_linemap_set(m, "0.a\\.b", 9);
    ck_assert_int_eq(rb_linemap_get(m, "0.match"), 7);
    ck_assert_int_eq(rb_linemap_get(m, "0.missing"), 0);
    ck_assert_int_eq(rb_linemap_nearest(m, "0.match.type|in"), 7);
    ck_assert_int_eq(rb_linemap_nearest(m, "0.a\\.b.c"), 9);
    ck_assert_int_eq(rb_linemap_nearest(m, "0.nothing"), 2);
    ck_assert_int_eq(rb_linemap_nearest(m, "5.x"), 1);
    ck_assert_int_eq(rb_linemap_nearest(NULL, "0"), 0);
    rb_linemap_free(m);
}
END_TEST

static Suite *jsonpath_suite(void)
{
    Suite *s = suite_create("jsonpath");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, follows_objects_and_arrays);
    tcase_add_test(tc, rejects_malformed_paths);
    tcase_add_test(tc, builds_child_paths);
    tcase_add_test(tc, line_maps_find_nearest_ancestor);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(jsonpath_suite)
