/*
 * ledger_diff.c — comparing two SQLite ledgers table by table, as a drill
 * compares a restore with its backup (ledger_diff.h).
 *
 * Tables are matched by name as SQLite matches names, ignoring ASCII case,
 * and each pair's schema is compared first (ledger_schema.h).  Then rows:
 *
 * - When both sides have the same primary key, in collations this SQLite
 *   has, and no key value is NULL, rows are paired by key, and SQLite does
 *   the pairing: both files are attached to a private in-memory connection
 *   and joined on the key with the key's collation, so that 'Dana@x' and
 *   'dana@x' are one row under NOCASE while the text '2' and the integer 2
 *   stay two rows, exactly as SQLite's own uniqueness sees them.  The join
 *   walks OLD in key order and finds each key through NEW's key index; the
 *   rows of NEW are walked again, in key order, only when NEW has more rows
 *   than were paired.  Memory holds the rows that differ, not the tables.
 * - Otherwise (no primary key, a key that changed, a NULL key value, which
 *   identifies no row) a table is a multiset of rows over the columns both
 *   sides have: each distinct row is counted on each side, by a SHA-256
 *   digest of its values (32 bytes a row in memory), and the surplus is
 *   missing or added, once per copy.  Rowids are never used: a restore
 *   need not keep them, and a column may be named rowid.
 *
 * Two values are the same when they have the same type and the same bytes:
 * 1 and 1.0 differ, and so do 'a' and 'A' outside a key.  A table's sha256
 * covers its column names and its rows, each row written as its values'
 * types and bytes, columns in name order: the rows in key order when the
 * key orders them (a key, never NULL, in collations SQLite has), else the
 * rows' digests sorted, since such rows have no order of their own (not
 * their rowids, which a restore renumbers).
 */
#include "ledger_diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_schema.h"
#include "query_bounds.h"
#include "sha256.h"
#include "util.h"

#define DIGEST RB_SHA256_LEN

/* ---- row digests ------------------------------------------------------ */

typedef struct digests {
    unsigned char *d; /* n digests of DIGEST bytes */
    size_t n, cap;
    int64_t *count;   /* a surplus list's copies of each (else NULL) */
    bool sorted;
} digests;

static unsigned char *digests_push(digests *s)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->d = rb_xrealloc(s->d, s->cap * DIGEST);
        if (s->count)
            s->count = rb_xrealloc(s->count, s->cap * sizeof *s->count);
    }
    s->sorted = false;
    return s->d + s->n++ * DIGEST;
}

static int digest_cmp(const void *a, const void *b)
{
    return memcmp(a, b, DIGEST);
}

/* Sorts a list of digests (not a surplus list, whose counts would not
 * follow).  Digests are spread evenly, so one pass into 65536 buckets by
 * their first two bytes leaves a handful to sort in each: a large table
 * sorts several times faster than by qsort alone. */
static void digests_sort(digests *s)
{
    enum { BUCKETS = 1 << 16, SMALL = 1 << 14 };
    if (s->sorted || s->n < SMALL) {
        if (!s->sorted && s->n > 1)
            qsort(s->d, s->n, DIGEST, digest_cmp);
        s->sorted = true;
        return;
    }
    size_t *start = rb_xcalloc(BUCKETS + 1, sizeof *start);
    for (size_t i = 0; i < s->n; i++)
        start[(s->d[i * DIGEST] << 8 | s->d[i * DIGEST + 1]) + 1]++;
    for (size_t b = 0; b < BUCKETS; b++)
        start[b + 1] += start[b];
    unsigned char *sorted = rb_xmalloc(s->n * DIGEST);
    for (size_t i = 0; i < s->n; i++) {
        size_t b = (size_t)(s->d[i * DIGEST] << 8 | s->d[i * DIGEST + 1]);
        memcpy(sorted + start[b]++ * DIGEST, s->d + i * DIGEST, DIGEST);
    }
    /* each start[b] is now where bucket b ends, and bucket b + 1 starts */
    for (size_t b = 0, from = 0; b < BUCKETS; from = start[b++])
        if (start[b] - from > 1)
            qsort(sorted + from * DIGEST, start[b] - from, DIGEST, digest_cmp);
    free(s->d);
    free(start);
    s->d = sorted;
    s->cap = s->n;
    s->sorted = true;
}

static void digests_free(digests *s)
{
    free(s->d);
    free(s->count);
    memset(s, 0, sizeof *s);
}

/* One SHA-256 context and buffer, reused for every row. */
typedef struct digester {
    rb_sha256 *h;
    rb_buf buf;
} digester;

static void put_tagged(rb_buf *b, char tag, uint64_t v)
{
    char bytes[9] = {tag};
    for (int i = 0; i < 8; i++)
        bytes[1 + i] = (char)(v >> (56 - 8 * i));
    rb_buf_append(b, bytes, sizeof bytes);
}

