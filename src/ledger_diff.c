/*
 * ledger_diff.c — comparing two SQLite ledgers table by table, as a drill
 * compares a restore with its backup (SPEC §3.3; ledger_diff.h).
 *
 * Each table is read twice in primary-key order (rowid when it has no
 * primary key), and the two row streams are merged: a key only in the old
 * ledger is missing, one only in the new is added, one in both whose
 * columns differ is changed.  Memory holds the lists of differing keys, not
 * the tables.
 */
#include "ledger_diff.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "util.h"

/* "name" quoted as an SQL identifier. */
static void quote_ident(rb_buf *b, const char *name)
{
    rb_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            rb_buf_putc(b, '"');
        rb_buf_putc(b, *p);
    }
    rb_buf_putc(b, '"');
}

/* The user tables of a ledger, sorted by name. */
static rb_code list_tables(sqlite3 *db, const char *name, json_t **out, rb_error *err)
{
    sqlite3_stmt *stmt;
    rb_code rc = rb_ledger_prepare(db,
                                   "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                                   "'sqlite\\_%' ESCAPE '\\' ORDER BY name COLLATE BINARY",
                                   name, "listing tables", &stmt, err);
    *out = json_array();
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, name, "listing tables", &row, err);
        if (!rc && row)
            json_array_append_new(*out, rb_ledger_column_json(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* The primary-key columns of a table in key order, or ["rowid"]. */
static rb_code key_columns(sqlite3 *db, const char *name, const char *table, json_t **out, rb_error *err)
{
    sqlite3_stmt *stmt;
    rb_code rc = rb_ledger_prepare(db, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", name,
                                   "reading a table's primary key", &stmt, err);
    *out = json_array();
    if (!rc)
        sqlite3_bind_text(stmt, 1, table, -1, SQLITE_TRANSIENT);
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, name, "reading a table's primary key", &row, err);
        if (!rc && row)
            json_array_append_new(*out, rb_ledger_column_json(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (!rc && json_array_size(*out) == 0)
        json_array_append_new(*out, json_string("rowid"));
    return rc;
}

/* One side of a table being read in key order. */
typedef struct table_side {
    const char *name;     /* the ledger, for messages */
    char *what;           /* "reading table T", for messages */
    sqlite3_stmt *stmt;   /* key columns first, then every column */
    int n_keys;
    bool has_row;
    int64_t rows;
    rb_sha256 *hash;      /* of every row, in key order */
    char row_hash[RB_SHA256_HEX_LEN + 1];
} table_side;

static void side_init(table_side *s, const char *ledger)
{
    memset(s, 0, sizeof *s);
    s->name = ledger;
    s->hash = rb_sha256_new();
}

static rb_code side_open(table_side *s, sqlite3 *db, const char *table, const json_t *keys, rb_error *err)
{
    rb_buf sql = {0}, order = {0};
    rb_buf_puts(&sql, "SELECT ");
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        if (i) {
            rb_buf_puts(&sql, ", ");
            rb_buf_puts(&order, ", ");
        }
        quote_ident(&sql, json_string_value(k));
        quote_ident(&order, json_string_value(k));
        rb_buf_puts(&order, " COLLATE BINARY");
    }
    rb_buf_puts(&sql, ", * FROM ");
    quote_ident(&sql, table);
    rb_buf_printf(&sql, " ORDER BY %s", order.data);
    s->n_keys = (int)json_array_size(keys);
    s->what = rb_xasprintf("reading table %s", table);
    rb_code rc = rb_ledger_prepare(db, sql.data, s->name, s->what, &s->stmt, err);
    rb_buf_free(&sql);
    rb_buf_free(&order);
    return rc;
}

/* The row after the key columns as compact JSON, hashed. */
static void hash_row(table_side *s)
{
    json_t *row = json_object();
    for (int i = s->n_keys; i < sqlite3_column_count(s->stmt); i++)
        json_object_set_new(row, sqlite3_column_name(s->stmt, i), rb_ledger_column_json(s->stmt, i));
    char *text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
    rb_sha256_hex(text, strlen(text), s->row_hash);
    rb_sha256_update(s->hash, s->row_hash, RB_SHA256_HEX_LEN);
    free(text);
    json_decref(row);
}

static rb_code side_next(table_side *s, rb_error *err)
{
    rb_code rc = rb_ledger_step(s->stmt, s->name, s->what, &s->has_row, err);
    if (!rc && s->has_row) {
        s->rows++;
        hash_row(s);
    }
    return rc;
}

static json_t *side_close(table_side *s)
{
    sqlite3_finalize(s->stmt);
    free(s->what);
    char hex[RB_SHA256_HEX_LEN + 1];
    rb_sha256_final(s->hash, hex);
    return json_pack("{s:I, s:s}", "rows", (json_int_t)s->rows, "sha256", hex);
}

/* SQLite's order of values under BINARY collation: NULL, numbers, text,
 * blobs. */
static int value_class(int type)
{
    switch (type) {
    case SQLITE_NULL:
        return 0;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        return 1;
    case SQLITE_TEXT:
        return 2;
    default:
        return 3;
    }
}

static int compare_column(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
    int ta = sqlite3_column_type(a, i), tb = sqlite3_column_type(b, i);
    if (value_class(ta) != value_class(tb))
        return value_class(ta) < value_class(tb) ? -1 : 1;
    if (ta == SQLITE_NULL)
        return 0;
    if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
        sqlite3_int64 x = sqlite3_column_int64(a, i), y = sqlite3_column_int64(b, i);
        return x < y ? -1 : x > y;
    }
    if (value_class(ta) == 1) {
        double x = sqlite3_column_double(a, i), y = sqlite3_column_double(b, i);
        return x < y ? -1 : x > y;
    }
    const void *pa = ta == SQLITE_TEXT ? (const void *)sqlite3_column_text(a, i) : sqlite3_column_blob(a, i);
    const void *pb = tb == SQLITE_TEXT ? (const void *)sqlite3_column_text(b, i) : sqlite3_column_blob(b, i);
    int la = sqlite3_column_bytes(a, i), lb = sqlite3_column_bytes(b, i);
    int c = memcmp(pa, pb, (size_t)(la < lb ? la : lb));
    return c ? c : (la < lb ? -1 : la > lb);
}

static int compare_keys(const table_side *a, const table_side *b)
{
    for (int i = 0; i < a->n_keys; i++) {
        int c = compare_column(a->stmt, b->stmt, i);
        if (c)
            return c;
    }
    return 0;
}

/* The key of the current row: its value, or an array for a composite key. */
static json_t *row_key(const table_side *s)
{
    if (s->n_keys == 1)
        return rb_ledger_column_json(s->stmt, 0);
    json_t *key = json_array();
    for (int i = 0; i < s->n_keys; i++)
        json_array_append_new(key, rb_ledger_column_json(s->stmt, i));
    return key;
}

/* Merges the two sides of a table into its entry of the diff. */
static rb_code diff_rows(table_side *old, table_side *new, json_t *entry, rb_error *err)
{
    json_t *missing = json_array(), *added = json_array(), *changed = json_array();
    rb_code rc = side_next(old, err);
    if (!rc)
        rc = side_next(new, err);
    while (!rc && (old->has_row || new->has_row)) {
        int c = !old->has_row ? 1 : !new->has_row ? -1 : compare_keys(old, new);
        if (c < 0) {
            json_array_append_new(missing, row_key(old));
            rc = side_next(old, err);
        } else if (c > 0) {
            json_array_append_new(added, row_key(new));
            rc = side_next(new, err);
        } else {
            if (strcmp(old->row_hash, new->row_hash) != 0)
                json_array_append_new(changed, row_key(new));
            rc = side_next(old, err);
            if (!rc)
                rc = side_next(new, err);
        }
    }
    json_object_set_new(entry, "missing", missing);
    json_object_set_new(entry, "added", added);
    json_object_set_new(entry, "changed", changed);
    return rc;
}

/* The entry of a table that both ledgers have. */
static rb_code diff_table(const rb_ledger_side *old, const rb_ledger_side *new, const char *table,
                          json_t **out, rb_error *err)
{
    json_t *keys_old = NULL, *keys_new = NULL;
    rb_code rc = key_columns(old->db, old->name, table, &keys_old, err);
    if (!rc)
        rc = key_columns(new->db, new->name, table, &keys_new, err);
    if (!rc && !json_equal(keys_old, keys_new))
        rc = rb_error_set(err, RB_EINPUT, "%s, %s: table %s has different primary keys in the two ledgers "
                          "(cannot pair its rows)", old->name, new->name, table);
    *out = json_pack("{s:s, s:O}", "table", table, "key", keys_new ? keys_new : json_null());
    table_side a, b;
    side_init(&a, old->name);
    side_init(&b, new->name);
    if (!rc)
        rc = side_open(&a, old->db, table, keys_old, err);
    if (!rc)
        rc = side_open(&b, new->db, table, keys_new, err);
    if (!rc)
        rc = diff_rows(&a, &b, *out, err);
    json_object_set_new(*out, "old", side_close(&a));
    json_object_set_new(*out, "new", side_close(&b));
    bool equal = json_array_size(json_object_get(*out, "missing")) == 0 &&
                 json_array_size(json_object_get(*out, "added")) == 0 &&
                 json_array_size(json_object_get(*out, "changed")) == 0;
    json_object_set_new(*out, "status", json_string(equal ? "equal" : "changed"));
    json_decref(keys_old);
    json_decref(keys_new);
    return rc;
}

/* The entry of a table only one ledger has: status "missing" (only in
 * the old one) or "added". */
static rb_code lone_table(const rb_ledger_side *side, const char *table, const char *status, json_t **out,
                          rb_error *err)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT count(*) FROM ");
    quote_ident(&sql, table);
    sqlite3_stmt *stmt;
    rb_code rc = rb_ledger_prepare(side->db, sql.data, side->name, "counting rows", &stmt, err);
    rb_buf_free(&sql);
    bool row = false;
    if (!rc)
        rc = rb_ledger_step(stmt, side->name, "counting rows", &row, err);
    json_int_t rows = row ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    *out = json_pack("{s:s, s:s, s:{s:I}}", "table", table, "status", status,
                     strcmp(status, "missing") == 0 ? "old" : "new", "rows", rows);
    return rc;
}

