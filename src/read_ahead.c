/*
 * read_ahead.c — a reader run on a worker, its events handed over in
 * batches through a small ring (read_ahead.h).
 *
 * The ring holds RING batches of BATCH events.  The worker fills the batch
 * after the full ones and publishes it; the main thread hands out events
 * of the oldest full batch and gives it back when it is used up.  A lock
 * and two conditions guard only the count of full batches: a batch is
 * touched by one thread at a time, the worker before it is published, the
 * main thread after.  A batch that ends the input (its end or an error) is
 * kept until the pass is done with the input, to answer every later call.
 *
 * Invariants:
 *   1. 0 <= full <= RING; the full batches are ring[first], ring[first+1],
 *      ... (mod RING), in reading order.
 *   2. Only the last full batch can be final (end or rc set).
 *   3. A batch's events from `taken` on are owned by the batch.
 */
#include "read_ahead.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "worker.h"

/* Big enough that the lock is taken once per a few hundred microseconds
 * of work; small enough that the ring stays in cache-sized memory. */
#define BATCH 256
#define RING 4

typedef struct batch {
    rb_event events[BATCH];
    size_t n;              /* filled */
    size_t taken;          /* handed out (invariant 3) */
    rb_problem *problems;  /* of a --lenient read, before the last event */
    size_t n_problems;
    bool problems_moved;
    bool end;              /* the input ends after these events */
    rb_code rc;            /* or its reader failed after them */
    rb_error err;
} batch;

struct rb_read_ahead {
    rb_input *in;
    rb_evidence shadow;    /* what the reader may touch of the evidence: the
                              plan (read) and problems (collected here) */
    batch ring[RING];
    size_t first, full;    /* invariant 1 */
    pthread_mutex_t lock;
    pthread_cond_t filled, drained;
    atomic_bool stop;
    rb_worker *worker;
};

/* Reads up to BATCH events of the input into b (the worker's side). */
static void fill(rb_read_ahead *ra, batch *b)
{
    b->n = b->taken = 0;
    b->end = b->problems_moved = false;
    b->rc = RB_OK;
    while (b->n < BATCH && !atomic_load(&ra->stop)) {
        bool got = false;
        rb_event e;
        b->rc = ra->in->reader->next(ra->in->reader_state, &ra->shadow, &e, &got, &b->err);
        if (b->rc)
            break;
        if (!got) {
            b->end = true;
            break;
        }
        rb_event_own_text(&e); /* the reader's buffer moves on */
        b->events[b->n++] = e;
    }
    b->problems = ra->shadow.problems;
    b->n_problems = ra->shadow.n_problems;
    ra->shadow.problems = NULL;
    ra->shadow.n_problems = ra->shadow.cap_problems = 0;
}

static void run(void *arg)
{
    rb_read_ahead *ra = arg;
    for (;;) {
        pthread_mutex_lock(&ra->lock);
        while (ra->full == RING && !atomic_load(&ra->stop))
            pthread_cond_wait(&ra->drained, &ra->lock);
        batch *b = &ra->ring[(ra->first + ra->full) % RING];
        pthread_mutex_unlock(&ra->lock);
        if (atomic_load(&ra->stop))
            return;
        fill(ra, b);
        bool last = b->end || b->rc || atomic_load(&ra->stop);
        pthread_mutex_lock(&ra->lock);
        ra->full++;
        pthread_cond_signal(&ra->filled);
        pthread_mutex_unlock(&ra->lock);
        if (last)
            return;
    }
}

rb_read_ahead *rb_read_ahead_start(rb_input *in, const rb_evidence *ev)
{
    rb_read_ahead *ra = rb_xcalloc(1, sizeof *ra);
    ra->in = in;
    ra->shadow.plan = ev->plan;
    pthread_mutex_init(&ra->lock, NULL);
    pthread_cond_init(&ra->filled, NULL);
    pthread_cond_init(&ra->drained, NULL);
    ra->worker = rb_worker_spawn(run, ra);
    if (!ra->worker) {
        pthread_mutex_destroy(&ra->lock);
        pthread_cond_destroy(&ra->filled);
        pthread_cond_destroy(&ra->drained);
        free(ra);
        return NULL;
    }
    return ra;
}

/* The oldest full batch, waiting for the worker to publish one. */
static batch *oldest(rb_read_ahead *ra)
{
    pthread_mutex_lock(&ra->lock);
    while (!ra->full)
        pthread_cond_wait(&ra->filled, &ra->lock);
    batch *b = &ra->ring[ra->first];
    pthread_mutex_unlock(&ra->lock);
    return b;
}

/* Gives a used-up batch back to the worker. */
static void give_back(rb_read_ahead *ra)
{
    pthread_mutex_lock(&ra->lock);
    assert(ra->full > 0);
    ra->first = (ra->first + 1) % RING;
    ra->full--;
    pthread_cond_signal(&ra->drained);
    pthread_mutex_unlock(&ra->lock);
}

static void move_problems(batch *b, rb_evidence *ev)
{
    if (b->problems_moved)
        return;
    b->problems_moved = true;
    if (!b->n_problems)
        return;
    rb_grow((void **)&ev->problems, &ev->cap_problems, ev->n_problems + b->n_problems, sizeof *ev->problems);
    memcpy(ev->problems + ev->n_problems, b->problems, b->n_problems * sizeof *b->problems);
    ev->n_problems += b->n_problems;
    free(b->problems);
    b->problems = NULL;
    b->n_problems = 0;
}

rb_code rb_read_ahead_next(rb_read_ahead *ra, rb_evidence *ev, rb_event *out, bool *got, rb_error *err)
{
    batch *b = oldest(ra);
    move_problems(b, ev);
    if (b->taken < b->n) {
        *out = b->events[b->taken++];
        *got = true;
        if (b->taken == b->n && !b->end && !b->rc)
            give_back(ra);
        return RB_OK;
    }
    /* invariant 2: a used-up batch still here is final */
    assert(b->end || b->rc);
    *got = false;
    if (b->rc)
        *err = b->err;
    return b->rc;
}

static void batch_clear(batch *b)
{
    for (size_t i = b->taken; i < b->n; i++)
        rb_event_clear(&b->events[i]);
    b->taken = b->n;
    for (size_t i = 0; i < b->n_problems; i++)
        rb_problem_clear(&b->problems[i]);
    free(b->problems);
    b->problems = NULL;
    b->n_problems = 0;
}

void rb_read_ahead_stop(rb_read_ahead *ra)
{
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    atomic_store(&ra->stop, true);
    pthread_cond_signal(&ra->drained);
    pthread_mutex_unlock(&ra->lock);
    rb_worker_join(ra->worker);
    for (size_t i = 0; i < ra->full; i++)
        batch_clear(&ra->ring[(ra->first + i) % RING]);
    for (size_t i = 0; i < ra->shadow.n_problems; i++)
        rb_problem_clear(&ra->shadow.problems[i]);
    free(ra->shadow.problems);
    pthread_mutex_destroy(&ra->lock);
    pthread_cond_destroy(&ra->filled);
    pthread_cond_destroy(&ra->drained);
    free(ra);
}
