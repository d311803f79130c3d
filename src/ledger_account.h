/*
 * ledger_account.h — what a report says of a SQLite ledger: its tables,
 * the rows each holds, and which rules and sources read each one.
 *
 * A ledger is audited only through the queries that rules (`sql:`) and
 * sources (`sources:` with a `query`) run on it.  A table none of them
 * reads was not audited, however many rows it holds, and a report that
 * says "no findings" must say so too.  So when a ledger is opened, its
 * tables are counted (SQLite counts a table's rows from its b-tree pages,
 * without decoding them), and while each query is prepared an authorizer
 * hears of every table it reads — through views too, and with an empty
 * column name for a table read by count(*) alone.  After the engine's
 * pass the tables no query read are listed as skipped.
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

/* Counts the rows of every table of db (not views, virtual or shadow
 * tables) into in's account.  A table whose rows cannot be counted (a
 * damaged page) has no "rows", and a note says why. */
void rb_ledger_account_tables(rb_input *in, sqlite3 *db);

/* Records `reader` (a rule id, or "source 'NAME'") as a reader of every
 * table of in that sql, a query that prepares on db, reads.  When SQLite
 * cannot say, a note on in says so. */
void rb_ledger_account_reads(rb_input *in, sqlite3 *db, const char *sql, const char *reader);

/* After a pass: lists every table of every ledger of ev that no query
 * read as skipped (rb_evidence_skip), and returns how many tables were
 * read. */
size_t rb_ledger_account_unread(rb_evidence *ev);

#endif
