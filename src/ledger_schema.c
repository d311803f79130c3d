/*
 * ledger_schema.c — a table's columns and primary key as SQLite reports
 * them (pragma table_xinfo, the key's own index, column metadata), and the
 * comparison of two versions of a table (ledger_schema.h).
 *
 * The collation that pairs key values is the key's, not always its
 * column's: `PRIMARY KEY (email COLLATE NOCASE)` makes email unique
 * ignoring case while the column itself compares as BINARY.  SQLite keeps
 * it in the key's index (origin 'pk'); an INTEGER PRIMARY KEY has no such
 * index, being the rowid, which is never NULL.
 */
#include "ledger_schema.h"

#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "util.h"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Appends a column, with the collation SQLite's metadata gives it. */
static rb_code add_column(sqlite3 *db, const char *ledger, rb_ledger_table *t, sqlite3_stmt *stmt, rb_error *err)
{
    const char *name = (const char *)sqlite3_column_text(stmt, 0);
    const char *collation = NULL;
    if (sqlite3_table_column_metadata(db, "main", t->name, or_empty(name), NULL, &collation, NULL, NULL, NULL) !=
        SQLITE_OK)
        return rb_error_set(err, RB_EINPUT, "%s: table %s: column %s: %s", ledger, t->name, or_empty(name),
                            sqlite3_errmsg(db));
    t->columns = rb_xrealloc(t->columns, (size_t)(t->n_columns + 1) * sizeof *t->columns);
    rb_ledger_column *c = &t->columns[t->n_columns++];
    c->name = rb_xstrdup(or_empty(name));
    c->type = rb_xstrdup(or_empty((const char *)sqlite3_column_text(stmt, 1)));
    c->collation = rb_xstrdup(collation ? collation : "BINARY");
    c->not_null = sqlite3_column_int(stmt, 2) != 0;
    return RB_OK;
}

/* The columns (all but a virtual table's hidden ones, which SELECT * does
 * not show either), and where each stands in the key. */
static rb_code read_columns(sqlite3 *db, const char *ledger, rb_ledger_table *t, int **key_position, rb_error *err)
{
    sqlite3_stmt *stmt;
    char *what = rb_xasprintf("reading the columns of table %s", t->name);
    rb_code rc = rb_ledger_prepare(db, "SELECT name, type, \"notnull\", pk FROM pragma_table_xinfo(?1) "
                                   "WHERE hidden <> 1", ledger, what, &stmt, err);
    if (!rc)
        sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_TRANSIENT);
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, ledger, what, &row, err);
        if (!rc && row && !(rc = add_column(db, ledger, t, stmt, err))) {
            *key_position = rb_xrealloc(*key_position, (size_t)t->n_columns * sizeof **key_position);
            (*key_position)[t->n_columns - 1] = sqlite3_column_int(stmt, 3);
        }
    }
    sqlite3_finalize(stmt);
    free(what);
    return rc;
}

static int column_named(const rb_ledger_table *t, const char *name)
{
    for (int i = 0; i < t->n_columns; i++)
        if (sqlite3_stricmp(t->columns[i].name, name) == 0)
            return i;
    return -1;
}

/* The key's own collations, from its index when it has one. */
static rb_code read_key_index(sqlite3 *db, const char *ledger, rb_ledger_table *t, rb_error *err)
{
    sqlite3_stmt *stmt;
    char *what = rb_xasprintf("reading the primary key of table %s", t->name);
    rb_code rc = rb_ledger_prepare(db, "SELECT x.name, x.coll FROM pragma_index_list(?1) AS l, "
                                   "pragma_index_xinfo(l.name) AS x WHERE l.origin = 'pk' AND x.key",
                                   ledger, what, &stmt, err);
    if (!rc)
        sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_TRANSIENT);
    bool indexed = false;
    for (bool row = true; !rc && row;) {
        rc = rb_ledger_step(stmt, ledger, what, &row, err);
        int column = !rc && row ? column_named(t, or_empty((const char *)sqlite3_column_text(stmt, 0))) : -1;
        for (int k = 0; column >= 0 && k < t->n_key; k++)
            if (t->key[k] == column) {
                free(t->key_collation[k]);
                t->key_collation[k] = rb_xstrdup(or_empty((const char *)sqlite3_column_text(stmt, 1)));
                indexed = true;
            }
    }
    for (int k = 0; indexed && k < t->n_key; k++)
        t->key_nullable |= !t->columns[t->key[k]].not_null;
    sqlite3_finalize(stmt);
    free(what);
    return rc;
}

/* The table's name as the ledger spells it. */
static rb_code read_name(sqlite3 *db, const char *ledger, const char *table, rb_ledger_table *t, rb_error *err)
{
    sqlite3_stmt *stmt;
    char *what = rb_xasprintf("looking for table %s", table);
    rb_code rc = rb_ledger_prepare(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?1 "
                                   "COLLATE NOCASE", ledger, what, &stmt, err);
    bool row = false;
    if (!rc) {
        sqlite3_bind_text(stmt, 1, table, -1, SQLITE_TRANSIENT);
        rc = rb_ledger_step(stmt, ledger, what, &row, err);
    }
    if (!rc && !row)
        rc = rb_error_set(err, RB_EINPUT, "%s: no table named %s", ledger, table);
    t->name = rb_xstrdup(!rc ? or_empty((const char *)sqlite3_column_text(stmt, 0)) : table);
    sqlite3_finalize(stmt);
    free(what);
    return rc;
}

