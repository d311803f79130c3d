/*
 * replay.h — `rbaudit replay`: load a model and a trace, replay the
 * trace's inputs through the simulator, compare outputs per key, and
 * optionally run a what-if patch and a fault exploration (SPEC §7).
 * Divergences and invariant violations become findings, so every report
 * format carries them; the rest goes into the report's `replay` section.
 *
 * Memory: the trace is read as the simulation goes (feed.h), sorted
 * outside memory when it is not in time order (sort.h), and the run keeps
 * its keys in a table that retires the keys it no longer touches to disk
 * (keys.h).  So a replay holds the keys that are open (a timer pending,
 * outputs waiting to be compared), the diverging keys (findings), a window
 * of the trace and fixed buffers, whatever the trace's length; the
 * report's per-key arrays are made key by key as it is written.  An
 * exploration (--explore) runs the inputs many times and holds them all:
 * its memory grows with the trace's inputs.
 */
#ifndef RP_REPLAY_H
#define RP_REPLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "evidence.h"
#include "finding.h"
#include "json_stream.h"

typedef struct rp_replay_opts {
    const char *trace;      /* a JSON Lines trace or a bundle with trace.jsonl */
    const char *model;      /* a model file or a shipped model's name */
    const char *what_if;    /* a patch file, or NULL */
    uint64_t seed;
    int64_t explore;        /* runs; 0: none */
    uint64_t max_steps;     /* 0: the default budget */
    bool lenient;
} rp_replay_opts;

typedef struct rp_replay_result {
    json_t *report;         /* the `replay` section (owned) */
    rb_json_streams *streams; /* its arrays of keys, written key by key
                                 (json_stream.h; owned) */
    rb_evidence *evidence;  /* the trace's evidence, for the report's inputs (owned) */
    bool has_end;           /* the newest time in the trace (the default clock) */
    int64_t end;
} rp_replay_result;

/* Runs the replay; appends findings to out.  Errors (exit 2) name the
 * file and line of a bad model, trace or patch. */
rb_code rp_replay_run(const rp_replay_opts *o, rp_replay_result *r, rb_findings *out, rb_error *err);

/* Frees what a result holds. */
void rp_replay_result_free(rp_replay_result *r);

#endif