static void count_into(json_t *summary, const char *member, size_t n)
{
    json_object_set_new(summary, member, json_integer(json_integer_value(json_object_get(summary, member)) +
                                                      (json_int_t)n));
}

static json_t *summarize(const json_t *tables)
{
    json_t *summary = json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "tables",
                                (json_int_t)json_array_size(tables), "equal", 0, "changed", 0, "missing", 0,
                                "added", 0, "rows_missing", 0, "rows_added", 0, "rows_changed", 0);
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t) {
        count_into(summary, json_string_value(json_object_get(t, "status")), 1);
        count_into(summary, "rows_missing", json_array_size(json_object_get(t, "missing")));
        count_into(summary, "rows_added", json_array_size(json_object_get(t, "added")));
        count_into(summary, "rows_changed", json_array_size(json_object_get(t, "changed")));
    }
    return summary;
}

rb_code rb_ledger_diff(const rb_ledger_side *old, const rb_ledger_side *new, json_t **out, rb_error *err)
{
    json_t *names_old = NULL, *names_new = NULL, *tables = json_array();
    rb_code rc = list_tables(old->db, old->name, &names_old, err);
    if (!rc)
        rc = list_tables(new->db, new->name, &names_new, err);
    size_t i = 0, j = 0, n_old = json_array_size(names_old), n_new = json_array_size(names_new);
    while (!rc && (i < n_old || j < n_new)) {
        const char *a = i < n_old ? json_string_value(json_array_get(names_old, i)) : NULL;
        const char *b = j < n_new ? json_string_value(json_array_get(names_new, j)) : NULL;
        int c = !a ? 1 : !b ? -1 : strcmp(a, b);
        json_t *entry = NULL;
        if (c < 0) {
            rc = lone_table(old, a, "missing", &entry, err);
            i++;
        } else if (c > 0) {
            rc = lone_table(new, b, "added", &entry, err);
            j++;
        } else {
            rc = diff_table(old, new, a, &entry, err);
            i++;
            j++;
        }
        json_array_append_new(tables, entry);
    }
    json_decref(names_old);
    json_decref(names_new);
    if (rc) {
        json_decref(tables);
        *out = NULL;
        return rc;
    }
    json_t *summary = summarize(tables);
    bool equal = json_integer_value(json_object_get(summary, "equal")) == (json_int_t)json_array_size(tables);
    *out = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:b, s:o, s:o}", "schema", "rbaudit-diff/1",
                     "kind", "ledger", "old", "path", old->name, "sha256", old->sha256, "new", "path", new->name,
                     "sha256", new->sha256, "equal", equal, "tables", tables, "summary", summary);
    return RB_OK;
}
