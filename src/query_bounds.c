/*
 * query_bounds.c — the time, memory and disk a query on evidence may take
 * (query_bounds.h).
 *
 * Time is kept per statement, in a small table keyed by the statement:
 * SQLite has no place for our data on a statement, and the queries running
 * at once are few (an `sql:` rule's, the sources of one ledger stepped side
 * by side, the two sides of a diff).  A statement finalized in mid-query
 * leaves its entry behind; a new statement at the same address is not
 * running at its first step, which starts its clock afresh.
 *
 * The deadline of the step running now is one value per thread, read by
 * the progress handler of every handle (SQLite calls it on the thread that
 * steps): steps never nest on a thread.  A worker (worker.h) that steps a
 * connection of its own has its own deadline and clocks; what all threads
 * share, the bytes held by temporary files, is counted atomically.
 */
#include "query_bounds.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "input_limits.h"
#include "util.h"

/* VM instructions between two looks at the clock: a few microseconds of
 * work, so that a step stops within milliseconds of its deadline, and a
 * clock read costs nothing next to it. */
#define PROGRESS_OPS 1000

#define NS_PER_S INT64_C(1000000000)

/* Flags of the files SQLite opens for itself and deletes after use. */
#define TEMP_FILE_FLAGS \
    (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_TRANSIENT_DB | SQLITE_OPEN_SUBJOURNAL | \
     SQLITE_OPEN_DELETEONCLOSE)

typedef struct query_clock {
    const sqlite3_stmt *stmt;
    int64_t spent;  /* ns its query has taken so far */
    int64_t since;  /* when its last step returned (ns), 0 while not running */
} query_clock;

/* Set up by the main thread before any worker starts. */
static struct {
    bool installed;
    sqlite3_vfs *real;          /* the default VFS before ours */
    sqlite3_vfs vfs;            /* ours: the real one with our xOpen */
    atomic_llong temp_bytes;    /* held by temporary files now, all threads */
    size_t images;              /* bytes of ledger images SQLite holds */
} bounds;

/* The steps of one thread. */
static _Thread_local struct {
    bool temp_refused;          /* a temporary file was refused a write */
    int64_t deadline;           /* of the step running now (ns), 0 when none */
    bool timed_out;             /* the last step was stopped at its deadline */
    query_clock *clocks;
    size_t n_clocks, cap_clocks;
} steps;

/* The clock of the bounds: Linux's coarse monotonic clock where there is
 * one.  It ticks every few milliseconds, which is precise enough for
 * limits of seconds, and it is read several times cheaper than the
 * precise clock, which a step of one row reads twice (on a virtual
 * machine, the precise clock can cost as much as the step).  Summed over
 * many short steps, the ticks that fall within them add up to their time. */
static int64_t now_ns(void)
{
    struct timespec t;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
#else
    clock_gettime(CLOCK_MONOTONIC, &t);
#endif
    return (int64_t)t.tv_sec * NS_PER_S + t.tv_nsec;
}

/* --- disk: temporary files through a counting VFS --- */

/* A temporary file: ours in front, the real VFS's file right after. */
typedef struct temp_file {
    sqlite3_file base;
    sqlite3_int64 size; /* the end of what it holds, as counted */
} temp_file;

static sqlite3_file *real_file(sqlite3_file *f)
{
    return (sqlite3_file *)((temp_file *)f + 1);
}

/* Counts `more` bytes of temporary files, unless that passes the cap. */
static bool temp_take(sqlite3_int64 more)
{
    if (atomic_fetch_add(&bounds.temp_bytes, more) + more > (sqlite3_int64)rb_limits_get()->query_temp_bytes) {
        atomic_fetch_sub(&bounds.temp_bytes, more);
        steps.temp_refused = true;
        return false;
    }
    return true;
}

static int temp_close(sqlite3_file *f)
{
    temp_file *t = (temp_file *)f;
    atomic_fetch_sub(&bounds.temp_bytes, t->size);
    t->size = 0;
    return real_file(f)->pMethods->xClose(real_file(f));
}

static int temp_read(sqlite3_file *f, void *buf, int amount, sqlite3_int64 offset)
{
    return real_file(f)->pMethods->xRead(real_file(f), buf, amount, offset);
}

