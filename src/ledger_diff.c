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
 *   and their rows merged in key order with the key's collation, so that
 *   'Dana@x' and 'dana@x' are one row under NOCASE while the text '2' and
 *   the integer 2 stay two rows, exactly as SQLite's own uniqueness sees
 *   them (see "pairing by key" below).  Memory holds the rows that differ,
 *   not the tables.
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

#include "input_limits.h"
#include "ledger_schema.h"
#include "query_bounds.h"
#include "sha256.h"
#include "util.h"
#include "worker.h"

#define DIGEST RB_SHA256_LEN

/* ---- row digests ------------------------------------------------------ */

/* A row's digest, then its place among its side's rows in stored order
 * (8 bytes, native order), so that sorting by digest keeps each copy's
 * place: the surplus copies of a row are the first ones. */
#define RECORD (DIGEST + 8)

typedef struct digests {
    unsigned char *d; /* n records */
    size_t n, cap;
    bool sorted;
} digests;

/* The next record, its place set: the caller writes the digest. */
static unsigned char *digests_push(digests *s)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->d = rb_xrealloc(s->d, s->cap * RECORD);
    }
    s->sorted = false;
    uint64_t place = s->n;
    unsigned char *r = s->d + s->n++ * RECORD;
    memcpy(r + DIGEST, &place, sizeof place);
    return r;
}

static uint64_t record_place(const unsigned char *r)
{
    uint64_t place;
    memcpy(&place, r + DIGEST, sizeof place);
    return place;
}

/* By digest, then by place. */
static int record_cmp(const void *a, const void *b)
{
    int c = memcmp(a, b, DIGEST);
    if (c)
        return c;
    uint64_t x = record_place(a), y = record_place(b);
    return (x > y) - (x < y);
}

/* Sorts a list of records.  Digests are spread evenly, so one pass into
 * 65536 buckets by their first two bytes leaves a handful to sort in each:
 * a large table sorts several times faster than by qsort alone. */
static void digests_sort(digests *s)
{
    enum { BUCKETS = 1 << 16, SMALL = 1 << 14 };
    if (s->sorted || s->n < SMALL) {
        if (!s->sorted && s->n > 1)
            qsort(s->d, s->n, RECORD, record_cmp);
        s->sorted = true;
        return;
    }
    size_t *start = rb_xcalloc(BUCKETS + 1, sizeof *start);
    for (size_t i = 0; i < s->n; i++)
        start[(s->d[i * RECORD] << 8 | s->d[i * RECORD + 1]) + 1]++;
    for (size_t b = 0; b < BUCKETS; b++)
        start[b + 1] += start[b];
    unsigned char *sorted = rb_xmalloc(s->n * RECORD);
    for (size_t i = 0; i < s->n; i++) {
        size_t b = (size_t)(s->d[i * RECORD] << 8 | s->d[i * RECORD + 1]);
        memcpy(sorted + start[b]++ * RECORD, s->d + i * RECORD, RECORD);
    }
    /* each start[b] is now where bucket b ends, and bucket b + 1 starts */
    for (size_t b = 0, from = 0; b < BUCKETS; from = start[b++])
        if (start[b] - from > 1)
            qsort(sorted + from * RECORD, start[b] - from, RECORD, record_cmp);
    free(s->d);
    free(start);
    s->d = sorted;
    s->cap = s->n;
    s->sorted = true;
}

static void digests_free(digests *s)
{
    free(s->d);
    memset(s, 0, sizeof *s);
}

/* One SHA-256 context and buffer, reused for every row. */
typedef struct digester {
    rb_sha256 *h;
    rb_buf buf;
} digester;

/* tag, then v in 8 bytes, most significant first: spelt out, so that the
 * compiler makes one byte swap and one store of it (a loop it keeps). */
