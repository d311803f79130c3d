/*
 * change_cache.c — the SQLite cache of git walks (change_cache.h).
 */
#include "change_cache.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* PRAGMA application_id of a cache: "RBAC". */
#define CACHE_APPLICATION_ID 0x52424143
/* PRAGMA user_version: the format of the records; bump on any change.
 * 2: a file added or deleted, or empty on one side, is one change per
 * leaf (not one at the root).  3: a commit's record names the changed
 * files no config glob takes (`uncovered`).  4: a diff is stored as it was
 * put, without the labels (file, renamed_from) of the delta that first
 * made it, which format 3 kept and gave to any later delta of the pair. */
#define CACHE_FORMAT 4

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS commits (sha TEXT NOT NULL, settings TEXT NOT NULL, record TEXT NOT NULL,"
    " PRIMARY KEY (sha, settings)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS diffs (old_blob TEXT NOT NULL, new_blob TEXT NOT NULL, file TEXT NOT NULL,"
    " settings TEXT NOT NULL, changes TEXT NOT NULL,"
    " PRIMARY KEY (old_blob, new_blob, file, settings)) WITHOUT ROWID;";

struct rb_change_cache {
    sqlite3 *db;
    char *path;
    char *settings;
    json_t *pending; /* array of [table, key..., value text] rows to write */
    sqlite3_stmt *commit_lookup, *diff_lookup; /* prepared once: one use per commit */
};

static rb_code cache_error(rb_change_cache *c, const char *what, rb_error *err)
{
    return rb_error_set(err, RB_EINPUT, "%s: %s: %s (expected an rbaudit cache that this user can write)",
                        c->path, what, sqlite3_errmsg(c->db));
}

static int pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return value;
}

/* Makes the file a cache of this format: a new file gets the schema, an
 * old format is emptied; anything else is refused. */
static rb_code prepare_schema(rb_change_cache *c, rb_error *err)
{
    int app = pragma_int(c->db, "PRAGMA application_id");
    int tables = pragma_int(c->db, "SELECT count(*) FROM sqlite_schema");
    if (app < 0 || tables < 0)
        return cache_error(c, "cannot read", err);
    if (app != CACHE_APPLICATION_ID && tables > 0)
        return rb_error_set(err, RB_EINPUT, "%s: not an rbaudit cache (expected a file made by --cache, or "
                            "a new file name)", c->path);
    char *sql = rb_xasprintf("BEGIN IMMEDIATE;%s%s PRAGMA application_id = %d; PRAGMA user_version = %d; COMMIT;",
                             pragma_int(c->db, "PRAGMA user_version") != CACHE_FORMAT
                                 ? "DROP TABLE IF EXISTS commits; DROP TABLE IF EXISTS diffs;"
                                 : "",
                             schema, CACHE_APPLICATION_ID, CACHE_FORMAT);
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    free(sql);
    if (rc != SQLITE_OK) {
        rb_code code = cache_error(c, "cannot prepare", err);
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return code;
    }
    return RB_OK;
}

rb_code rb_change_cache_open(const char *path, const char *settings, rb_change_cache **out, rb_error *err)
{
    rb_change_cache *c = rb_xcalloc(1, sizeof *c);
    c->path = rb_xstrdup(path);
    c->settings = rb_xstrdup(settings);
    c->pending = json_array();
    *out = NULL;
    rb_code rc = RB_OK;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        rc = cache_error(c, "cannot open", err);
    if (!rc) {
        sqlite3_busy_timeout(c->db, 10000);
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        rc = prepare_schema(c, err);
    }
    if (!rc && (sqlite3_prepare_v2(c->db, "SELECT record FROM commits WHERE sha = ?1 AND settings = ?2", -1,
                                   &c->commit_lookup, NULL) != SQLITE_OK ||
                sqlite3_prepare_v2(c->db,
                                   "SELECT changes FROM diffs WHERE old_blob = ?1 AND new_blob = ?2 AND file = ?3 "
                                   "AND settings = ?4",
                                   -1, &c->diff_lookup, NULL) != SQLITE_OK))
        rc = cache_error(c, "cannot read", err);
    if (rc) {
        rb_change_cache_close(c, NULL);
        return rc;
    }
    *out = c;
    return RB_OK;
}

/* The JSON text in the one column of the one row that a lookup selects
 * with the bound keys (then the settings), or NULL. */
static json_t *lookup(rb_change_cache *c, sqlite3_stmt *st, const char *const *keys, size_t n)
{
    json_t *value = NULL;
    for (size_t i = 0; i < n; i++)
        sqlite3_bind_text(st, (int)i + 1, keys[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, (int)n + 1, c->settings, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        value = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return value;
}

json_t *rb_change_cache_commit(rb_change_cache *c, const char *sha)
{
    const char *keys[] = {sha};
    return lookup(c, c->commit_lookup, keys, 1);
}

json_t *rb_change_cache_diff(rb_change_cache *c, const char *old_blob, const char *new_blob, const char *file)
{
    const char *keys[] = {old_blob, new_blob, file};
    return lookup(c, c->diff_lookup, keys, 3);
}

/* A value is written as it is when put: the caller may go on to change
 * it. */
static json_t *value_text(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *v = json_string(text);
    free(text);
    return v;
}

void rb_change_cache_put_commit(rb_change_cache *c, const char *sha, const json_t *record)
{
    json_array_append_new(c->pending, json_pack("[s, s, o]", "commits", sha, value_text(record)));
}

void rb_change_cache_put_diff(rb_change_cache *c, const char *old_blob, const char *new_blob, const char *file,
                              const json_t *changes)
{
    json_array_append_new(c->pending,
                          json_pack("[s, s, s, s, o]", "diffs", old_blob, new_blob, file, value_text(changes)));
}

/* Writes one pending row: [table, key..., value]. */
static bool write_row(rb_change_cache *c, const json_t *row)
{
    bool commit = strcmp(json_string_value(json_array_get(row, 0)), "commits") == 0;
    const char *sql = commit ? "INSERT OR REPLACE INTO commits (sha, record, settings) VALUES (?1, ?2, ?3)"
                             : "INSERT OR REPLACE INTO diffs (old_blob, new_blob, file, changes, settings) "
                               "VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    size_t n = json_array_size(row) - 1;
    for (size_t i = 1; i <= n; i++)
        sqlite3_bind_text(st, (int)i, json_string_value(json_array_get(row, i)), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, (int)n + 1, c->settings, -1, SQLITE_STATIC);
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok;
}

static rb_code flush(rb_change_cache *c, rb_error *err)
{
    if (!json_array_size(c->pending))
        return RB_OK;
    if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return cache_error(c, "cannot write", err);
    size_t i;
    json_t *row;
    json_array_foreach(c->pending, i, row) {
        if (!write_row(c, row)) {
            rb_code rc = cache_error(c, "cannot write", err);
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rb_code rc = cache_error(c, "cannot write", err);
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return RB_OK;
}

rb_code rb_change_cache_close(rb_change_cache *c, rb_error *err)
{
    if (!c)
        return RB_OK;
    rb_error ignored;
    sqlite3_finalize(c->commit_lookup);
    sqlite3_finalize(c->diff_lookup);
    rb_code rc = c->db ? flush(c, err ? err : &ignored) : RB_OK;
    sqlite3_close(c->db);
    json_decref(c->pending);
    free(c->settings);
    free(c->path);
    free(c);
    return rc;
}
