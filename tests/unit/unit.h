/*
 * unit.h — what every Check unit-test program shares: a main() that runs
 * one suite and exits non-zero on any failure, and small JSON helpers.
 */
#ifndef RB_UNIT_H
#define RB_UNIT_H

#include <check.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses JSON text that the test itself wrote (aborts the test if invalid). */
static inline json_t *unit_json(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "bad JSON in test: %s: %s", text, e.text);
    return v;
}

/* Asserts that a value equals the JSON text (compared as values). */
#define ck_assert_json_eq(value, text)                                               \
    do {                                                                             \
        json_t *expected_ = unit_json(text);                                         \
        char *got_ = json_dumps((value), JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT); \
        ck_assert_msg(json_equal((value), expected_), "got %s, expected %s", got_, text); \
        free(got_);                                                                  \
        json_decref(expected_);                                                      \
    } while (0)

static inline int unit_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes a directory tree that a test made (a checked-fixture teardown). */
static inline void unit_remove_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, unit_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define RB_UNIT_MAIN(make_suite)                                                     \
    int main(void)                                                                   \
    {                                                                                \
        SRunner *runner = srunner_create(make_suite());                              \
        srunner_run_all(runner, CK_NORMAL);                                          \
        int failed = srunner_ntests_failed(runner);                                  \
        srunner_free(runner);                                                        \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                 \
    }

/* Makes a fresh directory and enters it: Check forks each test, so a test
 * that calls this has short relative input names, as on a command line. */
static inline void unit_enter_workdir(void)
{
    char dir[] = "/tmp/rbaudit-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
}

/* Writes text to a file the test made. */
static inline void unit_write_file(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

#endif
