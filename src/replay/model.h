/*
 * model.h — replay models: YAML files that compose components and wire
 * them to the event types of a trace (SPEC §7; replay/README.md is the
 * user's reference).
 *
 *   model: beam-bus
 *   key: nonce                 # the field that keys trace events (default key)
 *   components: {NAME: {type: TYPE, ...parameters}}
 *   inputs:   {EVENT_TYPE: STEPS}     # trace events that drive the model
 *   timers:   {COMPONENT.TIMER: STEPS}
 *   routines: {NAME: STEPS}           # shared steps, run by `call:`
 *   outputs:  {EVENT_TYPE: [FIELD...]} # trace events compared with the
 *                                      # simulated ones, on these fields
 *   ignore:   [EVENT_TYPE...]         # trace events neither drive nor compare
 *   invariants: [...]                 # what --explore checks
 *   timing: {tolerance: 2s}           # compare times too
 *   explore: {faults, max_faults, max_delay, down, down_for}
 *
 * A step is one of: {do: COMPONENT.OP, args: {NAME: VALUE}, on: {OUTCOME:
 * STEPS}}, {emit: TYPE, fields: {NAME: VALUE}}, {call: ROUTINE}, or stop;
 * any step may carry `when: SELECTOR` on the trigger's fields.  A VALUE
 * that is exactly "{field}" is that field of the trigger (typed; "{key}"
 * is the handler's key), a string holding references is rendered as
 * text, anything else is literal.
 *
 * Ownership: a model owns everything in it; rp_model_free releases it.
 */
#ifndef RP_MODEL_H
#define RP_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jsonpath.h"
#include "linemap.h"
#include "replay/component.h"
#include "selector.h"
#include "sha256.h"

/* A value in a step: literal, a reference to a trigger field or the key,
 * or a template. */
typedef struct rp_value {
    json_t *literal;       /* owned; NULL unless literal */
    rb_jsonpath *ref;      /* the field of "{field}", or NULL */
    bool key_ref;          /* "{key}" */
    char *tpl;             /* a string with references, or NULL */
} rp_value;

typedef struct rp_steps {
    struct rp_step *items;
    size_t n;
} rp_steps;

typedef struct rp_branch {
    char *outcome;
    rp_steps steps;
} rp_branch;

typedef enum rp_step_kind { RP_STEP_DO, RP_STEP_EMIT, RP_STEP_CALL, RP_STEP_STOP } rp_step_kind;

typedef struct rp_step {
    rp_step_kind kind;
    long line;
    rb_selector *when;     /* NULL: always */
    size_t comp, op;       /* do */
    size_t n_values;       /* do: args; emit: fields */
    char **names;
    rp_value *values;
    rp_branch *branches;   /* do: on */
    size_t n_branches;
    char *type;            /* emit */
    size_t routine;        /* call */
} rp_step;

typedef struct rp_component_decl {
    char *name;
    const rp_component_type *type;
    json_t *config;        /* its mapping (owned) */
    char *path;            /* "components.NAME" */
} rp_component_decl;

typedef struct rp_handler {
    char *trigger;         /* event type, "COMPONENT.TIMER" or routine name */
    size_t comp;           /* timers: the component */
    const char *timer;     /* timers: the timer's name (static) */
    rp_steps steps;
} rp_handler;

typedef struct rp_output_decl {
    char *type;
    char **compare;        /* fields compared */
    rb_jsonpath **paths;   /* the same, compiled (NULL: a path that names nothing) */
    size_t n_compare;
} rp_output_decl;

typedef enum rp_invariant_kind {
    RP_INV_ONCE,           /* a type at most once per key (until `reset`) */
    RP_INV_BEFORE,         /* `then` only after a `first` of the key */
    RP_INV_CONSECUTIVE,    /* `field` of `type` goes up by one per key (until `reset`) */
    RP_INV_EXCLUSIVE       /* at most `max` keys between `open` and `close` */
} rp_invariant_kind;

typedef struct rp_invariant {
    char *name;
    rp_invariant_kind kind;
    char *type, *reset, *field;  /* once, consecutive */
    char *first, *then;          /* before */
    char *open, *close;          /* exclusive */
    int64_t max;
    long line;
} rp_invariant;

/* Fault kinds of --explore (bit flags). */
enum {
    RP_FAULT_DELAY = 1 << 0,
    RP_FAULT_DROP = 1 << 1,
    RP_FAULT_DUPLICATE = 1 << 2,
    RP_FAULT_REORDER = 1 << 3,
    RP_FAULT_DOWN = 1 << 4
};

typedef struct rp_explore_config {
    unsigned kinds;
    int64_t max_faults;
    int64_t max_delay;     /* microseconds */
    size_t *down;          /* components that may go down */
    size_t n_down;
    int64_t down_for;      /* longest outage, microseconds */
} rp_explore_config;

typedef struct rp_model {
    char *path;
    char *name;
    char sha256[RB_SHA256_HEX_LEN + 1];
    json_t *doc;
    rb_linemap *lines;
    char *key_field;
    rb_jsonpath *key_path;
    rp_component_decl *comps;
    size_t n_comps;
    rp_handler *inputs, *timers, *routines;
    size_t n_inputs, n_timers, n_routines;
    rp_output_decl *outputs;
    size_t n_outputs;
    char **ignore;
    size_t n_ignore;
    rp_invariant *invariants;
    size_t n_invariants;
    bool has_tolerance;
    int64_t tolerance;
    rp_explore_config explore;
} rp_model;

/* The directory of the shipped models (replay/models in a source tree, else
 * the installed one); static. */
const char *rp_models_dir(void);

/* Loads a model: `name` is a file, or the name of a shipped model
 * ("beam-bus" for MODELS_DIR/beam-bus.yaml).  Errors (RB_ERULE) name the
 * file, the line and what was expected: an unknown member or component
 * type, a step naming a component, operation, outcome, output type or
 * routine that does not exist, a parameter the component does not take.
 * *out is owned by the caller (rp_model_free), NULL on error. */
rb_code rp_model_load(const char *name, rp_model **out, rb_error *err);
void rp_model_free(rp_model *m);

/* The handler of an input event type, or NULL. */
const rp_handler *rp_model_input(const rp_model *m, const char *type);
/* The declaration of an output type, or NULL. */
const rp_output_decl *rp_model_output(const rp_model *m, const char *type);
/* The handler of a component's timer, or NULL. */
const rp_handler *rp_model_timer(const rp_model *m, size_t comp, const char *timer);
/* The index of a component by name, or -1. */
long rp_model_component(const rp_model *m, const char *name);

/* Creates the instances of every component from configs (one per
 * component; NULL: the model's own).  insts gets m->n_comps instances,
 * freed with rp_model_instances_free. */
rb_code rp_model_instantiate(const rp_model *m, json_t *const *configs, void ***insts, rb_error *err);
void rp_model_instances_free(const rp_model *m, void **insts);

#endif
