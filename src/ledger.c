/*
 * ledger.c — opening SQLite ledgers without ever touching them, and reading
 * their rows as JSON (ledger.h).
 */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_limits.h"
#include "ledger_account.h"
#include "query_bounds.h"
#include "util.h"

#define HEADER_BYTES 100
static const char header_magic[16] = "SQLite format 3";

bool rb_ledger_sniff(const unsigned char *data, size_t len)
{
    return len >= sizeof header_magic && memcmp(data, header_magic, sizeof header_magic) == 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the 100-byte header against the size of the whole image, so that
 * a truncated copy is refused before a query meets the missing pages. */
static rb_code check_header(const unsigned char *h, size_t got, uint64_t size, const char *name,
                            rb_error *err)
{
    if (got < HEADER_BYTES || !rb_ledger_sniff(h, got))
        return rb_error_set(err, RB_EINPUT,
                            "%s: not a SQLite database (expected the header \"SQLite format 3\" at byte 0; "
                            "the file is truncated, encrypted or of another kind)",
                            name);
    if (size > rb_limits_get()->input_bytes)
        return rb_error_set(err, RB_EINPUT, "%s: %llu bytes, over the --max-input-size limit of %zu", name,
                            (unsigned long long)size, rb_limits_get()->input_bytes);
    uint32_t page_size = (uint32_t)h[16] << 8 | h[17];
    if (page_size == 1)
        page_size = 65536;
    if (page_size < 512 || (page_size & (page_size - 1)) != 0)
        return rb_error_set(err, RB_EINPUT, "%s: byte 16: invalid SQLite page size %u (expected a power of two "
                            "from 512 to 65536)", name, page_size);
    uint32_t pages = be32(h + 28);
    bool pages_valid = pages != 0 && be32(h + 24) == be32(h + 92);
    if (pages_valid && (uint64_t)pages * page_size > size)
        return rb_error_set(err, RB_EINPUT,
                            "%s: truncated SQLite database: the header says %u pages of %u bytes, "
                            "the file has %llu bytes", name, pages, page_size, (unsigned long long)size);
    if (size % page_size != 0)
        return rb_error_set(err, RB_EINPUT,
                            "%s: truncated SQLite database: %llu bytes is not a whole number of %u-byte pages",
                            name, (unsigned long long)size, page_size);
    return RB_OK;
}

/* Reads the header of a file and its size. */
static rb_code read_header(const char *path, const char *name, unsigned char *h, size_t *got,
                           uint64_t *size, rb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", name, strerror(errno));
    struct stat st;
    rb_code rc = RB_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = rb_error_set(err, RB_EINPUT, "%s: not a regular file", name);
    } else {
        ssize_t n = read(fd, h, HEADER_BYTES);
        if (n < 0)
            rc = rb_error_set(err, RB_EINPUT, "%s: read error: %s", name, strerror(errno));
        *got = n < 0 ? 0 : (size_t)n;
        *size = (uint64_t)st.st_size;
    }
    close(fd);
    return rc;
}

/* A hostile schema must not run functions with side effects in views or
 * triggers, nor be able to corrupt anything through writable schema. */
static void harden(sqlite3 *db)
{
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    rb_query_bounds_apply(db);
}

/* Reads the schema once, so that an unreadable one fails at open. */
static rb_code check_schema(sqlite3 *db, const char *name, rb_error *err)
{
    sqlite3_stmt *stmt;
    rb_code rc = rb_ledger_prepare(db, "SELECT count(*) FROM sqlite_schema", name, "the schema", &stmt, err);
    if (rc)
        return rc;
    bool row;
    rc = rb_ledger_step(stmt, name, "the schema", &row, err);
    sqlite3_finalize(stmt);
    return rc;
}

/* "file:" URI of a path: everything but unreserved characters and '/'
 * percent-encoded, so that '?', '#' and '%' in names stay part of them. */
static char *file_uri(const char *path)
{
    rb_buf b = {0};
    rb_buf_puts(&b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            rb_buf_putc(&b, (char)*p);
        else
            rb_buf_printf(&b, "%%%02X", *p);
    }
    rb_buf_puts(&b, "?mode=ro&immutable=1");
    return rb_buf_take(&b);
}

/* Reads the schema of a hardened handle; *db gets it when it is fine,
 * else it is closed. */
static rb_code finish_open(sqlite3 *handle, const char *name, sqlite3 **db, rb_error *err)
{
    rb_code rc = check_schema(handle, name, err);
    if (rc)
        sqlite3_close(handle);
    else
        *db = handle;
    return rc;
}

