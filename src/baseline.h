/*
 * baseline.h — baselines (SPEC §5): `--baseline old-report.json`, an
 * earlier JSON report whose findings are known and not counted again.
 */
#ifndef RB_BASELINE_H
#define RB_BASELINE_H

#include "error.h"
#include "finding.h"

typedef struct rb_baseline rb_baseline;

/* Reads the fingerprints of an rbaudit-report/1 JSON report (its findings
 * and suppressed findings).  A report whose `fingerprints` scheme is not
 * RB_FINGERPRINT_SCHEME (one written by an earlier rbaudit) is an error:
 * compared, it would report every known finding as new.  Errors name the
 * file and what was expected.
 * *out is owned by the caller: rb_baseline_free. */
rb_code rb_baseline_load(const char *path, rb_baseline **out, rb_error *err);
void rb_baseline_free(rb_baseline *b);

/* Moves each finding whose fingerprint the baseline holds to suppressed
 * (with `suppressed_by: {kind: baseline}`); returns how many moved. */
size_t rb_baseline_apply(const rb_baseline *b, rb_findings *findings, rb_findings *suppressed);

#endif
