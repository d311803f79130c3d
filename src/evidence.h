/*
 * evidence.h — what loaders make: inputs, events and documents, each with
 * its origin (SPEC §1, §3.1).
 *
 * Ownership: an rb_evidence owns every input, event and document added to
 * it; pointers to them stay valid until rb_evidence_free (inputs are
 * allocated one by one, so rb_origin may keep an input pointer).
 */
#ifndef RB_EVIDENCE_H
#define RB_EVIDENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "linemap.h"
#include "sha256.h"

/* One input as the run read it. */
typedef struct rb_input {
    char *path;        /* logical name: as given, without a leading "./" */
    const char *kind;  /* the loader's kind name ("jsonl", "yaml", ...) */
    char sha256[RB_SHA256_HEX_LEN + 1];
    uint64_t bytes;
} rb_input;

/* Where an event, a document or a finding comes from. */
typedef struct rb_origin {
    const rb_input *input; /* borrowed from the evidence */
    long line;             /* 1-based line, 0 when the place is not a line */
} rb_origin;

typedef struct rb_event {
    json_t *fields;   /* the event object, after field mapping (owned) */
    int64_t ts;       /* microseconds since the epoch */
    int64_t seq;      /* valid when has_seq */
    bool has_seq;
    uint64_t order;   /* arrival order over all inputs: the last tie-break */
    rb_origin origin;
} rb_event;

typedef struct rb_document {
    json_t *value;     /* the parsed artifact (owned) */
    rb_linemap *lines; /* lines of its nodes (owned; NULL when unknown) */
    json_t *meta;      /* {"path", "kind", "role"?}: what `documents:` and
                          `select:` selectors read (owned) */
    rb_origin origin;
} rb_document;

/* A problem found in evidence in --lenient mode; becomes an RBA-INPUT
 * finding instead of stopping the run. */
typedef struct rb_problem {
    rb_origin origin;
    char *message;
} rb_problem;

typedef struct rb_evidence {
    rb_input **inputs;
    size_t n_inputs, cap_inputs;
    rb_event *events;
    size_t n_events, cap_events;
    rb_document *docs;
    size_t n_docs, cap_docs;
    rb_problem *problems;
    size_t n_problems, cap_problems;
    uint64_t next_order;
    bool has_newest;
    int64_t newest_ts; /* the newest event ts: the default --now */
} rb_evidence;

rb_evidence *rb_evidence_new(void);
void rb_evidence_free(rb_evidence *ev);

/* Registers an input and hashes its bytes.  Returns the input (owned by ev). */
rb_input *rb_evidence_add_input(rb_evidence *ev, const char *path, const char *kind,
                                const unsigned char *data, size_t len);

/*
 * Adds an event (takes the reference to fields).  The event must be an
 * object with a `type` string and a `ts` that is an RFC 3339 string or a
 * number of epoch milliseconds; `seq`, when present, must be an integer.
 * Returns NULL when added, or else drops fields and returns a static text
 * saying what was expected, for the loader to report with the place.
 */
const char *rb_evidence_add_event(rb_evidence *ev, rb_origin origin, json_t *fields);

/* Adds a document (takes value and lines; lines may be NULL).  role may be
 * NULL (only bundle artifacts have one). */
void rb_evidence_add_document(rb_evidence *ev, rb_origin origin, json_t *value,
                              rb_linemap *lines, const char *role);

/* Records a --lenient problem. */
void rb_evidence_add_problem(rb_evidence *ev, rb_origin origin, const char *message);

/* Puts events in evidence order: ts, then seq when both have one, then
 * arrival order (SPEC §4 "Order").  Stable and deterministic. */
void rb_evidence_sort(rb_evidence *ev);

#endif
