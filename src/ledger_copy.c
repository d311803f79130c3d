/*
 * ledger_copy.c — companions told by their headers, and the private copy
 * in which SQLite applies them (ledger_copy.h).
 */
#include "ledger_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "input_limits.h"
#include "util.h"

#define WAL_HEADER_BYTES 32
#define WAL_FRAME_HEADER_BYTES 24
#define WAL_MAGIC 0x377f0682u /* | 1: checksums of big-endian words */
#define WAL_FORMAT 3007000u
#define JOURNAL_HEADER_BYTES 28
static const unsigned char journal_magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};

#define COPY_CHUNK ((size_t)64 << 10)

/* The files of a copy: the database, and what SQLite names after it. */
enum { COPY_DB, COPY_WAL, COPY_SHM, COPY_JOURNAL, COPY_FILES };
static const char *const copy_suffixes[COPY_FILES] = {"", "-wal", "-shm", "-journal"};

struct rb_ledger_copy {
    char *dir;
    char *files[COPY_FILES]; /* all registered with cleanup.h, made or not */
    int companion;           /* COPY_WAL or COPY_JOURNAL */
    uint64_t frames;         /* the WAL's whole frames, committed or not */
};

void rb_ledger_companion_clear(rb_ledger_companion *c)
{
    free(c->path);
    memset(c, 0, sizeof *c);
}

json_t *rb_ledger_companion_json(const rb_ledger_companion *c)
{
    return json_pack("{s:o, s:s, s:s, s:I}", "path", rb_json_text(c->path, strlen(c->path)), "kind", c->kind,
                     "sha256", c->sha256, "bytes", (json_int_t)c->bytes);
}

/* A candidate being read: an open file, or bytes in memory. */
typedef struct source {
    const rb_ledger_bytes *bytes; /* NULL: no such candidate */
    int fd;                       /* the file, or -1 */
    uint64_t size;
} source;

