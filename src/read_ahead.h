/*
 * read_ahead.h — an input's events read on a worker thread ahead of the
 * pass, so that reading, hashing, scanning and building events (about half
 * of a pass over JSON Lines) overlaps with evaluating the rules.
 *
 * The worker calls the input's reader exactly as the pass would, in the
 * same order, and hands the events over in batches: the events, their
 * order, the problems of a --lenient read and the first error are the
 * same as reading in place, so reports do not depend on --jobs.
 *
 * Ownership while it runs: the input's reader state, and the sha256 and
 * bytes a full read sets on the input, belong to the worker; the main
 * thread reads them only after the end of the input was handed over or
 * after rb_read_ahead_stop.  Problems are collected apart and moved into
 * the evidence by the main thread.  Events handed out own their fields
 * and their text (rb_event_clear releases them).
 */
#ifndef RB_READ_AHEAD_H
#define RB_READ_AHEAD_H

#include <stdbool.h>

#include "error.h"
#include "evidence.h"

typedef struct rb_read_ahead rb_read_ahead;

/* Starts reading in (whose reader is open) on a worker; NULL when no thread
 * can be made or the run may use one core only (rb_workers_allowed): the
 * caller then reads in place.  ev->plan is read by the worker and must not
 * change until rb_read_ahead_stop. */
rb_read_ahead *rb_read_ahead_start(rb_input *in, const rb_evidence *ev);

/* The reader's `next`, from the worker's batches: the next event into *out
 * (owned by the caller), *got false at the end, or the reader's error.
 * Problems the reader found before the event are added to ev. */
rb_code rb_read_ahead_next(rb_read_ahead *ra, rb_evidence *ev, rb_event *out, bool *got, rb_error *err);

/* Stops the worker, waits for it and frees what it read and nobody took. */
void rb_read_ahead_stop(rb_read_ahead *ra);

#endif
