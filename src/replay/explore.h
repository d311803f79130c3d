/*
 * explore.h — fault exploration (SPEC §7 --explore): N seeded runs of the
 * model over the trace's inputs with injected faults (delay, drop,
 * duplicate, reorder, a component down), each checked against the
 * model's invariants; a violation is reported with its seed and a fault
 * schedule shrunk to what still reproduces it.  Run i uses seed + i, so
 * `--explore 1 --seed S` replays run S exactly.
 *
 * Memory: the runs take the trace's inputs from a schedule in memory, so
 * an exploration holds every input of the trace (its fields and keys).
 */
#ifndef RP_EXPLORE_H
#define RP_EXPLORE_H

#include <jansson.h>
#include <stdint.h>

#include "error.h"
#include "finding.h"
#include "replay/model.h"
#include "replay/sim.h"
#include "replay/trace.h"

typedef struct rp_explore_opts {
    uint64_t seed;              /* the first run's seed */
    int64_t runs;
    uint64_t max_steps;         /* 0: the default budget */
    json_t *const *configs;     /* patched component configs, or NULL */
} rp_explore_opts;

/* Runs the exploration over `inputs` (a sorted schedule).  *report gets
 * {runs, seed, faults, runs_detail: [{seed, faults, schedule_hash}],
 * violations: [...]}; each distinct invariant broken becomes one
 * RBA-REPLAY-INVARIANT finding in out. */
rb_code rp_explore(const rp_model *m, rp_trace *t, const rp_schedule *inputs, const rp_explore_opts *o,
                   json_t **report, rb_findings *out, rb_error *err);

#endif
