/*
 * cmd_check.c — `rbaudit check` and `rbaudit gate`: load rules and
 * evidence, run the engine, write the reports, and turn the findings into
 * an exit status.  The two differ only in what evidence they require: gate
 * is check for change control in CI, where the evidence starts from a git
 * range (or two revisions of a config file).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "baseline.h"
#include "engine.h"
#include "loader.h"
#include "pack.h"
#include "report.h"
#include "util.h"
#include "waiver.h"

static void check_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit check [INPUT...] [options]\n"
            "\n"
            "Audits evidence against rule packs and reports every violation with where it\n"
            "happened and what the runbook says to do.  INPUT is a file or a directory\n"
            "(walked in name order, hidden entries skipped): JSON Lines event logs (.jsonl,\n"
            ".ndjson), JSON and YAML documents (.json, .yaml, .yml), SQLite ledgers (told\n"
            "by their header; opened read-only and immutable), JUnit XML (.xml), Markdown\n"
            "reports (.md, 1 MiB at most), and incident bundles (a directory holding\n"
            "manifest.json, or .tar, .tar.gz, .tgz, read in memory).  --repo DIR --range\n"
            "A..B adds a git history: commit events and config_change events, one per\n"
            "changed leaf of each config file the packs declare (see 'rbaudit gate').\n"
            "Without --rules or --pack the default packs run (%s).\n"
            "\n",
            rb_default_rules_dir());
    rb_cli_help_options(out);
}

static rb_code load_rules(rb_cli *o, rb_ruleset *rs, rb_error *err)
{
    return rb_ruleset_load_chosen(rs, o->rule_paths, o->n_rule_paths, o->packs, o->n_packs, &o->overrides, err);
}

/* What a command accepts as evidence. */
typedef struct audit_mode {
    void (*help)(FILE *out);
    /* Checks that the options name evidence (RB_EUSAGE when not). */
    rb_code (*validate)(rb_cli *o, rb_error *err);
} audit_mode;

/* The git repository, the config pair, then every input. */
static rb_code load_evidence(const rb_cli *o, const rb_ruleset *rs, rb_evidence *ev, rb_error *err)
{
    rb_load_opts opts = {.sources = rs->sources, .n_sources = rs->n_sources, .lenient = o->lenient,
                         .max_input_bytes = RB_DEFAULT_MAX_INPUT_BYTES, .range = o->range,
                         .config = &rs->config, .cache = o->cache};
    rb_code rc = RB_OK;
    if (o->repo)
        rc = rb_load_input(ev, o->repo, "git", &opts, err);
    if (!rc && o->new_file)
        rc = rb_load_config_pair(ev, o->old_file, o->new_file, &opts, err);
    for (size_t i = 0; i < o->n_inputs && !rc; i++)
        rc = rb_load_input(ev, o->inputs[i], rb_cli_kind_for(o, o->inputs[i]), &opts, err);
    return rc;
}

/* --old and --new come together. */
static rb_code validate_pair(const rb_cli *o, const char *command, rb_error *err)
{
    if (!o->old_file != !o->new_file)
        return rb_error_set(err, RB_EUSAGE, "%s: --%s needs --%s too (two revisions of one config file)", command,
                            o->old_file ? "old" : "new", o->old_file ? "new" : "old");
    return RB_OK;
}

static rb_code validate_check(rb_cli *o, rb_error *err)
{
    rb_code rc = validate_pair(o, "check", err);
    if (!rc && !o->n_inputs && !o->repo && !o->new_file)
        rc = rb_error_set(err, RB_EUSAGE, "check: no input given (expected evidence files or directories, "
                          "--repo DIR or --old/--new; see 'rbaudit check --help')");
    return rc;
}

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

static int exit_status(const rb_cli *o, const rb_findings *findings)
{
    for (size_t i = 0; i < findings->n; i++)
        if (rb_cli_fails(o, findings->items[i]->severity))
            return 1;
    return 0;
}

/* Everything of one run, so that cleanup is one function. */
typedef struct check_run {
    rb_cli cli;
    rb_ruleset *rules;
    rb_evidence *evidence;
    rb_findings findings, suppressed;
    rb_output *outputs;
    size_t n_outputs;
} check_run;

/* The waiver file in the current directory that applies without --waivers. */
#define DEFAULT_WAIVERS ".rbaudit-waivers.yaml"

