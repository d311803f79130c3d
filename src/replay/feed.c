/*
 * feed.c — the trace read ahead of a run (feed.h).
 *
 * Inputs wait in a ring, in trace order, each holding its fields, its key
 * and a pin on its key's record until the simulator is done with it.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/feed.h"
#include "util.h"

/* How far (trace time) the trace is read past the input the simulator
 * takes, and how many inputs may wait at most. */
#define WINDOW (INT64_C(60) * 1000000)
#define QUEUE_MAX 16384

typedef struct queued {
    rp_input_item item;
    const rp_trace_event *kept;  /* the trace's event, until released */
    json_t *key;                 /* owned */
} queued;

struct rp_feed {
    rp_trace *trace;
    rp_keys *keys;
    rp_compare *compare;
    const rp_schedule *injected;
    size_t next_injected;
    queued *ring;
    size_t cap, head, count;
    bool has_read;
    int64_t newest_read;   /* the time of the last event read */
    bool at_end, restart, failed;
    size_t n_inputs;       /* the trace's inputs read */
    queued given;          /* the item the simulator has */
    bool has_given;
};

rp_feed *rp_feed_new(rp_trace *t, rp_keys *keys, rp_compare *c, const rp_schedule *injected)
{
    rp_feed *f = rb_xcalloc(1, sizeof *f);
    f->trace = t;
    f->keys = keys;
    f->compare = c;
    f->injected = injected;
    return f;
}

static void release(rp_feed *f, queued *q)
{
    if (q->kept)
        rp_trace_release(f->trace, q->kept);
    json_decref(q->key);
    if (q->item.rec)
        rp_key_unpin(q->item.rec);
    memset(q, 0, sizeof *q);
}

void rp_feed_free(rp_feed *f)
{
    if (!f)
        return;
    if (f->has_given)
        release(f, &f->given);
    for (size_t i = 0; i < f->count; i++)
        release(f, &f->ring[(f->head + i) % f->cap]);
    free(f->ring);
    free(f);
}

bool rp_feed_restart(const rp_feed *f)
{
    return f->restart;
}

bool rp_feed_failed(const rp_feed *f)
{
    return f->failed;
}

static void push(rp_feed *f, const queued *q)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        queued *ring = rb_xcalloc(cap, sizeof *ring);
        for (size_t i = 0; i < f->count; i++)
            ring[i] = f->ring[(f->head + i) % f->cap];
        free(f->ring);
        f->ring = ring;
        f->cap = cap;
        f->head = 0;
    }
    f->ring[(f->head + f->count++) % f->cap] = *q;
}

/* Reads one event of the trace. */
static rb_code read_one(rp_feed *f, rb_error *err)
{
    const rp_trace_event *e;
    bool restart;
    rb_code rc = rp_trace_next(f->trace, &e, &restart, err);
    if (rc) {
        f->failed = true;
        return rc;
    }
    if (restart || !e) {
        f->restart = restart;
        f->at_end = true;
        return RB_OK;
    }
    f->newest_read = e->ts;
    f->has_read = true;
    if (e->role == RP_ROLE_IGNORED)
        return RB_OK;
    rp_key *k = rp_keys_get_id(f->keys, &e->key_id, e->key);
    rp_compare_trace_event(f->compare, e, k);
    if (e->role != RP_ROLE_INPUT)
        return RB_OK;
    queued q = {{0}, rp_trace_keep(f->trace, e), NULL};
    e = q.kept;
    const json_t *key = e->key ? e->key : e->has_key ? k->value : NULL;
    q.key = json_incref((json_t *)key);
    /* the fields are made only if the run reads them */
    q.item = (rp_input_item){.at = e->ts, .order = e->index, .fields = e->fields, .make = rp_trace_kept_fields,
                             .from = e, .key = q.key, .handler = e->handler, .line = e->line, .index = e->index,
                             .rec = k};
    rp_key_pin(k);
    push(f, &q);
    f->n_inputs++;
    return RB_OK;
}

/* Reads until the trace is known up to `until` (or a full queue, or the
 * end). */
static rb_code read_until(rp_feed *f, int64_t until, rb_error *err)
{
    rb_code rc = RB_OK;
    while (!rc && !f->at_end && f->count < QUEUE_MAX && (!f->has_read || f->newest_read < until))
        rc = read_one(f, err);
    return rc;
}

static rb_code feed_next(void *ctx, const rp_input_item **item, rb_error *err)
{
    rp_feed *f = ctx;
    *item = NULL;
    if (f->has_given)
        release(f, &f->given);
    f->has_given = false;
    rb_code rc = RB_OK;
    while (!rc && !f->at_end && !f->count)
        rc = read_one(f, err);
    if (rc || f->restart)
        return rc;
    const rp_input_item *inj = f->injected && f->next_injected < f->injected->n
                                   ? &f->injected->items[f->next_injected] : NULL;
    const rp_input_item *head = f->count ? &f->ring[f->head].item : NULL;
    if (!head && !inj)
        return RB_OK;
    int64_t first = head && (!inj || head->at <= inj->at) ? head->at : inj->at;
    if ((rc = read_until(f, first + WINDOW, err)) || f->restart)
        return rc;
    head = f->count ? &f->ring[f->head].item : NULL;  /* the ring may have grown */
    if (head && (!inj || head->at <= inj->at)) {
        f->given = f->ring[f->head];
        f->head = (f->head + 1) % f->cap;
        f->count--;
        f->has_given = true;
        *item = &f->given.item;
    } else {
        f->next_injected++;
        *item = inj;
    }
    return RB_OK;
}

static rb_code feed_count(void *ctx, bool more, size_t *n, bool *whole, rb_error *err)
{
    rp_feed *f = ctx;
    rb_code rc = RB_OK;
    for (size_t before = f->n_inputs; more && !rc && !f->at_end && f->n_inputs == before;)
        rc = read_one(f, err);
    *n = f->n_inputs + (f->injected ? f->injected->n : 0);
    *whole = f->at_end;
    return rc;
}

rp_source rp_feed_source(rp_feed *f)
{
    return (rp_source){feed_next, feed_count, f};
}

rb_code rp_feed_drain(rp_feed *f, rb_error *err)
{
    rb_code rc = RB_OK;
    while (!rc && !f->at_end)
        rc = read_one(f, err);
    return rc;
}
