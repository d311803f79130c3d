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

#include "audit.h"
#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "loader.h"
#include "pack.h"
#include "util.h"

static void check_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit check [INPUT...] [options]\n"
            "\n"
            "Audits evidence against rule packs and reports every violation with where it\n"
            "happened and what the runbook says to do.  INPUT is a file or a directory\n"
            "(walked in name order; hidden entries and the globs of a .rbauditignore in a\n"
            "walked directory skipped): JSON Lines event logs (.jsonl,\n"
            ".ndjson), JSON and YAML documents (.json, .yaml, .yml), SQLite ledgers (told\n"
            "by their header; opened read-only and immutable, or with the -wal or hot\n"
            "-journal beside them applied in a private copy), JUnit XML (.xml), Markdown\n"
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

/* The git repository, the config pair, then every input; `gate` asks the
 * walk for the changed files no rule reads. */
static rb_code load_evidence(const rb_cli *o, const rb_ruleset *rs, bool gate, rb_evidence *ev, rb_error *err)
{
    rb_load_opts opts = {.sources = rs->sources, .n_sources = rs->n_sources, .lenient = o->lenient,
                         .range = o->range,
                         .config = &rs->config, .cache = o->cache, .uncovered = gate};
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

/* --model and the like belong to replay. */
static rb_code validate_not_replay(const rb_cli *o, const char *command, rb_error *err)
{
    const char *option = rb_cli_replay_option(o);
    if (option)
        return rb_error_set(err, RB_EUSAGE, "%s: %s is an option of 'rbaudit replay'", command, option);
    return RB_OK;
}

static rb_code validate_check(rb_cli *o, rb_error *err)
{
    rb_code rc = validate_not_replay(o, "check", err);
    if (!rc)
        rc = validate_pair(o, "check", err);
    if (!rc && !o->n_inputs && !o->repo && !o->new_file)
        rc = rb_error_set(err, RB_EUSAGE, "check: no input given (expected evidence files or directories, "
                          "--repo DIR or --old/--new; see 'rbaudit check --help')");
    return rc;
}

/* The rules, then the evidence, then one engine pass. */
static rb_code produce_findings(rb_audit *run, bool gate, rb_error *err)
{
    rb_code rc;
    if ((rc = load_rules(&run->cli, run->rules, err)) ||
        (rc = load_evidence(&run->cli, run->rules, gate, run->evidence, err)))
        return rc;
    rb_engine_opts opts = {run->cli.has_now, run->cli.now, run->cli.lenient, run->cli.reference_path};
    return rb_engine_run(run->rules, run->evidence, &opts, &run->findings, &run->result, err);
}

static rb_code produce_check(rb_audit *run, rb_error *err)
{
    return produce_findings(run, false, err);
}

static const rb_audit_mode check_mode = {check_help, validate_check, produce_check};

static int run_check(int argc, char **argv)
{
    return rb_audit_main(&check_mode, argc, argv);
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
            "A new or deleted config file is one change per leaf (--old /dev/null, or an empty\n"
            "file, for a file with no committed revision).  Each changed file that no pack\n"
            "declares as config is an RBA-UNCOVERED note naming the globs it missed: it is not\n"
            "read, and --fail-on note fails on it.\n"
            "Typical use: rbaudit gate --range origin/main..HEAD ci-evidence/ --format sarif\n"
            "\n");
    rb_cli_help_options(out);
}

static rb_code validate_gate(rb_cli *o, rb_error *err)
{
    rb_code rc = validate_not_replay(o, "gate", err);
    if (!rc)
        rc = validate_pair(o, "gate", err);
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

static rb_code produce_gate(rb_audit *run, rb_error *err)
{
    return produce_findings(run, true, err);
}

static const rb_audit_mode gate_mode = {gate_help, validate_gate, produce_gate};

static int run_gate(int argc, char **argv)
{
    return rb_audit_main(&gate_mode, argc, argv);
}

const rb_command rb_cmd_gate = {
    .name = "gate",
    .summary = "change control on a git range (for CI)",
    .run = run_gate,
};
