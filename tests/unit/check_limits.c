/*
 * check_limits.c — the limits on hostile input: their options' values, the
 * JSON depth limit with the path it names, and the bounds on queries of
 * ledgers (time, rows that never end), with which queries do not apply.
 */
#include "unit.h"

#include <time.h>

#include "input_limits.h"
#include "ledger.h"
#include "query_bounds.h"

START_TEST(sizes_take_binary_units)
{
    rb_limits l = rb_limits_default;
    rb_error err;
    ck_assert_int_eq(rb_limits_parse(&l, "max-input-size", "64M", &err), RB_OK);
    ck_assert_uint_eq(l.input_bytes, (size_t)64 << 20);
    ck_assert_int_eq(rb_limits_parse(&l, "max-markdown-size", "1K", &err), RB_OK);
    ck_assert_uint_eq(l.markdown_bytes, 1024);
    ck_assert_int_eq(rb_limits_parse(&l, "max-input-size", "12345", &err), RB_OK);
    ck_assert_uint_eq(l.input_bytes, 12345);
    static const char *const bad[] = {"", "0", "-1", "+5", " 5", "5k", "5MB", "1.5G", "17179869184G", "G"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(rb_limits_parse(&l, "max-input-size", bad[i], &err) == RB_EUSAGE, "accepted '%s'", bad[i]);
        ck_assert_ptr_nonnull(strstr(err.message, "--max-input-size"));
    }
    ck_assert_uint_eq(l.input_bytes, 12345);
}
END_TEST

START_TEST(counts_have_ranges)
{
    rb_limits l = rb_limits_default;
    rb_error err;
    ck_assert_int_eq(rb_limits_parse(&l, "max-json-depth", "2048", &err), RB_OK);
    ck_assert_int_eq(rb_limits_parse(&l, "max-json-depth", "2049", &err), RB_EUSAGE);
    ck_assert_str_eq(err.message, "--max-json-depth 2049: expected a whole number from 1 to 2048");
    ck_assert_int_eq(rb_limits_parse(&l, "max-xml-entities", "0", &err), RB_OK);
    ck_assert_int_eq(rb_limits_parse(&l, "max-archive-ratio", "0", &err), RB_EUSAGE);
    ck_assert_int_eq(rb_limits_parse(&l, "max-archive-ratio", "50", &err), RB_OK);
    ck_assert(l.archive_ratio == 50.0);
    ck_assert_int_eq(rb_limits_parse(&l, "max-yaml-nodes", "10M", &err), RB_EUSAGE);
    ck_assert_int_eq(rb_limits_parse(&l, "max-steps", "1", &err), RB_EUSAGE);
    ck_assert(rb_limits_is_option("max-yaml-nodes"));
    ck_assert(!rb_limits_is_option("max-steps"));
}
END_TEST

START_TEST(query_limits_are_options)
{
    rb_limits l = rb_limits_default;
    rb_error err;
    ck_assert_uint_eq(l.query_seconds, 60);
    ck_assert_uint_eq(l.query_bytes, (size_t)1 << 30);
    ck_assert_uint_eq(l.query_temp_bytes, (size_t)2 << 30);
    ck_assert_int_eq(rb_limits_parse(&l, "max-query-seconds", "5", &err), RB_OK);
    ck_assert_uint_eq(l.query_seconds, 5);
    ck_assert_int_eq(rb_limits_parse(&l, "max-query-seconds", "0", &err), RB_EUSAGE);
    ck_assert_str_eq(err.message, "--max-query-seconds 0: expected a whole number from 1 to 1000000");
    ck_assert_int_eq(rb_limits_parse(&l, "max-query-seconds", "1M", &err), RB_EUSAGE);
    ck_assert_int_eq(rb_limits_parse(&l, "max-query-memory", "64M", &err), RB_OK);
    ck_assert_uint_eq(l.query_bytes, (size_t)64 << 20);
    ck_assert_int_eq(rb_limits_parse(&l, "max-query-memory", "1K", &err), RB_EUSAGE);
    ck_assert_int_eq(rb_limits_parse(&l, "max-query-temp", "1K", &err), RB_OK);
    ck_assert_uint_eq(l.query_temp_bytes, 1024);
}
END_TEST

