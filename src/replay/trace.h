/*
 * trace.h — a captured trace for replay: the events of a JSON Lines file
 * (or of a bundle's trace.jsonl member), read through the evidence
 * loaders, each classified by the model as an input that drives it, an
 * output to compare, or ignored.
 *
 * Order: by ts, then seq when both have one, then the event's canonical
 * text (compact JSON with sorted keys) — not the order of lines — so that
 * the same events in any order replay the same way.
 *
 * Ownership: a trace owns its evidence, which owns the events' fields;
 * rp_trace_free releases everything.
 */
#ifndef RP_TRACE_H
#define RP_TRACE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "evidence.h"
#include "replay/model.h"
#include "replay/sim.h"

typedef enum rp_role { RP_ROLE_INPUT, RP_ROLE_OUTPUT, RP_ROLE_IGNORED } rp_role;

typedef struct rp_trace_event {
    const json_t *fields;       /* borrowed from the evidence */
    int64_t ts;
    size_t index;               /* position in trace order: the event index */
    const char *type;
    const json_t *key;          /* the model's key field; NULL when absent */
    rp_role role;
    const rp_handler *handler;  /* inputs */
    rb_origin origin;           /* file and line */
} rp_trace_event;

typedef struct rp_trace {
    rb_evidence *evidence;
    const rb_input *input;      /* the trace (a bundle's member) */
    rp_trace_event *events;
    size_t n;
    size_t n_inputs, n_outputs;
} rp_trace;

/* Loads the trace at path for model m.  Errors (exit 2) name the file and
 * line: a line that is not an event, an event type the model does not
 * wire, a bundle without trace.jsonl.  *out is owned by the caller. */
rb_code rp_trace_load(const char *path, const rp_model *m, bool lenient, rp_trace **out, rb_error *err);
void rp_trace_free(rp_trace *t);

/* Appends the trace's inputs to a schedule (unsorted). */
void rp_trace_schedule(const rp_trace *t, rp_schedule *s);

#endif