/* Applies waivers, then the baseline; `now` is the run's clock. */
static rb_code suppress_known(check_run *run, int64_t now, size_t *baselined, rb_error *err)
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

static rb_code audit(check_run *run, const audit_mode *mode, rb_error *err)
{
    rb_code rc;
    if ((rc = mode->validate(&run->cli, err)) || (rc = open_outputs(&run->cli, &run->outputs, &run->n_outputs, err)) ||
        (rc = load_rules(&run->cli, run->rules, err)) ||
        (rc = load_evidence(&run->cli, run->rules, run->evidence, err)))
        return rc;
    rb_engine_opts opts = {run->cli.has_now, run->cli.now};
    rb_engine_result result;
    if ((rc = rb_engine_run(run->rules, run->evidence, &opts, &run->findings, &result, err)))
        return rc;
    size_t baselined = 0;
    if ((rc = suppress_known(run, result.has_end ? result.end : 0, &baselined, err)))
        return rc;
    rb_report report = {run->evidence, run->rules, &run->findings, &run->suppressed, {0},
                        result.has_end, result.end};
    rb_summary_count(&report.summary, &run->findings);
    report.summary.suppressed = run->suppressed.n;
    report.summary.baselined = baselined;
    report.summary.pending = result.pending;
    for (size_t i = 0; i < run->n_outputs; i++) {
        rb_report_style style = {strcmp(run->outputs[i].path, "-") == 0 && use_color(&run->cli)};
        if ((rc = rb_output_write(&run->outputs[i], &report, &style, err)))
            return rc;
    }
    return RB_OK;
}

static int run_audit(const audit_mode *mode, int argc, char **argv)
{
    check_run run = {0};
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
            rc = audit(&run, mode, &err);
        }
        if (rc) {
            fprintf(stderr, "rbaudit: %s\n", err.message);
            status = rb_error_exit_status(rc);
        } else {
            status = exit_status(&run.cli, &run.findings);
        }
    }
    for (size_t i = 0; i < run.n_outputs; i++)
        rb_output_close(&run.outputs[i]);
    free(run.outputs);
    rb_findings_clear(&run.findings);
    rb_findings_clear(&run.suppressed);
    rb_evidence_free(run.evidence);
    rb_ruleset_free(run.rules);
    rb_cli_free(&run.cli);
    return status;
}

static const audit_mode check_mode = {check_help, validate_check};

static int run_check(int argc, char **argv)
{
    return run_audit(&check_mode, argc, argv);
}

const rb_command rb_cmd_check = {
    .name = "check",
    .summary = "audit evidence against rule packs",
    .run = run_check,
};

static void gate_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit gate [--repo DIR] --range A..B [INPUT...] [options]\n"
            "       rbaudit gate --old FILE --new FILE [INPUT...] [options]\n"
            "\n"
            "Change control for CI: walks the commits of a git range (default repository: the\n"
            "current directory), diffs every config file the packs declare leaf by leaf, and\n"
            "reports each change a `changes` rule covers with its expected impact and the\n"
            "follow-ups (validation, upload, sample run, ...) that no evidence shows after it.\n"
            "A change with nothing missing is a note.  INPUTs are the evidence of those\n"
            "follow-ups: event logs, ledgers, JUnit results, bundles, as for 'rbaudit check'.\n"
            "Typical use: rbaudit gate --range origin/main..HEAD ci-evidence/ --format sarif\n"
            "\n");
    rb_cli_help_options(out);
}

static rb_code validate_gate(rb_cli *o, rb_error *err)
{
    rb_code rc = validate_pair(o, "gate", err);
    if (rc)
        return rc;
    if (o->new_file && (o->range || o->repo))
        return rb_error_set(err, RB_EUSAGE, "gate: --old/--new and --repo/--range are two ways to name the "
                            "change (expected one of them)");
    if (!o->new_file && !o->range)
        return rb_error_set(err, RB_EUSAGE, "gate: expected --range A..B (with --repo DIR, default '.') or "
                            "--old FILE --new FILE (see 'rbaudit gate --help')");
    if (!o->new_file && !o->repo)
        o->repo = rb_xstrdup(".");
    return RB_OK;
}

static const audit_mode gate_mode = {gate_help, validate_gate};

static int run_gate(int argc, char **argv)
{
    return run_audit(&gate_mode, argc, argv);
}

const rb_command rb_cmd_gate = {
    .name = "gate",
    .summary = "change control on a git range (for CI)",
    .run = run_gate,
};