static rb_code open_failed(sqlite3 *db, const char *name, rb_error *err)
{
    rb_code rc = rb_error_set(err, RB_EINPUT, "%s: cannot open as a SQLite database: %s", name,
                              db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc;
}

/* A ledger with a companion: its private copy, opened as any database so
 * that SQLite applies the companion there (ledger_copy.h), then read-only. */
static rb_code open_copy(rb_ledger_copy *copy, const char *name, sqlite3 **db, rb_ledger_companion *companion,
                         rb_error *err)
{
    sqlite3 *handle = NULL;
    rb_code rc;
    if (sqlite3_open_v2(rb_ledger_copy_path(copy), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rb_ledger_copy_free(copy);
        rc = open_failed(handle, name, err);
    } else {
        harden(handle);
        if ((rc = rb_ledger_copy_apply(copy, handle, companion, err)))
            sqlite3_close(handle);
        else
            rc = finish_open(handle, name, db, err);
    }
    if (rc)
        rb_ledger_companion_clear(companion);
    return rc;
}

/* The candidates for a companion of a ledger file: NAME-wal and
 * NAME-journal beside it.  SQLite names them after the file a symbolic
 * link leads to, so they are looked for, and named, there. */
typedef struct candidates {
    char *names[2];
    char *paths[2];
    rb_ledger_bytes bytes[2];
} candidates;

static void candidates_beside(candidates *c, const char *path, const char *name)
{
    static const char *const suffixes[2] = {"-wal", "-journal"};
    struct stat st;
    char *target = lstat(path, &st) == 0 && S_ISLNK(st.st_mode) ? realpath(path, NULL) : NULL;
    for (int i = 0; i < 2; i++) {
        c->names[i] = rb_xasprintf("%s%s", target ? target : name, suffixes[i]);
        c->paths[i] = rb_xasprintf("%s%s", target ? target : path, suffixes[i]);
        c->bytes[i] = (rb_ledger_bytes){.path = c->paths[i], .name = c->names[i]};
    }
    free(target);
}

static void candidates_free(candidates *c)
{
    for (int i = 0; i < 2; i++) {
        free(c->names[i]);
        free(c->paths[i]);
    }
}

rb_code rb_ledger_open_file(const char *path, const char *name, sqlite3 **db, rb_ledger_companion *companion,
                            rb_error *err)
{
    *db = NULL;
    memset(companion, 0, sizeof *companion);
    unsigned char h[HEADER_BYTES];
    size_t got = 0;
    uint64_t size = 0;
    rb_code rc = read_header(path, name, h, &got, &size, err);
    if (!rc)
        rc = check_header(h, got, size, name, err);
    if (rc)
        return rc;
    candidates beside;
    candidates_beside(&beside, path, name);
    rb_ledger_bytes self = {.path = path, .name = name};
    rb_ledger_copy *copy;
    rc = rb_ledger_copy_make(&self, &beside.bytes[0], &beside.bytes[1], &copy, companion, err);
    candidates_free(&beside);
    if (rc || copy)
        return rc ? rc : open_copy(copy, name, db, companion, err);
    char *uri = file_uri(path);
    sqlite3 *handle = NULL;
    int src = sqlite3_open_v2(uri, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (src != SQLITE_OK)
        return open_failed(handle, name, err);
    harden(handle);
    return finish_open(handle, name, db, err);
}

rb_code rb_ledger_open_memory(const unsigned char *data, size_t len, const char *name, const rb_ledger_bytes *wal,
                              const rb_ledger_bytes *journal, sqlite3 **db, rb_ledger_companion *companion,
                              rb_error *err)
{
    *db = NULL;
    memset(companion, 0, sizeof *companion);
    rb_code rc = check_header(data, len, len, name, err);
    if (rc)
        return rc;
    rb_ledger_bytes self = {.data = data, .len = len, .name = name};
    rb_ledger_copy *copy;
    if ((rc = rb_ledger_copy_make(&self, wal, journal, &copy, companion, err)) || copy)
        return rc ? rc : open_copy(copy, name, db, companion, err);
    sqlite3 *handle = NULL;
    if (sqlite3_open_v2(":memory:", &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return open_failed(handle, name, err);
    rb_query_bounds_hold(len);
    unsigned char *image = sqlite3_malloc64(len);
    if (!image)
        rb_out_of_memory(len);
    memcpy(image, data, len);
    /* A WAL-mode image (format bytes 2) cannot be read from memory; the
     * private copy is marked rollback-mode, which reads the same pages. */
    if (image[18] == 2 && image[19] == 2)
        image[18] = image[19] = 1;
    int src = sqlite3_deserialize(handle, "main", image, (sqlite3_int64)len, (sqlite3_int64)len,
                                  SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
    if (src != SQLITE_OK)
        return open_failed(handle, name, err);
    harden(handle);
    return finish_open(handle, name, db, err);
}

rb_code rb_ledger_from_script(const char *script, const char *name, sqlite3 **db, rb_error *err)
{
    *db = NULL;
    sqlite3 *handle = NULL;
    if (sqlite3_open_v2(":memory:", &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return open_failed(handle, name, err);
    char *message = NULL;
    if (sqlite3_exec(handle, script, NULL, NULL, &message) != SQLITE_OK) {
        rb_code rc = rb_error_set(err, RB_EINPUT, "%s: the SQL script fails: %s", name,
                                  message ? message : sqlite3_errmsg(handle));
        sqlite3_free(message);
        sqlite3_close(handle);
        return rc;
    }
    harden(handle);
    return finish_open(handle, name, db, err);
}

bool rb_ledger_sql_complete(const char *sql)
{
    char *terminated = rb_xasprintf("%s\n;", sql);
    bool complete = sqlite3_complete(terminated) != 0;
    free(terminated);
    return complete && strspn(sql, " \t\r\n;") != strlen(sql);
}

static char *absent_reason(sqlite3 *db, const char *sql, const char *name);

/* rb_ledger_prepare, and rb_ledger_prepare_query when absent is not NULL. */
static rb_code prepare(sqlite3 *db, const char *sql, const char *name, const char *what, sqlite3_stmt **stmt,
                       char **absent, rb_error *err)
{
    const char *tail = NULL;
    *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, stmt, &tail) != SQLITE_OK) {
        if (absent && (*absent = absent_reason(db, sql, name)))
            return RB_OK;
        return rb_error_set(err, RB_EINPUT, "%s: %s: %s", name, what, sqlite3_errmsg(db));
    }
    while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';'))
        tail++;
    const char *problem = NULL;
    if (!*stmt)
        problem = "the query is empty (expected one SELECT statement)";
    else if (tail && *tail)
        problem = "more than one statement (expected one SELECT statement)";
    else if (!sqlite3_stmt_readonly(*stmt))
        problem = "the statement would write (expected a read-only SELECT)";
    if (problem) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
        return rb_error_set(err, RB_EINPUT, "%s: %s: %s", name, what, problem);
    }
    return RB_OK;
}

rb_code rb_ledger_prepare(sqlite3 *db, const char *sql, const char *name, const char *what,
                          sqlite3_stmt **stmt, rb_error *err)
{
    return prepare(db, sql, name, what, stmt, NULL, err);
}

rb_code rb_ledger_step(sqlite3_stmt *stmt, const char *name, const char *what, bool *row, rb_error *err)
{
    int src = rb_query_step(stmt);
    *row = src == SQLITE_ROW;
    if (src == SQLITE_ROW || src == SQLITE_DONE)
        return RB_OK;
    char bound[256];
    const char *why = rb_query_bound_hit(src, bound, sizeof bound);
    return rb_error_set(err, RB_EINPUT, "%s: %s: %s", name, what,
                        why ? why : sqlite3_errmsg(sqlite3_db_handle(stmt)));
}

/* --- Queries that do not apply to a ledger ---
 *
 * A rule or a source written for one version of a schema meets ledgers of
 * others: a table or a column its query names is absent.  SQLite says so
 * at prepare time, with SQLITE_ERROR and "no such table: NAME" or "no such
 * column: NAME" (3.40 has no code of its own for either).  The same words
 * also come from a view of the ledger that names what the ledger lacks; the
 * query itself did not name it, so that is the ledger's defect, an error:
 * a column is the query's when SQLite places the error in its text, a
 * table (which SQLite never places) when the text names it. */

static bool is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
           (unsigned char)c >= 0x80;
}

/* Whether sql has id as a whole identifier (any case, quoted or not). */
static bool names_identifier(const char *sql, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = sql; n && *p; p++)
        if (strncasecmp(p, id, n) == 0 && (p == sql || !is_ident_char(p[-1])) && !is_ident_char(p[n]))
            return true;
    return false;
}

/* NAME without a "main." or "temp." in front. */
static const char *without_schema(const char *name)
{
    if (strncasecmp(name, "main.", 5) == 0 || strncasecmp(name, "temp.", 5) == 0)
        return name + 5;
    return name;
}

/* Why the failed prepare of sql means the query does not apply to the
 * ledger `name`, or NULL when the failure is an error. */
static char *absent_reason(sqlite3 *db, const char *sql, const char *name)
{
    static const char table[] = "no such table: ", column[] = "no such column: ";
    const char *message = sqlite3_errmsg(db);
    if (sqlite3_errcode(db) != SQLITE_ERROR)
        return NULL;
    if (strncmp(message, table, sizeof table - 1) == 0) {
        const char *missing = without_schema(message + sizeof table - 1);
        return names_identifier(sql, missing) ? rb_xasprintf("no table '%s' in %s", missing, name) : NULL;
    }
    if (strncmp(message, column, sizeof column - 1) == 0 && sqlite3_error_offset(db) >= 0)
        return rb_xasprintf("no column '%s' in %s", without_schema(message + sizeof column - 1), name);
    return NULL;
}

rb_code rb_ledger_prepare_query(sqlite3 *db, rb_input *in, const char *sql, const char *reader, const char *what,
                                sqlite3_stmt **stmt, char **absent, rb_error *err)
{
    *absent = NULL;
    rb_code rc = prepare(db, sql, in->path, what, stmt, absent, err);
    if (!rc && *stmt)
        rb_ledger_account_reads(in, db, sql, reader);
    return rc;
}

void rb_ledger_quote_name(rb_buf *b, const char *name)
{
    rb_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            rb_buf_putc(b, '"');
        rb_buf_putc(b, *p);
    }
    rb_buf_putc(b, '"');
}

