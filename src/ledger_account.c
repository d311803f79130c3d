/*
 * ledger_account.c — a ledger's tables, their rows and their readers, for
 * the report (ledger_account.h).
 */
#include "ledger_account.h"

#include <string.h>

#include "ledger.h"
#include "util.h"

/* The tables a query could read: ordinary ones, not views (their tables
 * are read through them), virtual tables (their module is code) or the
 * shadow tables of one.  pragma_table_list knows the difference. */
static const char table_list_sql[] = "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
                                     "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

/* The row count of one table, into entry; false with a note when SQLite
 * cannot count it. */
static bool count_rows(rb_input *in, sqlite3 *db, const char *table, json_t *entry)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT count(*) FROM ");
    rb_ledger_quote_name(&sql, table);
    char *what = rb_xasprintf("counting the rows of table '%s'", table);
    sqlite3_stmt *stmt;
    bool row = false;
    rb_error err;
    rb_code rc = rb_ledger_prepare(db, sql.data, in->path, what, &stmt, &err);
    if (!rc)
        rc = rb_ledger_step(stmt, in->path, what, &row, &err);
    if (!rc && row)
        json_object_set_new(entry, "rows", json_integer(sqlite3_column_int64(stmt, 0)));
    else
        rb_input_note(in, "the rows of table '%s' cannot be counted: %s", table, rc ? err.message : "no count");
    sqlite3_finalize(stmt);
    free(what);
    rb_buf_free(&sql);
    return !rc && row;
}

void rb_ledger_account_tables(rb_input *in, sqlite3 *db)
{
    json_t *tables = json_array();
    json_int_t total = 0;
    sqlite3_stmt *list;
    rb_error err;
    bool row = false;
    rb_code rc = rb_ledger_prepare(db, table_list_sql, in->path, "listing its tables", &list, &err);
    while (!rc && !(rc = rb_ledger_step(list, in->path, "listing its tables", &row, &err)) && row) {
        const char *name = (const char *)sqlite3_column_text(list, 0);
        json_t *entry = json_pack("{s:o}", "name", rb_json_text(name, (size_t)sqlite3_column_bytes(list, 0)));
        if (count_rows(in, db, name, entry))
            total += json_integer_value(json_object_get(entry, "rows"));
        json_object_set_new(entry, "read_by", json_array());
        json_array_append_new(tables, entry);
    }
    if (rc)
        rb_input_note(in, "its tables cannot be listed: %s", err.message);
    sqlite3_finalize(list);
    json_object_set_new(rb_input_account(in), "rows", json_integer(total));
    json_object_set_new(rb_input_account(in), "tables", tables);
}

/* Adds reader to an array of readers, once. */
static void add_reader(json_t *readers, const char *reader)
{
    size_t i;
    json_t *r;
    json_array_foreach(readers, i, r)
        if (strcmp(json_string_value(r), reader) == 0)
            return;
    json_array_append_new(readers, json_string(reader));
}

/* Records reader on the account's entry of the table whose b-tree (or one
 * of whose indexes) has root page `root`. */
static void note_root(rb_input *in, sqlite3 *db, sqlite3_int64 root, const char *reader)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT tbl_name FROM sqlite_schema WHERE rootpage = ?1", -1, &stmt, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, root);
        const char *table = sqlite3_step(stmt) == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
        size_t i;
        json_t *entry;
        json_array_foreach(table ? json_object_get(in->account, "tables") : NULL, i, entry)
            if (strcmp(json_string_value(json_object_get(entry, "name")), table) == 0)
                add_reader(json_object_get(entry, "read_by"), reader);
    }
    sqlite3_finalize(stmt);
}

void rb_ledger_account_reads(rb_input *in, sqlite3 *db, const char *sql, const char *reader)
{
    char *explain = rb_xasprintf("EXPLAIN %s", sql);
    sqlite3_stmt *stmt = NULL;
    int src = sqlite3_prepare_v2(db, explain, -1, &stmt, NULL);
    while (src == SQLITE_OK && (src = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *opcode = (const char *)sqlite3_column_text(stmt, 1);
        if (opcode && strcmp(opcode, "OpenRead") == 0 && sqlite3_column_int(stmt, 4) == 0)
            note_root(in, db, sqlite3_column_int64(stmt, 3), reader);
        src = SQLITE_OK;
    }
    if (src != SQLITE_DONE)
        rb_input_note(in, "which tables %s reads is not known: %s", reader, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    free(explain);
}

size_t rb_ledger_account_unread(rb_evidence *ev)
{
    size_t read = 0;
    for (size_t l = 0; l < ev->n_ledgers; l++) {
        const rb_input *in = ev->ledgers[l].input;
        size_t i;
        json_t *entry;
        json_array_foreach(json_object_get(in->account, "tables"), i, entry) {
            if (json_array_size(json_object_get(entry, "read_by"))) {
                read++;
                continue;
            }
            const json_t *rows = json_object_get(entry, "rows");
            rb_buf what = {0};
            if (json_is_integer(rows))
                rb_buf_printf(&what, " (%lld row%s)", (long long)json_integer_value(rows),
                              json_integer_value(rows) == 1 ? "" : "s");
            rb_evidence_skip(ev, in->path, "table '%s'%s: no rule or source reads it",
                             json_string_value(json_object_get(entry, "name")), what.data ? what.data : "");
            rb_buf_free(&what);
        }
    }
    return read;
}