static int temp_write(sqlite3_file *f, const void *buf, int amount, sqlite3_int64 offset)
{
    temp_file *t = (temp_file *)f;
    sqlite3_int64 end = offset + amount;
    if (end > t->size) {
        if (!temp_take(end - t->size))
            return SQLITE_FULL;
        t->size = end;
    }
    return real_file(f)->pMethods->xWrite(real_file(f), buf, amount, offset);
}

static int temp_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    temp_file *t = (temp_file *)f;
    int rc = real_file(f)->pMethods->xTruncate(real_file(f), size);
    if (rc == SQLITE_OK && size < t->size) {
        atomic_fetch_sub(&bounds.temp_bytes, t->size - size);
        t->size = size;
    }
    return rc;
}

static int temp_sync(sqlite3_file *f, int flags)
{
    return real_file(f)->pMethods->xSync(real_file(f), flags);
}

static int temp_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real_file(f)->pMethods->xFileSize(real_file(f), size);
}

static int temp_lock(sqlite3_file *f, int level)
{
    return real_file(f)->pMethods->xLock(real_file(f), level);
}

static int temp_unlock(sqlite3_file *f, int level)
{
    return real_file(f)->pMethods->xUnlock(real_file(f), level);
}

static int temp_check_reserved(sqlite3_file *f, int *out)
{
    return real_file(f)->pMethods->xCheckReservedLock(real_file(f), out);
}

/* A size hint may grow the file without a write: held to the cap too. */
static int temp_file_control(sqlite3_file *f, int op, void *arg)
{
    temp_file *t = (temp_file *)f;
    if (op == SQLITE_FCNTL_SIZE_HINT && *(sqlite3_int64 *)arg > t->size &&
        atomic_load(&bounds.temp_bytes) + (*(sqlite3_int64 *)arg - t->size) >
            (sqlite3_int64)rb_limits_get()->query_temp_bytes) {
        steps.temp_refused = true;
        return SQLITE_FULL;
    }
    return real_file(f)->pMethods->xFileControl(real_file(f), op, arg);
}

static int temp_sector_size(sqlite3_file *f)
{
    return real_file(f)->pMethods->xSectorSize(real_file(f));
}

static int temp_device_characteristics(sqlite3_file *f)
{
    return real_file(f)->pMethods->xDeviceCharacteristics(real_file(f));
}

/* Version 1: temporary files are never memory-mapped nor shared. */
static const sqlite3_io_methods temp_methods = {
    1,
    temp_close,
    temp_read,
    temp_write,
    temp_truncate,
    temp_sync,
    temp_file_size,
    temp_lock,
    temp_unlock,
    temp_check_reserved,
    temp_file_control,
    temp_sector_size,
    temp_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
};

/* Every other file is the real VFS's own, untouched: its methods are the
 * real ones, so databases, journals and WAL files work as without us. */
static int bounded_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    (void)vfs;
    if (!(flags & TEMP_FILE_FLAGS))
        return bounds.real->xOpen(bounds.real, name, file, flags, out_flags);
    temp_file *t = (temp_file *)file;
    t->size = 0;
    int rc = bounds.real->xOpen(bounds.real, name, real_file(file), flags, out_flags);
    t->base.pMethods = rc == SQLITE_OK ? &temp_methods : NULL;
    return rc;
}

void rb_query_bounds_init(void)
{
    if (bounds.installed)
        return;
    bounds.installed = true;
    sqlite3_initialize();
    bounds.real = sqlite3_vfs_find(NULL);
    if (!bounds.real)
        return;
    bounds.vfs = *bounds.real;
    bounds.vfs.pNext = NULL;
    bounds.vfs.zName = "rbaudit-bounded";
    bounds.vfs.szOsFile = (int)sizeof(temp_file) + bounds.real->szOsFile;
    bounds.vfs.xOpen = bounded_open;
    sqlite3_vfs_register(&bounds.vfs, 1);
}

/* --- memory --- */

static void set_heap_limit(void)
{
    sqlite3_int64 limit = (sqlite3_int64)(rb_limits_get()->query_bytes + bounds.images);
    sqlite3_hard_heap_limit64(limit);
    /* at the soft limit SQLite reuses cache pages rather than take more */
    sqlite3_soft_heap_limit64(limit);
}

