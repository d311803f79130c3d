/*
 * patch.h — what-if patches for replay (SPEC §7 --what-if): a small YAML
 * file that changes model parameters and injects input events, so that a
 * replay shows which keys would have ended where had the fix been in
 * place.
 *
 *   set:    {COMPONENT.PARAMETER[.MEMBER...]: VALUE}   # replace a value
 *   add:    {COMPONENT.PARAMETER: ITEM}                # append to a list
 *   events: [{ts, type, ...}]                          # inputs injected
 *
 * Ownership: a patch owns its configs and events (rp_patch_free); the
 * model is borrowed and must outlive it.
 */
#ifndef RP_PATCH_H
#define RP_PATCH_H

#include <jansson.h>

#include "error.h"
#include "linemap.h"
#include "replay/model.h"
#include "replay/sim.h"
#include "sha256.h"

typedef struct rp_patch {
    char *path;
    char sha256[RB_SHA256_HEX_LEN + 1];
    json_t **configs;      /* one per model component, patched copies */
    rp_input_item *events; /* injected inputs (fields owned by `doc`) */
    size_t n_events;
    json_t *doc;
    rb_linemap *lines;
} rp_patch;

/* Loads a patch for model m.  Errors (RB_EUSAGE, exit 2) name the patch
 * file and line: an unknown member, a component or parameter the model
 * does not have, an event that is not an input of the model, a value the
 * component refuses. */
rb_code rp_patch_load(const char *path, const rp_model *m, rp_patch **out, rb_error *err);
void rp_patch_free(rp_patch *p, const rp_model *m);

/* Adds the injected events to a schedule, ordered after trace events of
 * the same time (orders from first_order on). */
void rp_patch_schedule(const rp_patch *p, uint64_t first_order, rp_schedule *s);

#endif
