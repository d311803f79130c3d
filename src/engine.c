/*
 * engine.c — one streaming pass of all rules over the evidence (engine.h).
 *
 * Events come from the event cursor in evidence order and go to every rule
 * that wants them (rule_index.h: its `events:` select them and its check is
 * interested), and lines no rule can want are not built at all (the plan:
 * plan_build.h); then documents go to the rules that read
 * documents and ledgers to the checks that query them (a rule that cannot
 * run on one ledger is recorded as such and stops nothing), then every
 * check finishes.  When an input turns out not to be
 * in evidence order, that input is buffered and the pass starts again from
 * nothing, so findings never depend on how inputs were ordered on disk.
 */
#include "engine.h"

#include <stdlib.h>

#include "check_kind.h"
#include "event_cursor.h"
#include "ledger_account.h"
#include "plan_build.h"
#include "rule_index.h"
#include "util.h"

/* Per-rule state of one pass. */
typedef struct rule_run {
    const rb_rule *rule;
    void *state;
} rule_run;

/* The evidence's problems as built-in findings, each with what the rules
 * that explain it say (check_kind.h `explain`). */
static void report_problems(const rb_ruleset *rs, const rb_evidence *ev, rb_run *run)
{
    for (size_t i = 0; i < ev->n_problems; i++) {
        const rb_problem *p = &ev->problems[i];
        rb_finding *f = rb_finding_builtin(p->rule, RB_SEV_ERROR, p->message);
        rb_finding_add_origin(f, p->origin);
        json_t *place = json_pack("{s:s, s:I}", "path", p->origin.input->path, "line",
                                  (json_int_t)p->origin.line);
        if (p->key) {
            json_t *key = json_string(p->key);
            rb_finding_set_key(f, key);
            json_object_set_new(place, "member", key);
            json_object_set_new(place, "problem", json_string(p->message));
        }
        json_array_append_new(f->evidence, place);
        for (size_t r = 0; r < rs->n; r++)
            if (rs->rules[r]->check->explain)
                rs->rules[r]->check->explain(rs->rules[r], f);
        rb_run_emit(run, f);
    }
}

/* What to do about a changed file that no rule read: the fix the
 * RBA-UNCOVERED note carries. */
static const char uncovered_remediation[] =
    "Declare the file as config in a pack (a `config:` entry's `files`, or a `changes` rule's `files`) so that "
    "its changes are diffed and checked, or point gate at the config file that changed (--new with the path "
    "the packs' globs name).";

/* One RBA-UNCOVERED note per changed file that no config glob takes,
 * naming every glob of the packs that ran; keyed and fingerprinted by the
 * file and those globs, not by the commits, so a baseline of it holds
 * from one range to the next. */
static void report_uncovered(const rb_ruleset *rs, const rb_evidence *ev, rb_run *run)
{
    if (!ev->n_uncovered)
        return;
    json_t *globs = rb_config_set_globs(&rs->config);
    rb_buf missed = {0};
    size_t i;
    json_t *g;
    json_array_foreach(globs, i, g)
        rb_buf_printf(&missed, "%s%s", i ? ", " : "", json_string_value(g));
    for (size_t u = 0; u < ev->n_uncovered; u++) {
        const rb_uncovered *c = &ev->uncovered[u];
        char *message = json_array_size(globs)
                            ? rb_xasprintf("%s changed, but no rule reads it: it matches none of the config "
                                           "globs of the packs that ran (%s)", c->file, missed.data)
                            : rb_xasprintf("%s changed, but no rule reads it: no pack that ran declares any "
                                           "config file (a `config:` entry or a `changes` rule)", c->file);
        rb_finding *f = rb_finding_builtin("RBA-UNCOVERED", RB_SEV_NOTE, message);
        free(message);
        json_t *key = json_string(c->file);
        rb_finding_set_key(f, key);
        json_array_append_new(f->evidence, json_pack("{s:o, s:O}", "file", key, "config_globs", globs));
        for (size_t o = 0; o < c->n_origins; o++)
            rb_finding_add_origin(f, c->origins[o]);
        f->remediation = rb_xstrdup(uncovered_remediation);
        rb_run_emit(run, f);
    }
    rb_buf_free(&missed);
    json_decref(globs);
}

