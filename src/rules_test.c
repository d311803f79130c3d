/*
 * rules_test.c — running packs' fixtures and diffing the findings against
 * their annotations (rules_test.h).
 *
 * Expected and actual findings become sorted lists of "RULE place" lines
 * (place: "file:line", or "file:-" when a finding has no line), compared
 * as multisets so that two findings on one line must both be expected.
 */
#include "rules_test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "engine.h"
#include "ledger.h"
#include "loader.h"
#include "pack.h"
#include "util.h"

typedef struct lines {
    char **items;
    size_t n, cap;
} lines;

static void lines_add(lines *l, char *line)
{
    rb_grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items);
    l->items[l->n++] = line;
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Adds "RULE place" for each id of an `_expect` value. */
static rb_code expect_ids(const json_t *ids, const char *place, const char *file, long line, lines *out,
                          rb_error *err)
{
    if (json_is_string(ids)) {
        lines_add(out, rb_xasprintf("%s %s", json_string_value(ids), place));
        return RB_OK;
    }
    size_t i;
    json_t *id;
    if (!json_is_array(ids))
        return rb_error_set(err, RB_EINPUT, "%s:%ld: '_expect' must be a rule id or a list of them", file, line);
    json_array_foreach(ids, i, id) {
        if (!json_is_string(id))
            return rb_error_set(err, RB_EINPUT, "%s:%ld: '_expect' must be a rule id or a list of them", file, line);
        lines_add(out, rb_xasprintf("%s %s", json_string_value(id), place));
    }
    return RB_OK;
}

/* The `_expect` annotations of a JSON Lines fixture. */
static rb_code read_annotations(const char *fixture, lines *out, rb_error *err)
{
    FILE *f = fopen(fixture, "r");
    if (!f)
        return rb_error_set(err, RB_EINPUT, "%s: cannot open", fixture);
    char *text = NULL;
    size_t cap = 0;
    long line = 0;
    rb_code rc = RB_OK;
    while (!rc && getline(&text, &cap, f) >= 0) {
        line++;
        json_t *event = json_loads(text, JSON_DECODE_ANY, NULL);
        const json_t *ids = json_object_get(event, "_expect");
        if (ids) {
            char *place = rb_xasprintf("%s:%ld", rb_path_logical(fixture), line);
            rc = expect_ids(ids, place, fixture, line, out, err);
            free(place);
        }
        json_decref(event);
    }
    free(text);
    fclose(f);
    return rc;
}

/* The findings listed in FIXTURE.expect, if there is one. */
static rb_code read_sidecar(const char *fixture, lines *out, rb_error *err)
{
    char *path = rb_xasprintf("%s.expect", fixture);
    FILE *f = fopen(path, "r");
    rb_code rc = RB_OK;
    if (f) {
        char *text = NULL;
        size_t cap = 0;
        long n = 0;
        while (!rc && getline(&text, &cap, f) >= 0) {
            n++;
            char rule[128], where[32];
            char *hash = strchr(text, '#');
            if (hash)
                *hash = '\0';
            int got = sscanf(text, "%127s %31s", rule, where);
            if (got == 2)
                lines_add(out, rb_xasprintf("%s %s:%s", rule, rb_path_logical(fixture), where));
            else if (got == 1)
                rc = rb_error_set(err, RB_EINPUT, "%s:%ld: expected 'RULE-ID LINE' (LINE a number or -)", path, n);
        }
        free(text);
        fclose(f);
    }
    free(path);
    return rc;
}

/* "RULE place" lines of the findings of the pack's rules (of rule_file
 * only, when not NULL), a built-in finding a rule explains counting as that
 * rule's; a finding with no line is placed at "FIXTURE:-". */
static void actual_lines(const rb_findings *found, const rb_ruleset *rs, const char *rule_file,
                         const char *fixture, lines *out)
{
    for (size_t i = 0; i < found->n; i++) {
        const rb_finding *f = found->items[i];
        const char *explained_by = json_string_value(json_object_get(f->extra, "explained_by"));
        const rb_rule *rule = rb_ruleset_find(rs, explained_by ? explained_by : f->rule_id);
        if (!rule || (rule_file && strcmp(rule->file, rule_file) != 0))
            continue;
        const char *file = f->n_origins ? f->origins[0].input->path : rb_path_logical(fixture);
        long line = f->n_origins ? f->origins[0].line : 0;
        lines_add(out, line ? rb_xasprintf("%s %s:%ld", rule->id, file, line)
                            : rb_xasprintf("%s %s:-", rule->id, file));
    }
}

