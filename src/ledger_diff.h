/*
 * ledger_diff.h — the differences between two SQLite ledgers (a backup and
 * its restore), table by table: the schema (columns and primary key), row
 * counts, content hashes, and the rows missing, added and changed, paired
 * as SQLite pairs key values (`rbaudit diff`, rbaudit(1)).
 */
#ifndef RB_LEDGER_DIFF_H
#define RB_LEDGER_DIFF_H

#include <jansson.h>

#include "ledger.h"
#include "sha256.h"

/* One ledger being compared (all borrowed).  db is the handle
 * rb_ledger_open_file gave: the comparison attaches the file that handle
 * reads (sqlite3_db_filename), which may be a private copy. */
typedef struct rb_ledger_side {
    sqlite3 *db;
    const char *name;    /* the path as given */
    const char *sha256;  /* of the file; NULL: null in the document, for
                            the caller to set when it knows it */
} rb_ledger_side;

/*
 * Compares every user table of the two ledgers into *out (new reference):
 *   {"schema": "rbaudit-diff/2", "kind": "ledger", "old": {path, sha256},
 *    "new": {...}, "equal": bool, "tables": [...], "summary": {...}}
 * Tables are matched by name ignoring ASCII case and listed in that order.
 * A table in both has:
 *   table    its name in OLD
 *   status   "equal" or "changed" (its schema or its rows differ)
 *   schema   how its schema differs (ledger_schema.h rb_ledger_schema_diff)
 *   pairing  {"by": "key", "columns": KEY, "reason": null}, or
 *            {"by": "multiset", "columns": COMPARED, "reason": why}
 *   old/new  {rows, sha256}: the sha256 of its column names and rows, in
 *            key order, or as sorted row digests when no key orders them
 *   missing, added   by key: the key of each row (a value, or an array for
 *            a composite key), in key order; as a multiset: each row as an
 *            object, once per missing or added copy, in stored order
 *   changed  by key: [{"key", "columns": {COLUMN: {"old", "new"}}}] for
 *            each paired row whose values differ; as a multiset: []
 * A table only in OLD is {table, "status": "missing", "old": {rows,
 * sha256}}; only in NEW, "added" with "new".  Errors name the ledger and
 * the table.
 */
rb_code rb_ledger_diff(const rb_ledger_side *old, const rb_ledger_side *new, json_t **out, rb_error *err);

#endif
