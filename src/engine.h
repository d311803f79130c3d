/*
 * engine.h — evaluating a ruleset over evidence: one streaming pass over
 * the events in evidence order with every rule at once, then the documents.
 */
#ifndef RB_ENGINE_H
#define RB_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "check_kind.h"
#include "error.h"
#include "evidence.h"
#include "finding.h"
#include "pack.h"

typedef struct rb_engine_opts {
    bool has_now;  /* --now given */
    int64_t now;
    bool lenient;  /* --lenient: a rule's failure is also an RBA-RULE-ERROR finding */
    bool reference; /* no plan, no index: every line read whole and every rule
                       asked of every event (the path the fast one must equal) */
} rb_engine_opts;

typedef struct rb_engine_result {
    bool has_end;
    int64_t end;     /* the end of the evidence used for deadlines */
    size_t pending;  /* deadlines beyond the end (SPEC §4, after) */
    rb_rule_statuses statuses; /* rules that did not apply to a ledger or
                                  failed on one, sorted (owned) */
} rb_engine_result;

/*
 * Runs every rule of rs over ev in one pass, streaming the events of its
 * inputs in evidence order, and appends the findings to out (sorted,
 * sealed).  Invalid events are RB_EINPUT errors naming input and line, or
 * with --lenient RBA-INPUT findings.  The inputs get their names first
 * (evidence.h rb_evidence_settle_names: what fingerprints hash).  A rule
 * that cannot run on a ledger stops nothing: it goes into
 * result->statuses, as not applicable there or as failed (and, with
 * --lenient, failed is also an RBA-RULE-ERROR finding keyed by the rule's
 * id).  ev's pass counts (n_events, newest_ts) and the hashes of streamed
 * inputs are set afterwards.  result is set on success and is the
 * caller's to free (rb_engine_result_free).
 */
rb_code rb_engine_run(const rb_ruleset *rs, rb_evidence *ev, const rb_engine_opts *opts,
                      rb_findings *out, rb_engine_result *result, rb_error *err);

void rb_engine_result_free(rb_engine_result *result);

#endif
