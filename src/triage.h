/*
 * triage.h — the triage verdict of an incident bundle: its layers in the
 * reading order of the ByteOr operator flow (spec, policy, environment,
 * snapshot, product), the first that fails and what the runbook says a
 * failure there means (SPEC §3.2).
 */
#ifndef RB_TRIAGE_H
#define RB_TRIAGE_H

#include <jansson.h>

#include "bundle.h"

/*
 * The verdict as a new JSON value:
 *   {"verdict": {layer, artifacts, reasons, interpretation} or null,
 *    "layers": [{layer, status: pass|fail|missing|unverified, artifacts,
 *                reasons}] (unverified: an artifact of the layer is missing
 *                from the bundle, altered or unsafe, and no other fails),
 *    "product_focus": the runbook's first artifact focus for the manifest's
 *                     product, or null,
 *    "runbook": the citation}
 */
json_t *rb_triage(const rb_bundle *b);

/* Where an artifact of this role comes in the reading order (smaller is
 * earlier): the layers, then traces, ledgers and anything else. */
int rb_triage_rank(const char *role);

#endif
