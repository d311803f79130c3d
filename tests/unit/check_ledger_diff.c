/*
 * check_ledger_diff.c — a table's schema as SQLite reports it (the key's
 * own collation, which key values can be NULL), the comparison of two
 * versions of a table, and a ledger diff that attaches the very file each
 * handle reads: a private copy whose -wal SQLite must still apply is read
 * with it, not as an immutable file that would hide its last commits.
 */
#include "unit.h"

#include "ledger.h"
#include "ledger_diff.h"
#include "ledger_schema.h"

static sqlite3 *script(const char *sql)
{
    sqlite3 *db = NULL;
    rb_error err;
    ck_assert_msg(rb_ledger_from_script(sql, "fixture", &db, &err) == RB_OK, "%s", err.message);
    return db;
}

static void read_table(sqlite3 *db, const char *name, rb_ledger_table *t)
{
    rb_error err;
    ck_assert_msg(rb_ledger_table_read(db, "fixture", name, t, &err) == RB_OK, "%s", err.message);
}

START_TEST(the_key_has_its_own_collation)
{
    sqlite3 *db = script("CREATE TABLE n(email TEXT, x, PRIMARY KEY (email COLLATE NOCASE));"
                         "CREATE TABLE w(a, b, c, PRIMARY KEY (b, a)) WITHOUT ROWID;"
                         "CREATE TABLE i(id INTEGER PRIMARY KEY, rowid TEXT);"
                         "CREATE TABLE bag(who, what);");
    rb_ledger_table t;
    read_table(db, "n", &t);
    ck_assert_int_eq(t.n_key, 1);
    ck_assert_str_eq(t.columns[t.key[0]].collation, "BINARY");
    ck_assert_str_eq(t.key_collation[0], "NOCASE");
    ck_assert(t.key_nullable);
    rb_ledger_table_clear(&t);
    read_table(db, "W", &t);
    ck_assert_str_eq(t.name, "w"); /* as the ledger spells it */
    ck_assert_int_eq(t.n_key, 2);
    ck_assert_str_eq(t.columns[t.key[0]].name, "b");
    ck_assert_str_eq(t.columns[t.key[1]].name, "a");
    ck_assert(!t.key_nullable);
    rb_ledger_table_clear(&t);
    read_table(db, "i", &t);
    ck_assert_int_eq(t.n_columns, 2);
    ck_assert_str_eq(t.columns[1].name, "rowid");
    ck_assert_int_eq(t.n_key, 1);
    ck_assert(!t.key_nullable);
    rb_ledger_table_clear(&t);
    read_table(db, "bag", &t);
    ck_assert_int_eq(t.n_key, 0);
    rb_ledger_table_clear(&t);
    sqlite3_close(db);
}
END_TEST

START_TEST(a_schema_diff_names_every_change)
{
    sqlite3 *a = script("CREATE TABLE Agents(id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE, gone, Owner);");
    sqlite3 *b = script("CREATE TABLE agents(id INTEGER, email text NOT NULL, owner, tenant, "
                        "PRIMARY KEY (id, tenant));");
    rb_ledger_table old, new;
    read_table(a, "agents", &old);
    read_table(b, "agents", &new);
    rb_ledger_schema_diff d;
    rb_ledger_schema_compare(&old, &new, &d);
    ck_assert_json_eq(d.json, "{\"status\": \"changed\", \"renamed\": {\"old\": \"Agents\", \"new\": \"agents\"},"
                              " \"columns_added\": [\"tenant\"], \"columns_removed\": [\"gone\"],"
                              " \"columns_changed\": ["
                              "  {\"column\": \"email\","
                              "   \"old\": {\"name\": \"email\", \"type\": \"TEXT\", \"collation\": \"NOCASE\", \"not_null\": false},"
                              "   \"new\": {\"name\": \"email\", \"type\": \"TEXT\", \"collation\": \"BINARY\", \"not_null\": true}},"
                              "  {\"column\": \"Owner\","
                              "   \"old\": {\"name\": \"Owner\", \"type\": \"\", \"collation\": \"BINARY\", \"not_null\": false},"
                              "   \"new\": {\"name\": \"owner\", \"type\": \"\", \"collation\": \"BINARY\", \"not_null\": false}}],"
                              " \"key_changed\": {"
                              "  \"old\": [{\"column\": \"id\", \"type\": \"INTEGER\", \"collation\": \"BINARY\"}],"
                              "  \"new\": [{\"column\": \"id\", \"type\": \"INTEGER\", \"collation\": \"BINARY\"},"
                              "           {\"column\": \"tenant\", \"type\": \"\", \"collation\": \"BINARY\"}]}}");
    ck_assert(!d.key_same);
    ck_assert_int_eq(d.n_common, 3);
    rb_ledger_schema_diff_clear(&d);
    rb_ledger_schema_compare(&new, &new, &d);
    ck_assert_str_eq(json_string_value(json_object_get(d.json, "status")), "equal");
    ck_assert(d.key_same);
    rb_ledger_schema_diff_clear(&d);
    rb_ledger_table_clear(&old);
    rb_ledger_table_clear(&new);
    sqlite3_close(a);
    sqlite3_close(b);
}
END_TEST

