/*
 * cmd_rules.c — `rbaudit rules list|show ID|lint PATH...|test PATH...`:
 * tooling for rule packs.
 */
#include <stdlib.h>
#include <string.h>

#include "check_kind.h"
#include "cli.h"
#include "commands.h"
#include "pack.h"
#include "rules_test.h"
#include "template.h"
#include "util.h"

static void rules_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit rules list [--rules PATH]... [--pack NAME]... [--format text|json]\n"
            "       rbaudit rules show ID [--rules PATH]... [--pack NAME]...\n"
            "       rbaudit rules lint PATH...\n"
            "       rbaudit rules test PATH...\n"
            "\n"
            "list  every rule that `check` would run (the default packs, or --rules/--pack),\n"
            "      sorted by id: id, severity, pack, check kind, title.\n"
            "show  everything about one rule; exit 2 for an unknown id.\n"
            "lint  reports every mistake in the rule files under PATH as FILE:LINE: error: ...\n"
            "      (unknown keys, bad selectors and regular expressions, a missing or second\n"
            "      check, duplicate ids) and FILE:LINE: warning: ... for parameters nothing\n"
            "      refers to.  Exit 1 when there are errors, 0 when only warnings or none.\n"
            "test  runs the fixtures in each pack's tests/ (PATH: a pack, or a directory of\n"
            "      packs): a JSON Lines line with \"_expect\": \"RULE-ID\" (or a list) expects\n"
            "      that finding on that line; FIXTURE.expect lists more, one 'RULE-ID LINE'\n"
            "      per line ('-' for none).  tests/NAME.* tests only the rules of NAME.yaml\n"
            "      when the pack has that file, else every rule of the pack.  Any missing\n"
            "      or unexpected finding is printed as a diff and the exit status is 1.\n"
            "\n"
            "Exit status: 0 clean, 1 lint errors or failing fixtures, 2 usage error or an\n"
            "unreadable rule file or fixture.\n");
}

static rb_code load_chosen(rb_cli *o, rb_ruleset *rs, rb_error *err)
{
    return rb_ruleset_load_chosen(rs, o->rule_paths, o->n_rule_paths, o->packs, o->n_packs, &o->overrides, err);
}

static int rules_list(rb_cli *o, rb_error *err)
{
    rb_ruleset *rs = rb_ruleset_new();
    rb_code rc = load_chosen(o, rs, err);
    bool json = o->format == &rb_reporter_json;
    json_t *list = json_array();
    for (size_t i = 0; !rc && i < rs->n; i++) {
        const rb_rule *r = rs->rules[i];
        if (json)
            json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", r->id, "severity",
                                                  rb_severity_name(r->severity), "pack", r->pack, "check",
                                                  r->check->name, "title", r->title));
        else
            printf("%-18s %-8s %-10s %-10s %s\n", r->id, rb_severity_name(r->severity), r->pack, r->check->name,
                   r->title);
    }
    if (!rc && json) {
        json_dumpf(list, stdout, JSON_INDENT(2));
        putchar('\n');
    }
    json_decref(list);
    rb_ruleset_free(rs);
    return rc;
}