static void source_close(source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

/* Opens a candidate; one that does not exist leaves s->bytes NULL.  A
 * FIFO named like a companion is refused without blocking on it. */
static rb_code source_open(const rb_ledger_bytes *b, source *s, rb_error *err)
{
    *s = (source){.fd = -1};
    if (!b)
        return RB_OK;
    if (!b->path) {
        *s = (source){b, -1, b->len};
        return RB_OK;
    }
    int fd = open(b->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? RB_OK : rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", b->name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return rb_error_set(err, RB_EINPUT, "%s: not a regular file (expected SQLite's %s beside the database)",
                            b->name, rb_has_suffix(b->name, "-wal") ? "write-ahead log" : "rollback journal");
    }
    *s = (source){b, fd, (uint64_t)st.st_size};
    return RB_OK;
}

/* Reads up to n bytes at off into buf; *got is how many there were. */
static rb_code source_read(const source *s, void *buf, size_t n, uint64_t off, size_t *got, rb_error *err)
{
    *got = 0;
    if (s->fd < 0) {
        if (off < s->bytes->len) {
            *got = s->bytes->len - off < n ? (size_t)(s->bytes->len - off) : n;
            memcpy(buf, s->bytes->data + off, *got);
        }
        return RB_OK;
    }
    while (*got < n) {
        ssize_t r = pread(s->fd, (unsigned char *)buf + *got, n - *got, (off_t)(off + *got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return rb_error_set(err, RB_EINPUT, "%s: read error: %s", s->bytes->name, strerror(errno));
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return RB_OK;
}

static uint32_t get32(const unsigned char *p, bool big_endian)
{
    return big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                      : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* SQLite's checksum of a WAL header's first 24 bytes: 32-bit words (in
 * the byte order the magic's low bit names) summed in pairs, each sum
 * feeding the next. */
static bool wal_checksum_matches(const unsigned char *h)
{
    bool big = (get32(h, true) & 1) != 0;
    uint32_t s0 = 0, s1 = 0;
    for (int i = 0; i < 24; i += 8) {
        s0 += get32(h + i, big) + s1;
        s1 += get32(h + i + 4, big) + s0;
    }
    return s0 == get32(h + 24, true) && s1 == get32(h + 28, true);
}

/* Checks a non-empty -wal's header; *page_size gets its page size. */
static rb_code wal_check(const source *s, uint32_t *page_size, rb_error *err)
{
    const char *name = s->bytes->name;
    unsigned char h[WAL_HEADER_BYTES];
    size_t got;
    rb_code rc = source_read(s, h, sizeof h, 0, &got, err);
    if (rc)
        return rc;
    if (got < sizeof h)
        return rb_error_set(err, RB_EINPUT, "%s: truncated write-ahead log: %zu bytes (expected a %d-byte WAL header)",
                            name, got, WAL_HEADER_BYTES);
    if ((get32(h, true) & ~1u) != WAL_MAGIC)
        return rb_error_set(err, RB_EINPUT, "%s: not a SQLite write-ahead log (expected the magic number 0x377f0682 "
                            "or 0x377f0683 at byte 0)", name);
    if (get32(h + 4, true) != WAL_FORMAT)
        return rb_error_set(err, RB_EINPUT, "%s: byte 4: write-ahead log format %u (expected %u)", name,
                            get32(h + 4, true), WAL_FORMAT);
    *page_size = get32(h + 8, true);
    if (*page_size < 512 || *page_size > 65536 || (*page_size & (*page_size - 1)) != 0)
        return rb_error_set(err, RB_EINPUT, "%s: byte 8: invalid page size %u in the write-ahead log header (expected "
                            "a power of two from 512 to 65536)", name, *page_size);
    if (!wal_checksum_matches(h))
        return rb_error_set(err, RB_EINPUT, "%s: the write-ahead log header's checksum does not match (expected a "
                            "valid header: SQLite would ignore the log and every commit in it)", name);
    return RB_OK;
}

/* Whether a -journal is hot, as far as its bytes tell; a live header that
 * is no journal's is an error. */
static rb_code journal_check(const source *s, bool *hot, rb_error *err)
{
    const char *name = s->bytes->name;
    unsigned char h[JOURNAL_HEADER_BYTES];
    size_t got;
    *hot = false;
    rb_code rc = source_read(s, h, sizeof h, 0, &got, err);
    if (rc || got == 0 || h[0] == 0)
        return rc;
    if (got < sizeof h || memcmp(h, journal_magic, sizeof journal_magic) != 0)
        return rb_error_set(err, RB_EINPUT, "%s: not a SQLite rollback journal (expected a hot journal's header, "
                            "d9d505f920a163d7, at byte 0, or a first byte of zero for a finished one)", name);
    uint32_t sector = get32(h + 20, true), page = get32(h + 24, true);
    if (sector < 32 || sector > 65536 || (sector & (sector - 1)) != 0)
        return rb_error_set(err, RB_EINPUT, "%s: byte 20: invalid sector size %u in the journal header (expected a "
                            "power of two from 32 to 65536; SQLite would stop reading the journal there)",
                            name, sector);
    /* 0: written by SQLite before 3.5.8, the database's own page size */
    if (page != 0 && (page < 512 || page > 65536 || (page & (page - 1)) != 0))
        return rb_error_set(err, RB_EINPUT, "%s: byte 24: invalid page size %u in the journal header (expected a "
                            "power of two from 512 to 65536; SQLite would stop reading the journal there)", name, page);
    /* a super-journal record ends the file with the magic once more */
    unsigned char tail[sizeof journal_magic];
    if ((rc = source_read(s, tail, sizeof tail, s->size - sizeof tail, &got, err)))
        return rc;
    if (got == sizeof tail && memcmp(tail, journal_magic, sizeof tail) == 0)
        return rb_error_set(err, RB_EINPUT, "%s: the journal names a super-journal (one transaction over several "
                            "attached databases): whether it committed is told by a file outside the evidence, "
                            "so rbaudit does not roll it back", name);
    *hot = true;
    return RB_OK;
}

static rb_code write_all(int fd, const unsigned char *p, size_t n, const char *dest, rb_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return rb_error_set(err, RB_EINTERNAL, "%s: cannot write the private copy: %s", dest, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return RB_OK;
}

/* Copies a source into dest (a new file, mode 0600), hashing what it
 * copies when hash is not NULL; *copied gets the byte count. */
static rb_code copy_source(const source *s, const char *dest, rb_sha256 *hash, uint64_t *copied, rb_error *err)
{
    int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return rb_error_set(err, RB_EINTERNAL, "%s: cannot make the private copy: %s", dest, strerror(errno));
    unsigned char *buf = rb_xmalloc(COPY_CHUNK);
    size_t limit = rb_limits_get()->input_bytes;
    rb_code rc = RB_OK;
    size_t got = 0;
    for (*copied = 0; !rc; *copied += got) {
        if ((rc = source_read(s, buf, COPY_CHUNK, *copied, &got, err)) || got == 0)
            break;
        if (*copied + got > limit)
            rc = rb_error_set(err, RB_EINPUT, "%s: over the --max-input-size limit of %zu bytes", s->bytes->name,
                              limit);
        else if (!(rc = write_all(fd, buf, got, dest, err)) && hash)
            rb_sha256_update(hash, buf, got);
    }
    free(buf);
    if (close(fd) != 0 && !rc)
        rc = rb_error_set(err, RB_EINTERNAL, "%s: cannot write the private copy: %s", dest, strerror(errno));
    return rc;
}

/* A new private directory for a copy of the database `name`, its files
 * registered before any exists. */
static rb_code copy_new(int companion, const char *name, rb_ledger_copy **out, rb_error *err)
{
    const char *tmpdir = getenv("TMPDIR");
    rb_ledger_copy *copy = rb_xcalloc(1, sizeof *copy);
    copy->dir = rb_xasprintf("%s/rbaudit-ledger-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!rb_cleanup_mkdtemp(copy->dir)) {
        rb_code rc = rb_error_set(err, RB_EINTERNAL, "%s: cannot make a private directory %s to read it with its %s "
                                  "(TMPDIR names where): %s", name, copy->dir,
                                  companion == COPY_WAL ? "write-ahead log" : "journal", strerror(errno));
        free(copy->dir);
        free(copy);
        return rc;
    }
    for (int i = 0; i < COPY_FILES; i++) {
        copy->files[i] = rb_xasprintf("%s/ledger.db%s", copy->dir, copy_suffixes[i]);
        rb_cleanup_add(copy->files[i]);
    }
    copy->companion = companion;
    *out = copy;
    return RB_OK;
}

/* Copies the database and its companion c (of kind `companion`). */
static rb_code copy_both(const rb_ledger_bytes *db, const source *c, int companion, uint32_t page_size,
                         rb_ledger_copy **out, rb_ledger_companion *account, rb_error *err)
{
    rb_ledger_copy *copy = NULL;
    rb_code rc = copy_new(companion, db->name, &copy, err);
    if (rc)
        return rc;
    source self;
    /* a file is read whole here: its hash comes with it, not in a pass of
     * its own */
    rb_sha256 *hash = db->path ? rb_sha256_new() : NULL;
    if (!(rc = source_open(db, &self, err)) && !self.bytes)
        rc = rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", db->name, strerror(ENOENT));
    if (!rc)
        rc = copy_source(&self, copy->files[COPY_DB], hash, &account->db_bytes, err);
    source_close(&self);
    if (hash)
        rb_sha256_final(hash, account->db_sha256);
    hash = rb_sha256_new();
    if (!rc)
        rc = copy_source(c, copy->files[companion], hash, &account->bytes, err);
    rb_sha256_final(hash, account->sha256);
    if (rc) {
        rb_ledger_copy_free(copy);
        return rc;
    }
    account->kind = companion == COPY_WAL ? "wal" : "journal";
    account->path = rb_xstrdup(c->bytes->name);
    if (companion == COPY_WAL && account->bytes >= WAL_HEADER_BYTES)
        copy->frames = (account->bytes - WAL_HEADER_BYTES) / (page_size + WAL_FRAME_HEADER_BYTES);
    rb_verbose("%s: read with %s through a private copy in %s", db->name, account->path, copy->dir);
    *out = copy;
    return RB_OK;
}

rb_code rb_ledger_copy_make(const rb_ledger_bytes *db, const rb_ledger_bytes *wal, const rb_ledger_bytes *journal,
                            rb_ledger_copy **copy, rb_ledger_companion *companion, rb_error *err)
{
    *copy = NULL;
    memset(companion, 0, sizeof *companion);
    source w, j = {.fd = -1};
    uint32_t page_size = 0;
    bool wal_live = false, journal_live = false;
    rb_code rc = source_open(wal, &w, err);
    if (!rc && w.bytes && w.size > 0 && !(rc = wal_check(&w, &page_size, err)))
        wal_live = true;
    if (!rc && !(rc = source_open(journal, &j, err)) && j.bytes)
        rc = journal_check(&j, &journal_live, err);
    if (!rc && wal_live && journal_live)
        rc = rb_error_set(err, RB_EINPUT, "%s: both a write-ahead log (%s) and a hot rollback journal (%s) beside the "
                          "database, as a crash while changing journal modes leaves (expected one of them)",
                          db->name, wal->name, journal->name);
    if (!rc && (wal_live || journal_live))
        rc = copy_both(db, wal_live ? &w : &j, wal_live ? COPY_WAL : COPY_JOURNAL, page_size, copy, companion, err);
    source_close(&w);
    source_close(&j);
    return rc;
}

const char *rb_ledger_copy_path(const rb_ledger_copy *copy)
{
    return copy->files[COPY_DB];
}

void rb_ledger_copy_free(rb_ledger_copy *copy)
{
    if (!copy)
        return;
    for (int i = 0; i < COPY_FILES; i++) {
        rb_cleanup_remove(copy->files[i]);
        free(copy->files[i]);
    }
    rb_cleanup_remove(copy->dir);
    free(copy->dir);
    free(copy);
}

/* The copy's lifetime is the connection's: SQLite calls the destructor of
 * a function when it closes the connection, after closing its files.  The
 * function itself does nothing, and SQLITE_DIRECTONLY keeps it out of
 * views and triggers. */
static void copy_function(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_null(ctx);
}

static void copy_destroy(void *copy)
{
    rb_ledger_copy_free(copy);
}

/* Has SQLite apply a WAL: recovery on the first read, then a checkpoint
 * that says how many frames the log holds up to its last commit. */
static rb_code apply_wal(rb_ledger_copy *copy, sqlite3 *handle, rb_ledger_companion *c, rb_error *err)
{
    int log = -1, done = -1;
    if (sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK || log < 0 ||
        done != log)
        return rb_error_set(err, RB_EINPUT, "%s: SQLite did not apply the write-ahead log to the private copy: %s",
                            c->path, log < 0 ? "the database is not in WAL mode there" : sqlite3_errmsg(handle));
    c->frames = (uint64_t)log;
    c->frames_uncommitted = copy->frames > c->frames ? copy->frames - c->frames : 0;
    return RB_OK;
}

rb_code rb_ledger_copy_apply(rb_ledger_copy *copy, sqlite3 *handle, rb_ledger_companion *c, rb_error *err)
{
    int companion = copy->companion;
    char *journal = rb_xstrdup(copy->files[COPY_JOURNAL]); /* copy may go on failure */
    rb_code rc = RB_OK;
    if (sqlite3_create_function_v2(handle, "rbaudit_private_copy", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY, copy,
                                   copy_function, NULL, NULL, copy_destroy) != SQLITE_OK)
        rc = rb_error_set(err, RB_EINTERNAL, "%s: %s", c->path, sqlite3_errmsg(handle));
    char *message = NULL;
    if (!rc && sqlite3_exec(handle, "SELECT count(*) FROM sqlite_schema", NULL, NULL, &message) != SQLITE_OK)
        rc = rb_error_set(err, RB_EINPUT, "%s: SQLite cannot %s: %s", c->path,
                          companion == COPY_WAL ? "apply the write-ahead log to a private copy of the database"
                                                : "roll the journal back in a private copy of the database",
                          message ? message : sqlite3_errmsg(handle));
    sqlite3_free(message);
    if (!rc && companion == COPY_WAL)
        rc = apply_wal(copy, handle, c, err);
    if (!rc && companion == COPY_JOURNAL && access(journal, F_OK) == 0)
        rc = rb_error_set(err, RB_EINPUT, "%s: SQLite did not roll the journal back in the private copy (it found "
                          "no hot journal there)", c->path);
    if (!rc && sqlite3_exec(handle, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK)
        rc = rb_error_set(err, RB_EINTERNAL, "%s: cannot make the private copy read-only: %s", c->path,
                          sqlite3_errmsg(handle));
    free(journal);
    return rc;
}
