/*
 * compare.h — conformance of a trace with its replay: per key, the
 * captured outputs against the simulated ones in order, and the first
 * divergence, found while the simulation runs.
 *
 * Output number i of a key in the simulation is compared with captured
 * output number i of that key in the trace, whichever comes first: the
 * trace is read ahead of the simulation (feed.h), so a captured output
 * usually waits for its simulated one; a simulated output that comes
 * first waits with the model's state at that moment, which a divergence
 * found later reports.  What waits pins its key (keys.h); everything else
 * of a key is a few numbers in its record's slot, so the comparison
 * forgets nothing when a key leaves memory.  Diverging keys stay in
 * memory: each is a finding.
 *
 * Ownership: rp_compare_new returns an object owned by the caller
 * (rp_compare_free); the model, the trace and the key table are borrowed
 * and must outlive it.
 */
#ifndef RP_COMPARE_H
#define RP_COMPARE_H

#include <jansson.h>

#include "finding.h"
#include "replay/keys.h"
#include "replay/model.h"
#include "replay/sim.h"
#include "replay/trace.h"

typedef struct rp_compare rp_compare;

/* The bytes of a record's slots the comparison keeps, from slot_offset. */
size_t rp_compare_slot_size(void);

rp_compare *rp_compare_new(const rp_model *m, const rp_trace *t, rp_keys *keys, size_t slot_offset);
void rp_compare_free(rp_compare *c);

/* The observer to pass to rp_sim_run. */
rp_observer rp_compare_observer(rp_compare *c);

/* A trace event as it is read (in trace order), its key's record at hand:
 * a captured output is compared or waits; any event that is not ignored
 * makes its key one of the trace's. */
void rp_compare_trace_event(rp_compare *c, const rp_trace_event *e, rp_key *rec);

/* After the run, the whole trace read: outputs still waiting diverge. */
void rp_compare_finish(rp_compare *c, rp_sim *sim);

/* Keys with an entry in the report, and those that diverge. */
size_t rp_compare_keys(const rp_compare *c);
size_t rp_compare_diverging(const rp_compare *c);

/* The report's entry of a key, {key, conforms, captured, simulated,
 * divergence?} where captured and simulated are the last output types
 * (the terminal states; null when none); NULL for a key that has none
 * (only inputs named it).  A new reference. */
json_t *rp_compare_entry(const rp_compare *c, const rp_key *k);

/* rp_compare_entry as json_dumps(entry, JSON_INDENT(2)) writes it, put
 * in *text (emptied first), for the common entry (a key that is a string,
 * no divergence); false when it is not one. */
bool rp_compare_entry_text(const rp_compare *c, const rp_key *k, rb_buf *text);

/* The simulated terminal (last output type) of a key, or NULL; *known
 * tells whether the key has an entry. */
const char *rp_compare_simulated(const rp_compare *c, const rp_key *k, bool *known);

/* The captured terminal of a key, or NULL. */
const char *rp_compare_captured(const rp_compare *c, const rp_key *k);

/* One RBA-REPLAY-DIVERGE finding per diverging key. */
void rp_compare_findings(const rp_compare *c, rb_findings *out);

#endif
