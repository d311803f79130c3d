/*
 * ledger_copy.h — a ledger read together with its companion: the
 * write-ahead log or hot rollback journal that holds part of what the
 * database says.
 *
 * A SQLite database is more than one file while a writer is between
 * checkpoints, or was interrupted.  In WAL mode a commit is appended to
 * NAME-wal and reaches NAME only at a checkpoint: NAME alone is the
 * database as of the last checkpoint.  In rollback mode a transaction
 * saves the pages it is about to overwrite in NAME-journal first; when it
 * never finished, that hot journal is what makes NAME consistent again,
 * and NAME alone holds half-written pages.
 *
 * SQLite applies a companion only by writing (it rebuilds the WAL index in
 * NAME-shm, or plays the journal back into NAME and deletes it), and
 * evidence is never written.  So both files are copied with plain reads
 * into a private directory (mkdtemp under $TMPDIR, else /tmp: mode 0700,
 * files 0600), SQLite opens the copy as any database and applies the
 * companion there, and the connection is then made read-only (PRAGMA
 * query_only).  The directory is registered with cleanup.h and goes when
 * the connection is closed, at exit, or on a signal that ends the run.
 *
 * Which file is a companion follows SQLite's own rules (its file-format
 * document: hot journals, the WAL file format) as far as a reader that
 * takes no locks can:
 *  - NAME-wal is one when it has any bytes.  Its 32-byte header must be a
 *    WAL header: magic 0x377f0682 or 0x377f0683, format 3007000, a page
 *    size, and a checksum that matches.  SQLite would ignore a WAL whose
 *    header is damaged, and every commit in it with the header, so such a
 *    file is an input error naming it.  Frames after the last commit frame
 *    belong to no commit and are not applied; the account counts them.
 *  - NAME-journal is one when it is hot: it has bytes and its first byte
 *    is not zero (journal_mode=PERSIST zeroes the header of a journal it
 *    is done with, TRUNCATE empties it).  SQLite also requires that no
 *    other connection holds a RESERVED lock, which only a reader taking
 *    locks can know: the journal of a writer still at work is read as
 *    hot.  The header must start with the journal magic d9d505f920a163d7.
 *    A journal naming a super-journal (one transaction over attached
 *    databases) is refused: whether it committed depends on a file
 *    elsewhere, and SQLite's rollback may delete that file.
 *  - Both at once (a crash while changing journal modes) is refused.
 * After SQLite has applied a companion it must be gone from the copy's
 * directory (a WAL checkpointed, a journal rolled back and deleted), or the
 * account would claim more than was done: that too is an error naming it.
 *
 * Ownership: rb_ledger_companion's path is owned (rb_ledger_companion_clear);
 * rb_ledger_bytes are borrowed.
 */
#ifndef RB_LEDGER_COPY_H
#define RB_LEDGER_COPY_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sha256.h"

/* The companion a ledger was read with, for its account in reports. */
typedef struct rb_ledger_companion {
    const char *kind;   /* "wal" or "journal" (static); NULL: none */
    char *path;         /* its name in reports and messages (owned) */
    char sha256[RB_SHA256_HEX_LEN + 1]; /* of the bytes copied */
    uint64_t bytes;
    uint64_t frames;             /* a WAL's frames up to its last commit: applied */
    uint64_t frames_uncommitted; /* its frames after that: not applied */
    /* The database file itself, hashed while it was copied (a file only;
     * "" for bytes held in memory): the input's own sha256 and size. */
    char db_sha256[RB_SHA256_HEX_LEN + 1];
    uint64_t db_bytes;
} rb_ledger_companion;

void rb_ledger_companion_clear(rb_ledger_companion *c);

/* {"path", "kind", "sha256", "bytes"} of a companion (new reference). */
json_t *rb_ledger_companion_json(const rb_ledger_companion *c);

/* A file to read (path), or bytes in memory (data and len, when path is
 * NULL: a bundle member), and how messages name it. */
typedef struct rb_ledger_bytes {
    const char *path;
    const unsigned char *data;
    size_t len;
    const char *name;
} rb_ledger_bytes;

/* A private directory holding a copy of a ledger and its companion. */
typedef struct rb_ledger_copy rb_ledger_copy;

/*
 * Picks the companion of the database db among its candidates, wal and
 * journal (a file that does not exist, or NULL, is none), and copies both
 * into a private directory.  *copy is NULL when neither is a companion (the
 * database is read as it is), else the caller's: open rb_ledger_copy_path,
 * then rb_ledger_copy_apply.  *companion is filled in either case.  A
 * candidate whose header is not what its kind needs is an RB_EINPUT error
 * naming it; a copy that cannot be written, RB_EINTERNAL.
 */
rb_code rb_ledger_copy_make(const rb_ledger_bytes *db, const rb_ledger_bytes *wal, const rb_ledger_bytes *journal,
                            rb_ledger_copy **copy, rb_ledger_companion *companion, rb_error *err);

/* The database file of the copy, for sqlite3_open_v2 (borrowed). */
const char *rb_ledger_copy_path(const rb_ledger_copy *copy);

/* Removes the directory and frees copy (one never handed to a handle). */
void rb_ledger_copy_free(rb_ledger_copy *copy);

/*
 * Hands copy to handle, a connection opened read-write on its path (the
 * directory is removed when handle is closed), has SQLite apply the
 * companion, sets companion's frame counts, and makes handle read-only.
 * copy is the handle's even when this fails; the caller closes handle.  A
 * companion SQLite refuses is an RB_EINPUT error naming it.
 */
rb_code rb_ledger_copy_apply(rb_ledger_copy *copy, sqlite3 *handle, rb_ledger_companion *companion, rb_error *err);

#endif
