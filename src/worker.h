/*
 * worker.h — work that runs on a thread of its own beside the main one,
 * such as hashing a ledger's file while its queries run.
 *
 * The program is otherwise single-threaded, and the rules for a worker
 * keep it so for everything else:
 *  - it touches only what its caller handed it (its argument and what that
 *    owns) until it is joined; it never writes to an input, the evidence, a
 *    report or stderr, and errors go into its argument for the caller to
 *    raise after the join (one exception, stated in read_ahead.h: a reader
 *    handed to a worker sets its input's sha256 and bytes at its end);
 *  - it runs with every signal blocked, so that SIGINT, SIGTERM and SIGHUP
 *    reach the main thread, whose handler (cleanup.h) removes the private
 *    files and ends the process, workers with it;
 *  - SQLite is used on it only with a connection of its own, opened for it
 *    and handed over, and only when SQLite was built thread-safe
 *    (rb_worker_sqlite_ok).
 * When no thread can be made (a process or memory limit), the work runs at
 * once on the caller's thread: the same result, only later.
 *
 * Ownership: rb_worker_start returns a handle the caller must pass to
 * rb_worker_join exactly once; the argument stays the caller's.
 */
#ifndef RB_WORKER_H
#define RB_WORKER_H

#include <stdbool.h>

typedef struct rb_worker rb_worker;

/* Runs run(arg) on a new thread, or at once when none can be made. */
rb_worker *rb_worker_start(void (*run)(void *arg), void *arg);

/* Runs run(arg) on a new thread, or returns NULL when none can be made or
 * the run may use one core only: the caller then does the work its own
 * way (for work that must not run all at once, such as a reader that
 * waits for its consumer). */
rb_worker *rb_worker_spawn(void (*run)(void *arg), void *arg);

/* The threads a run may keep busy at once (--jobs): 1 means none beside
 * the main one for the pass (rb_worker_spawn declines).  The default is
 * the number of processors the process may run on. */
void rb_workers_allow(unsigned n);
unsigned rb_workers_allowed(void);

/* Waits until run has returned, then frees w.  What run wrote to its
 * argument is the caller's to read from then on. */
void rb_worker_join(rb_worker *w);

/* Whether SQLite may be used from a worker with a connection of its own. */
bool rb_worker_sqlite_ok(void);

#endif
