/*
 * engine.c — one streaming pass of all rules over the evidence (engine.h).
 */
#include "engine.h"

#include <stdlib.h>

#include "check_kind.h"
#include "util.h"

/* Per-rule state of one run. */
typedef struct rule_run {
    const rb_rule *rule;
    void *state;
} rule_run;

static void report_problems(const rb_evidence *ev, rb_run *run)
{
    for (size_t i = 0; i < ev->n_problems; i++) {
        const rb_problem *p = &ev->problems[i];
        rb_finding *f = rb_finding_builtin("RBA-INPUT", RB_SEV_ERROR, p->message);
        rb_finding_add_origin(f, p->origin);
        json_t *place = json_pack("{s:s, s:I}", "path", p->origin.input->path, "line",
                                  (json_int_t)p->origin.line);
        json_array_append_new(f->evidence, place);
        rb_run_emit(run, f);
    }
}

static void feed_events(rule_run *runs, size_t n, const rb_evidence *ev, rb_run *run)
{
    for (size_t e = 0; e < ev->n_events; e++) {
        const rb_event *event = &ev->events[e];
        for (size_t r = 0; r < n; r++) {
            const rb_rule *rule = runs[r].rule;
            if (rule->reads_documents || !rule->check->event)
                continue;
            if (rule->select && !rb_selector_match(rule->select, event->fields))
                continue;
            rule->check->event(runs[r].state, rule, event, run);
        }
    }
}

static void feed_documents(rule_run *runs, size_t n, const rb_evidence *ev, rb_run *run)
{
    for (size_t d = 0; d < ev->n_docs; d++) {
        const rb_document *doc = &ev->docs[d];
        for (size_t r = 0; r < n; r++) {
            const rb_rule *rule = runs[r].rule;
            if (!rule->reads_documents || !rule->check->document)
                continue;
            if (rule->select && !rb_selector_match(rule->select, doc->meta))
                continue;
            rule->check->document(runs[r].state, rule, doc, run);
        }
    }
}

rb_code rb_engine_run(const rb_ruleset *rs, const rb_evidence *ev, const rb_engine_opts *opts,
                      rb_findings *out, rb_engine_result *result, rb_error *err)
{
    rb_run run = {out, opts->has_now, opts->now, opts->has_now || ev->has_newest,
                  opts->has_now ? opts->now : ev->newest_ts, 0};
    rule_run *runs = rb_xcalloc(rs->n ? rs->n : 1, sizeof *runs);
    for (size_t r = 0; r < rs->n; r++) {
        runs[r].rule = rs->rules[r];
        runs[r].state = rs->rules[r]->check->start ? rs->rules[r]->check->start(rs->rules[r]) : NULL;
    }
    report_problems(ev, &run);
    feed_events(runs, rs->n, ev, &run);
    feed_documents(runs, rs->n, ev, &run);
    for (size_t r = 0; r < rs->n; r++) {
        const rb_check_kind *check = runs[r].rule->check;
        if (check->finish)
            check->finish(runs[r].state, runs[r].rule, &run);
        if (check->stop)
            check->stop(runs[r].state);
    }
    free(runs);
    rb_findings_sort(out);
    result->has_end = run.has_end;
    result->end = run.end;
    result->pending = run.pending;
    return RB_OK;
}
