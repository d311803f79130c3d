/*
 * audit.c — the shared run of the auditing subcommands (audit.h): outputs
 * opened first, waivers and baseline, reports, exit status.
 */
#include "audit.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "report.h"
#include "util.h"
#include "waiver.h"

/* The reports to write: every --output, or the --format report on
 * standard output when none is given (and --quiet does not say no). */
static rb_code open_outputs(const rb_cli *o, rb_output **outs, size_t *n, rb_error *err)
{
    *outs = rb_xcalloc(o->n_outputs + 1, sizeof **outs);
    *n = 0;
    if (!o->n_outputs && !o->quiet)
        return rb_output_open(&(*outs)[(*n)++], o->format, "-", err);
    for (size_t i = 0; i < o->n_outputs; i++) {
        const rb_output_choice *c = &o->outputs[i];
        if (o->quiet && strcmp(c->path, "-") == 0)
            continue;
        rb_code rc = rb_output_open(&(*outs)[*n], c->reporter ? c->reporter : o->format, c->path, err);
        if (rc)
            return rc;
        ++*n;
    }
    return RB_OK;
}

static bool use_color(const rb_cli *o)
{
    const char *no_color = getenv("NO_COLOR");
    return !o->no_color && !(no_color && *no_color) && isatty(STDOUT_FILENO);
}

/* 2 when a rule failed on a ledger (told on stderr; with --lenient it is
 * an RBA-RULE-ERROR finding instead), else by the findings and --fail-on. */
static int exit_status(const rb_cli *o, const rb_findings *findings, const rb_rule_statuses *statuses)
{
    bool failed = false;
    for (size_t i = 0; !o->lenient && i < statuses->n; i++)
        if (statuses->items[i].outcome == RB_RULE_FAILED) {
            fprintf(stderr, "rbaudit: %s\n", statuses->items[i].reason);
            failed = true;
        }
    if (failed)
        return rb_error_exit_status(RB_EINPUT);
    for (size_t i = 0; i < findings->n; i++)
        if (rb_cli_fails(o, findings->items[i]->severity))
            return 1;
    return 0;
}

/* The waiver file in the current directory that applies without --waivers. */
#define DEFAULT_WAIVERS ".rbaudit-waivers.yaml"

/* Applies waivers, then the baseline; `now` is the run's clock. */
static rb_code suppress_known(rb_audit *run, int64_t now, size_t *baselined, rb_error *err)
{
    const char *path = run->cli.waivers;
    if (!path && access(DEFAULT_WAIVERS, F_OK) == 0)
        path = DEFAULT_WAIVERS;
    rb_code rc = RB_OK;
    if (path) {
        rb_waivers *waivers;
        rc = rb_waivers_load(path, run->evidence, &waivers, err);
        if (!rc)
            rb_waivers_apply(waivers, now, &run->findings, &run->suppressed);
        rb_waivers_free(waivers);
    }
    if (!rc && run->cli.baseline) {
        rb_baseline *baseline;
        rc = rb_baseline_load(run->cli.baseline, &baseline, err);
        if (!rc)
            *baselined = rb_baseline_apply(baseline, &run->findings, &run->suppressed);
        rb_baseline_free(baseline);
    }
    rb_findings_sort(&run->findings);
    rb_findings_sort(&run->suppressed);
    return rc;
}