rb_code rb_ledger_table_read(sqlite3 *db, const char *ledger, const char *table, rb_ledger_table *t,
                             rb_error *err)
{
    memset(t, 0, sizeof *t);
    int *key_position = NULL;
    rb_code rc = read_name(db, ledger, table, t, err);
    if (!rc)
        rc = read_columns(db, ledger, t, &key_position, err);
    for (int i = 0; !rc && i < t->n_columns; i++)
        t->n_key += key_position[i] > 0;
    if (!rc && t->n_key) {
        t->key = rb_xcalloc((size_t)t->n_key, sizeof *t->key);
        t->key_collation = rb_xcalloc((size_t)t->n_key, sizeof *t->key_collation);
        for (int i = 0; i < t->n_columns; i++)
            if (key_position[i] > 0 && key_position[i] <= t->n_key) {
                t->key[key_position[i] - 1] = i;
                t->key_collation[key_position[i] - 1] = rb_xstrdup(t->columns[i].collation);
            }
        rc = read_key_index(db, ledger, t, err);
    }
    free(key_position);
    return rc;
}

void rb_ledger_table_clear(rb_ledger_table *t)
{
    for (int i = 0; i < t->n_columns; i++) {
        free(t->columns[i].name);
        free(t->columns[i].type);
        free(t->columns[i].collation);
    }
    for (int k = 0; k < t->n_key; k++)
        free(t->key_collation[k]);
    free(t->columns);
    free(t->key);
    free(t->key_collation);
    free(t->name);
    memset(t, 0, sizeof *t);
}

int *rb_ledger_columns_by_name(const rb_ledger_column *columns, const int *which, int n)
{
    int *order = rb_xcalloc((size_t)n + 1, sizeof *order);
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && sqlite3_stricmp(columns[order[j - 1]].name, columns[which[i]].name) > 0; j--)
            order[j] = order[j - 1];
        order[j] = which[i];
    }
    return order;
}

static json_t *column_json(const rb_ledger_column *c)
{
    return json_pack("{s:s, s:s, s:s, s:b}", "name", c->name, "type", c->type, "collation", c->collation,
                     "not_null", c->not_null);
}

static json_t *key_json(const rb_ledger_table *t)
{
    json_t *key = json_array();
    for (int k = 0; k < t->n_key; k++)
        json_array_append_new(key, json_pack("{s:s, s:s, s:s}", "column", t->columns[t->key[k]].name, "type",
                                             t->columns[t->key[k]].type, "collation", t->key_collation[k]));
    return key;
}

static bool same_column(const rb_ledger_column *a, const rb_ledger_column *b)
{
    return strcmp(a->name, b->name) == 0 && sqlite3_stricmp(a->type, b->type) == 0 &&
           sqlite3_stricmp(a->collation, b->collation) == 0 && a->not_null == b->not_null;
}

static bool same_key(const rb_ledger_table *a, const rb_ledger_table *b)
{
    if (a->n_key != b->n_key || a->n_key == 0)
        return false;
    for (int k = 0; k < a->n_key; k++) {
        const rb_ledger_column *x = &a->columns[a->key[k]], *y = &b->columns[b->key[k]];
        if (sqlite3_stricmp(x->name, y->name) != 0 || sqlite3_stricmp(x->type, y->type) != 0 ||
            sqlite3_stricmp(a->key_collation[k], b->key_collation[k]) != 0)
            return false;
    }
    return true;
}

/* The columns of OLD: removed, or in both (and maybe changed). */
static void compare_columns(const rb_ledger_table *old, const rb_ledger_table *new, rb_ledger_schema_diff *d,
                            json_t *removed, json_t *changed)
{
    d->common_old = rb_xcalloc((size_t)old->n_columns + 1, sizeof *d->common_old);
    d->common_new = rb_xcalloc((size_t)old->n_columns + 1, sizeof *d->common_new);
    for (int i = 0; i < old->n_columns; i++) {
        const rb_ledger_column *a = &old->columns[i];
        int j = column_named(new, a->name);
        if (j < 0) {
            json_array_append_new(removed, json_string(a->name));
            continue;
        }
        d->common_old[d->n_common] = i;
        d->common_new[d->n_common++] = j;
        if (!same_column(a, &new->columns[j]))
            json_array_append_new(changed, json_pack("{s:s, s:o, s:o}", "column", a->name, "old", column_json(a),
                                                     "new", column_json(&new->columns[j])));
    }
}

void rb_ledger_schema_compare(const rb_ledger_table *old, const rb_ledger_table *new, rb_ledger_schema_diff *d)
{
    memset(d, 0, sizeof *d);
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    compare_columns(old, new, d, removed, changed);
    for (int j = 0; j < new->n_columns; j++)
        if (column_named(old, new->columns[j].name) < 0)
            json_array_append_new(added, json_string(new->columns[j].name));
    d->key_same = same_key(old, new);
    bool key_changed = !d->key_same && (old->n_key || new->n_key);
    bool renamed = strcmp(old->name, new->name) != 0;
    bool equal = !renamed && !key_changed && !json_array_size(added) && !json_array_size(removed) &&
                 !json_array_size(changed);
    d->json = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "status", equal ? "equal" : "changed", "renamed",
                        renamed ? json_pack("{s:s, s:s}", "old", old->name, "new", new->name) : json_null(),
                        "columns_added", added, "columns_removed", removed, "columns_changed", changed,
                        "key_changed",
                        key_changed ? json_pack("{s:o, s:o}", "old", key_json(old), "new", key_json(new))
                                    : json_null());
}

void rb_ledger_schema_diff_clear(rb_ledger_schema_diff *d)
{
    json_decref(d->json);
    free(d->common_old);
    free(d->common_new);
    memset(d, 0, sizeof *d);
}
