/*
 * query_bounds.h — every query on evidence bounded in time, memory and
 * temporary storage (rbaudit(1), LIMITS).
 *
 * A ledger is hostile input, and its schema is code: a view or a CTE in it
 * can recurse without end, or sort and materialise without end, under an
 * `sql:` rule, a `sources:` query or a diff that names it.  So every query
 * runs against three caps of input_limits.h, which ledger.c puts on every
 * handle it opens:
 *
 *   time    --max-query-seconds: a query's steps are stopped by an SQLite
 *           progress handler (called every few thousand VM instructions,
 *           so also while a sorter is filled) once the query has run so
 *           long; what counts is the time SQLite spends in its steps, plus
 *           the time its caller spends on its rows when the caller says
 *           that time is the query's (rb_query_charge);
 *   memory  --max-query-memory: SQLite's own heap limit, raised by the
 *           ledger images it holds, so that the limit bounds what queries
 *           build (caches, sorters, temporary tables), not the evidence;
 *   disk    --max-query-temp: SQLite's temporary files (the spill of
 *           sorters and temporary tables) go through a VFS that counts the
 *           bytes they hold and refuses writes past the cap, so that a
 *           query cannot fill the disk.  Sorts stay on disk in small runs,
 *           so that no single step sorts gigabytes in memory, past any
 *           deadline.
 *
 * A step's deadline and clocks are its thread's: a worker (worker.h) may
 * step a connection of its own while the main thread steps others, and
 * ends with rb_query_bounds_thread_end.  Handles are opened, and the
 * memory bound raised, on the main thread only.
 */
#ifndef RB_QUERY_BOUNDS_H
#define RB_QUERY_BOUNDS_H

#include <sqlite3.h>
#include <stddef.h>

/* Makes the bounding VFS SQLite's default, so that the temporary files of
 * every handle opened afterwards are counted: the program calls it before
 * any work, the openers of ledger.c again.  Idempotent. */
void rb_query_bounds_init(void);

/* Puts the time and memory bounds on a newly opened handle. */
void rb_query_bounds_apply(sqlite3 *db);

/* Counts `bytes` of a ledger image about to be held in SQLite's memory:
 * the heap limit rises by as much (images are never given back, so the
 * limit only rises). */
void rb_query_bounds_hold(size_t bytes);

/* sqlite3_step within the time left to the statement's query.  A query
 * starts at a step of a statement that is not running (new, reset or
 * done) and ends at the step that returns anything but SQLITE_ROW.  When
 * the time is up, returns SQLITE_INTERRUPT (without stepping when it was
 * up before). */
int rb_query_step(sqlite3_stmt *stmt);

/* Counts the time since the statement's last step as its query's: for a
 * caller whose work on each row belongs to the query (an `sql:` rule's
 * findings, a source's events), so that a query of endless rows ends. */
void rb_query_charge(sqlite3_stmt *stmt);

/* Frees what rb_query_step kept for the calling thread: a worker calls it
 * before it ends. */
void rb_query_bounds_thread_end(void);

/* Which bound made the calling thread's last step fail with rc, as a
 * phrase for a message ("ran for more than 60 s (the --max-query-seconds
 * limit)"), written into buf; NULL when the failure is the query's own. */
const char *rb_query_bound_hit(int rc, char *buf, size_t size);

#endif