/* A value as its type and its bytes, so that no two values share one. */
static void put_value(rb_buf *b, sqlite3_stmt *stmt, int i)
{
    int type = sqlite3_column_type(stmt, i);
    if (type == SQLITE_INTEGER) {
        put_tagged(b, 'i', (uint64_t)sqlite3_column_int64(stmt, i));
    } else if (type == SQLITE_FLOAT) {
        double x = sqlite3_column_double(stmt, i);
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        put_tagged(b, 'r', bits);
    } else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
        const char *p = type == SQLITE_TEXT ? (const char *)sqlite3_column_text(stmt, i)
                                            : (const char *)sqlite3_column_blob(stmt, i);
        size_t n = (size_t)sqlite3_column_bytes(stmt, i);
        put_tagged(b, type == SQLITE_TEXT ? 't' : 'b', n);
        if (n)
            rb_buf_append(b, p, n);
    } else {
        rb_buf_putc(b, 'n');
    }
}

/* Columns base + columns[0..n) of the current row into g->buf: their
 * values' types and bytes, which tell every row from every other. */
static void put_row(digester *g, sqlite3_stmt *stmt, int base, const int *columns, int n)
{
    g->buf.len = 0;
    rb_buf_append(&g->buf, "", 0);
    for (int i = 0; i < n; i++)
        put_value(&g->buf, stmt, base + columns[i]);
}

/* The digest of columns base + columns[0..n) of the current row. */
static void digest_row(digester *g, sqlite3_stmt *stmt, int base, const int *columns, int n, unsigned char *out)
{
    put_row(g, stmt, base, columns, n);
    rb_sha256_update(g->h, g->buf.data, g->buf.len);
    rb_sha256_digest_restart(g->h, out);
}

/* Whether two columns of the current row hold the same value. */
static bool same_value(sqlite3_stmt *stmt, int i, int j)
{
    int type = sqlite3_column_type(stmt, i);
    if (type != sqlite3_column_type(stmt, j))
        return false;
    if (type == SQLITE_INTEGER)
        return sqlite3_column_int64(stmt, i) == sqlite3_column_int64(stmt, j);
    if (type == SQLITE_FLOAT) {
        double x = sqlite3_column_double(stmt, i), y = sqlite3_column_double(stmt, j);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    if (type == SQLITE_NULL)
        return true;
    const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(stmt, i) : sqlite3_column_blob(stmt, i);
    const void *q = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(stmt, j) : sqlite3_column_blob(stmt, j);
    int n = sqlite3_column_bytes(stmt, i);
    return n == sqlite3_column_bytes(stmt, j) && (n == 0 || memcmp(p, q, (size_t)n) == 0);
}

/* ---- one side of a table ----------------------------------------------- */

typedef rb_code (*row_visit)(void *ctx, sqlite3_stmt *stmt);

/* Runs a query, calling visit (when given) on each row; an error names
 * `ledger` and the table. */
static rb_code scan(sqlite3 *db, const char *ledger, const char *table, const char *sql, row_visit visit,
                    void *ctx, rb_error *err)
{
    sqlite3_stmt *stmt;
    char *what = rb_xasprintf("reading table %s", table);
    rb_code rc = rb_ledger_prepare(db, sql, ledger, what, &stmt, err);
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, ledger, what, &row, err);
        if (!rc && row && visit)
            rc = visit(ctx, stmt);
    }
    sqlite3_finalize(stmt);
    free(what);
    return rc;
}

typedef struct side_rows {
    const rb_ledger_side *ledger;
    rb_ledger_table table;
    int *order;             /* every column, by name: what a row covers */
    int64_t count;          /* its rows, as count(*) says */
    const char *unknown;    /* a key collation SQLite lacks, or NULL */
    bool key_null;          /* a key value is NULL */
    bool by_key;            /* its key orders its rows: hashed in key order */
    rb_sha256 *hash;        /* by key: the running hash of its rows */
    int64_t hashed;         /* the rows it covers */
    digests rows;           /* else: one digest a row, sorted at the end */
} side_rows;

static rb_code visit_count(void *ctx, sqlite3_stmt *stmt)
{
    *(int64_t *)ctx = sqlite3_column_int64(stmt, 0);
    return RB_OK;
}

/* Reads of one side in stored order go through no index (NOT INDEXED): an
 * index in a collation SQLite lacks could not be read, the table still
 * can. */
static rb_code side_count(side_rows *s, rb_error *err)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT count(*) FROM ");
    rb_ledger_quote_name(&sql, s->table.name);
    rb_buf_puts(&sql, " NOT INDEXED");
    rb_code rc = scan(s->ledger->db, s->ledger->name, s->table.name, sql.data, visit_count, &s->count, err);
    rb_buf_free(&sql);
    return rc;
}

/* The first of the key's collations that this SQLite lacks (one that the
 * application writing the ledger defined), or NULL. */
static const char *unknown_collation(const side_rows *s)
{
    for (int k = 0; k < s->table.n_key; k++) {
        rb_buf sql = {0};
        rb_buf_puts(&sql, "SELECT '' < '' COLLATE ");
        rb_ledger_quote_name(&sql, s->table.key_collation[k]);
        sqlite3_stmt *stmt = NULL;
        int src = sqlite3_prepare_v2(s->ledger->db, sql.data, -1, &stmt, NULL);
        sqlite3_finalize(stmt);
        rb_buf_free(&sql);
        if (src != SQLITE_OK)
            return s->table.key_collation[k];
    }
    return NULL;
}

