/*
 * event_cursor.c — merging the buffered events and the readers of all
 * inputs into evidence order (event_cursor.h).
 *
 * Every source holds its next event (its head); the cursor hands out the
 * smallest head and refills that source.  Inputs are few next to events,
 * so the smallest head is found by a scan.
 */
#include "event_cursor.h"

#include <stdlib.h>

#include "read_ahead.h"
#include "util.h"

typedef struct source {
    rb_input *input;  /* the reader's input; NULL for the buffered events */
    size_t next;      /* buffered: index of the head */
    bool has_head;
    rb_event head;    /* fields owned when the source is a reader */
    rb_read_ahead *ahead; /* the reader runs on a worker; NULL: in place */
} source;

struct rb_event_cursor {
    rb_evidence *ev;
    source *sources;
    size_t n;
    rb_event current;     /* the event handed out last */
    bool current_owned;   /* its fields are ours to release */
    rb_input *unsorted;
};

static rb_code refill(source *s, rb_evidence *ev, rb_error *err)
{
    if (!s->input) {
        s->has_head = s->next < ev->n_buffered;
        if (s->has_head)
            s->head = ev->buffered[s->next++];
        return RB_OK;
    }
    if (s->ahead)
        return rb_read_ahead_next(s->ahead, ev, &s->head, &s->has_head, err);
    return s->input->reader->next(s->input->reader_state, ev, &s->head, &s->has_head, err);
}

rb_code rb_event_cursor_open(rb_evidence *ev, rb_event_cursor **out, rb_error *err)
{
    rb_event_cursor *c = rb_xcalloc(1, sizeof *c);
    *out = c;
    c->ev = ev;
    c->sources = rb_xcalloc(ev->n_inputs + 1, sizeof *c->sources);
    ev->n_events = 0;
    for (size_t i = 0; i < ev->n_inputs; i++)
        ev->inputs[i]->n_events = 0;
    ev->has_newest = false;
    ev->newest_ts = 0;
    rb_evidence_sort(ev);
    c->sources[c->n++] = (source){0};
    for (size_t i = 0; i < ev->n_inputs; i++) {
        rb_input *in = ev->inputs[i];
        if (!in->reader)
            continue;
        c->sources[c->n++] = (source){.input = in};
        rb_code rc = in->reader->open(in->reader_state, err);
        if (rc)
            return rc;
        if (in->reader->read_ahead)
            c->sources[c->n - 1].ahead = rb_read_ahead_start(in, ev);
    }
    for (size_t i = 0; i < c->n; i++) {
        rb_code rc = refill(&c->sources[i], ev, err);
        if (rc)
            return rc;
    }
    return RB_OK;
}

static source *smallest_head(rb_event_cursor *c)
{
    source *best = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (c->sources[i].has_head && (!best || rb_event_compare(&c->sources[i].head, &best->head) < 0))
            best = &c->sources[i];
    return best;
}

static void release_current(rb_event_cursor *c)
{
    if (c->current_owned)
        rb_event_clear(&c->current);
    c->current_owned = false;
}

/* Takes the smallest head as the current event and counts it; *done at
 * the end or when a reader turns out to be unsorted. */
static rb_code take_next(rb_event_cursor *c, bool *done, rb_error *err)
{
    release_current(c);
    source *s = c->unsorted ? NULL : smallest_head(c);
    *done = s == NULL;
    if (!s)
        return RB_OK;
    c->current = s->head;
    c->current_owned = s->input != NULL;
    s->has_head = false;
    rb_code rc = refill(s, c->ev, err);
    if (rc)
        return rc;
    if (s->has_head && s->input && rb_event_compare(&s->head, &c->current) < 0) {
        c->unsorted = s->input;
        *done = true;
        return RB_OK;
    }
    rb_evidence *ev = c->ev;
    ev->n_events++;
    ev->inputs[c->current.origin.input->index]->n_events++;
    if (c->current.ts != RB_TS_NONE && (!ev->has_newest || c->current.ts > ev->newest_ts)) {
        ev->newest_ts = c->current.ts;
        ev->has_newest = true;
    }
    return RB_OK;
}

rb_code rb_event_cursor_next(rb_event_cursor *c, const rb_event **event, rb_error *err)
{
    *event = NULL;
    bool done = false;
    rb_code rc;
    /* events no rule wants (plan.h) count, but no rule sees them */
    while (!(rc = take_next(c, &done, err)) && !done && !c->current.fields)
        ;
    if (!rc && !done)
        *event = &c->current;
    return rc;
}

rb_input *rb_event_cursor_unsorted(const rb_event_cursor *c)
{
    return c->unsorted;
}

void rb_event_cursor_free(rb_event_cursor *c)
{
    if (!c)
        return;
    release_current(c);
    for (size_t i = 0; i < c->n; i++) {
        source *s = &c->sources[i];
        if (!s->input)
            continue;
        rb_read_ahead_stop(s->ahead);
        if (s->has_head)
            rb_event_clear(&s->head);
        s->input->reader->close(s->input->reader_state);
    }
    free(c->sources);
    free(c);
}