/* Prints the difference of two sorted multisets; returns whether equal. */
static bool print_diff(const lines *expected, const lines *actual, FILE *out)
{
    size_t i = 0, j = 0;
    bool same = true;
    while (i < expected->n || j < actual->n) {
        int c = i == expected->n ? 1 : j == actual->n ? -1 : strcmp(expected->items[i], actual->items[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        same = false;
        if (c < 0)
            fprintf(out, "  - %s (expected, not found)\n", expected->items[i++]);
        else
            fprintf(out, "  + %s (found, not expected)\n", actual->items[j++]);
    }
    return same;
}

/* A fixture NAME.sql is a ledger: the script runs into a private
 * in-memory database, which `db:` and `files:` globs know as NAME. */
static rb_code load_script_ledger(rb_evidence *ev, const char *fixture, const rb_load_opts *opts, rb_error *err)
{
    unsigned char *script;
    size_t len;
    rb_code rc = rb_read_file(fixture, rb_limits_get()->input_bytes, &script, &len, err);
    sqlite3 *db = NULL;
    if (!rc)
        rc = rb_ledger_from_script((const char *)script, rb_path_logical(fixture), &db, err);
    if (!rc) {
        rb_input *in = rb_evidence_add_input(ev, fixture, "sqlite", script, len);
        char *name = rb_xstrndup(rb_path_basename(fixture), strlen(rb_path_basename(fixture)) - strlen(".sql"));
        rb_sqlite_attach(ev, in, db, name, opts);
        free(name);
    }
    free(script);
    return rc;
}

/* A rule that failed on a fixture fails the test run, as any error; one
 * under test that does not apply to it is said in the output. */
static rb_code tell_statuses(const rb_rule_statuses *statuses, const char *rule_file, FILE *out, rb_error *err)
{
    for (size_t i = 0; i < statuses->n; i++) {
        const rb_rule_status *s = &statuses->items[i];
        if (s->outcome == RB_RULE_FAILED)
            return rb_error_set(err, RB_EINPUT, "%s", s->reason);
        if (!rule_file || strcmp(s->rule->file, rule_file) == 0)
            fprintf(out, "  ~ %s does not apply: %s\n", s->rule->id, s->reason);
    }
    return RB_OK;
}

static rb_code run_fixture(const rb_ruleset *rs, const char *rule_file, const char *fixture, bool *passed,
                           FILE *out, rb_error *err)
{
    lines expected = {0}, actual = {0};
    rb_findings found = {0};
    rb_evidence *ev = rb_evidence_new();
    rb_load_opts opts = {.sources = rs->sources, .n_sources = rs->n_sources};
    rb_engine_opts engine_opts = {0};
    rb_engine_result result = {0};
    rb_code rc = RB_OK;
    if (rb_has_suffix(fixture, ".jsonl") || rb_has_suffix(fixture, ".ndjson"))
        rc = read_annotations(fixture, &expected, err);
    if (!rc)
        rc = read_sidecar(fixture, &expected, err);
    if (!rc)
        rc = rb_has_suffix(fixture, ".sql") ? load_script_ledger(ev, fixture, &opts, err)
                                            : rb_load_input(ev, fixture, NULL, &opts, err);
    if (!rc)
        rc = rb_engine_run(rs, ev, &engine_opts, &found, &result, err);
    if (!rc)
        rc = tell_statuses(&result.statuses, rule_file, out, err);
    if (!rc) {
        actual_lines(&found, rs, rule_file, fixture, &actual);
        if (expected.n > 1)
            qsort(expected.items, expected.n, sizeof *expected.items, rb_strcmp_ptr);
        if (actual.n > 1)
            qsort(actual.items, actual.n, sizeof *actual.items, rb_strcmp_ptr);
        *passed = print_diff(&expected, &actual, out);
        if (!*passed)
            fprintf(out, "  in %s\n", rb_path_logical(fixture));
    }
    rb_findings_clear(&found);
    rb_engine_result_free(&result);
    rb_evidence_free(ev);
    lines_free(&expected);
    lines_free(&actual);
    return rc;
}

/* A pack being tested. */
typedef struct pack_run {
    const rb_ruleset *rs;
    const char *dir;
    FILE *out;
    size_t fixtures, failed;
} pack_run;

/* The rule file a fixture belongs to: tests/NAME.* goes with NAME.yaml (or
 * .yml) of the pack, whose rules alone it then tests; NULL when there is
 * none and the fixture tests the whole pack.  The caller frees it. */
static char *rule_file_of(const char *dir, const char *fixture_name)
{
    size_t stem = strcspn(fixture_name, ".");
    static const char *const suffixes[] = {".yaml", ".yml"};
    for (size_t i = 0; i < 2; i++) {
        char *path = rb_xasprintf("%s%s%.*s%s", dir, rb_has_suffix(dir, "/") ? "" : "/", (int)stem,
                                  fixture_name, suffixes[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return path;
        free(path);
    }
    return NULL;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static rb_code visit_fixture(void *ctx, const char *path, const char *name, const struct stat *st, rb_error *err)
{
    pack_run *run = ctx;
    /* subdirectories group fixtures (tests/clean/) and let two ledger
     * fixtures have the same name; one with a manifest is a bundle fixture */
    if (S_ISDIR(st->st_mode) && !rb_bundle_is_bundle_path(path))
        return rb_dir_each(path, 0, RB_EINPUT, visit_fixture, run, err);
    if (!S_ISDIR(st->st_mode) && (!S_ISREG(st->st_mode) || rb_has_suffix(name, ".expect") ||
                                  !(rb_loader_for_name(path) || rb_has_suffix(name, ".sql"))))
        return RB_OK;
    bool passed = true;
    char *rule_file = rule_file_of(run->dir, name);
    rb_code rc = run_fixture(run->rs, rule_file, path, &passed, run->out, err);
    free(rule_file);
    run->fixtures++;
    run->failed += !passed;
    return rc;
}


static rb_code test_pack(const char *dir, FILE *out, size_t *failed, rb_error *err)
{
    char *tests = rb_xasprintf("%s/tests", dir);
    rb_ruleset *rs = rb_ruleset_new();
    rb_code rc = rb_ruleset_load(rs, dir, NULL, err);
    rb_ruleset_finish(rs);
    pack_run run = {rs, dir, out, 0, 0};
    if (!rc)
        rc = rb_dir_each(tests, 0, RB_EINPUT, visit_fixture, &run, err);
    if (!rc)
        fprintf(out, "%s: %zu rules, %zu fixtures, %s\n", rb_path_logical(dir), rs->n, run.fixtures,
                run.failed ? "FAILED" : "ok");
    *failed += run.failed;
    rb_ruleset_free(rs);
    free(tests);
    return rc;
}

typedef struct packs_walk {
    FILE *out;
    size_t *failed;
} packs_walk;

static rb_code visit_pack(void *ctx, const char *path, const char *name, const struct stat *st, rb_error *err)
{
    (void)name;
    packs_walk *w = ctx;
    char *tests = rb_xasprintf("%s/tests", path);
    rb_code rc = S_ISDIR(st->st_mode) && is_dir(tests) ? test_pack(path, w->out, w->failed, err) : RB_OK;
    free(tests);
    return rc;
}

rb_code rb_rules_test(const char *path, FILE *out, size_t *failed, rb_error *err)
{
    char *tests = rb_xasprintf("%s/tests", path);
    bool one_pack = is_dir(tests);
    free(tests);
    if (one_pack)
        return test_pack(path, out, failed, err);
    if (!is_dir(path))
        return rb_error_set(err, RB_EUSAGE, "%s: not a pack (expected a directory with tests/, or a directory of packs)",
                            path);
    packs_walk w = {out, failed};
    return rb_dir_each(path, 0, RB_EUSAGE, visit_pack, &w, err);
}