static rb_code visit_any(void *ctx, sqlite3_stmt *stmt)
{
    (void)stmt;
    *(bool *)ctx = true;
    return RB_OK;
}

/* Whether a key value of the side is NULL (a rowid table allows it). */
static rb_code key_has_null(side_rows *s, rb_error *err)
{
    s->key_null = false;
    if (!s->table.key_nullable)
        return RB_OK;
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT 1 FROM ");
    rb_ledger_quote_name(&sql, s->table.name);
    for (int k = 0; k < s->table.n_key; k++) {
        rb_buf_puts(&sql, k ? " OR " : " WHERE ");
        rb_ledger_quote_name(&sql, s->table.columns[s->table.key[k]].name);
        rb_buf_puts(&sql, " IS NULL");
    }
    rb_buf_puts(&sql, " LIMIT 1");
    rb_code rc = scan(s->ledger->db, s->ledger->name, s->table.name, sql.data, visit_any, &s->key_null, err);
    rb_buf_free(&sql);
    return rc;
}

/* Starts the side's hash: its column names, in name order. */
static void side_hash_start(side_rows *s)
{
    s->hash = rb_sha256_new();
    s->hashed = 0;
    rb_buf head = {0};
    put_tagged(&head, 'c', (uint64_t)s->table.n_columns);
    for (int i = 0; i < s->table.n_columns; i++)
        rb_buf_append(&head, s->table.columns[s->order[i]].name, strlen(s->table.columns[s->order[i]].name) + 1);
    rb_sha256_update(s->hash, head.data, head.len);
    rb_buf_free(&head);
}

/* Reads the table's columns and key, counts its rows, and works out
 * whether its key orders them. */
static rb_code side_read(side_rows *s, const rb_ledger_side *ledger, const char *table, rb_error *err)
{
    memset(s, 0, sizeof *s);
    s->ledger = ledger;
    rb_code rc = rb_ledger_table_read(ledger->db, ledger->name, table, &s->table, err);
    int *all = rb_xcalloc((size_t)s->table.n_columns + 1, sizeof *all);
    for (int i = 0; i < s->table.n_columns; i++)
        all[i] = i;
    s->order = rb_ledger_columns_by_name(s->table.columns, all, s->table.n_columns);
    free(all);
    if (!rc)
        rc = side_count(s, err);
    if (!rc && !(s->unknown = unknown_collation(s)))
        rc = key_has_null(s, err);
    s->by_key = s->table.n_key && !s->unknown && !s->key_null;
    side_hash_start(s);
    if (!rc && !s->by_key && s->count > 0) {
        s->rows.cap = (size_t)s->count;
        s->rows.d = rb_xmalloc(s->rows.cap * DIGEST);
    }
    return rc;
}

/* Hashes the current row (columns base.. of stmt): into the running hash
 * when the side goes by key, else as one more digest. */
static void side_take(side_rows *s, digester *g, sqlite3_stmt *stmt, int base)
{
    s->hashed++;
    if (!s->by_key) {
        digest_row(g, stmt, base, s->order, s->table.n_columns, digests_push(&s->rows));
        return;
    }
    put_row(g, stmt, base, s->order, s->table.n_columns);
    rb_sha256_update(s->hash, g->buf.data, g->buf.len);
}

/* {rows, sha256}. */
static json_t *side_summary(side_rows *s)
{
    if (!s->by_key) {
        digests_sort(&s->rows);
        if (s->rows.n)
            rb_sha256_update(s->hash, s->rows.d, s->rows.n * DIGEST);
    }
    char hex[RB_SHA256_HEX_LEN + 1];
    rb_sha256_final(s->hash, hex);
    s->hash = NULL;
    return json_pack("{s:I, s:s}", "rows", (json_int_t)s->hashed, "sha256", hex);
}

static void side_clear(side_rows *s)
{
    char unused[RB_SHA256_HEX_LEN + 1];
    if (s->hash)
        rb_sha256_final(s->hash, unused); /* frees it */
    rb_ledger_table_clear(&s->table);
    free(s->order);
    digests_free(&s->rows);
}

/* prefix."c1", prefix."c2", ... (prefix may be empty). */
static void put_columns(rb_buf *sql, const char *prefix, const rb_ledger_table *t)
{
    for (int i = 0; i < t->n_columns; i++) {
        rb_buf_printf(sql, "%s%s", i ? ", " : "", prefix);
        rb_ledger_quote_name(sql, t->columns[i].name);
    }
    if (!t->n_columns)
        rb_buf_puts(sql, "NULL");
}

/* ORDER BY-style list of the key, each with the key's collation. */
static void put_key(rb_buf *sql, const char *prefix, const rb_ledger_table *t)
{
    for (int k = 0; k < t->n_key; k++) {
        rb_buf_printf(sql, "%s%s", k ? ", " : "", prefix);
        rb_ledger_quote_name(sql, t->columns[t->key[k]].name);
        rb_buf_puts(sql, " COLLATE ");
        rb_ledger_quote_name(sql, t->key_collation[k]);
    }
}

