/*
 * ledger_account.c — a ledger's tables, their rows and their readers, for
 * the report (ledger_account.h).
 */
#include "ledger_account.h"

#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "util.h"

/* The tables a query could read: ordinary ones, not views (their tables
 * are read through them), virtual tables (their module is code) or the
 * shadow tables of one.  pragma_table_list knows the difference. */
static const char table_list_sql[] = "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
                                     "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

/* The tables to count, and what counting them found. */
struct rb_ledger_counts {
    char **tables;    /* in the order of the account's "tables" */
    int64_t *rows;
    char **problems;  /* why a table's rows cannot be counted, or NULL */
    size_t n;
    size_t notes_at;  /* the input's notes when its tables were listed */
};

static void counts_add(rb_ledger_counts *c, const char *table)
{
    c->tables = rb_xrealloc(c->tables, (c->n + 1) * sizeof *c->tables);
    c->rows = rb_xrealloc(c->rows, (c->n + 1) * sizeof *c->rows);
    c->problems = rb_xrealloc(c->problems, (c->n + 1) * sizeof *c->problems);
    c->tables[c->n] = rb_xstrdup(table);
    c->rows[c->n] = 0;
    c->problems[c->n] = NULL;
    c->n++;
}

static void counts_free(rb_ledger_counts *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->tables[i]);
        free(c->problems[i]);
    }
    free(c->tables);
    free(c->rows);
    free(c->problems);
    free(c);
}

static size_t notes_of(const rb_input *in)
{
    return json_array_size(json_object_get(in->account, "notes"));
}

rb_ledger_counts *rb_ledger_account_tables(rb_input *in, sqlite3 *db)
{
    rb_ledger_counts *c = rb_xcalloc(1, sizeof *c);
    json_t *tables = json_array();
    sqlite3_stmt *list;
    rb_error err;
    bool row = false;
    rb_code rc = rb_ledger_prepare(db, table_list_sql, in->path, "listing its tables", &list, &err);
    while (!rc && !(rc = rb_ledger_step(list, in->path, "listing its tables", &row, &err)) && row) {
        const char *name = (const char *)sqlite3_column_text(list, 0);
        /* "rows" holds its place until the count is in */
        json_array_append_new(tables, json_pack("{s:o, s:n, s:[]}", "name",
                                                rb_json_text(name, (size_t)sqlite3_column_bytes(list, 0)), "rows",
                                                "read_by"));
        counts_add(c, name);
    }
    /* the counts' notes come before this one, as the tables came first */
    c->notes_at = notes_of(in);
    if (rc)
        rb_input_note(in, "its tables cannot be listed: %s", err.message);
    sqlite3_finalize(list);
    json_object_set_new(rb_input_account(in), "rows", json_null());
    json_object_set_new(rb_input_account(in), "tables", tables);
    return c;
}

void rb_ledger_counts_run(rb_ledger_counts *c, sqlite3 *db, const char *name)
{
    for (size_t i = 0; i < c->n; i++) {
        rb_buf sql = {0};
        rb_buf_puts(&sql, "SELECT count(*) FROM ");
        rb_ledger_quote_name(&sql, c->tables[i]);
        char *what = rb_xasprintf("counting the rows of table '%s'", c->tables[i]);
        sqlite3_stmt *stmt;
        bool row = false;
        rb_error err;
        rb_code rc = rb_ledger_prepare(db, sql.data, name, what, &stmt, &err);
        if (!rc)
            rc = rb_ledger_step(stmt, name, what, &row, &err);
        if (!rc && row)
            c->rows[i] = sqlite3_column_int64(stmt, 0);
        else
            c->problems[i] = rb_xstrdup(rc ? err.message : "no count");
        sqlite3_finalize(stmt);
        free(what);
        rb_buf_free(&sql);
    }
}

/* Puts the notes `counted` at index `at` of the input's notes, where they
 * would have been had they been written when its tables were listed: the
 * "notes" member then came just before "rows" too. */
static void insert_notes(rb_input *in, json_t *counted, size_t at)
{
    json_t *account = in->account, *old = json_object_get(account, "notes"), *notes = json_array();
    for (size_t i = 0; i <= json_array_size(old); i++) {
        if (i == at)
            json_array_extend(notes, counted);
        if (i < json_array_size(old))
            json_array_append(notes, json_array_get(old, i));
    }
    json_t *ordered = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(account, key, value) {
        if (strcmp(key, "rows") == 0)
            json_object_set(ordered, "notes", notes);
        if (strcmp(key, "notes") != 0)
            json_object_set(ordered, key, value);
    }
    json_object_clear(account);
    json_object_update(account, ordered);
    json_decref(ordered);
    json_decref(notes);
}

void rb_ledger_account_rows(rb_input *in, rb_ledger_counts *c)
{
    json_t *tables = json_object_get(in->account, "tables"), *notes = json_array();
    json_int_t total = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *entry = json_array_get(tables, i);
        if (c->problems[i]) {
            json_object_del(entry, "rows");
            char *note = rb_xasprintf("the rows of table '%s' cannot be counted: %s", c->tables[i], c->problems[i]);
            json_array_append_new(notes, rb_json_text(note, strlen(note)));
            free(note);
            continue;
        }
        json_object_set_new(entry, "rows", json_integer(c->rows[i]));
        total += c->rows[i];
    }
    json_object_set_new(in->account, "rows", json_integer(total));
    if (json_array_size(notes))
        insert_notes(in, notes, c->notes_at);
    json_decref(notes);
    counts_free(c);
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
