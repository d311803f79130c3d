/*
 * compare.h — conformance of a trace with its replay: per key, the
 * captured outputs against the simulated ones in order, and the first
 * divergence (SPEC §7), found while the simulation runs.
 *
 * Ownership: rp_compare_new returns an object owned by the caller
 * (rp_compare_free); the model and the trace are borrowed and must outlive
 * it.
 */
#ifndef RP_COMPARE_H
#define RP_COMPARE_H

#include <jansson.h>

#include "finding.h"
#include "replay/model.h"
#include "replay/sim.h"
#include "replay/trace.h"

typedef struct rp_compare rp_compare;

rp_compare *rp_compare_new(const rp_model *m, const rp_trace *t);
void rp_compare_free(rp_compare *c);

/* The observer to pass to rp_sim_run. */
rp_observer rp_compare_observer(rp_compare *c);

/* After the run: the captured outputs the simulation never produced. */
void rp_compare_finish(rp_compare *c, const rp_sim *sim);

/* Per key, sorted by key: {key, conforms, captured, simulated,
 * divergence?} where captured and simulated are the last output types
 * (the terminal states; null when none).  A new reference. */
json_t *rp_compare_keys(const rp_compare *c);

size_t rp_compare_diverging(const rp_compare *c);

/* The simulated terminal (last output type) of a key, or NULL; *known
 * tells whether the key is one rp_compare_keys lists. */
const char *rp_compare_simulated(const rp_compare *c, const json_t *key, bool *known);

/* One RBA-REPLAY-DIVERGE finding per diverging key. */
void rp_compare_findings(const rp_compare *c, rb_findings *out);

#endif