/* SELECT every column FROM the side's table: in key order when it goes
 * by key, else as stored (NOT INDEXED, as side_count). */
static char *side_select(const side_rows *s)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT ");
    put_columns(&sql, "", &s->table);
    rb_buf_puts(&sql, " FROM ");
    rb_ledger_quote_name(&sql, s->table.name);
    if (s->by_key) {
        rb_buf_puts(&sql, " ORDER BY ");
        put_key(&sql, "", &s->table);
    } else {
        rb_buf_puts(&sql, " NOT INDEXED");
    }
    return rb_buf_take(&sql);
}

typedef struct side_visit {
    side_rows *side;
    digester *g;
} side_visit;

static rb_code visit_take(void *ctx, sqlite3_stmt *stmt)
{
    side_visit *v = ctx;
    side_take(v->side, v->g, stmt, 0);
    return RB_OK;
}

/* Hashes every row of the side on its own (visit NULL: reads them only). */
static rb_code side_scan(side_rows *s, digester *g, row_visit visit, rb_error *err)
{
    char *sql = side_select(s);
    side_visit v = {s, g};
    rb_code rc = scan(s->ledger->db, s->ledger->name, s->table.name, sql, visit, &v, err);
    free(sql);
    return rc;
}

/* ---- the comparison of a table ---------------------------------------- */

typedef struct diff_ctx {
    const rb_ledger_side *old, *new;
    char *label;         /* "OLD, NEW": what a query over both names */
    char *encoding;      /* OLD's text encoding */
    bool same_encoding;  /* NEW's too: one connection can attach both */
    sqlite3 *pair;       /* both attached, as rb_old and rb_new; opened
                            at the first table paired by key */
    digester g;
} diff_ctx;

/* What a table's comparison builds. */
typedef struct table_diff {
    diff_ctx *c;
    side_rows old, new;
    rb_ledger_schema_diff schema;
    char *multiset;       /* why rows are a multiset, or NULL: by key */
    json_t *missing, *added, *changed;
    int64_t paired;
} table_diff;

/* A query over both ledgers failed: reads the table in each alone, to name
 * the one at fault; else both. */
static rb_code blame(table_diff *t, rb_error *err)
{
    char *message = rb_xstrdup(err->message);
    rb_code rc = side_scan(&t->old, &t->c->g, NULL, err);
    if (!rc)
        rc = side_scan(&t->new, &t->c->g, NULL, err);
    if (!rc)
        rc = rb_error_set(err, RB_EINPUT, "%s", message);
    free(message);
    return rc;
}

/* The current row's key: its value, or an array for a composite key. */
static json_t *row_key(sqlite3_stmt *stmt, int base, const rb_ledger_table *t)
{
    if (t->n_key == 1)
        return rb_ledger_column_json(stmt, base + t->key[0]);
    json_t *key = json_array();
    for (int k = 0; k < t->n_key; k++)
        json_array_append_new(key, rb_ledger_column_json(stmt, base + t->key[k]));
    return key;
}

/* {column: {old, new}} of the paired row's columns that differ, or NULL. */
static json_t *changed_columns(const table_diff *t, sqlite3_stmt *stmt)
{
    json_t *columns = NULL;
    int base = t->old.table.n_columns;
    for (int k = 0; k < t->schema.n_common; k++) {
        int i = t->schema.common_old[k], j = base + t->schema.common_new[k];
        if (same_value(stmt, i, j))
            continue;
        if (!columns)
            columns = json_object();
        json_object_set_new(columns, t->old.table.columns[i].name,
                            json_pack("{s:o, s:o}", "old", rb_ledger_column_json(stmt, i), "new",
                                      rb_ledger_column_json(stmt, j)));
    }
    return columns;
}

/* A row of OLD joined with its row of NEW, if any. */
static rb_code visit_joined(void *ctx, sqlite3_stmt *stmt)
{
    table_diff *t = ctx;
    int base = t->old.table.n_columns;
    side_take(&t->old, &t->c->g, stmt, 0);
    if (sqlite3_column_type(stmt, base + t->new.table.key[0]) == SQLITE_NULL) {
        json_array_append_new(t->missing, row_key(stmt, 0, &t->old.table));
        return RB_OK;
    }
    side_take(&t->new, &t->c->g, stmt, base);
    t->paired++;
    json_t *columns = changed_columns(t, stmt);
    if (columns)
        json_array_append_new(t->changed, json_pack("{s:o, s:o}", "key", row_key(stmt, 0, &t->old.table),
                                                    "columns", columns));
    return RB_OK;
}

/* A row of NEW, with whether OLD has its key. */
static rb_code visit_new(void *ctx, sqlite3_stmt *stmt)
{
    table_diff *t = ctx;
    side_take(&t->new, &t->c->g, stmt, 0);
    if (!sqlite3_column_int(stmt, t->new.table.n_columns))
        json_array_append_new(t->added, row_key(stmt, 0, &t->new.table));
    return RB_OK;
}