static void put_tagged(rb_buf *b, char tag, uint64_t v)
{
    const char bytes[9] = {tag, (char)(v >> 56), (char)(v >> 48), (char)(v >> 40), (char)(v >> 32),
                           (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
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

/* Columns base + columns[0..n) of the current row into b: their values'
 * types and bytes, which tell every row from every other.  When at is not
 * NULL, at[columns[i]] gets where that column's value starts in b. */
static void put_row_at(rb_buf *b, size_t *at, sqlite3_stmt *stmt, int base, const int *columns, int n)
{
    b->len = 0;
    rb_buf_append(b, "", 0);
    for (int i = 0; i < n; i++) {
        if (at)
            at[columns[i]] = b->len;
        put_value(b, stmt, base + columns[i]);
    }
}

static void put_row(digester *g, sqlite3_stmt *stmt, int base, const int *columns, int n)
{
    put_row_at(&g->buf, NULL, stmt, base, columns, n);
}

/* How many bytes the value put_value wrote at p takes. */
static size_t value_size(const unsigned char *p)
{
    if (*p == 'n')
        return 1;
    if (*p != 't' && *p != 'b')
        return 9;
    uint64_t n = 0;
    for (int i = 1; i <= 8; i++)
        n = n << 8 | p[i];
    return 9 + (size_t)n;
}

/* Binds the value put_value wrote at p to parameter i: the same type and
 * bytes, so that a statement reads it back as the column it came from. */
static void bind_value(sqlite3_stmt *stmt, int i, const unsigned char *p)
{
    uint64_t v = 0;
    for (int k = 1; k <= 8 && *p != 'n'; k++)
        v = v << 8 | p[k];
    double x;
    switch (*p) {
    case 'i':
        sqlite3_bind_int64(stmt, i, (sqlite3_int64)v);
        break;
    case 'r':
        memcpy(&x, &v, sizeof x);
        sqlite3_bind_double(stmt, i, x);
        break;
    case 't':
        sqlite3_bind_text(stmt, i, (const char *)p + 9, (int)v, SQLITE_TRANSIENT);
        break;
    case 'b':
        /* p + 9 is never NULL: an empty blob stays a blob */
        sqlite3_bind_blob(stmt, i, p + 9, (int)v, SQLITE_TRANSIENT);
        break;
    default:
        sqlite3_bind_null(stmt, i);
    }
}

/* The digest of columns base + columns[0..n) of the current row. */
static void digest_row(digester *g, sqlite3_stmt *stmt, int base, const int *columns, int n, unsigned char *out)
{
    put_row(g, stmt, base, columns, n);
    rb_sha256_update(g->h, g->buf.data, g->buf.len);
    rb_sha256_digest_restart(g->h, out);
}

/* ---- one side of a table ----------------------------------------------- */

/* What to do with a row of a scan: returns whether to read on. */
typedef bool (*row_visit)(void *ctx, sqlite3_stmt *stmt);

/* Runs a query, calling visit (when given) on each row until it says
 * stop; an error names `ledger` and the table. */
static rb_code scan(sqlite3 *db, const char *ledger, const char *table, const char *sql, row_visit visit,
                    void *ctx, rb_error *err)
{
    sqlite3_stmt *stmt;
    char *what = rb_xasprintf("reading table %s", table);
    rb_code rc = rb_ledger_prepare(db, sql, ledger, what, &stmt, err);
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, ledger, what, &row, err);
        if (!rc && row && visit && !visit(ctx, stmt))
            break;
    }
    sqlite3_finalize(stmt);
    free(what);
    return rc;
}

typedef struct side_rows {
    const rb_ledger_side *ledger;
    rb_ledger_table table;
    int *order;             /* every column, by name: what a row covers */
    const char *unknown;    /* a key collation SQLite lacks, or NULL */
    bool key_null;          /* a key value is NULL */
    bool by_key;            /* its key orders its rows: hashed in key order */
    rb_sha256 *hash;        /* by key: the running hash of its rows */
    rb_buf batch;           /* rows not yet given to hash: hashed in
                               blocks, not a call a row */
    int64_t hashed;         /* the rows it covers */
    digests rows;           /* else: one digest a row, sorted at the end */
} side_rows;

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

static bool visit_any(void *ctx, sqlite3_stmt *stmt)
{
    (void)stmt;
    *(bool *)ctx = true;
    return false;
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

/* Forgets the rows hashed so far: the side's hash starts over. */
static void side_hash_restart(side_rows *s)
{
    char unused[RB_SHA256_HEX_LEN + 1];
    rb_sha256_final(s->hash, unused); /* frees it */
    s->batch.len = 0;
    side_hash_start(s);
}

/* Reads the table's columns and key, and works out whether its key orders
 * its rows. */
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
    if (!rc && !(s->unknown = unknown_collation(s)))
        rc = key_has_null(s, err);
    s->by_key = s->table.n_key && !s->unknown && !s->key_null;
    side_hash_start(s);
    return rc;
}

#define HASH_BATCH ((size_t)64 << 10)

/* Adds the bytes of one row (put_row's) to the side's running hash. */
static void side_hash_row(side_rows *s, const rb_buf *row)
{
    s->hashed++;
    rb_buf_append(&s->batch, row->data, row->len);
    if (s->batch.len >= HASH_BATCH) {
        rb_sha256_update(s->hash, s->batch.data, s->batch.len);
        s->batch.len = 0;
    }
}

/* Hashes the current row (columns base.. of stmt): into the running hash
 * when the side goes by key, else as one more digest. */
static void side_take(side_rows *s, digester *g, sqlite3_stmt *stmt, int base)
{
    if (!s->by_key) {
        s->hashed++;
        digest_row(g, stmt, base, s->order, s->table.n_columns, digests_push(&s->rows));
        return;
    }
    put_row(g, stmt, base, s->order, s->table.n_columns);
    side_hash_row(s, &g->buf);
}

/* {rows, sha256}. */
static json_t *side_summary(side_rows *s)
{
    if (s->batch.len)
        rb_sha256_update(s->hash, s->batch.data, s->batch.len);
    s->batch.len = 0;
    if (!s->by_key) {
        digests_sort(&s->rows);
        for (size_t i = 0; i < s->rows.n; i++) {
            rb_buf_append(&s->batch, (const char *)s->rows.d + i * RECORD, DIGEST);
            if (s->batch.len >= HASH_BATCH || i + 1 == s->rows.n) {
                rb_sha256_update(s->hash, s->batch.data, s->batch.len);
                s->batch.len = 0;
            }
        }
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
    rb_buf_free(&s->batch);
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

static bool visit_take(void *ctx, sqlite3_stmt *stmt)
{
    side_visit *v = ctx;
    side_take(v->side, v->g, stmt, 0);
    return true;
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

/* ---- pairing by key ----------------------------------------------------
 *
 * Both sides come in one query, a UNION ALL ordered by the key in its
 * collations: SQLite merges the two sides' rows in key order, so that a
 * key both have comes as two rows one after the other, whichever first.
 * Each side's table is read once, in its own order when that is key order
 * (an INTEGER PRIMARY KEY, a WITHOUT ROWID table).  A rowid table with
 * another key is read through its key index, which finds each row with a
 * seek: cheap while the key order follows the stored order (rows inserted
 * in key order, as most ledgers write them), a page read a row when it
 * does not (random keys).  So the walk watches the pages its rows take,
 * and at the first window of rows that reads more than a page for every
 * few rows it starts over, sorting each side's rows (NOT INDEXED) instead:
 * a sort costs more than an orderly walk and far less than a scattered
 * one.  Either way the rows come in the same key order, so the outcome is
 * the same.  Whether two neighbours' keys are one is SQLite's to say too
 * (the key's collation, 2 = 2.0), asked only when their bytes differ.  A
 * row is held, as the bytes its side's hash takes, until its neighbour
 * tells whether it pairs. */

/* A row of the merged stream: its side, its columns as put_row writes
 * them (its side's hash takes these bytes), and where each column's value
 * starts among them. */
typedef struct held_row {
    int side;  /* 0: OLD, 1: NEW, -1: no row held */
    rb_buf bytes;
    size_t *at; /* by column index of its side's table */
} held_row;

/* The statements that read held values back as SQLite values. */
typedef struct key_pairing {
    table_diff *t;
    held_row rows[2];  /* the row held, and the one just read */
    held_row *held, *cur;
    sqlite3_stmt *same_key; /* ?1 = ?2 COLLATE c1 AND ?3 = ?4 COLLATE c2 ... */
    sqlite3_stmt *echo;     /* SELECT ?1: a held value as a column */
    bool all_common;        /* both sides have the same columns */
    bool watch;             /* a walk that may give way to sorts */
    int window;             /* rows read in the current window */
    bool scattered;         /* the walk gave way */
} key_pairing;

/* Rows between two looks at the pages a walk in key order has read, and
 * the reads in such a window past which its rows are taken for scattered
 * over the file: a page for every four rows.  An orderly walk of rows of
 * a hundred bytes reads a page for every few dozen; a scattered one about
 * one a row. */
#define WINDOW_ROWS 4096
#define WINDOW_READS (WINDOW_ROWS / 4)

/* Whether the window of rows just read took more pages than an orderly
 * walk would; starts the next window. */
static bool window_scattered(key_pairing *k)
{
    int reads = 0, unused;
    k->window = 0;
    sqlite3_db_status(k->t->c->pair, SQLITE_DBSTATUS_CACHE_MISS, &reads, &unused, 1);
    return k->scattered = reads > WINDOW_READS;
}

static const rb_ledger_table *table_of(const key_pairing *k, const held_row *r)
{
    return r->side ? &k->t->new.table : &k->t->old.table;
}

/* A value held at p, as rb_ledger_column_json makes it of the column it
 * came from. */
static json_t *held_json(key_pairing *k, const unsigned char *p)
{
    bind_value(k->echo, 1, p);
    json_t *v = sqlite3_step(k->echo) == SQLITE_ROW ? rb_ledger_column_json(k->echo, 0) : json_null();
    sqlite3_reset(k->echo);
    return v;
}

static const unsigned char *value_at(const held_row *r, int column)
{
    return (const unsigned char *)r->bytes.data + r->at[column];
}

/* A held row's key: its value, or an array for a composite key. */
static json_t *held_key(key_pairing *k, const held_row *r)
{
    const rb_ledger_table *t = table_of(k, r);
    if (t->n_key == 1)
        return held_json(k, value_at(r, t->key[0]));
    json_t *key = json_array();
    for (int i = 0; i < t->n_key; i++)
        json_array_append_new(key, held_json(k, value_at(r, t->key[i])));
    return key;
}

static bool same_bytes(const unsigned char *p, const unsigned char *q)
{
    size_t n = value_size(p);
    return n == value_size(q) && memcmp(p, q, n) == 0;
}

/* Whether two rows of the two sides have one key, as SQLite compares it:
 * the same bytes are the same key in any collation; else SQLite says. */
static bool same_key(key_pairing *k, const held_row *a, const held_row *b)
{
    const rb_ledger_table *ta = table_of(k, a), *tb = table_of(k, b);
    bool same = true;
    for (int i = 0; i < ta->n_key && same; i++)
        same = same_bytes(value_at(a, ta->key[i]), value_at(b, tb->key[i]));
    if (same)
        return true;
    for (int i = 0; i < ta->n_key; i++) {
        bind_value(k->same_key, 2 * i + 1, value_at(a, ta->key[i]));
        bind_value(k->same_key, 2 * i + 2, value_at(b, tb->key[i]));
    }
    same = sqlite3_step(k->same_key) == SQLITE_ROW && sqlite3_column_int(k->same_key, 0) == 1;
    sqlite3_reset(k->same_key);
    return same;
}

/* {column: {old, new}} of a paired row's columns that differ, or NULL. */
static json_t *changed_columns(key_pairing *k, const held_row *old, const held_row *new)
{
    const table_diff *t = k->t;
    if (k->all_common && old->bytes.len == new->bytes.len && memcmp(old->bytes.data, new->bytes.data, old->bytes.len) == 0)
        return NULL;
    json_t *columns = NULL;
    for (int c = 0; c < t->schema.n_common; c++) {
        int i = t->schema.common_old[c], j = t->schema.common_new[c];
        if (same_bytes(value_at(old, i), value_at(new, j)))
            continue;
        if (!columns)
            columns = json_object();
        json_object_set_new(columns, t->old.table.columns[i].name,
                            json_pack("{s:o, s:o}", "old", held_json(k, value_at(old, i)), "new",
                                      held_json(k, value_at(new, j))));
    }
    return columns;
}

/* A row whose key the other side lacks: missing from NEW, or added. */
static void unpaired(key_pairing *k, const held_row *r)
{
    json_array_append_new(r->side ? k->t->added : k->t->missing, held_key(k, r));
}

static void paired(key_pairing *k, const held_row *a, const held_row *b)
{
    const held_row *old = a->side ? b : a, *new = a->side ? a : b;
    k->t->paired++;
    json_t *columns = changed_columns(k, old, new);
    if (columns)
        json_array_append_new(k->t->changed, json_pack("{s:o, s:o}", "key", held_key(k, old), "columns", columns));
}

/* A row of the merged stream: column 0 its side, then the key, then its
 * side's columns. */
static bool visit_merged(void *ctx, sqlite3_stmt *stmt)
{
    key_pairing *k = ctx;
    if (k->watch && ++k->window == WINDOW_ROWS && window_scattered(k))
        return false;
    held_row *cur = k->cur;
    cur->side = sqlite3_column_int(stmt, 0) ? 1 : 0;
    side_rows *side = cur->side ? &k->t->new : &k->t->old;
    put_row_at(&cur->bytes, cur->at, stmt, 1 + side->table.n_key, side->order, side->table.n_columns);
    side_hash_row(side, &cur->bytes);
    if (k->held->side == 1 - cur->side && same_key(k, k->held, cur)) {
        paired(k, k->held, cur);
        k->held->side = -1;
        return true;
    }
    if (k->held->side >= 0)
        unpaired(k, k->held);
    k->cur = k->held;
    k->held = cur;
    return true;
}

/* One side's arm of the merged query: its side, its key, its columns, and
 * NULLs up to `width` columns (both arms must have as many). */
static void put_arm(rb_buf *sql, int side, const side_rows *s, const char *schema, int width, bool sorted)
{
    const rb_ledger_table *t = &s->table;
    rb_buf_printf(sql, "SELECT %d", side);
    for (int k = 0; k < t->n_key; k++) {
        rb_buf_puts(sql, ", ");
        rb_ledger_quote_name(sql, t->columns[t->key[k]].name);
    }
    for (int i = 0; i < width; i++) {
        rb_buf_puts(sql, ", ");
        if (i < t->n_columns)
            rb_ledger_quote_name(sql, t->columns[i].name);
        else
            rb_buf_puts(sql, "NULL");
    }
    rb_buf_printf(sql, " FROM %s.", schema);
    rb_ledger_quote_name(sql, t->name);
    /* no key index: a table not stored in key order is sorted */
    if (sorted)
        rb_buf_puts(sql, " NOT INDEXED");
}

/* Both sides' rows in key order; `sorted`: as put_arm says. */
static char *merged_sql(const table_diff *t, bool sorted)
{
    int width = t->old.table.n_columns > t->new.table.n_columns ? t->old.table.n_columns : t->new.table.n_columns;
    rb_buf sql = {0};
    put_arm(&sql, 0, &t->old, "rb_old", width, sorted);
    rb_buf_puts(&sql, " UNION ALL ");
    put_arm(&sql, 1, &t->new, "rb_new", width, sorted);
    rb_buf_puts(&sql, " ORDER BY ");
    for (int k = 0; k < t->old.table.n_key; k++) {
        rb_buf_printf(&sql, "%s%d COLLATE ", k ? ", " : "", k + 2);
        rb_ledger_quote_name(&sql, t->old.table.key_collation[k]);
    }
    return rb_buf_take(&sql);
}

/* ?1 = ?2 COLLATE "c1" AND ?3 = ?4 COLLATE "c2" ... */
static char *same_key_sql(const rb_ledger_table *t)
{
    rb_buf sql = {0};
    rb_buf_puts(&sql, "SELECT ");
    for (int k = 0; k < t->n_key; k++) {
        rb_buf_printf(&sql, "%s?%d = ?%d COLLATE ", k ? " AND " : "", 2 * k + 1, 2 * k + 2);
        rb_ledger_quote_name(&sql, t->key_collation[k]);
    }
    return rb_buf_take(&sql);
}

/* Whether the pair connection's sorts of both whole files stay well within
 * the --max-query-temp limit (a merge may write its runs twice). */
static bool sort_fits(sqlite3 *pair)
{
    sqlite3_int64 bytes = 0;
    static const char *const schemas[] = {"rb_old", "rb_new"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2(pair, "SELECT (SELECT page_count FROM pragma_page_count WHERE schema = ?1) * "
                               "(SELECT page_size FROM pragma_page_size WHERE schema = ?1)", -1, &stmt,
                               NULL) == SQLITE_OK &&
            sqlite3_bind_text(stmt, 1, schemas[i], -1, SQLITE_STATIC) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            bytes += sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
    }
    return bytes > 0 && (uint64_t)bytes * 2 <= (uint64_t)rb_limits_get()->query_temp_bytes;
}

/* Forgets what a walk given up had found, for the sorts to start over. */
static void pairing_restart(key_pairing *k)
{
    table_diff *t = k->t;
    json_array_clear(t->missing);
    json_array_clear(t->added);
    json_array_clear(t->changed);
    t->paired = 0;
    side_hash_restart(&t->old);
    side_hash_restart(&t->new);
    k->rows[0].side = k->rows[1].side = -1;
    k->held = &k->rows[0];
    k->cur = &k->rows[1];
}

static void pairing_clear(key_pairing *k)
{
    for (int i = 0; i < 2; i++) {
        rb_buf_free(&k->rows[i].bytes);
        free(k->rows[i].at);
    }
    sqlite3_finalize(k->same_key);
    sqlite3_finalize(k->echo);
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

/* Pairs the rows of a table by key, in one pass over both sides. */
static rb_code compare_by_key(table_diff *t, rb_error *err)
{
    rb_code rc = pair_open(t->c, err);
    if (rc)
        return rc;
    key_pairing k = {.t = t, .held = &k.rows[0], .cur = &k.rows[1],
                     .all_common = t->schema.n_common == t->old.table.n_columns &&
                                   t->schema.n_common == t->new.table.n_columns};
    for (int i = 0; i < 2; i++) {
        int n = t->old.table.n_columns > t->new.table.n_columns ? t->old.table.n_columns : t->new.table.n_columns;
        k.rows[i].side = -1;
        k.rows[i].at = rb_xcalloc((size_t)n + 1, sizeof *k.rows[i].at);
    }
    char *same = same_key_sql(&t->old.table);
    if (sqlite3_prepare_v2(t->c->pair, same, -1, &k.same_key, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(t->c->pair, "SELECT ?1", -1, &k.echo, NULL) != SQLITE_OK)
        rc = rb_error_set(err, RB_EINTERNAL, "%s: %s", t->c->label, sqlite3_errmsg(t->c->pair));
    free(same);
    /* in key order as stored, or through the key index while that walk
     * stays orderly; sorted when it does not, if sorts fit */
    int unused;
    k.watch = sort_fits(t->c->pair);
    sqlite3_db_status(t->c->pair, SQLITE_DBSTATUS_CACHE_MISS, &unused, &unused, 1);
    char *sql = rc ? NULL : merged_sql(t, false);
    if (!rc && !(rc = scan(t->c->pair, t->c->label, t->old.table.name, sql, visit_merged, &k, err)) &&
        k.scattered) {
        pairing_restart(&k);
        k.watch = false;
        free(sql);
        sql = merged_sql(t, true);
        rc = scan(t->c->pair, t->c->label, t->old.table.name, sql, visit_merged, &k, err);
    }
    if (sql && rc)
        rc = blame(t, err);
    if (!rc && k.held->side >= 0)
        unpaired(&k, k.held);
    free(sql);
    pairing_clear(&k);
    return rc;
}

/* ---- multisets --------------------------------------------------------- */

/* One side of a multiset comparison: the columns compared, in name
 * order, and the digests of the rows over them.  The two sides' digests
 * are taken at once, OLD's on the calling thread and NEW's on a worker
 * (worker.h), each through its own ledger's handle: a bag touches only
 * its own side until joined. */
typedef struct bag {
    side_rows *side;
    int *compared;
    int n_compared;
    bool shared;      /* the side's own row digests are the bag's */
    digests own;      /* else the bag's */
    digester g;       /* its own: the two bags fill at once */
    uint64_t *surplus; /* the places of the rows only this side has, in
                          stored order */
    size_t n_surplus, cap_surplus, next;
    uint64_t place;   /* of the row being read */
    json_t *rows;     /* the surplus rows found */
    rb_code rc;       /* of its filling */
    rb_error err;
} bag;

static digests *bag_digests(bag *b)
{
    return b->shared ? &b->side->rows : &b->own;
}

/* A row in stored order: its digest over the compared columns, and the
 * side's hash when it has no key order to take it in. */
static bool visit_counted(void *ctx, sqlite3_stmt *stmt)
{
    bag *b = ctx;
    if (!b->side->by_key)
        side_take(b->side, &b->g, stmt, 0);
    if (!b->shared)
        digest_row(&b->g, stmt, 0, b->compared, b->n_compared, digests_push(&b->own));
    return true;
}

/* A row of a side with a surplus: listed when its place is one; the scan
 * ends after the last. */
static bool visit_surplus(void *ctx, sqlite3_stmt *stmt)
{
    bag *b = ctx;
    if (b->surplus[b->next] == b->place++) {
        json_array_append_new(b->rows, rb_ledger_row_json(stmt));
        b->next++;
    }
    return b->next < b->n_surplus;
}

static void add_surplus(bag *b, uint64_t place)
{
    rb_grow((void **)&b->surplus, &b->cap_surplus, b->n_surplus + 1, sizeof *b->surplus);
    b->surplus[b->n_surplus++] = place;
}

static int place_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Counts each distinct row on both sides (records sorted by digest, then
 * place); the side with more copies has the difference as its surplus:
 * its first copies in stored order. */
static void find_surplus(bag *a, bag *b)
{
    digests *x = bag_digests(a), *y = bag_digests(b);
    digests_sort(x);
    digests_sort(y);
    size_t i = 0, j = 0;
    while (i < x->n || j < y->n) {
        int c = i == x->n ? 1 : j == y->n ? -1 : memcmp(x->d + i * RECORD, y->d + j * RECORD, DIGEST);
        const unsigned char *v = c <= 0 ? x->d + i * RECORD : y->d + j * RECORD;
        size_t i0 = i, j0 = j;
        while (i < x->n && memcmp(x->d + i * RECORD, v, DIGEST) == 0)
            i++;
        while (j < y->n && memcmp(y->d + j * RECORD, v, DIGEST) == 0)
            j++;
        for (size_t k = i0; k + (j - j0) < i; k++)
            add_surplus(a, record_place(x->d + k * RECORD));
        for (size_t k = j0; k + (i - i0) < j; k++)
            add_surplus(b, record_place(y->d + k * RECORD));
    }
    if (a->n_surplus > 1)
        qsort(a->surplus, a->n_surplus, sizeof *a->surplus, place_cmp);
    if (b->n_surplus > 1)
        qsort(b->surplus, b->n_surplus, sizeof *b->surplus, place_cmp);
}

static void bag_init(bag *b, side_rows *side, const int *compared, int n, json_t *rows)
{
    memset(b, 0, sizeof *b);
    b->side = side;
    b->compared = rb_ledger_columns_by_name(side->table.columns, compared, n);
    b->n_compared = n;
    b->shared = n == side->table.n_columns && !side->by_key;
    b->rows = rows;
    b->g.h = rb_sha256_new();
}

static void bag_clear(bag *b)
{
    char unused[RB_SHA256_HEX_LEN + 1];
    rb_sha256_final(b->g.h, unused); /* frees it */
    rb_buf_free(&b->g.buf);
    free(b->compared);
    free(b->surplus);
    digests_free(&b->own);
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

/* Counts a bag's rows, and hashes its side in key order if it has one;
 * the outcome in b->rc. */
static void bag_fill(void *state)
{
    bag *b = state;
    b->rc = bag_scan(b, visit_counted, &b->err);
    if (!b->rc && b->side->by_key)
        b->rc = side_scan(b->side, &b->g, visit_take, &b->err);
}

/* bag_fill on a worker: with a handle of its own, it steps its own
 * queries (query_bounds.h). */
static void bag_fill_apart(void *state)
{
    bag_fill(state);
    rb_query_bounds_thread_end();
}

/* Compares a table as a multiset of rows over the columns both sides have:
 * the digests first, then, if they differ, the rows behind the surplus. */
static rb_code compare_multiset(table_diff *t, rb_error *err)
{
    /* by name on each side: the same order, names matching as SQLite
     * matches them */
    bag a, b;
    bag_init(&a, &t->old, t->schema.common_old, t->schema.n_common, t->missing);
    bag_init(&b, &t->new, t->schema.common_new, t->schema.n_common, t->added);
    rb_worker *w = rb_worker_sqlite_ok() ? rb_worker_start(bag_fill_apart, &b) : NULL;
    bag_fill(&a);
    if (w)
        rb_worker_join(w);
    else
        bag_fill(&b);
    /* OLD's error first, as when one side was read after the other */
    rb_code rc = a.rc ? a.rc : b.rc;
    if (rc)
        *err = a.rc ? a.err : b.err;
    if (!rc)
        find_surplus(&a, &b);
    if (!rc && a.n_surplus)
        rc = bag_scan(&a, visit_surplus, err);
    if (!rc && b.n_surplus)
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

static bool visit_text(void *ctx, sqlite3_stmt *stmt)
{
    const unsigned char *text = sqlite3_column_text(stmt, 0);
    *(char **)ctx = rb_xstrdup(text ? (const char *)text : "");
    return false;
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
    *out = json_pack("{s:s, s:s, s:{s:s, s:s?}, s:{s:s, s:s?}, s:b, s:o, s:o}", "schema", "rbaudit-diff/2",
                     "kind", "ledger", "old", "path", old->name, "sha256", old->sha256, "new", "path", new->name,
                     "sha256", new->sha256, "equal", equal, "tables", tables, "summary", summary);
    return RB_OK;
}