void rb_query_bounds_hold(size_t bytes)
{
    bounds.images += bytes;
    set_heap_limit();
}

/* --- time --- */

static int past_deadline(void *unused)
{
    (void)unused;
    if (!steps.deadline || now_ns() < steps.deadline)
        return 0;
    steps.timed_out = true;
    return 1;
}

void rb_query_bounds_apply(sqlite3 *db)
{
    rb_query_bounds_init();
    set_heap_limit();
    sqlite3_progress_handler(db, PROGRESS_OPS, past_deadline, NULL);
}

static query_clock *find_clock(const sqlite3_stmt *stmt)
{
    for (size_t i = 0; i < steps.n_clocks; i++)
        if (steps.clocks[i].stmt == stmt)
            return &steps.clocks[i];
    return NULL;
}

static query_clock *clock_of(const sqlite3_stmt *stmt)
{
    query_clock *c = find_clock(stmt);
    if (c)
        return c;
    rb_grow((void **)&steps.clocks, &steps.cap_clocks, steps.n_clocks + 1, sizeof *steps.clocks);
    c = &steps.clocks[steps.n_clocks++];
    *c = (query_clock){stmt, 0, 0};
    return c;
}

/* The query of stmt has ended: its entry goes. */
static void forget_clock(const sqlite3_stmt *stmt)
{
    query_clock *c = find_clock(stmt);
    if (c)
        *c = steps.clocks[--steps.n_clocks];
}

int rb_query_step(sqlite3_stmt *stmt)
{
    query_clock *c = clock_of(stmt);
    if (!sqlite3_stmt_busy(stmt))
        *c = (query_clock){stmt, 0, 0};
    int64_t budget = (int64_t)rb_limits_get()->query_seconds * NS_PER_S;
    int64_t start = now_ns();
    steps.timed_out = steps.temp_refused = false;
    if (c->spent >= budget) {
        steps.timed_out = true;
        forget_clock(stmt);
        return SQLITE_INTERRUPT;
    }
    steps.deadline = start + (budget - c->spent);
    int rc = sqlite3_step(stmt);
    steps.deadline = 0;
    int64_t end = now_ns();
    if (rc != SQLITE_ROW) {
        forget_clock(stmt);
        return rc;
    }
    c = clock_of(stmt);
    c->spent += end - start;
    c->since = end;
    return rc;
}

void rb_query_bounds_thread_end(void)
{
    free(steps.clocks);
    steps.clocks = NULL;
    steps.n_clocks = steps.cap_clocks = 0;
}

void rb_query_charge(sqlite3_stmt *stmt)
{
    query_clock *c = find_clock(stmt);
    if (!c || !c->since)
        return;
    int64_t now = now_ns();
    c->spent += now - c->since;
    c->since = now;
}

/* "1G", "512M", or a count of bytes. */
static void format_size(size_t n, char *buf, size_t size)
{
    static const char units[] = "GMK";
    for (int i = 0; i < 3; i++) {
        size_t unit = (size_t)1 << (10 * (3 - i));
        if (n >= unit && n % unit == 0) {
            snprintf(buf, size, "%zu%c", n / unit, units[i]);
            return;
        }
    }
    snprintf(buf, size, "%zu bytes", n);
}

const char *rb_query_bound_hit(int rc, char *buf, size_t size)
{
    const rb_limits *l = rb_limits_get();
    char amount[32];
    switch (rc & 0xff) {
    case SQLITE_INTERRUPT:
        if (!steps.timed_out)
            return NULL;
        snprintf(buf, size, "stopped after %zu s (the --max-query-seconds limit)", l->query_seconds);
        return buf;
    case SQLITE_FULL:
        if (!steps.temp_refused)
            return NULL;
        format_size(l->query_temp_bytes, amount, sizeof amount);
        snprintf(buf, size, "stopped: its temporary files (sorts, temporary tables) would pass %s (the "
                 "--max-query-temp limit)", amount);
        return buf;
    case SQLITE_NOMEM:
        format_size(l->query_bytes, amount, sizeof amount);
        snprintf(buf, size, "stopped: out of memory, SQLite may take %s for queries (the --max-query-memory "
                 "limit)", amount);
        return buf;
    default:
        return NULL;
    }
}