/* An event to the rules that want it (rule_index.h); candidates has room
 * for every rule.  Without an index (the reference path) every event rule
 * is asked whether its `events:` select the event. */
static void dispatch_event(rule_run *runs, size_t n_rules, const rb_rule_index *ix, size_t *candidates,
                           const rb_event *event, rb_run *run)
{
    if (!ix) {
        for (size_t r = 0; r < n_rules; r++) {
            const rb_rule *rule = runs[r].rule;
            if (!rule->reads_documents && rule->check->event &&
                (!rule->select || rb_selector_match(rule->select, event->fields)))
                rule->check->event(runs[r].state, rule, event, run);
        }
        return;
    }
    size_t n = rb_rule_index_candidates(ix, event->fields, candidates);
    for (size_t i = 0; i < n; i++) {
        size_t r = candidates[i];
        if (rb_rule_index_wants(ix, r, event->fields))
            runs[r].rule->check->event(runs[r].state, runs[r].rule, event, run);
    }
}

/* Streams every event through the rules; *unsorted names an input found
 * out of order (the pass is then void). */
static rb_code feed_events(rule_run *runs, size_t n, const rb_rule_index *ix, rb_evidence *ev, rb_run *run,
                           rb_input **unsorted, rb_error *err)
{
    rb_event_cursor *cursor;
    rb_code rc = rb_event_cursor_open(ev, &cursor, err);
    const rb_event *event;
    size_t *candidates = rb_xcalloc(n ? n : 1, sizeof *candidates);
    while (!rc && !(rc = rb_event_cursor_next(cursor, &event, err)) && event)
        dispatch_event(runs, n, ix, candidates, event, run);
    free(candidates);
    *unsorted = rb_event_cursor_unsorted(cursor);
    rb_event_cursor_free(cursor);
    return rc;
}

static void feed_documents(rule_run *runs, size_t n, const rb_evidence *ev, rb_run *run)
{
    for (size_t d = 0; d < ev->n_docs; d++) {
        const rb_document *doc = &ev->docs[d];
        for (size_t r = 0; r < n; r++) {
            const rb_rule *rule = runs[r].rule;
            /* a kind that reads only documents needs no `documents:` */
            bool reads = rule->reads_documents || !rule->check->event;
            if (!reads || !rule->check->document)
                continue;
            if (rule->select && !rb_selector_match(rule->select, doc->meta))
                continue;
            rule->check->document(runs[r].state, rule, doc, run);
        }
    }
}

/* A rule that failed on a ledger, with --lenient: a finding of its own,
 * keyed by the rule's id, at the ledger. */
static void report_rule_error(const rb_rule *rule, const rb_ledger *ledger, const char *error, rb_run *run)
{
    rb_finding *f = rb_finding_builtin("RBA-RULE-ERROR", RB_SEV_ERROR, error);
    rb_finding_add_origin(f, (rb_origin){.input = ledger->input});
    json_t *id = json_string(rule->id);
    rb_finding_set_key(f, id);
    json_array_append_new(f->evidence, json_pack("{s:O, s:s, s:s}", "rule", id, "ledger", ledger->input->path,
                                                 "error", error));
    json_decref(id);
    rb_run_emit(run, f);
}

/* Every ledger to every rule that queries ledgers: one rule's failure on
 * one ledger is recorded and the others go on. */
static void feed_ledgers(rule_run *runs, size_t n, const rb_evidence *ev, bool lenient, rb_run *run)
{
    for (size_t l = 0; l < ev->n_ledgers; l++)
        for (size_t r = 0; r < n; r++) {
            const rb_rule *rule = runs[r].rule;
            rb_error err;
            rb_error_clear(&err);
            size_t before = run->findings->n;
            if (!rule->check->ledger || !rule->check->ledger(runs[r].state, rule, &ev->ledgers[l], run, &err))
                continue;
            /* what it found before failing depends on when it failed (a
             * time limit): a failed rule reports nothing from the ledger */
            while (run->findings->n > before)
                rb_finding_free(run->findings->items[--run->findings->n]);
            rb_rule_statuses_add(run->statuses, rule, ev->ledgers[l].input, RB_RULE_FAILED, err.message);
            if (lenient)
                report_rule_error(rule, &ev->ledgers[l], err.message, run);
        }
}