/* o."k1" COLLATE "c1" = n."k1" AND ... */
static void put_key_match(rb_buf *sql, const table_diff *t)
{
    for (int k = 0; k < t->old.table.n_key; k++) {
        rb_buf_puts(sql, k ? " AND o." : "o.");
        rb_ledger_quote_name(sql, t->old.table.columns[t->old.table.key[k]].name);
        rb_buf_puts(sql, " COLLATE ");
        rb_ledger_quote_name(sql, t->old.table.key_collation[k]);
        rb_buf_puts(sql, " = n.");
        rb_ledger_quote_name(sql, t->new.table.columns[t->new.table.key[k]].name);
    }
}

/* Every row of OLD in key order, with its row of NEW or NULLs. */
static char *joined_sql(const table_diff *t)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT ");
    put_columns(&sql, "o.", &t->old.table);
    rb_buf_puts(&sql, ", ");
    put_columns(&sql, "n.", &t->new.table);
    rb_buf_puts(&sql, " FROM rb_old.");
    rb_ledger_quote_name(&sql, t->old.table.name);
    rb_buf_puts(&sql, " AS o LEFT JOIN rb_new.");
    rb_ledger_quote_name(&sql, t->new.table.name);
    rb_buf_puts(&sql, " AS n ON ");
    put_key_match(&sql, t);
    rb_buf_puts(&sql, " ORDER BY ");
    put_key(&sql, "o.", &t->old.table);
    return rb_buf_take(&sql);
}

/* Every row of NEW in key order, and whether OLD has its key. */
static char *new_sql(const table_diff *t)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT ");
    put_columns(&sql, "n.", &t->new.table);
    rb_buf_puts(&sql, ", EXISTS (SELECT 1 FROM rb_old.");
    rb_ledger_quote_name(&sql, t->old.table.name);
    rb_buf_puts(&sql, " AS o WHERE ");
    put_key_match(&sql, t);
    rb_buf_puts(&sql, ") FROM rb_new.");
    rb_ledger_quote_name(&sql, t->new.table.name);
    rb_buf_puts(&sql, " AS n ORDER BY ");
    put_key(&sql, "n.", &t->new.table);
    return rb_buf_take(&sql);
}

static rb_code attach(sqlite3 *pair, const rb_ledger_side *side, const char *schema, rb_error *err)
{
    char *uri = rb_ledger_file_uri(side->db);
    if (!uri)
        return rb_error_set(err, RB_EINPUT, "%s: a ledger held in memory cannot be compared by key", side->name);
    char *sql = rb_xasprintf("ATTACH ?1 AS %s", schema);
    sqlite3_stmt *stmt = NULL;
    int src = sqlite3_prepare_v2(pair, sql, -1, &stmt, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, uri, -1, SQLITE_TRANSIENT);
        src = sqlite3_step(stmt);
    }
    rb_code rc = src == SQLITE_DONE ? RB_OK
                                    : rb_error_set(err, RB_EINPUT, "%s: cannot attach it to compare its tables: %s",
                                                   side->name, sqlite3_errmsg(pair));
    sqlite3_finalize(stmt);
    free(sql);
    free(uri);
    return rc;
}

/* The private connection that joins the two ledgers: nothing of theirs is
 * trusted (defensive, no schema functions), and it attaches only them. */
