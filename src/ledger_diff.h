/*
 * ledger_diff.h — the differences between two SQLite ledgers (a backup and
 * its restore), per table: row counts, content hashes, and the primary keys
 * of missing, added and changed rows (SPEC §3.3, `rbaudit diff`).
 */
#ifndef RB_LEDGER_DIFF_H
#define RB_LEDGER_DIFF_H

#include <jansson.h>

#include "ledger.h"
#include "sha256.h"

/* One ledger being compared (all borrowed). */
typedef struct rb_ledger_side {
    sqlite3 *db;
    const char *name;    /* the path as given */
    const char *sha256;  /* of the file */
} rb_ledger_side;

/*
 * Compares every user table of the two ledgers into *out (new reference):
 *   {"schema": "rbaudit-diff/1", "kind": "ledger", "old": {path, sha256},
 *    "new": {...}, "equal": bool, "tables": [...], "summary": {...}}
 * Each table entry has `table`, `status` (equal, changed, missing: only in
 * old, added: only in new), `key` (its primary-key columns, or ["rowid"]),
 * `old`/`new` ({rows, sha256}: the hash of its rows in key order), and the
 * keys of `missing`, `added` and `changed` rows (a value, or an array for a
 * composite key).  Tables are in name order.  Errors name the ledger.
 */
rb_code rb_ledger_diff(const rb_ledger_side *old, const rb_ledger_side *new, json_t **out, rb_error *err);

#endif
