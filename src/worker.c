/*
 * worker.c — a thread for work beside the main one (worker.h).
 *
 * The new thread inherits the signal mask of the thread that makes it, so
 * every signal is blocked around pthread_create: the worker is born with
 * all of them blocked, and none can reach it before it could block them
 * itself.
 */
#include "worker.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

struct rb_worker {
    pthread_t thread;
    bool started; /* false: the work already ran on the caller's thread */
    void (*run)(void *arg);
    void *arg;
};

static void *worker_main(void *w)
{
    rb_worker *self = w;
    self->run(self->arg);
    return NULL;
}

/* 0: not set, the processors the process may run on. */
static unsigned allowed;

void rb_workers_allow(unsigned n)
{
    allowed = n;
}

unsigned rb_workers_allowed(void)
{
    if (!allowed) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        allowed = n > 0 ? (unsigned)n : 1;
    }
    return allowed;
}

/* Starts w on a thread born with every signal blocked; false when no
 * thread can be made. */
static bool start_thread(rb_worker *w)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    w->started = pthread_create(&w->thread, NULL, worker_main, w) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return w->started;
}

rb_worker *rb_worker_start(void (*run)(void *arg), void *arg)
{
    rb_worker *w = rb_xcalloc(1, sizeof *w);
    w->run = run;
    w->arg = arg;
    if (!start_thread(w))
        run(arg);
    return w;
}

rb_worker *rb_worker_spawn(void (*run)(void *arg), void *arg)
{
    if (rb_workers_allowed() < 2)
        return NULL;
    rb_worker *w = rb_xcalloc(1, sizeof *w);
    w->run = run;
    w->arg = arg;
    if (!start_thread(w)) {
        free(w);
        return NULL;
    }
    return w;
}

void rb_worker_join(rb_worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    free(w);
}

bool rb_worker_sqlite_ok(void)
{
    return sqlite3_threadsafe() != 0;
}
