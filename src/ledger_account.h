/*
 * ledger_account.h — what a report says of a SQLite ledger: its tables,
 * the rows each holds, and which rules and sources read each one.
 *
 * A ledger is audited only through the queries that rules (`sql:`) and
 * sources (`sources:` with a `query`) run on it.  A table none of them
 * reads was not audited, however many rows it holds, and a report that
 * says "no findings" must say so too.  So when a ledger is opened, its
 * tables are listed and counted (SQLite counts a table's rows from its
 * b-tree pages, without decoding them), and while each query is prepared
 * the tables its program opens are recorded (through views too, and a
 * table read by count(*) alone).  After the engine's pass the tables no
 * query read are listed as skipped.
 *
 * Counting reads every page of every table: it may run on a worker
 * (worker.h), with a handle of its own on the file, while the queries run.
 * Its results go into the account afterwards, in the places they would
 * have had if counted at once, so that a report is the same either way.
 *
 * In the input's account (evidence.h rb_input_account):
 *   "rows":   the rows of all its tables,
 *   "tables": [{"name", "rows", "read_by": [reader...]}] in name order,
 * where a reader is a rule id or "source 'NAME'".
 */
#ifndef RB_LEDGER_ACCOUNT_H
#define RB_LEDGER_ACCOUNT_H

#include <jansson.h>
#include <sqlite3.h>

#include "evidence.h"

/* What rb_ledger_counts_run counts: the tables of a ledger (owned by
 * whoever holds it, until rb_ledger_account_rows takes it). */
typedef struct rb_ledger_counts rb_ledger_counts;

/* Lists every table of db (not views, virtual or shadow tables) into in's
 * account, and returns them to count: their "rows" are null until
 * rb_ledger_account_rows. */
rb_ledger_counts *rb_ledger_account_tables(rb_input *in, sqlite3 *db);

/* Counts the rows of each table of c on db (the ledger's handle, or a
 * second handle on its file); errors name the ledger `name`.  Touches only
 * c and db, so it may run on a worker that owns both meanwhile. */
void rb_ledger_counts_run(rb_ledger_counts *c, sqlite3 *db, const char *name);

/* Puts the counts of c into in's account, and frees c.  A table whose rows
 * could not be counted (a damaged page) has no "rows", and a note says
 * why, among the notes where it would have been written when the tables
 * were listed. */
void rb_ledger_account_rows(rb_input *in, rb_ledger_counts *c);

/* Records `reader` (a rule id, or "source 'NAME'") as a reader of every
 * table of in that sql, a query that prepares on db, reads.  When SQLite
 * cannot say, a note on in says so. */
void rb_ledger_account_reads(rb_input *in, sqlite3 *db, const char *sql, const char *reader);

/* After a pass: lists every table of every ledger of ev that no query
 * read as skipped (rb_evidence_skip), and returns how many tables were
 * read. */
size_t rb_ledger_account_unread(rb_evidence *ev);

#endif
