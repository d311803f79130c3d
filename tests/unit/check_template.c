/*
 * check_template.c — "{name}" references in messages and selector strings.
 */
#include "unit.h"

#include "template.h"

static const json_t *lookup_in(void *ctx, const char *name)
{
    return json_object_get(ctx, name);
}

static char *render(const char *tpl, json_t *vars)
{
    return rb_template_render(tpl, lookup_in, vars);
}

START_TEST(renders_values_by_type)
{
    json_t *vars = unit_json("{\"key\":\"n-1\",\"n\":3,\"f\":1.5,\"b\":true,\"z\":null,"
                             "\"l\":[1,\"a\"],\"o\":{\"b\":1,\"a\":2},\"first.ts\":\"T\"}");
    char *s = render("{key} n={n} f={f} b={b} z={z} l={l} o={o} t={first.ts}", vars);
    ck_assert_str_eq(s, "n-1 n=3 f=1.5 b=true z=null l=[1,\"a\"] o={\"a\":2,\"b\":1} t=T");
    free(s);
    json_decref(vars);
}
END_TEST

START_TEST(unknown_references_render_empty)
{
    json_t *vars = unit_json("{}");
    char *s = render("[{missing}] [{a.b.c}]", vars);
    ck_assert_str_eq(s, "[] []");
    free(s);
    json_decref(vars);
}
END_TEST

START_TEST(non_references_stay_literal)
{
    json_t *vars = unit_json("{\"x\":\"X\"}");
    char *s = render("^a{2,3}$ {} { x } {1x} {x {{x} {x.} end{", vars);
    ck_assert_str_eq(s, "^a{2,3}$ {} { x } {1x} {x {x} {x.} end{");
    free(s);
    json_decref(vars);
}
END_TEST

static bool collect(void *ctx, const char *name)
{
    rb_buf_puts(ctx, name);
    rb_buf_putc(ctx, ';');
    return true;
}

START_TEST(lists_references)
{
    rb_buf names = {0};
    ck_assert(rb_template_each_ref("{a} and {first.b-c} not {{d} {2}", collect, &names));
    ck_assert_str_eq(names.data, "a;first.b-c;");
    rb_buf_free(&names);
    ck_assert(rb_template_has_refs("x {y}"));
    ck_assert(!rb_template_has_refs("x {{y} {2,3}"));
}
END_TEST

START_TEST(finds_single_references)
{
    char *name = rb_template_single_ref("{window}");
    ck_assert_str_eq(name, "window");
    free(name);
    name = rb_template_single_ref("{first.nonce}");
    ck_assert_str_eq(name, "first.nonce");
    free(name);
    ck_assert_ptr_null(rb_template_single_ref("{a}{b}"));
    ck_assert_ptr_null(rb_template_single_ref("x{a}"));
    ck_assert_ptr_null(rb_template_single_ref("{a} "));
    ck_assert_ptr_null(rb_template_single_ref(""));
}
END_TEST

static Suite *template_suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, renders_values_by_type);
    tcase_add_test(tc, unknown_references_render_empty);
    tcase_add_test(tc, non_references_stay_literal);
    tcase_add_test(tc, lists_references);
    tcase_add_test(tc, finds_single_references);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(template_suite)