static rb_code pair_open(diff_ctx *c, rb_error *err)
{
    if (c->pair)
        return RB_OK;
    if (sqlite3_open_v2(":memory:", &c->pair, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        return rb_error_set(err, RB_EINTERNAL, "cannot open an in-memory SQLite connection: %s",
                            c->pair ? sqlite3_errmsg(c->pair) : "out of memory");
    sqlite3_db_config(c->pair, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(c->pair, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_limit(c->pair, SQLITE_LIMIT_ATTACHED, 2);
    /* its joins read the evidence: bounded as every query on it is */
    rb_query_bounds_apply(c->pair);
    /* an attached file must be in the main database's text encoding */
    char *pragma = rb_xasprintf("PRAGMA encoding = '%s'", c->encoding);
    int src = sqlite3_exec(c->pair, pragma, NULL, NULL, NULL);
    free(pragma);
    if (src != SQLITE_OK)
        return rb_error_set(err, RB_EINTERNAL, "cannot set the encoding %s: %s", c->encoding,
                            sqlite3_errmsg(c->pair));
    rb_code rc = attach(c->pair, c->old, "rb_old", err);
    return rc ? rc : attach(c->pair, c->new, "rb_new", err);
}

/* Pairs the rows of a table by key: OLD joined with NEW; then, if NEW has
 * more rows than were paired, NEW again in key order, for the rows no key
 * of OLD found and for its hash. */
static rb_code compare_by_key(table_diff *t, rb_error *err)
{
    rb_code rc = pair_open(t->c, err);
    char *sql = rc ? NULL : joined_sql(t);
    if (!rc && (rc = scan(t->c->pair, t->c->label, t->old.table.name, sql, visit_joined, t, err)))
        rc = blame(t, err);
    free(sql);
    if (!rc && t->new.count > t->paired) {
        char unused[RB_SHA256_HEX_LEN + 1];
        rb_sha256_final(t->new.hash, unused);
        side_hash_start(&t->new);
        sql = new_sql(t);
        if ((rc = scan(t->c->pair, t->c->label, t->new.table.name, sql, visit_new, t, err)))
            rc = blame(t, err);
        free(sql);
    }
    return rc;
}

/* ---- multisets --------------------------------------------------------- */

/* One side of a multiset comparison: the columns compared, in name
 * order, and the digests of the rows over them. */
typedef struct bag {
    diff_ctx *c;
    side_rows *side;
    int *compared;
    int n_compared;
    bool shared;      /* the side's own row digests are the bag's */
    digests own;      /* else the bag's */
    digests surplus;  /* what only this side has, with counts */
    json_t *rows;     /* the surplus rows found */
} bag;

static digests *bag_digests(bag *b)
{
    return b->shared ? &b->side->rows : &b->own;
}

/* A row in stored order: its digest over the compared columns, and the
 * side's hash when it has no key order to take it in. */
static rb_code visit_counted(void *ctx, sqlite3_stmt *stmt)
{
    bag *b = ctx;
    if (!b->side->by_key)
        side_take(b->side, &b->c->g, stmt, 0);
    if (!b->shared)
        digest_row(&b->c->g, stmt, 0, b->compared, b->n_compared, digests_push(&b->own));
    return RB_OK;
}

/* A row of a side with a surplus: listed while copies remain. */
static rb_code visit_surplus(void *ctx, sqlite3_stmt *stmt)
{
    bag *b = ctx;
    unsigned char d[DIGEST];
    digest_row(&b->c->g, stmt, 0, b->compared, b->n_compared, d);
    unsigned char *hit = bsearch(d, b->surplus.d, b->surplus.n, DIGEST, digest_cmp);
    int64_t *left = hit ? &b->surplus.count[(hit - b->surplus.d) / DIGEST] : NULL;
    if (left && *left > 0) {
        --*left;
        json_array_append_new(b->rows, rb_ledger_row_json(stmt));
    }
    return RB_OK;
}

static void add_surplus(bag *b, const unsigned char *d, int64_t n)
{
    if (!b->surplus.count)
        b->surplus.count = rb_xmalloc(sizeof *b->surplus.count);
    memcpy(digests_push(&b->surplus), d, DIGEST);
    b->surplus.count[b->surplus.n - 1] = n;
}

/* Counts each distinct row on both sides (sorted digests); the side with
 * more copies has the difference as its surplus. */
static void find_surplus(bag *a, bag *b)
{
    digests *x = bag_digests(a), *y = bag_digests(b);
    digests_sort(x);
    digests_sort(y);
    size_t i = 0, j = 0;
    while (i < x->n || j < y->n) {
        int c = i == x->n ? 1 : j == y->n ? -1 : digest_cmp(x->d + i * DIGEST, y->d + j * DIGEST);
        const unsigned char *v = c <= 0 ? x->d + i * DIGEST : y->d + j * DIGEST;
        int64_t n = 0;
        for (; i < x->n && digest_cmp(x->d + i * DIGEST, v) == 0; i++)
            n++;
        for (; j < y->n && digest_cmp(y->d + j * DIGEST, v) == 0; j++)
            n--;
        if (n > 0)
            add_surplus(a, v, n);
        else if (n < 0)
            add_surplus(b, v, -n);
    }
}

static void bag_init(bag *b, diff_ctx *c, side_rows *side, const int *compared, int n, json_t *rows)
{
    memset(b, 0, sizeof *b);
    b->c = c;
    b->side = side;
    b->compared = rb_ledger_columns_by_name(side->table.columns, compared, n);
    b->n_compared = n;
    b->shared = n == side->table.n_columns && !side->by_key;
    b->rows = rows;
}

static void bag_clear(bag *b)
{
    free(b->compared);
    digests_free(&b->own);
    digests_free(&b->surplus);
}

/* Reads every row of a bag's side in stored order; with visit_surplus,
 * lists the surplus rows. */
static rb_code bag_scan(bag *b, row_visit visit, rb_error *err)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT ");
    put_columns(&sql, "", &b->side->table);
    rb_buf_puts(&sql, " FROM ");
    rb_ledger_quote_name(&sql, b->side->table.name);
    rb_buf_puts(&sql, " NOT INDEXED");
    rb_code rc = scan(b->side->ledger->db, b->side->ledger->name, b->side->table.name, sql.data, visit, b, err);
    rb_buf_free(&sql);
    return rc;
}

/* Counts a bag's rows, and hashes its side in key order if it has one. */
static rb_code bag_fill(bag *b, rb_error *err)
{
    rb_code rc = bag_scan(b, visit_counted, err);
    if (!rc && b->side->by_key)
        rc = side_scan(b->side, &b->c->g, visit_take, err);
    return rc;
}

/* Compares a table as a multiset of rows over the columns both sides have:
 * the digests first, then, if they differ, the rows behind the surplus. */
static rb_code compare_multiset(table_diff *t, rb_error *err)
{
    /* by name on each side: the same order, names matching as SQLite
     * matches them */
    bag a, b;
    bag_init(&a, t->c, &t->old, t->schema.common_old, t->schema.n_common, t->missing);
    bag_init(&b, t->c, &t->new, t->schema.common_new, t->schema.n_common, t->added);
    rb_code rc = bag_fill(&a, err);
    if (!rc)
        rc = bag_fill(&b, err);
    if (!rc)
        find_surplus(&a, &b);
    if (!rc && a.surplus.n)
        rc = bag_scan(&a, visit_surplus, err);
    if (!rc && b.surplus.n)
        rc = bag_scan(&b, visit_surplus, err);
    bag_clear(&a);
    bag_clear(&b);
    return rc;
}

/* ---- a table in both ---------------------------------------------------- */

/* Why the table's rows cannot be paired by key (NULL when they can: the
 * same key on both sides, in collations SQLite has, never NULL). */
static char *multiset_reason(const table_diff *t)
{
    if (!t->old.table.n_key && !t->new.table.n_key)
        return rb_xstrdup("no primary key");
    if (!t->schema.key_same)
        return rb_xstrdup("the primary key changed");
    if (!t->c->same_encoding)
        return rb_xstrdup("the ledgers have different text encodings");
    if (t->old.unknown)
        return rb_xasprintf("the key's collation %s is not one SQLite has", t->old.unknown);
    if (t->old.key_null || t->new.key_null)
        return rb_xstrdup("a primary key value is NULL");
    return NULL;
}

static json_t *pairing_json(const table_diff *t)
{
    json_t *columns = json_array();
    const rb_ledger_table *old = &t->old.table;
    if (t->multiset)
        for (int k = 0; k < t->schema.n_common; k++)
            json_array_append_new(columns, json_string(old->columns[t->schema.common_old[k]].name));
    else
        for (int k = 0; k < old->n_key; k++)
            json_array_append_new(columns, json_string(old->columns[old->key[k]].name));
    return json_pack("{s:s, s:o, s:o}", "by", t->multiset ? "multiset" : "key", "columns", columns, "reason",
                     t->multiset ? json_string(t->multiset) : json_null());
}

static json_t *table_entry(table_diff *t)
{
    bool equal = !json_array_size(t->missing) && !json_array_size(t->added) && !json_array_size(t->changed) &&
                 strcmp(json_string_value(json_object_get(t->schema.json, "status")), "equal") == 0;
    return json_pack("{s:s, s:s, s:O, s:o, s:o, s:o, s:O, s:O, s:O}", "table", t->old.table.name, "status",
                     equal ? "equal" : "changed", "schema", t->schema.json, "pairing", pairing_json(t), "old",
                     side_summary(&t->old), "new", side_summary(&t->new), "missing", t->missing, "added",
                     t->added, "changed", t->changed);
}

/* The entry of a table that both ledgers have. */
static rb_code diff_table(diff_ctx *c, const char *old_name, const char *new_name, json_t **out, rb_error *err)
{
    table_diff t = {.c = c, .missing = json_array(), .added = json_array(), .changed = json_array()};
    rb_code rc = side_read(&t.old, c->old, old_name, err);
    if (!rc)
        rc = side_read(&t.new, c->new, new_name, err);
    if (!rc) {
        rb_ledger_schema_compare(&t.old.table, &t.new.table, &t.schema);
        t.multiset = multiset_reason(&t);
        rc = t.multiset ? compare_multiset(&t, err) : compare_by_key(&t, err);
    }
    *out = rc ? NULL : table_entry(&t);
    json_decref(t.missing);
    json_decref(t.added);
    json_decref(t.changed);
    free(t.multiset);
    rb_ledger_schema_diff_clear(&t.schema);
    side_clear(&t.old);
    side_clear(&t.new);
    return rc;
}

/* The entry of a table only one ledger has: status "missing" (only in
 * the old one) or "added", with its rows and sha256. */
static rb_code lone_table(diff_ctx *c, const rb_ledger_side *side, const char *table, const char *status,
                          json_t **out, rb_error *err)
{
    side_rows s;
    rb_code rc = side_read(&s, side, table, err);
    if (!rc)
        rc = side_scan(&s, &c->g, visit_take, err);
    *out = rc ? NULL
              : json_pack("{s:s, s:s, s:o}", "table", s.table.name, "status", status,
                          strcmp(status, "missing") == 0 ? "old" : "new", side_summary(&s));
    side_clear(&s);
    return rc;
}

/* ---- the ledgers -------------------------------------------------------- */

/* The user tables of a ledger, sorted by name as SQLite matches names. */
static rb_code list_tables(const rb_ledger_side *side, json_t **out, rb_error *err)
{
    sqlite3_stmt *stmt;
    rb_code rc = rb_ledger_prepare(side->db,
                                   "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                                   "'sqlite\\_%' ESCAPE '\\' ORDER BY name COLLATE NOCASE",
                                   side->name, "listing tables", &stmt, err);
    *out = json_array();
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, side->name, "listing tables", &row, err);
        if (!rc && row)
            json_array_append_new(*out, rb_ledger_column_json(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return rc;
}

static void count_into(json_t *summary, const char *member, size_t n)
{
    json_object_set_new(summary, member, json_integer(json_integer_value(json_object_get(summary, member)) +
                                                      (json_int_t)n));
}

static json_t *summarize(const json_t *tables)
{
    json_t *summary = json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "tables",
                                (json_int_t)json_array_size(tables), "equal", 0, "changed", 0, "missing", 0,
                                "added", 0, "schemas_changed", 0, "rows_missing", 0, "rows_added", 0,
                                "rows_changed", 0);
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t) {
        const json_t *schema = json_object_get(t, "schema");
        count_into(summary, json_string_value(json_object_get(t, "status")), 1);
        count_into(summary, "schemas_changed",
                   schema && strcmp(json_string_value(json_object_get(schema, "status")), "changed") == 0);
        count_into(summary, "rows_missing", json_array_size(json_object_get(t, "missing")));
        count_into(summary, "rows_added", json_array_size(json_object_get(t, "added")));
        count_into(summary, "rows_changed", json_array_size(json_object_get(t, "changed")));
    }
    return summary;
}

/* Walks the two sorted lists of tables, pairing names that SQLite would
 * take for one. */
static rb_code diff_tables(diff_ctx *c, const json_t *names_old, const json_t *names_new, json_t *tables,
                           rb_error *err)
{
    rb_code rc = RB_OK;
    size_t i = 0, j = 0, n_old = json_array_size(names_old), n_new = json_array_size(names_new);
    while (!rc && (i < n_old || j < n_new)) {
        const char *a = i < n_old ? json_string_value(json_array_get(names_old, i)) : NULL;
        const char *b = j < n_new ? json_string_value(json_array_get(names_new, j)) : NULL;
        int order = !a ? 1 : !b ? -1 : sqlite3_stricmp(a, b);
        json_t *entry = NULL;
        if (order < 0)
            rc = lone_table(c, c->old, a, "missing", &entry, err);
        else if (order > 0)
            rc = lone_table(c, c->new, b, "added", &entry, err);
        else
            rc = diff_table(c, a, b, &entry, err);
        i += order <= 0;
        j += order >= 0;
        if (entry)
            json_array_append_new(tables, entry);
    }
    return rc;
}

static rb_code visit_text(void *ctx, sqlite3_stmt *stmt)
{
    const unsigned char *text = sqlite3_column_text(stmt, 0);
    *(char **)ctx = rb_xstrdup(text ? (const char *)text : "");
    return RB_OK;
}

static rb_code encoding_of(const rb_ledger_side *side, char **encoding, rb_error *err)
{
    *encoding = NULL;
    rb_code rc = scan(side->db, side->name, "sqlite_schema", "SELECT encoding FROM pragma_encoding", visit_text,
                      encoding, err);
    if (!rc && !*encoding)
        *encoding = rb_xstrdup("UTF-8");
    return rc;
}

static rb_code read_encodings(diff_ctx *c, rb_error *err)
{
    char *new = NULL;
    rb_code rc = encoding_of(c->old, &c->encoding, err);
    if (!rc)
        rc = encoding_of(c->new, &new, err);
    c->same_encoding = !rc && strcmp(c->encoding, new) == 0;
    free(new);
    return rc;
}

rb_code rb_ledger_diff(const rb_ledger_side *old, const rb_ledger_side *new, json_t **out, rb_error *err)
{
    diff_ctx c = {.old = old, .new = new, .label = rb_xasprintf("%s, %s", old->name, new->name),
                  .g = {.h = rb_sha256_new()}};
    json_t *names_old = NULL, *names_new = NULL, *tables = json_array();
    rb_code rc = read_encodings(&c, err);
    if (!rc)
        rc = list_tables(old, &names_old, err);
    if (!rc)
        rc = list_tables(new, &names_new, err);
    if (!rc)
        rc = diff_tables(&c, names_old, names_new, tables, err);
    json_decref(names_old);
    json_decref(names_new);
    sqlite3_close(c.pair);
    free(c.label);
    free(c.encoding);
    char unused[RB_SHA256_HEX_LEN + 1];
    rb_sha256_final(c.g.h, unused); /* frees it */
    rb_buf_free(&c.g.buf);
    *out = NULL;
    if (rc) {
        json_decref(tables);
        return rc;
    }
    json_t *summary = summarize(tables);
    bool equal = json_integer_value(json_object_get(summary, "equal")) == (json_int_t)json_array_size(tables);
    *out = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:b, s:o, s:o}", "schema", "rbaudit-diff/2",
                     "kind", "ledger", "old", "path", old->name, "sha256", old->sha256, "new", "path", new->name,
                     "sha256", new->sha256, "equal", equal, "tables", tables, "summary", summary);
    return RB_OK;
}