static int rules_show(rb_cli *o, rb_error *err)
{
    if (o->n_inputs != 1)
        return rb_error_set(err, RB_EUSAGE, "rules show: expected one rule id (see 'rbaudit rules --help')");
    rb_ruleset *rs = rb_ruleset_new();
    rb_code rc = load_chosen(o, rs, err);
    const rb_rule *r = rc ? NULL : rb_ruleset_find(rs, o->inputs[0]);
    if (!rc && !r)
        rc = rb_error_set(err, RB_EUSAGE, "rules show: no rule '%s' among the loaded rules", o->inputs[0]);
    if (r) {
        printf("%s  %s\n  severity:    %s\n  pack:        %s\n  defined at:  %s:%ld\n  check:       %s\n",
               r->id, r->title, rb_severity_name(r->severity), r->pack, r->file, r->line, r->check->name);
        printf("  runbook:     %s\n  message:     %s\n  remediation: %s\n", r->runbook ? r->runbook : "-",
               r->message, r->remediation ? r->remediation : "-");
        char *params = json_dumps(r->params, JSON_COMPACT | JSON_SORT_KEYS);
        char *tags = json_dumps(r->tags, JSON_COMPACT);
        char *source = json_dumps(r->source, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("  params:      %s\n  tags:        %s\n  as written:\n%s\n", params, tags, source);
        free(params);
        free(tags);
        free(source);
    }
    rb_ruleset_free(rs);
    return rc;
}

/* What lint has found so far. */
typedef struct lint_run {
    size_t errors, warnings;
} lint_run;

static void lint_error(void *ctx, const rb_error *err)
{
    lint_run *run = ctx;
    /* messages are "FILE:LINE: text" */
    const char *text = strstr(err->message, ": ");
    if (text)
        printf("%.*s: error: %s\n", (int)(text - err->message), err->message, text + 2);
    else
        printf("%s: error\n", err->message);
    run->errors++;
}

/* Whether the rule's text refers to "{name}" anywhere. */
static bool refers_to(const rb_rule *r, const char *name)
{
    char *text = json_dumps(r->source, JSON_COMPACT | JSON_ENCODE_ANY);
    char *ref = rb_xasprintf("{%s}", name);
    bool found = strstr(text, ref) != NULL;
    free(ref);
    free(text);
    return found;
}

static void lint_params(const rb_ruleset *rs, lint_run *run)
{
    for (size_t i = 0; i < rs->n; i++) {
        const rb_rule *r = rs->rules[i];
        const char *name;
        json_t *value;
        json_object_foreach(r->params, name, value) {
            if (refers_to(r, name))
                continue;
            printf("%s:%ld: warning: rule %s: parameter '%s' is never used (expected a {%s} reference)\n",
                   r->file, r->line, r->id, name, name);
            run->warnings++;
        }
    }
}

static int rules_lint(rb_cli *o, rb_error *err)
{
    if (!o->n_inputs)
        return rb_error_set(err, RB_EUSAGE, "rules lint: expected a rule file or directory");
    lint_run run = {0, 0};
    rb_ruleset *rs = rb_ruleset_new();
    rs->diag = lint_error;
    rs->diag_ctx = &run;
    rb_code rc = RB_OK;
    for (size_t i = 0; i < o->n_inputs && !rc; i++)
        rc = rb_ruleset_load(rs, o->inputs[i], NULL, err);
    rb_ruleset_finish(rs);
    if (!rc) {
        lint_params(rs, &run);
        printf("%zu rules: %zu errors, %zu warnings\n", rs->n, run.errors, run.warnings);
    }
    rb_ruleset_free(rs);
    return rc ? (int)rc : run.errors ? -1 : 0;
}

static int rules_test(rb_cli *o, rb_error *err)
{
    if (!o->n_inputs)
        return rb_error_set(err, RB_EUSAGE, "rules test: expected a pack or a directory of packs");
    size_t failed = 0;
    rb_code rc = RB_OK;
    for (size_t i = 0; i < o->n_inputs && !rc; i++)
        rc = rb_rules_test(o->inputs[i], stdout, &failed, err);
    return rc ? (int)rc : failed ? -1 : 0;
}

typedef struct rules_verb {
    const char *name;
    int (*run)(rb_cli *o, rb_error *err);  /* an rb_code, or -1: ran and found problems */
} rules_verb;

static const rules_verb verbs[] = {
    {"list", rules_list},
    {"show", rules_show},
    {"lint", rules_lint},
    {"test", rules_test},
};

static int run_rules(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        rules_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const rules_verb *verb = NULL;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            verb = &verbs[i];
    if (!verb) {
        fprintf(stderr, "rbaudit: rules: unknown action '%s' (expected list, show, lint or test)\n", argv[1]);
        return 2;
    }
    /* the verb's arguments, parsed as "rules ARGS..." so messages name the command */
    char **args = rb_xcalloc((size_t)argc, sizeof *args);
    args[0] = argv[0];
    for (int i = 2; i < argc; i++)
        args[i - 1] = argv[i];
    rb_cli o;
    rb_error err;
    rb_error_clear(&err);
    int status;
    rb_code rc = rb_cli_parse(&o, argc - 1, args, &err);
    if (!rc && o.help) {
        rules_help(stdout);
        status = 0;
    } else {
        int result = rc ? (int)rc : verb->run(&o, &err);
        status = result < 0 ? 1 : result ? rb_error_exit_status((rb_code)result) : 0;
        if (result > 0)
            fprintf(stderr, "rbaudit: %s\n", err.message);
    }
    rb_cli_free(&o);
    free(args);
    return status;
}

const rb_command rb_cmd_rules = {
    .name = "rules",
    .summary = "list, show, lint and test rule packs",
    .run = run_rules,
};
