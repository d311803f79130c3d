/*
 * event_cursor.h — the events of all inputs in evidence order, one at a
 * time: a merge of the buffered events and of every input's reader.
 *
 * Each reader is assumed to yield its events in evidence order (exports are
 * append-only logs).  When one does not, the cursor stops and names it; the
 * engine then buffers that input (rb_evidence_buffer_input) and starts its
 * pass again, so the result is the same as sorting everything, and only
 * out-of-order inputs are held in memory.
 */
#ifndef RB_EVENT_CURSOR_H
#define RB_EVENT_CURSOR_H

#include "error.h"
#include "evidence.h"

typedef struct rb_event_cursor rb_event_cursor;

/* Opens every reader of ev and sorts its buffered events.  Resets the
 * pass's counts in ev (n_events, newest_ts).  *out is owned by the caller:
 * rb_event_cursor_free, also on error. */
rb_code rb_event_cursor_open(rb_evidence *ev, rb_event_cursor **out, rb_error *err);

/*
 * Sets *event to the next event in evidence order, or to NULL at the end or
 * when an input turned out not to be in order (rb_event_cursor_unsorted).
 * The event and its fields are valid until the next call.  Counts the event
 * into ev's n_events and newest_ts.
 */
rb_code rb_event_cursor_next(rb_event_cursor *c, const rb_event **event, rb_error *err);

/* The input whose events were found out of order, or NULL. */
rb_input *rb_event_cursor_unsorted(const rb_event_cursor *c);

/* Closes the readers and frees the cursor; NULL is fine. */
void rb_event_cursor_free(rb_event_cursor *c);

#endif
