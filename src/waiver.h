/*
 * waiver.h — waivers (SPEC §5): `.rbaudit-waivers.yaml`, a YAML list of
 * entries that suppress single findings until they expire.
 *
 * An entry names a finding by `fingerprint`, or by `rule` and `key` (the
 * finding's key as text; `key: null` for a finding without one), and must
 * give `reason`, `owner` and `expires`: a date (valid through the end of
 * that day, UTC) or an RFC 3339 time.  A waiver is expired when the run's
 * clock (--now, or the newest evidence time) has reached its expiry.
 */
#ifndef RB_WAIVER_H
#define RB_WAIVER_H

#include <stdint.h>

#include "error.h"
#include "evidence.h"
#include "finding.h"

typedef struct rb_waivers rb_waivers;

/* Reads the waiver file at path and registers it as an input of ev (so
 * that findings about waivers have an origin).  Any mistake is RB_EINPUT
 * "FILE:LINE: what (expected ...)".  *out is owned by the caller:
 * rb_waivers_free. */
rb_code rb_waivers_load(const char *path, rb_evidence *ev, rb_waivers **out, rb_error *err);
void rb_waivers_free(rb_waivers *w);

/*
 * Moves each finding an unexpired waiver names from findings to suppressed
 * (with `suppressed_by: {kind: waiver, reason, owner, expires}`), and adds
 * to findings one RBA-WAIVER-EXPIRED warning per expired waiver and one
 * RBA-WAIVER-UNUSED note per unexpired waiver that matched nothing.
 */
void rb_waivers_apply(const rb_waivers *w, int64_t now, rb_findings *findings, rb_findings *suppressed);

#endif
