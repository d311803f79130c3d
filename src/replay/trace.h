/*
 * trace.h — a captured trace for replay: the events of a JSON Lines file
 * (or of a bundle's trace.jsonl member), read through the evidence
 * loaders and given out one at a time in trace order, each classified by
 * the model as an input that drives it, an output to compare, or ignored.
 *
 * Order: by ts, then seq when both have one, then the event's canonical
 * text, then its line (sort.h) — not the order of lines — so that the same
 * events in any order replay the same way.
 *
 * A pass reads the file once and holds only the events that share one
 * time, to order them by content.  A file in time order (the common case)
 * is read as it is, and pays for no sort.  A pass that meets an event
 * older than the one before it is void: the next pass sorts the whole
 * trace outside memory (sort.h), and that pass and every later one read
 * it from there.  Errors (a line that is not an event, a type the model
 * does not wire) are found in the order of the file, as the reader meets
 * them.
 *
 * A plain line (line_scan.h) is not parsed: its members are scanned, and
 * the JSON of its fields is made from them only when something needs it,
 * equal to what jansson reads.
 *
 * Ownership: a trace owns its evidence; an event it gives is valid until
 * the next rp_trace_next or rp_trace_rewind.
 */
#ifndef RP_TRACE_H
#define RP_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "evidence.h"
#include "finding.h"
#include "jsonpath.h"
#include "line_scan.h"
#include "replay/keys.h"
#include "replay/model.h"
#include "replay/sim.h"

typedef enum rp_role { RP_ROLE_INPUT, RP_ROLE_OUTPUT, RP_ROLE_IGNORED } rp_role;

typedef struct rp_trace_event {
    int64_t ts;
    size_t index;                 /* position in trace order: the event index */
    long line;
    const char *type;             /* the model's own string */
    rp_role role;
    const rp_handler *handler;    /* inputs */
    const rp_output_decl *output; /* outputs */
    rp_key_id key_id;             /* the key's identity (the null key's when absent) */
    const json_t *key;            /* the key's value when it is at hand (a
                                     parsed line); NULL when its record has
                                     it (a plain line's string or integer) or
                                     when the event has no key */
    bool has_key;
    const char *text;             /* a plain line, or NULL */
    size_t len;
    const rb_scan_member *members;  /* its members */
    size_t n_members;
    const json_t *fields;         /* a parsed line's fields, or NULL */
} rp_trace_event;

/* The event's fields as a JSON object (a new reference). */
json_t *rp_trace_event_fields(const rp_trace_event *e);

/* The value at a path of the event's fields (a new reference), NULL when
 * absent. */
json_t *rp_trace_event_get(const rp_trace_event *e, const rb_jsonpath *path);

/* The fields of an event's line (a copy of rp_trace_event's text) as
 * rp_trace_event_fields makes them: a new reference. */
json_t *rp_trace_line_fields(const char *text, size_t len);

typedef struct rp_trace_pass rp_trace_pass;

typedef struct rp_trace {
    rb_evidence *evidence;
    rb_input *input;            /* the trace (a bundle's member) */
    const rp_model *model;
    /* what the last whole pass read */
    size_t n, n_inputs, n_outputs;
    bool has_newest;
    int64_t newest;
    rp_trace_pass *pass;        /* private */
} rp_trace;

/* Opens the trace at path for model m.  Errors (exit 2) name the file: a
 * bundle without trace.jsonl, an input that is not a trace.  *out is owned
 * by the caller. */
rb_code rp_trace_open(const char *path, const rp_model *m, bool lenient, rp_trace **out, rb_error *err);
void rp_trace_free(rp_trace *t);

/* Starts a pass over the events in trace order. */
rb_code rp_trace_rewind(rp_trace *t, rb_error *err);

/* The next event of the pass in *e, NULL at the end of the trace.  A line
 * that is not an event and a type the model does not wire are errors
 * (exit 2) naming the file and line.  *restart: the file is not in time
 * order; the pass is void, and the next (rp_trace_rewind) reads the trace
 * sorted. */
rb_code rp_trace_next(rp_trace *t, const rp_trace_event **e, bool *restart, rb_error *err);

/* Keeps the event just given valid past the next rp_trace_next, until
 * rp_trace_release (an input waiting for the simulator): the same event,
 * or a copy. */
const rp_trace_event *rp_trace_keep(rp_trace *t, const rp_trace_event *e);
void rp_trace_release(rp_trace *t, const rp_trace_event *e);

/* rp_trace_event_fields of an event the trace gave (kept or current): its
 * common string values are shared between events, as trace t made them. */
json_t *rp_trace_fields(rp_trace *t, const rp_trace_event *e);

/* rp_trace_fields of a kept event (an rp_input_item's make). */
json_t *rp_trace_kept_fields(const void *kept);

/* A whole pass: the trace's inputs, in order, into a schedule (for
 * --explore, which runs them many times); `keep` (an array) takes the
 * references to their fields and keys. */
rb_code rp_trace_schedule(rp_trace *t, rp_schedule *s, json_t *keep, rb_error *err);

/* The line of the first event of a key (a whole pass), 0 when none. */
rb_code rp_trace_first_line(rp_trace *t, const json_t *key, long *line, rb_error *err);

/* The findings of the trace's evidence (an altered bundle member, a bad
 * line under --lenient) from the engine's pass over the other inputs, and
 * the newest time of all (the default clock).  After the replay's own
 * passes: the trace's counts are those of its last pass. */
rb_code rp_trace_evidence_findings(rp_trace *t, rb_findings *out, bool *has_end, int64_t *end, rb_error *err);

#endif