json_t *rb_ledger_column_json(sqlite3_stmt *stmt, int i)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT: {
        const char *s = (const char *)sqlite3_column_text(stmt, i);
        return rb_json_text(s, (size_t)sqlite3_column_bytes(stmt, i));
    }
    case SQLITE_BLOB: {
        const unsigned char *p = sqlite3_column_blob(stmt, i);
        size_t n = (size_t)sqlite3_column_bytes(stmt, i);
        char *hex = rb_xmalloc(2 * n + 1);
        for (size_t k = 0; k < n; k++)
            sprintf(hex + 2 * k, "%02x", p[k]);
        hex[2 * n] = '\0';
        json_t *v = json_string(hex);
        free(hex);
        return v;
    }
    default:
        return json_null();
    }
}

json_t *rb_ledger_row_json(sqlite3_stmt *stmt)
{
    json_t *row = json_object();
    int n = sqlite3_column_count(stmt);
    for (int i = 0; i < n; i++)
        json_object_set_new(row, sqlite3_column_name(stmt, i), rb_ledger_column_json(stmt, i));
    return row;
}

/* Whether column i can hold a rowid: by its name, or as its table's
 * INTEGER PRIMARY KEY (an alias of the rowid). */
static bool is_rowid_column(sqlite3_stmt *stmt, int i)
{
    const char *name = sqlite3_column_name(stmt, i);
    if (!strcmp(name, "rowid") || !strcmp(name, "_rowid_") || !strcmp(name, "oid"))
        return true;
    const char *table = sqlite3_column_table_name(stmt, i);
    const char *origin = sqlite3_column_origin_name(stmt, i);
    const char *type = NULL;
    int pk = 0;
    if (!table || !origin ||
        sqlite3_table_column_metadata(sqlite3_db_handle(stmt), sqlite3_column_database_name(stmt, i),
                                      table, origin, &type, NULL, NULL, &pk, NULL) != SQLITE_OK)
        return false;
    return pk && type && strcasecmp(type, "INTEGER") == 0;
}

