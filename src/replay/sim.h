/*
 * sim.h — the discrete-event simulator that replays a trace's inputs
 * through a model (SPEC §7).
 *
 * Determinism: a virtual clock (the inputs' times and the timers'), one
 * seeded generator (prng.h), inputs in a fixed order (schedule: time, then
 * their canonical order) and timers in a heap ordered by time, then by the
 * order they were asked for; at equal times timers run before inputs.  No
 * wall time, no unordered iteration.  Every emitted output goes into the
 * run's replay_hash, so equal hashes mean equal simulated behaviour.
 *
 * Per-key state lives in the records of a key table (keys.h), so that the
 * keys a long run no longer touches can leave memory; a key with a timer
 * pending stays.
 *
 * Ownership: rp_sim_new returns a simulator owned by the caller
 * (rp_sim_free).  The model, the schedule, the configs and the key table
 * given in the options are borrowed and must outlive it.
 */
#ifndef RP_SIM_H
#define RP_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "replay/keys.h"
#include "replay/model.h"
#include "sha256.h"
#include "util.h"

/* One input event as the simulator receives it. */
typedef struct rp_input_item {
    int64_t at;               /* virtual time, microseconds */
    uint64_t order;           /* tie-break at equal times */
    const json_t *fields;     /* borrowed; NULL: made by `make` (below) */
    /* Makes the fields (a new reference) when the run first reads them:
     * an input whose handler reads nothing of it is never built. */
    json_t *(*make)(const void *from);
    const void *from;
    const json_t *key;        /* borrowed; NULL: no key */
    const rp_handler *handler;
    long line;                /* its trace line; 0 for an injected event */
    size_t index;             /* its index in the trace (event index) */
    rp_key *rec;              /* the key's record when the feeder has it
                                 (pinned until the item is run); NULL: the
                                 simulator finds it */
} rp_input_item;

/* Inputs in the order they are fed: by `at`, then `order`. */
typedef struct rp_schedule {
    rp_input_item *items;
    size_t n, cap;
} rp_schedule;

/* Sorts a schedule by time, then order (stable: equal pairs keep their
 * places). */
void rp_schedule_sort(rp_schedule *s);
void rp_schedule_add(rp_schedule *s, const rp_input_item *item);
void rp_schedule_free(rp_schedule *s);

/* A component unavailable for a while (an explored fault): every
 * operation on it answers "down". */
typedef struct rp_outage {
    size_t comp;
    int64_t from, until;
} rp_outage;

typedef struct rp_sim_opts {
    uint64_t seed;
    uint64_t max_steps;          /* 0: the default budget */
    json_t *const *configs;      /* one per component (a what-if), or NULL */
    const rp_outage *outages;
    size_t n_outages;
    /* The key table whose records' first rp_sim_slots_size bytes of slots
     * hold the components' per-key state (shared with observers that keep
     * slots of their own after those); NULL: the simulator makes its own. */
    rp_keys *keys;
} rp_sim_opts;

/* One emitted output. */
typedef struct rp_output {
    int64_t at;
    const json_t *key;        /* NULL: no key */
    const char *type;
    const json_t *fields;     /* the emitted fields (object) */
    rp_key *rec;              /* the key's record */
} rp_output;

/* The bytes of slots a key's record needs for the model's components. */
size_t rp_sim_slots_size(const rp_model *m);

typedef struct rp_sim rp_sim;

/* What watches a run (comparison with the trace, invariants). */
typedef struct rp_observer {
    void (*input)(void *ctx, rp_sim *sim, const rp_input_item *in);   /* may be NULL */
    void (*output)(void *ctx, rp_sim *sim, const rp_output *out);     /* may be NULL */
    void *ctx;
} rp_observer;

/* A fresh simulator: the model's components created from opts->configs. */
rb_code rp_sim_new(const rp_model *m, const rp_sim_opts *opts, rp_sim **out, rb_error *err);
void rp_sim_free(rp_sim *sim);

/* Where a run's inputs come from, in schedule order: a schedule in
 * memory, or a trace read as the run goes (feed.h). */
typedef struct rp_source {
    /* The next input in *item (valid until the next call), NULL at the end. */
    rb_code (*next)(void *ctx, const rp_input_item **item, rb_error *err);
    /* How many inputs there are as far as known (*n), and whether that is
     * all (*whole); with `more`, after knowing at least one more first
     * (or the end).  The default step budget grows with it. */
    rb_code (*count)(void *ctx, bool more, size_t *n, bool *whole, rb_error *err);
    void *ctx;
} rp_source;

/* Feeds the schedule and runs every timer to the end (or until an
 * observer calls rp_sim_stop).  Observers in obs[0..n_obs).  A run over
 * the step budget is RB_ERULE naming the model and what kept firing. */
rb_code rp_sim_run(rp_sim *sim, const rp_schedule *inputs, const rp_observer *obs, size_t n_obs, rb_error *err);

/* rp_sim_run with inputs from a source. */
rb_code rp_sim_run_source(rp_sim *sim, const rp_source *inputs, const rp_observer *obs, size_t n_obs,
                          rb_error *err);

/* The inputs the run took (its source's count at the end). */
uint64_t rp_sim_inputs(const rp_sim *sim);

/* Asks the run to end after the current step. */
void rp_sim_stop(rp_sim *sim);

/* The model's state for a key: {COMPONENT: state} of every component that
 * has one.  rec is the key's record, or NULL (found).  A new reference. */
json_t *rp_sim_describe(rp_sim *sim, const json_t *key, rp_key *rec);

/* The replay_hash of what the run emitted so far (hex). */
void rp_sim_hash(const rp_sim *sim, char hex[RB_SHA256_HEX_LEN + 1]);

uint64_t rp_sim_steps(const rp_sim *sim);
uint64_t rp_sim_outputs(const rp_sim *sim);

/* Appends a string as json_dumps writes it, between quotes, when it needs
 * no escape; false (nothing appended) otherwise.  For the replay's JSON
 * texts written without jansson (the replay_hash, report entries). */
bool rp_json_plain_string(rb_buf *b, const char *s, size_t n);

/* The default step budget for a schedule of n inputs. */
uint64_t rp_sim_default_budget(size_t n_inputs);

#endif
