/*
 * check_keymap.c — unit tests of the per-key state map (keymap.h).
 */
#include "unit.h"

#include "keymap.h"
#include "util.h"

static int freed;

static void count_free(void *value)
{
    freed++;
    free(value);
}

static char *text(const char *s)
{
    return rb_xstrdup(s);
}

START_TEST(keys_are_typed)
{
    rb_keymap *m = rb_keymap_new(count_free);
    json_t *s1 = json_string("1"), *n1 = json_integer(1);
    rb_keymap_put(m, s1, text("string"));
    rb_keymap_put(m, n1, text("number"));
    rb_keymap_put(m, NULL, text("null"));
    ck_assert_int_eq(rb_keymap_count(m), 3);
    ck_assert_str_eq(rb_keymap_get(m, s1), "string");
    ck_assert_str_eq(rb_keymap_get(m, n1), "number");
    ck_assert_str_eq(rb_keymap_get(m, json_null()), "null");
    json_t *real = json_real(1.5);
    ck_assert_ptr_null(rb_keymap_get(m, real));
    json_decref(real);
    json_decref(s1);
    json_decref(n1);
    rb_keymap_free(m);
}
END_TEST

START_TEST(put_replaces_and_remove_frees)
{
    freed = 0;
    rb_keymap *m = rb_keymap_new(count_free);
    json_t *k = json_string("n-1");
    rb_keymap_put(m, k, text("a"));
    rb_keymap_put(m, k, text("b"));
    ck_assert_int_eq(freed, 1);
    ck_assert_int_eq(rb_keymap_count(m), 1);
    ck_assert_str_eq(rb_keymap_get(m, k), "b");
    rb_keymap_remove(m, k);
    ck_assert_int_eq(freed, 2);
    ck_assert_int_eq(rb_keymap_count(m), 0);
    ck_assert_ptr_null(rb_keymap_get(m, k));
    rb_keymap_remove(m, k);
    ck_assert_int_eq(freed, 2);
    json_decref(k);
    rb_keymap_free(m);
}
END_TEST

static void collect(void *ctx, const json_t *key, void *value)
{
    rb_buf *b = ctx;
    (void)key;
    rb_buf_printf(b, "%s,", (const char *)value);
}

START_TEST(many_keys_grow_and_iterate_sorted)
{
    freed = 0;
    rb_keymap *m = rb_keymap_new(count_free);
    for (int i = 999; i >= 0; i--) {
        char name[16];
        snprintf(name, sizeof name, "k%04d", i);
        json_t *k = json_string(name);
        rb_keymap_put(m, k, text(name));
        json_decref(k);
    }
    ck_assert_int_eq(rb_keymap_count(m), 1000);
    for (int i = 0; i < 1000; i += 2) {
        char name[16];
        snprintf(name, sizeof name, "k%04d", i);
        json_t *k = json_string(name);
        rb_keymap_remove(m, k);
        json_decref(k);
    }
    ck_assert_int_eq(rb_keymap_count(m), 500);
    rb_buf b = {0};
    rb_keymap_each_sorted(m, collect, &b);
    ck_assert(strncmp(b.data, "k0001,k0003,k0005,", 18) == 0);
    ck_assert(rb_has_suffix(b.data, "k0997,k0999,"));
    rb_buf_free(&b);
    rb_keymap_free(m);
    ck_assert_int_eq(freed, 1000);
}
END_TEST

static Suite *keymap_suite(void)
{
    Suite *s = suite_create("keymap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, keys_are_typed);
    tcase_add_test(tc, put_replaces_and_remove_frees);
    tcase_add_test(tc, many_keys_grow_and_iterate_sorted);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(keymap_suite)
