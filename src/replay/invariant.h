/*
 * invariant.h — checking a model's invariants while a run goes (for
 * --explore): no double ack, nonce honoured, no event applied over a gap,
 * never hot before ready, at most one leader — whatever the model declares
 * under `invariants:` (model.h).
 *
 * Ownership: the checker is owned by the caller (rp_checker_free); the
 * model is borrowed.
 */
#ifndef RP_INVARIANT_H
#define RP_INVARIANT_H

#include <jansson.h>

#include "replay/model.h"
#include "replay/sim.h"

typedef struct rp_violation {
    size_t invariant;     /* index into the model's invariants */
    json_t *key;          /* the key it broke for (json null when none) */
    int64_t at;           /* virtual time */
    char *message;
} rp_violation;

typedef struct rp_checker rp_checker;

rp_checker *rp_checker_new(const rp_model *m);
void rp_checker_free(rp_checker *c);

/* The observer to pass to rp_sim_run: it stops the run at the first
 * violation. */
rp_observer rp_checker_observer(rp_checker *c);

/* The first violation, or NULL. */
const rp_violation *rp_checker_violation(const rp_checker *c);

#endif