static void exec(sqlite3 *db, const char *sql)
{
    char *message = NULL;
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &message) == SQLITE_OK, "%s", message ? message : "");
}

static sqlite3 *make_file(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    exec(db, sql);
    return db;
}

START_TEST(the_diff_reads_what_the_handle_reads)
{
    unit_enter_workdir();
    static const char rows[] = "CREATE TABLE t(id TEXT PRIMARY KEY COLLATE NOCASE, v);"
                               "INSERT INTO t VALUES ('a', 1), ('B', 2);";
    sqlite3_close(make_file("backup.db", rows));
    /* a copy whose commits are all still in its -wal (the writer stays
     * open, so nothing is checkpointed), in a name that needs encoding */
    const char *copy = "copy ?#%.db";
    sqlite3 *writer = make_file(copy, "PRAGMA journal_mode=WAL;");
    exec(writer, rows);
    exec(writer, "UPDATE t SET v = 3 WHERE id = 'a';");

    rb_error err;
    rb_ledger_side old = {.name = "backup.db", .sha256 = "-"}, new = {.name = copy, .sha256 = "-"};
    rb_ledger_companion none;
    ck_assert_msg(rb_ledger_open_file("backup.db", "backup.db", &old.db, &none, &err) == RB_OK, "%s", err.message);
    ck_assert_ptr_null(none.kind);
    ck_assert_int_eq(sqlite3_open_v2("file:copy%20%3F%23%25.db?mode=ro", &new.db,
                                     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), SQLITE_OK);
    char *uri = rb_ledger_file_uri(old.db);
    ck_assert_ptr_nonnull(strstr(uri, "?mode=ro&immutable=1"));
    free(uri);
    uri = rb_ledger_file_uri(new.db);
    ck_assert_ptr_nonnull(strstr(uri, "copy%20%3F%23%25.db?mode=ro"));
    ck_assert_ptr_null(strstr(uri, "immutable"));
    free(uri);

    json_t *diff = NULL;
    ck_assert_msg(rb_ledger_diff(&old, &new, &diff, &err) == RB_OK, "%s", err.message);
    json_t *t = json_array_get(json_object_get(diff, "tables"), 0);
    ck_assert_json_eq(json_object_get(t, "pairing"), "{\"by\": \"key\", \"columns\": [\"id\"], \"reason\": null}");
    ck_assert_json_eq(json_object_get(t, "changed"), "[{\"key\": \"a\", \"columns\": {\"v\": {\"old\": 1, \"new\": 3}}}]");
    json_t *lone = json_pack("[O, O]", json_object_get(t, "missing"), json_object_get(t, "added"));
    ck_assert_json_eq(lone, "[[], []]");
    json_decref(lone);
    json_decref(diff);
    sqlite3_close(old.db);
    sqlite3_close(new.db);
    sqlite3_close(writer);
    char dir[4096];
    ck_assert_ptr_nonnull(getcwd(dir, sizeof dir));
    ck_assert_int_eq(chdir("/"), 0);
    unit_remove_tree(dir);
}
END_TEST

static Suite *ledger_diff_suite(void)
{
    Suite *s = suite_create("ledger_diff");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, the_key_has_its_own_collation);
    tcase_add_test(tc, a_schema_diff_names_every_change);
    tcase_add_test(tc, the_diff_reads_what_the_handle_reads);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(ledger_diff_suite)