/* Now, for --timestamps: the one place where reports may hold wall time. */
static const char *run_started(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

/* What the command line named as evidence, for messages. */
static void describe_inputs(const rb_cli *o, rb_buf *b)
{
    const char *sep = "";
    if (o->repo) {
        rb_buf_printf(b, "--repo %s", o->repo);
        sep = ", ";
    }
    if (o->new_file) {
        rb_buf_printf(b, "%s--old %s --new %s", sep, o->old_file, o->new_file);
        sep = ", ";
    }
    for (size_t i = 0; i < o->n_inputs; i++) {
        rb_buf_printf(b, "%s%s", sep, o->inputs[i]);
        sep = ", ";
    }
}

/* How many skipped entries an error quotes before "and N more". */
#define QUOTED_SKIPS 3

/* A run that read no event, no document and no ledger table, and found
 * nothing, audited nothing: it must not pass as "no findings" (unless
 * --allow-empty says it may), and the error says what was skipped and
 * which rules did not apply, which is usually why.  A finding (a changed
 * file no rule reads, an unsafe bundle member) is an answer, not a silent
 * pass. */
static rb_code check_audited(const rb_audit *run, rb_error *err)
{
    const rb_evidence *ev = run->evidence;
    rb_summary statuses = {0};
    rb_summary_count_statuses(&statuses, &run->result.statuses);
    /* a rule that failed ends the run in exit 2 after its reports */
    if (run->cli.allow_empty || ev->n_events || ev->n_docs || ev->n_tables_read || run->findings.n ||
        statuses.rule_errors)
        return RB_OK;
    rb_buf b = {0};
    describe_inputs(&run->cli, &b);
    size_t skipped = json_array_size(ev->skipped);
    rb_buf_printf(&b, " gave no event, no document and no ledger table a rule reads");
    for (size_t i = 0; i < skipped && i < QUOTED_SKIPS; i++) {
        const json_t *skip = json_array_get(ev->skipped, i);
        rb_buf_printf(&b, "%s%s: %s", i ? "; " : " (skipped ", json_string_value(json_object_get(skip, "path")),
                      json_string_value(json_object_get(skip, "reason")));
    }
    if (skipped > QUOTED_SKIPS)
        rb_buf_printf(&b, "; and %zu more", skipped - QUOTED_SKIPS);
    if (skipped)
        rb_buf_putc(&b, ')');
    if (statuses.not_applicable)
        rb_buf_printf(&b, "; %zu rule%s did not apply", statuses.not_applicable,
                      statuses.not_applicable == 1 ? "" : "s");
    rb_code rc = rb_error_set(err, RB_EINPUT, "nothing to audit: %s; --allow-empty accepts a run that audits "
                              "nothing", b.data);
    rb_buf_free(&b);
    return rc;
}

static rb_code audit(rb_audit *run, const rb_audit_mode *mode, rb_output **outputs, size_t *n_outputs,
                     rb_error *err)
{
    rb_code rc;
    if ((rc = mode->validate(&run->cli, err)) || (rc = open_outputs(&run->cli, outputs, n_outputs, err)) ||
        (rc = mode->produce(run, err)) || (rc = check_audited(run, err)))
        return rc;
    size_t baselined = 0;
    if ((rc = suppress_known(run, run->result.has_end ? run->result.end : 0, &baselined, err)))
        return rc;
    char started[32];
    rb_report report = {run->evidence, run->rules, &run->findings, &run->suppressed, {0},
                        run->result.has_end, run->result.end, run->replay, run->replay_streams,
                        run->cli.timestamps ? run_started(started, sizeof started) : NULL,
                        &run->result.statuses};
    rb_summary_count(&report.summary, &run->findings);
    rb_summary_count_statuses(&report.summary, &run->result.statuses);
    report.summary.suppressed = run->suppressed.n;
    report.summary.baselined = baselined;
    report.summary.pending = run->result.pending;
    for (size_t i = 0; i < *n_outputs; i++) {
        rb_report_style style = {strcmp((*outputs)[i].path, "-") == 0 && use_color(&run->cli)};
        if ((rc = rb_output_write(&(*outputs)[i], &report, &style, err)))
            return rc;
    }
    return RB_OK;
}

int rb_audit_main(const rb_audit_mode *mode, int argc, char **argv)
{
    rb_audit run = {0};
    rb_output *outputs = NULL;
    size_t n_outputs = 0;
    rb_error err;
    rb_error_clear(&err);
    rb_code rc = rb_cli_parse(&run.cli, argc, argv, &err);
    int status;
    if (!rc && run.cli.help) {
        mode->help(stdout);
        status = 0;
    } else {
        if (!rc) {
            run.rules = rb_ruleset_new();
            run.evidence = rb_evidence_new();
            rc = audit(&run, mode, &outputs, &n_outputs, &err);
        }
        if (rc) {
            fprintf(stderr, "rbaudit: %s\n", err.message);
            status = rb_error_exit_status(rc);
        } else {
            status = exit_status(&run.cli, &run.findings, &run.result.statuses);
        }
    }
    for (size_t i = 0; i < n_outputs; i++)
        rb_output_close(&outputs[i]);
    free(outputs);
    rb_findings_clear(&run.findings);
    rb_findings_clear(&run.suppressed);
    rb_engine_result_free(&run.result);
    json_decref(run.replay);
    rb_json_streams_free(run.replay_streams);
    rb_evidence_free(run.evidence);
    rb_ruleset_free(run.rules);
    rb_cli_free(&run.cli);
    return status;
}