/* A ledger whose view never ends, made in memory. */
static sqlite3 *endless_ledger(void)
{
    sqlite3 *db;
    rb_error err;
    ck_assert_int_eq(rb_ledger_from_script("CREATE TABLE t(x); INSERT INTO t VALUES (1);"
                                           "CREATE VIEW v AS WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
                                           "SELECT i + 1 FROM c) SELECT i FROM c;",
                                           "endless", &db, &err),
                     RB_OK);
    return db;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(an_endless_query_stops_at_its_deadline)
{
    rb_limits l = rb_limits_default;
    l.query_seconds = 1;
    rb_limits_set(&l);
    sqlite3 *db = endless_ledger();
    static const char *const queries[] = {"SELECT count(*) FROM v", "SELECT i FROM v ORDER BY i DESC",
                                          "SELECT i % 7, count(*) FROM v GROUP BY i"};
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        sqlite3_stmt *stmt;
        rb_error err;
        ck_assert_int_eq(rb_ledger_prepare(db, queries[q], "endless", "the query", &stmt, &err), RB_OK);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        bool row;
        ck_assert_int_eq(rb_ledger_step(stmt, "endless", "the query", &row, &err), RB_EINPUT);
        double took = seconds_since(&t0);
        ck_assert_msg(took >= 0.9 && took < 5, "%s stopped after %.2f s", queries[q], took);
        ck_assert_str_eq(err.message, "endless: the query: stopped after 1 s (the --max-query-seconds limit)");
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    rb_limits_set(&rb_limits_default);
}
END_TEST

START_TEST(endless_rows_end_when_their_time_is_charged)
{
    rb_limits l = rb_limits_default;
    l.query_seconds = 1;
    rb_limits_set(&l);
    sqlite3 *db = endless_ledger();
    sqlite3_stmt *stmt;
    rb_error err;
    ck_assert_int_eq(rb_ledger_prepare(db, "SELECT i FROM v", "endless", "the query", &stmt, &err), RB_OK);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool row = true;
    rb_code rc;
    long rows = 0;
    while (!(rc = rb_ledger_step(stmt, "endless", "the query", &row, &err)) && row) {
        /* the caller's work on a row, charged to the query */
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
        rb_query_charge(stmt);
        rows++;
    }
    ck_assert_int_eq(rc, RB_EINPUT);
    ck_assert_msg(rows > 100 && seconds_since(&t0) < 5, "%ld rows, %.2f s", rows, seconds_since(&t0));
    ck_assert_ptr_nonnull(strstr(err.message, "--max-query-seconds"));
    sqlite3_finalize(stmt);
    /* a statement run again starts a new query with the whole budget */
    ck_assert_int_eq(rb_ledger_prepare(db, "SELECT x FROM t", "endless", "the query", &stmt, &err), RB_OK);
    ck_assert_int_eq(rb_ledger_step(stmt, "endless", "the query", &row, &err), RB_OK);
    ck_assert(row);
    ck_assert_int_eq(rb_ledger_step(stmt, "endless", "the query", &row, &err), RB_OK);
    ck_assert(!row);
    sqlite3_reset(stmt);
    ck_assert_int_eq(rb_ledger_step(stmt, "endless", "the query", &row, &err), RB_OK);
    ck_assert(row);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    rb_limits_set(&rb_limits_default);
}
END_TEST

/* What rb_ledger_prepare_query makes of sql on the ledger: "ok", the
 * reason it does not apply, or the error's message. */
static char *outcome_of(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt;
    char *absent;
    rb_error err;
    rb_evidence *ev = rb_evidence_new();
    rb_input *in = rb_evidence_add_input(ev, "x.db", "sqlite", (const unsigned char *)"", 0);
    rb_code rc = rb_ledger_prepare_query(db, in, sql, "q", "q", &stmt, &absent, &err);
    sqlite3_finalize(stmt);
    rb_evidence_free(ev);
    if (rc)
        return strdup(err.message);
    return absent ? absent : strdup("ok");
}

START_TEST(queries_naming_what_a_ledger_lacks_do_not_apply)
{
    sqlite3 *db;
    rb_error err;
    ck_assert_int_eq(rb_ledger_from_script("CREATE TABLE gone(a); CREATE TABLE t(a, b);"
                                           "CREATE VIEW broken AS SELECT a FROM gone; DROP TABLE gone;",
                                           "x.db", &db, &err),
                     RB_OK);
    static const char *const cases[][2] = {
        {"SELECT a FROM t", "ok"},
        {"SELECT * FROM notifications", "no table 'notifications' in x.db"},
        {"SELECT * FROM main.Notifications", "no table 'Notifications' in x.db"},
        {"SELECT * FROM \"no such\"", "no table 'no such' in x.db"},
        {"SELECT owner FROM t", "no column 'owner' in x.db"},
        {"SELECT t.owner FROM t", "no column 't.owner' in x.db"},
        {"SELECT a FROM t WHERE owner IS NULL", "no column 'owner' in x.db"},
        /* the ledger's own view names what it lacks: its defect */
        {"SELECT a FROM broken", "x.db: q: no such table: main.gone"},
        {"SELECT nosuchfn(a) FROM t", "x.db: q: no such function: nosuchfn"},
        {"SELEKT 1", "x.db: q: near \"SELEKT\": syntax error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = outcome_of(db, cases[i][0]);
        ck_assert_msg(strcmp(got, cases[i][1]) == 0, "%s: got '%s', expected '%s'", cases[i][0], got, cases[i][1]);
        free(got);
    }
    sqlite3_close(db);
}
END_TEST

START_TEST(json_depth_names_the_first_value_too_deep)
{
    rb_limits l = rb_limits_default;
    l.json_depth = 3;
    rb_limits_set(&l);
    json_error_t e;
    const char *ok = "{\"a\":{\"b\":[1]}}", *deep = "{\"a\":1,\"b\":{\"c\":[0,{\"d\":[]}]}}";
    json_t *v = rb_json_parse(ok, strlen(ok), 0, &e);
    ck_assert_ptr_nonnull(v);
    json_decref(v);
    ck_assert_ptr_null(rb_json_parse(deep, strlen(deep), 0, &e));
    ck_assert_str_eq(e.text, "nested deeper than 3 levels, at 'b.c.1' (the --max-json-depth limit)");
    ck_assert_str_eq(rb_json_error_place(&e).text, "1");
    ck_assert_ptr_null(rb_json_parse(deep, strlen(deep), 0, NULL));
    ck_assert_ptr_null(rb_json_parse("[1,", 3, 0, &e));
    ck_assert_str_eq(rb_json_error_place(&e).text, "1:3");
    rb_limits_set(&rb_limits_default);
    v = rb_json_parse(deep, strlen(deep), 0, &e);
    ck_assert_ptr_nonnull(v);
    json_decref(v);
}
END_TEST

START_TEST(help_lists_every_limit)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rb_limits_help(f);
    fclose(f);
    static const char *const names[] = {"--max-input-size SIZE", "--max-markdown-size SIZE",
                                        "--max-archive-ratio N", "--max-json-depth N", "--max-yaml-nodes N",
                                        "--max-xml-entities N", "--max-query-seconds N",
                                        "--max-query-memory SIZE", "--max-query-temp SIZE"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        ck_assert_msg(strstr(text, names[i]) != NULL, "help lacks %s", names[i]);
        char name[32];
        ck_assert_int_eq(sscanf(names[i] + 2, "%31s", name), 1);
        ck_assert_msg(rb_limits_is_option(name), "%s is not parsed as a limit", name);
    }
    free(text);
}
END_TEST

static Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sizes_take_binary_units);
    tcase_add_test(tc, counts_have_ranges);
    tcase_add_test(tc, json_depth_names_the_first_value_too_deep);
    tcase_add_test(tc, help_lists_every_limit);
    tcase_add_test(tc, query_limits_are_options);
    tcase_add_test(tc, queries_naming_what_a_ledger_lacks_do_not_apply);
    suite_add_tcase(s, tc);
    TCase *time = tcase_create("query time");
    tcase_set_timeout(time, 60);
    tcase_add_test(time, an_endless_query_stops_at_its_deadline);
    tcase_add_test(time, endless_rows_end_when_their_time_is_charged);
    suite_add_tcase(s, time);
    return s;
}

RB_UNIT_MAIN(limits_suite)
