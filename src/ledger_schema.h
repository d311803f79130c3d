/*
 * ledger_schema.h — what a table of a SQLite ledger is (its columns and its
 * primary key, as SQLite reports them), and how two ledgers' versions of
 * one table differ: the schema half of `rbaudit diff` (ledger_diff.h holds
 * the rows).
 *
 * Names are matched as SQLite matches them, ignoring ASCII case; a name
 * spelled differently is still reported.  Declared types and collations
 * compare ignoring case too ("text" is "TEXT").  A key is the same on both
 * sides when its columns, their order, their declared types and the
 * collations of the key itself (a PRIMARY KEY may name one its column does
 * not have) all agree: only then do the two sides' key values compare, and
 * pair, the same way.
 *
 * Ownership: an rb_ledger_table and an rb_ledger_schema_diff own their
 * members; clear them with the functions below.
 */
#ifndef RB_LEDGER_SCHEMA_H
#define RB_LEDGER_SCHEMA_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "error.h"

typedef struct rb_ledger_column {
    char *name;      /* as declared */
    char *type;      /* the declared type, "" when none */
    char *collation; /* BINARY unless declared */
    bool not_null;
} rb_ledger_column;

typedef struct rb_ledger_table {
    char *name; /* as the ledger spells it */
    rb_ledger_column *columns;
    int n_columns;
    int *key;             /* the primary-key columns, in key order */
    char **key_collation; /* the key's collation of each */
    int n_key;
    bool key_nullable;    /* a key value may be NULL: a rowid table's key
                             that is not its INTEGER PRIMARY KEY, where a
                             column has no NOT NULL */
} rb_ledger_table;

/* Reads the columns and key of `table` (its name matched ignoring case)
 * in ledger db; errors name `ledger` and the table. */
rb_code rb_ledger_table_read(sqlite3 *db, const char *ledger, const char *table, rb_ledger_table *t,
                             rb_error *err);
void rb_ledger_table_clear(rb_ledger_table *t);

/* The indices of n columns sorted by name (ignoring case), so that a row
 * digest does not depend on column order.  Owned by the caller (free). */
int *rb_ledger_columns_by_name(const rb_ledger_column *columns, const int *which, int n);

/* How two versions of a table differ. */
typedef struct rb_ledger_schema_diff {
    /* {"status": "equal"|"changed", "renamed": null | {"old", "new"},
     *  "columns_added": [name...], "columns_removed": [name...],
     *  "columns_changed": [{"column", "old": COL, "new": COL}...],
     *  "key_changed": null | {"old": [KEY...], "new": [KEY...]}}
     * where COL is {"name", "type", "collation", "not_null"} and KEY is
     * {"column", "type", "collation"}. */
    json_t *json;
    int n_common;
    int *common_old, *common_new; /* the columns both have, in OLD's order */
    bool key_same;                /* both have the same (non-empty) key */
} rb_ledger_schema_diff;

void rb_ledger_schema_compare(const rb_ledger_table *old, const rb_ledger_table *new, rb_ledger_schema_diff *d);
void rb_ledger_schema_diff_clear(rb_ledger_schema_diff *d);

#endif