static void finish_rules(rule_run *runs, size_t n, rb_run *run)
{
    for (size_t r = 0; r < n; r++) {
        const rb_check_kind *check = runs[r].rule->check;
        if (check->finish)
            check->finish(runs[r].state, runs[r].rule, run);
    }
}

/* One pass; findings go to run->findings.  *unsorted as for feed_events. */
static rb_code run_pass(const rb_ruleset *rs, const rb_rule_index *ix, rb_evidence *ev, bool lenient, rb_run *run,
                        rb_input **unsorted, rb_error *err)
{
    rule_run *runs = rb_xcalloc(rs->n ? rs->n : 1, sizeof *runs);
    for (size_t r = 0; r < rs->n; r++) {
        runs[r].rule = rs->rules[r];
        runs[r].state = rs->rules[r]->check->start ? rs->rules[r]->check->start(rs->rules[r]) : NULL;
    }
    rb_code rc = feed_events(runs, rs->n, ix, ev, run, unsorted, err);
    if (!rc && !*unsorted) {
        run->has_end = run->has_now || ev->has_newest;
        run->end = run->has_now ? run->now : ev->newest_ts;
        feed_documents(runs, rs->n, ev, run);
        feed_ledgers(runs, rs->n, ev, lenient, run);
    }
    if (!rc && !*unsorted) {
        finish_rules(runs, rs->n, run);
        report_problems(rs, ev, run);
        report_uncovered(rs, ev, run);
    }
    for (size_t r = 0; r < rs->n; r++)
        if (runs[r].rule->check->stop)
            runs[r].rule->check->stop(runs[r].state);
    free(runs);
    return rc;
}

/* Runs passes until one finds every input in evidence order: an input
 * found out of order is buffered and sorted, and the pass starts again. */
static rb_code sorted_pass(const rb_ruleset *rs, const rb_rule_index *ix, rb_evidence *ev,
                           const rb_engine_opts *opts, rb_run *run, rb_error *err)
{
    size_t problems_before = ev->n_problems;
    for (;;) {
        *run = (rb_run){.findings = run->findings, .statuses = run->statuses, .has_now = opts->has_now,
                        .now = opts->now};
        rb_input *unsorted = NULL;
        rb_code rc = run_pass(rs, ix, ev, opts->lenient, run, &unsorted, err);
        if (rc || !unsorted)
            return rc;
        rb_findings_clear(run->findings);
        rb_rule_statuses_clear(run->statuses);
        rb_evidence_truncate_problems(ev, problems_before);
        if ((rc = rb_evidence_buffer_input(ev, unsorted, err)))
            return rc;
    }
}

rb_code rb_engine_run(const rb_ruleset *rs, rb_evidence *ev, const rb_engine_opts *opts,
                      rb_findings *out, rb_engine_result *result, rb_error *err)
{
    rb_evidence_settle_names(ev);
    rb_findings found = {0};
    rb_rule_statuses statuses = {0};
    rb_run run = {.findings = &found, .statuses = &statuses};
    rb_plan *plan = opts->reference ? NULL : rb_plan_build(rs);
    rb_rule_index *ix = opts->reference ? NULL : rb_rule_index_new(rs);
    ev->plan = plan;
    rb_code rc = sorted_pass(rs, ix, ev, opts, &run, err);
    ev->plan = NULL;
    rb_plan_free(plan);
    rb_rule_index_free(ix);
    /* what loaders left running (a ledger's hash) is needed from here on */
    if (!rc)
        rc = rb_evidence_finish_inputs(ev, err);
    if (rc) {
        rb_findings_clear(&found);
        rb_rule_statuses_clear(&statuses);
        return rc;
    }
    for (size_t i = 0; i < found.n; i++)
        rb_findings_add(out, found.items[i]);
    free(found.items);
    rb_findings_sort(out);
    ev->n_tables_read = rb_ledger_account_unread(ev);
    result->has_end = run.has_end;
    result->end = run.end;
    result->pending = run.pending;
    rb_rule_statuses_sort(&statuses);
    result->statuses = statuses;
    return RB_OK;
}

void rb_engine_result_free(rb_engine_result *result)
{
    rb_rule_statuses_clear(&result->statuses);
}
