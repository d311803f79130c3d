/*
 * cli.c — parsing the shared options (cli.h) with getopt_long.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "util.h"
#include "worker.h"

enum {
    OPT_RULES = 256,
    OPT_PACK,
    OPT_KIND,
    OPT_FORMAT,
    OPT_OUTPUT,
    OPT_FAIL_ON,
    OPT_NOW,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_NO_COLOR,
    OPT_PARAM,
    OPT_LENIENT,
    OPT_ALLOW_EMPTY,
    OPT_REFERENCE_PATH,
    OPT_WAIVERS,
    OPT_BASELINE,
    OPT_REPO,
    OPT_RANGE,
    OPT_CACHE,
    OPT_OLD,
    OPT_NEW,
    OPT_TIMESTAMPS,
    OPT_MODEL,
    OPT_WHAT_IF,
    OPT_SEED,
    OPT_EXPLORE,
    OPT_MAX_STEPS,
    OPT_DRY_RUN,
    OPT_LIMIT,
    OPT_JOBS,
    OPT_HELP,
};

static const struct option options[] = {
    {"rules", required_argument, NULL, OPT_RULES},
    {"pack", required_argument, NULL, OPT_PACK},
    {"kind", required_argument, NULL, OPT_KIND},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"now", required_argument, NULL, OPT_NOW},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"param", required_argument, NULL, OPT_PARAM},
    {"lenient", no_argument, NULL, OPT_LENIENT},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY},
    /* not in --help: reports must not change with it (tests/e2e/differential.sh) */
    {"debug-reference-path", no_argument, NULL, OPT_REFERENCE_PATH},
    {"waivers", required_argument, NULL, OPT_WAIVERS},
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"repo", required_argument, NULL, OPT_REPO},
    {"range", required_argument, NULL, OPT_RANGE},
    {"cache", required_argument, NULL, OPT_CACHE},
    {"old", required_argument, NULL, OPT_OLD},
    {"new", required_argument, NULL, OPT_NEW},
    {"timestamps", no_argument, NULL, OPT_TIMESTAMPS},
    {"model", required_argument, NULL, OPT_MODEL},
    {"what-if", required_argument, NULL, OPT_WHAT_IF},
    {"seed", required_argument, NULL, OPT_SEED},
    {"explore", required_argument, NULL, OPT_EXPLORE},
    {"max-steps", required_argument, NULL, OPT_MAX_STEPS},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    /* input_limits.h parses these by name */
    {"max-input-size", required_argument, NULL, OPT_LIMIT},
    {"max-markdown-size", required_argument, NULL, OPT_LIMIT},
    {"max-archive-ratio", required_argument, NULL, OPT_LIMIT},
    {"max-json-depth", required_argument, NULL, OPT_LIMIT},
    {"max-yaml-nodes", required_argument, NULL, OPT_LIMIT},
    {"max-xml-entities", required_argument, NULL, OPT_LIMIT},
    {"max-query-seconds", required_argument, NULL, OPT_LIMIT},
    {"max-query-memory", required_argument, NULL, OPT_LIMIT},
    {"max-query-temp", required_argument, NULL, OPT_LIMIT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

void rb_cli_help_options(FILE *out)
{
    fprintf(out,
            "Options:\n"
            "  --rules PATH          rule file, pack directory or directory of packs (repeatable);\n"
            "                        with --rules or --pack only those rules run\n"
            "  --pack NAME           a pack of the default rule directory (repeatable)\n"
            "  --kind KIND=PATH      read PATH as KIND (%s)\n"
            "  --format FORMAT       report format: %s (default text)\n"
            "  --output [FMT:]FILE   write the report to FILE ('-' is standard output), in FMT\n"
            "                        or --format; repeatable, written atomically\n"
            "  --fail-on LEVEL       exit 1 on findings at or above LEVEL: error, warning, note,\n"
            "                        never (default error)\n"
            "  --now TIME            the clock for ages and deadlines, RFC 3339 (default: the\n"
            "                        newest event time in the evidence)\n"
            "  --param RULE.NAME=V   override a rule parameter (V is read as a YAML scalar)\n"
            "  --lenient             report invalid event lines as RBA-INPUT findings, and a\n"
            "                        rule that failed on a ledger as RBA-RULE-ERROR, and go on\n"
            "  --jobs N              threads a run may keep busy (default: the processors it\n"
            "                        may run on; 1: read and evaluate on one thread)\n"
            "  --allow-empty         let a run that read no event, no document and no ledger\n"
            "                        table pass (otherwise: exit 2, nothing to audit)\n"
            "  --waivers FILE        waivers to apply (default: .rbaudit-waivers.yaml in the\n"
            "                        current directory, if there is one); see doc/rules.md\n"
            "  --baseline FILE       an earlier JSON report: its findings are suppressed as\n"
            "                        known and do not count for --fail-on\n"
            "  --repo DIR            a git repository whose --range history is evidence: a\n"
            "                        commit event per commit, a config_change event per changed\n"
            "                        leaf of each config file the packs declare\n"
            "  --range A..B          the commits of B not in A (also A...B, or one revision for\n"
            "                        all its history; default HEAD); a git work tree among the\n"
            "                        inputs is read as history when --range is given\n"
            "  --cache FILE          SQLite cache of what each commit changed (created if absent)\n"
            "  --old FILE --new FILE two revisions of one config file: their changes are\n"
            "                        config_change events with no time (before all evidence);\n"
            "                        an empty FILE or /dev/null is no revision (a new or deleted\n"
            "                        file: one change per leaf)\n"
            "  --timestamps          write when the run started (UTC) into JUnit reports; reports\n"
            "                        hold no wall-clock time otherwise\n"
            "  --quiet               write no report to standard output; the exit status tells\n"
            "  --verbose             say on standard error what the run assumed on your behalf\n"
            "                        (a time without a zone read as UTC, ...)\n"
            "  --no-color            no colours in the text report (also: NO_COLOR set)\n"
            "  --help                show this help\n"
            "\n"
            "Limits on hostile input (rbaudit(1), LIMITS):\n",
            rb_loader_kinds(), rb_reporter_names());
    rb_limits_help(out);
    fprintf(out,
            "\n"
            "Exit status: 0 no findings at or above --fail-on; 1 findings at or above it;\n"
            "2 usage error or invalid input or rule file, or a rule that failed on a ledger\n"
            "(after the reports are written; not with --lenient); 3 internal error.\n");
}

static void push(char ***items, size_t *n, const char *value)
{
    *items = rb_xrealloc(*items, (*n + 1) * sizeof **items);
    (*items)[(*n)++] = rb_xstrdup(value);
}

static rb_code parse_kind(rb_cli *o, const char *arg, rb_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return rb_error_set(err, RB_EUSAGE, "--kind %s: expected KIND=PATH (e.g. --kind jsonl=bus.log)", arg);
    char *kind = rb_xstrndup(arg, (size_t)(eq - arg));
    if (!rb_loader_find(kind)) {
        rb_error_set(err, RB_EUSAGE, "--kind %s: unknown kind '%s' (expected one of: %s)", arg, kind,
                     rb_loader_kinds());
        free(kind);
        return RB_EUSAGE;
    }
    o->kinds = rb_xrealloc(o->kinds, (o->n_kinds + 1) * sizeof *o->kinds);
    o->kinds[o->n_kinds].kind = kind;
    o->kinds[o->n_kinds].path = rb_xstrdup(rb_path_logical(eq + 1));
    o->n_kinds++;
    return RB_OK;
}

/* "--output FMT:FILE" or "--output FILE".  A prefix before ':' that looks
 * like a format name but is none is a mistake, not a file name. */
static rb_code parse_output(rb_cli *o, const char *arg, rb_error *err)
{
    const rb_reporter *reporter = NULL;
    const char *path = arg, *colon = strchr(arg, ':');
    if (colon && colon > arg) {
        bool word = true;
        for (const char *c = arg; c < colon; c++)
            word = word && ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'));
        char *name = rb_xstrndup(arg, (size_t)(colon - arg));
        reporter = rb_reporter_find(name);
        if (word && !reporter) {
            rb_error_set(err, RB_EUSAGE, "--output %s: unknown format '%s' (expected one of: %s)", arg,
                         name, rb_reporter_names());
            free(name);
            return RB_EUSAGE;
        }
        free(name);
        if (reporter)
            path = colon + 1;
    }
    if (!*path)
        return rb_error_set(err, RB_EUSAGE, "--output %s: expected a file name after the format", arg);
    o->outputs = rb_xrealloc(o->outputs, (o->n_outputs + 1) * sizeof *o->outputs);
    o->outputs[o->n_outputs].reporter = reporter;
    o->outputs[o->n_outputs].path = rb_xstrdup(path);
    o->n_outputs++;
    return RB_OK;
}

static rb_code parse_fail_on(rb_cli *o, const char *arg, rb_error *err)
{
    o->fail_never = strcmp(arg, "never") == 0;
    if (o->fail_never || rb_severity_parse(arg, &o->fail_on))
        return RB_OK;
    return rb_error_set(err, RB_EUSAGE, "--fail-on %s: expected error, warning, note or never", arg);
}

/* A whole number of at least min (and below 2^63). */
static rb_code parse_count(const char *option, const char *arg, int64_t min, int64_t *out, rb_error *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (!*arg || *end || errno || v < min || arg[0] == '+')
        return rb_error_set(err, RB_EUSAGE, "%s %s: expected a whole number of at least %lld", option, arg,
                            (long long)min);
    *out = v;
    return RB_OK;
}

/* An option that takes one value: the last one given counts. */
static rb_code set_string(char **slot, const char *arg)
{
    free(*slot);
    *slot = rb_xstrdup(arg);
    return RB_OK;
}

static rb_code parse_option(rb_cli *o, int opt, const char *arg, rb_error *err)
{
    switch (opt) {
    case OPT_RULES:
        push(&o->rule_paths, &o->n_rule_paths, arg);
        return RB_OK;
    case OPT_PACK:
        push(&o->packs, &o->n_packs, arg);
        return RB_OK;
    case OPT_KIND:
        return parse_kind(o, arg, err);
    case OPT_FORMAT:
        o->format = rb_reporter_find(arg);
        return o->format ? RB_OK
                         : rb_error_set(err, RB_EUSAGE, "--format %s: unknown format (expected one of: %s)",
                                        arg, rb_reporter_names());
    case OPT_OUTPUT:
        return parse_output(o, arg, err);
    case OPT_FAIL_ON:
        return parse_fail_on(o, arg, err);
    case OPT_NOW:
        o->has_now = rb_time_parse(arg, &o->now);
        return o->has_now ? RB_OK
                          : rb_error_set(err, RB_EUSAGE,
                                         "--now %s: expected an RFC 3339 time such as 2026-04-12T10:22:00Z", arg);
    case OPT_QUIET:
        o->quiet = true;
        return RB_OK;
    case OPT_VERBOSE:
        o->verbose = true;
        return RB_OK;
    case OPT_NO_COLOR:
        o->no_color = true;
        return RB_OK;
    case OPT_PARAM:
        return rb_overrides_add(&o->overrides, arg, err);
    case OPT_LENIENT:
        o->lenient = true;
        return RB_OK;
    case OPT_JOBS:
        return parse_count("--jobs", arg, 1, &o->jobs, err);
    case OPT_ALLOW_EMPTY:
        o->allow_empty = true;
        return RB_OK;
    case OPT_REFERENCE_PATH:
        o->reference_path = true;
        return RB_OK;
    case OPT_WAIVERS:
        return set_string(&o->waivers, arg);
    case OPT_BASELINE:
        return set_string(&o->baseline, arg);
    case OPT_REPO:
        return set_string(&o->repo, arg);
    case OPT_RANGE:
        return set_string(&o->range, arg);
    case OPT_CACHE:
        return set_string(&o->cache, arg);
    case OPT_OLD:
        return set_string(&o->old_file, arg);
    case OPT_NEW:
        return set_string(&o->new_file, arg);
    case OPT_TIMESTAMPS:
        o->timestamps = true;
        return RB_OK;
    case OPT_MODEL:
        return set_string(&o->model, arg);
    case OPT_WHAT_IF:
        return set_string(&o->what_if, arg);
    case OPT_SEED:
        o->has_seed = true;
        return parse_count("--seed", arg, 0, (int64_t *)&o->seed, err);
    case OPT_EXPLORE:
        o->has_explore = true;
        return parse_count("--explore", arg, 0, &o->explore, err);
    case OPT_MAX_STEPS:
        return parse_count("--max-steps", arg, 1, (int64_t *)&o->max_steps, err);
    case OPT_DRY_RUN:
        return RB_OK;
    case OPT_HELP:
        o->help = true;
        return RB_OK;
    default:
        return rb_error_set(err, RB_EINTERNAL, "unhandled option %d", opt);
    }
}

rb_code rb_cli_parse(rb_cli *o, int argc, char **argv, rb_error *err)
{
    memset(o, 0, sizeof *o);
    o->format = &rb_reporter_text;
    o->fail_on = RB_SEV_ERROR;
    o->limits = rb_limits_default;
    optind = 0; /* GNU: reinitialise, and do not let getopt print */
    opterr = 0;
    for (;;) {
        int index = -1;
        int opt = getopt_long(argc, argv, ":", options, &index);
        if (opt == -1)
            break;
        if (opt == ':')
            return rb_error_set(err, RB_EUSAGE, "%s: option '%s' needs a value (see 'rbaudit %s --help')",
                                argv[0], argv[optind - 1], argv[0]);
        if (opt == '?')
            return rb_error_set(err, RB_EUSAGE, "%s: unknown option '%s' (see 'rbaudit %s --help')", argv[0],
                                argv[optind - 1], argv[0]);
        rb_code rc = opt == OPT_LIMIT ? rb_limits_parse(&o->limits, options[index].name, optarg, err)
                                      : parse_option(o, opt, optarg, err);
        if (rc)
            return rc;
    }
    for (int i = optind; i < argc; i++)
        push(&o->inputs, &o->n_inputs, argv[i]);
    rb_limits_set(&o->limits);
    rb_verbose_set(o->verbose);
    if (o->jobs)
        rb_workers_allow(o->jobs > 1024 ? 1024 : (unsigned)o->jobs);
    return RB_OK;
}

static void free_strings(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

void rb_cli_free(rb_cli *o)
{
    free_strings(o->inputs, o->n_inputs);
    free_strings(o->rule_paths, o->n_rule_paths);
    free_strings(o->packs, o->n_packs);
    for (size_t i = 0; i < o->n_kinds; i++) {
        free(o->kinds[i].kind);
        free(o->kinds[i].path);
    }
    free(o->kinds);
    for (size_t i = 0; i < o->n_outputs; i++)
        free(o->outputs[i].path);
    free(o->outputs);
    rb_overrides_free(&o->overrides);
    free(o->waivers);
    free(o->baseline);
    free(o->repo);
    free(o->range);
    free(o->cache);
    free(o->old_file);
    free(o->new_file);
    free(o->model);
    free(o->what_if);
    memset(o, 0, sizeof *o);
}

const char *rb_cli_replay_option(const rb_cli *o)
{
    return o->model ? "--model" : o->what_if ? "--what-if" : o->has_seed ? "--seed" : o->has_explore ? "--explore"
           : o->max_steps ? "--max-steps" : NULL;
}

const char *rb_cli_evidence_option(const rb_cli *o)
{
    return o->n_rule_paths ? "--rules" : o->n_packs ? "--pack" : o->n_kinds ? "--kind" : o->repo ? "--repo"
           : o->range ? "--range" : o->cache ? "--cache" : o->old_file ? "--old" : o->new_file ? "--new"
           : o->overrides.n ? "--param" : NULL;
}

const char *rb_cli_kind_for(const rb_cli *o, const char *path)
{
    for (size_t i = 0; i < o->n_kinds; i++)
        if (strcmp(o->kinds[i].path, rb_path_logical(path)) == 0)
            return o->kinds[i].kind;
    return NULL;
}

bool rb_cli_fails(const rb_cli *o, rb_severity sev)
{
    return !o->fail_never && sev >= o->fail_on;
}

rb_code rb_cli_open_own_output(const rb_cli *o, const char *command, rb_output *out, rb_error *err)
{
    if (o->format != &rb_reporter_text && o->format != &rb_reporter_json)
        return rb_error_set(err, RB_EUSAGE, "%s: --format %s: expected text or json", command, o->format->name);
    if (o->n_outputs > 1 || (o->n_outputs && o->outputs[0].reporter))
        return rb_error_set(err, RB_EUSAGE, "%s: expected at most one --output FILE", command);
    return rb_output_open(out, o->format, o->n_outputs ? o->outputs[0].path : "-", err);
}

int rb_cli_main(int argc, char **argv, void (*help)(FILE *out),
                rb_code (*run)(const rb_cli *o, int *status, rb_error *err))
{
    rb_cli o;
    rb_error err;
    rb_error_clear(&err);
    int status = 0;
    rb_code rc = rb_cli_parse(&o, argc, argv, &err);
    if (!rc && o.help)
        help(stdout);
    else if (!rc)
        rc = run(&o, &status, &err);
    rb_cli_free(&o);
    if (rc) {
        fprintf(stderr, "rbaudit: %s\n", err.message);
        return rb_error_exit_status(rc);
    }
    return status;
}

rb_code rb_cli_write_own(const rb_cli *o, rb_output *out, const json_t *result,
                         void (*write_text)(FILE *f, const json_t *result), rb_error *err)
{
    if (o->format == &rb_reporter_json) {
        json_dumpf(result, out->file, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out->file);
    } else {
        write_text(out->file, result);
    }
    return rb_output_commit(out, err);
}
