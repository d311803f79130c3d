/*
 * component.h — the building blocks of replay models (SPEC §7).
 *
 * A component is a small state machine with a fixed vocabulary: operations
 * that a model's wiring calls with arguments, and the outcomes each
 * operation can answer ("allow", "deny", "gap", ...).  Components decide
 * nothing about outputs: the model's wiring turns outcomes into emitted
 * events.  A component may ask the simulator for a timer (a retry, a wake
 * budget); when it fires, the model's handler for "COMPONENT.TIMER" runs.
 *
 * A new component is one new comp_<name>.c defining an rp_component_type
 * and one entry in the table in component.c.
 *
 * State a component keeps per key of the trace (a lifecycle's state of each
 * nonce) is not in the instance: the type declares its size (key_state),
 * and the simulator keeps it in the key's record (keys.h) and passes it to
 * call(), timer_live() and describe().  It is plain bytes, all zero for a
 * key the component never saw, so that a key the run no longer touches
 * can leave memory and come back as it was.  State keyed by anything else
 * (a rate limit's buckets, a pool's members) stays in the instance.
 *
 * Ownership: create() returns an instance owned by the caller, released
 * with free().  Arguments, keys and events passed to call() are borrowed
 * for the call only; a component copies what it keeps.
 */
#ifndef RP_COMPONENT_H
#define RP_COMPONENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "linemap.h"

typedef struct rp_sim rp_sim;

/* The configuration of one component in a model file, for reading
 * parameters with messages that name the file and line. */
typedef struct rp_config {
    const char *file;          /* model file, for messages */
    const rb_linemap *lines;   /* its lines (may be NULL) */
    const char *path;          /* jsonpath of the component: "components.bus" */
    const char *name;          /* the component's name in the model */
    const json_t *value;       /* its mapping (borrowed) */
} rp_config;

/* RB_ERULE "FILE:LINE: component NAME: <message>", at the member's line
 * (or the component's when member is NULL or absent). */
rb_code rp_config_error(const rp_config *c, const char *member, rb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parameter readers: an absent member keeps *out (the default); a present
 * one of the wrong type is an error naming what was expected. */
rb_code rp_config_int(const rp_config *c, const char *member, int64_t min, int64_t *out, rb_error *err);
rb_code rp_config_number(const rp_config *c, const char *member, double min, double *out, rb_error *err);
rb_code rp_config_duration(const rp_config *c, const char *member, int64_t *out, rb_error *err);
rb_code rp_config_bool(const rp_config *c, const char *member, bool *out, rb_error *err);
rb_code rp_config_string(const rp_config *c, const char *member, const char **out, rb_error *err);
/* A list of strings (or one string); *out is borrowed from the config,
 * NULL and 0 when absent. */
rb_code rp_config_strings(const rp_config *c, const char *member, const char ***out, size_t *n, rb_error *err);

/* The arguments of one call, by name; names and values are borrowed. */
#define RP_MAX_ARGS 8
typedef struct rp_args {
    size_t n;
    const char *names[RP_MAX_ARGS];
    const json_t *values[RP_MAX_ARGS];
} rp_args;

/* The value of an argument, or NULL when not given. */
const json_t *rp_args_get(const rp_args *a, const char *name);

/* An argument as text: a string as it is, a number or boolean as JSON;
 * NULL when not given or null.  Valid until the next call with buf. */
const char *rp_args_text(const rp_args *a, const char *name, char *buf, size_t size);

/* The trigger's fields of a call, made when first read (rp_call_event). */
typedef struct rp_lazy_event rp_lazy_event;

/* One operation call from the wiring. */
typedef struct rp_call {
    size_t op;              /* index into the type's ops */
    const rp_args *args;
    const json_t *key;      /* the handler's key (may be NULL: no key) */
    rp_lazy_event *event;   /* the trigger's fields: rp_call_event */
    int64_t now;            /* virtual time, microseconds */
    json_t **result;        /* values the outcome's steps may refer to (rp_call_set) */
    void *state;            /* the key's state (key_state bytes); NULL when
                               the type keeps none */
} rp_call;

/* Gives the steps of the outcome a value ("{attempt}" after a failure);
 * takes the reference to value. */
void rp_call_set(const rp_call *call, const char *name, json_t *value);

/* The trigger's fields (an input event or a timer's payload), borrowed for
 * the call.  An input's fields are made from its line only when some step
 * or component reads them. */
const json_t *rp_call_event(const rp_call *call);

typedef struct rp_op {
    const char *name;
    const char *const *args;     /* argument names it reads; NULL: any names */
    const char *const *outcomes; /* NULL-terminated */
} rp_op;

typedef struct rp_component_type {
    const char *name;
    const char *const *params;   /* configuration members besides `type` */
    const rp_op *ops;
    size_t n_ops;
    const char *const *timers;   /* timers it may ask for (NULL-terminated); NULL: none */
    size_t key_state;            /* bytes of state per key (plain data); 0: none */
    /* Reads the configuration; errors name the file and line. */
    rb_code (*create)(const rp_config *cfg, void **inst, rb_error *err);
    /* Runs an operation; returns one of its outcomes (static). */
    const char *(*call)(void *inst, rp_sim *sim, const rp_call *call);
    /* Whether a timer it asked for still applies when it fires (e.g. a
     * retry of a message that was acked meanwhile); NULL: always.  state
     * is the key's, as for call(). */
    bool (*timer_live)(void *inst, const char *timer, const void *state, const json_t *key, const json_t *payload);
    /* Its state for a key (or its whole state when it is not keyed), for
     * divergence reports: a new reference, or NULL when it has none. */
    json_t *(*describe)(const void *inst, const void *state, const json_t *key);
    void (*free)(void *inst);
} rp_component_type;

extern const rp_component_type rp_comp_lifecycle;
extern const rp_component_type rp_comp_acl;
extern const rp_component_type rp_comp_rate_limit;
extern const rp_component_type rp_comp_stream;
extern const rp_component_type rp_comp_coalescer;
extern const rp_component_type rp_comp_pool;
extern const rp_component_type rp_comp_leader;

/* The type of a `type:` name, or NULL. */
const rp_component_type *rp_component_find(const char *name);

/* Type names, comma-separated, for messages. */
const char *rp_component_names(void);

/* The index of an operation of a type, or -1. */
long rp_component_op(const rp_component_type *t, const char *op);

/* Whether an outcome is one an operation answers ("down" always is: the
 * answer of a component that an explored fault took down). */
bool rp_op_has_outcome(const rp_op *op, const char *outcome);

/* Services of the simulator for components (sim.c). */
int64_t rp_sim_now(const rp_sim *sim);
/* A random integer in [0, n) from the run's seeded generator. */
uint64_t rp_sim_random(rp_sim *sim, uint64_t n);
/* Asks for a timer `timer` of the calling component at virtual time `at`
 * for `key` (copied); the sim takes payload (the trigger's fields for the
 * handler, an object). */
void rp_sim_timer(rp_sim *sim, int64_t at, const char *timer, const json_t *key, json_t *payload);

/* Keyed component state: a string form of a key for maps and messages
 * ("null" for none). */
const char *rp_key_text(const json_t *key, char *buf, size_t size);

#endif
