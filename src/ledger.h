/*
 * ledger.h — SQLite ledgers opened so that evidence is never written,
 * locked or journaled (SPEC §3.3, §8), and their rows as JSON values.
 *
 * A file is opened with `mode=ro&immutable=1`: SQLite then neither takes
 * locks nor looks for a hot journal or a WAL, so nothing next to the file
 * is created or rolled back.  A bundle member is deserialized from memory,
 * read-only.  A ledger with a companion beside it (a write-ahead log that
 * holds commits, a hot rollback journal) is read instead from a private
 * copy in which SQLite has applied the companion (ledger_copy.h), and the
 * caller is told which companion it was, for the report.  Either way the
 * schema is untrusted (trusted_schema off, defensive mode on) and the
 * header is checked before any query, so that a truncated, encrypted or
 * foreign file is an input error naming the file.
 *
 * Every handle opened here is bounded: no query on it runs, takes memory or
 * writes temporary files past the --max-query-* limits (query_bounds.h).
 *
 * Ownership: the sqlite3 handles returned are the caller's (sqlite3_close,
 * which also removes a private copy); JSON values returned are new
 * references; a companion's path is the caller's
 * (rb_ledger_companion_clear).
 */
#ifndef RB_LEDGER_H
#define RB_LEDGER_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "evidence.h"
#include "ledger_copy.h"
#include "util.h"

/* Whether data starts with the SQLite header string. */
bool rb_ledger_sniff(const unsigned char *data, size_t len);

/* Opens the SQLite file at path read-only: immutable, or through a
 * private copy when PATH-wal or PATH-journal is its companion, which
 * *companion then names (NAME-wal, NAME-journal; kind NULL when none, and
 * on error); `name` is how errors and reports call it. */
rb_code rb_ledger_open_file(const char *path, const char *name, sqlite3 **db, rb_ledger_companion *companion,
                            rb_error *err);

/* Opens a SQLite image held in memory (a bundle member) read-only: an
 * in-memory copy, or a private copy on disk when wal or journal (the
 * member's NAME-wal and NAME-journal members; NULL when absent) is its
 * companion, which *companion then names. */
rb_code rb_ledger_open_memory(const unsigned char *data, size_t len, const char *name, const rb_ledger_bytes *wal,
                              const rb_ledger_bytes *journal, sqlite3 **db, rb_ledger_companion *companion,
                              rb_error *err);

/* A private in-memory ledger made by running an SQL script (a rule-test
 * fixture); errors name `name`. */
rb_code rb_ledger_from_script(const char *script, const char *name, sqlite3 **db, rb_error *err);

/* Whether sql is one complete statement (a final ';' optional): what a
 * rule file can check before any ledger is open. */
bool rb_ledger_sql_complete(const char *sql);

/* Prepares one read-only statement; an error names `name` (the ledger) and
 * `what` (e.g. "source 'intents'"), and what SQLite said. */
rb_code rb_ledger_prepare(sqlite3 *db, const char *sql, const char *name, const char *what,
                          sqlite3_stmt **stmt, rb_error *err);

/* Prepares the query of `reader` (a rule id, or "source 'NAME'") on the
 * ledger db of input `in` as rb_ledger_prepare does, and records in the
 * input's account which of its tables the query reads (ledger_account.h).
 * A query naming a table or a column the ledger lacks does not apply to
 * it: RB_OK with *stmt NULL and *absent saying why ("no table 'x' in
 * NAME"; the caller frees it).  Every other failure is an error. */
rb_code rb_ledger_prepare_query(sqlite3 *db, rb_input *in, const char *sql, const char *reader, const char *what,
                                sqlite3_stmt **stmt, char **absent, rb_error *err);

/* Steps a statement: *row tells whether a row is ready.  A step error
 * (corruption found while reading, or a query stopped at one of the bounds
 * of query_bounds.h, which the message names) names the ledger and
 * `what`.  Every query on evidence steps here: a bare sqlite3_step has no
 * deadline. */
rb_code rb_ledger_step(sqlite3_stmt *stmt, const char *name, const char *what, bool *row,
                       rb_error *err);

/* Appends name quoted as an SQL identifier ("a""b"), so that any table or
 * column name of a hostile ledger is only ever a name. */
void rb_ledger_quote_name(rb_buf *b, const char *name);

/* Column i of the current row as JSON: integers, reals, text (invalid
 * UTF-8 replaced by U+FFFD), null, and blobs as lowercase hex strings. */
json_t *rb_ledger_column_json(sqlite3_stmt *stmt, int i);

/* Where the rows of a prepared query on input `in` come from, worked out
 * once per statement: the table of its first column read from one (NULL
 * for computed rows; interned in the input), and the column holding the
 * rowid when the query selects it or an INTEGER PRIMARY KEY (else -1). */
typedef struct rb_ledger_place {
    const char *table;
    int rowid_column;
} rb_ledger_place;

rb_ledger_place rb_ledger_place_of(rb_input *in, sqlite3_stmt *stmt);

/* The origin of the statement's current row. */
rb_origin rb_ledger_origin(const rb_ledger_place *place, rb_input *in, sqlite3_stmt *stmt);

/* The current row as an object of column name -> value. */
json_t *rb_ledger_row_json(sqlite3_stmt *stmt);

/* A second handle on the file that the ledger handle db reads, for a
 * worker (worker.h) to query while db is in use: read-only, immutable,
 * hardened and bounded as db is.  *twin is NULL (and RB_OK) when db is not
 * a file opened immutable (a ledger held in memory, a private copy read
 * with its companion).  Errors name `name`; *twin is the caller's
 * (sqlite3_close). */
rb_code rb_ledger_open_twin(sqlite3 *db, const char *name, sqlite3 **twin, rb_error *err);

/* A read-only "file:" URI of the file that the ledger handle db reads
 * (sqlite3_db_filename, which may be a private copy of the evidence), for
 * ATTACHing it to another connection: immutable when db was opened so.
 * NULL for an in-memory ledger.  Owned by the caller (free). */
char *rb_ledger_file_uri(sqlite3 *db);

#endif