rb_ledger_place rb_ledger_place_of(rb_input *in, sqlite3_stmt *stmt)
{
    rb_ledger_place p = {NULL, -1};
    for (int i = 0; i < sqlite3_column_count(stmt); i++) {
        const char *table = sqlite3_column_table_name(stmt, i);
        if (!p.table && table)
            p.table = rb_input_intern(in, table);
        if (p.rowid_column < 0 && is_rowid_column(stmt, i))
            p.rowid_column = i;
    }
    return p;
}

rb_origin rb_ledger_origin(const rb_ledger_place *place, rb_input *in, sqlite3_stmt *stmt)
{
    rb_origin o = {.input = in, .table = place->table};
    if (place->rowid_column >= 0 && sqlite3_column_type(stmt, place->rowid_column) == SQLITE_INTEGER)
        o.row = sqlite3_column_int64(stmt, place->rowid_column);
    return o;
}

char *rb_ledger_file_uri(sqlite3 *db)
{
    const char *path = sqlite3_db_filename(db, "main");
    if (!path || !*path)
        return NULL;
    char *uri = file_uri(path);
    /* A handle that is not immutable reads a private copy whose -wal or
     * journal SQLite must apply: the attached file has to be read the
     * same way, or its last commits would be missing.  (The path is
     * percent-encoded, so the parameter is the only "&immutable=1".) */
    char *immutable = strstr(uri, "&immutable=1");
    if (!sqlite3_uri_boolean(path, "immutable", 0) && immutable)
        *immutable = '\0';
    return uri;
}

rb_code rb_ledger_open_twin(sqlite3 *db, const char *name, sqlite3 **twin, rb_error *err)
{
    *twin = NULL;
    const char *path = sqlite3_db_filename(db, "main");
    if (!path || !*path || !sqlite3_uri_boolean(path, "immutable", 0))
        return RB_OK;
    char *uri = file_uri(path);
    sqlite3 *handle = NULL;
    int src = sqlite3_open_v2(uri, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (src != SQLITE_OK)
        return open_failed(handle, name, err);
    harden(handle);
    *twin = handle;
    return RB_OK;
}
