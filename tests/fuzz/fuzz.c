/*
 * fuzz.c — the harness the fuzz targets share (fuzz.h).
 */
#include "fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "loader.h"
#include "report.h"
#include "replay/replay.h"
#include "util.h"

static char *scratch_dir;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void remove_scratch(void)
{
    if (nftw(scratch_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", scratch_dir);
    free(scratch_dir);
}

static const char *scratch(void)
{
    if (scratch_dir)
        return scratch_dir;
    const char *tmp = getenv("TMPDIR");
    char *templ = rb_xasprintf("%s/rbaudit-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(templ)) {
        fprintf(stderr, "fuzz: mkdtemp %s: %s\n", templ, strerror(errno));
        abort();
    }
    scratch_dir = templ;
    atexit(remove_scratch);
    return scratch_dir;
}

/* Makes the directories above path (all inside the scratch directory). */
static void make_parents(char *path)
{
    for (char *slash = strchr(path + strlen(scratch()) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "fuzz: mkdir %s: %s\n", path, strerror(errno));
            abort();
        }
        *slash = '/';
    }
}

char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    char *path = rb_xasprintf("%s/%s", scratch(), name);
    make_parents(path);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    return path;
}

const char *fuzz_pick(const char *const *names, size_t n_names, size_t size)
{
    return names[size % n_names];
}

char *fuzz_source_path(const char *relative)
{
    return rb_xasprintf("%s/%s", RB_SRCDIR, relative);
}

const rb_ruleset *fuzz_shipped_rules(void)
{
    static rb_ruleset *rules;
    if (rules)
        return rules;
    rules = rb_ruleset_new();
    rb_error err;
    rb_error_clear(&err);
    char *dir = fuzz_source_path("rules");
    if (rb_ruleset_load(rules, dir, NULL, &err)) {
        fprintf(stderr, "fuzz: the shipped packs do not load: %s\n", err.message);
        abort();
    }
    free(dir);
    rb_ruleset_finish(rules);
    return rules;
}

void fuzz_expect_no_internal_error(rb_code rc, const rb_error *err)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (rc && verbose)
        fprintf(stderr, "fuzz: %s\n", err->message);
    if (rc != RB_EINTERNAL)
        return;
    fprintf(stderr, "fuzz: internal error on untrusted input: %s\n", err->message);
    abort();
}

void fuzz_write_reports(const rb_ruleset *rules, const rb_evidence *ev, const rb_findings *findings,
                        const json_t *replay, const rb_json_streams *streams)
{
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        abort();
    static const rb_reporter *const reporters[] = {&rb_reporter_text, &rb_reporter_json, &rb_reporter_sarif,
                                                   &rb_reporter_junit, &rb_reporter_markdown,
                                                   &rb_reporter_codequality};
    rb_findings none = {0};
    rb_report report = {.evidence = ev, .rules = rules, .findings = findings, .suppressed = &none,
                        .replay = replay, .streams = streams};
    rb_summary_count(&report.summary, findings);
    rb_report_style style = {false};
    for (size_t i = 0; i < sizeof reporters / sizeof *reporters; i++) {
        rb_error err;
        rb_error_clear(&err);
        fuzz_expect_no_internal_error(reporters[i]->write(&report, &style, sink, &err), &err);
    }
}

rb_code fuzz_audit(const rb_ruleset *rules, const char *path, const char *kind, bool lenient, rb_evidence *ev,
                   rb_findings *findings)
{
    rb_engine_result result;
    rb_error err;
    rb_error_clear(&err);
    rb_load_opts opts = {.sources = rules->sources, .n_sources = rules->n_sources, .lenient = lenient,
                         .config = &rules->config};
    rb_engine_opts engine = {0};
    rb_code rc = rb_load_input(ev, path, kind, &opts, &err);
    if (!rc)
        rc = rb_engine_run(rules, ev, &engine, findings, &result, &err);
    fuzz_expect_no_internal_error(rc, &err);
    if (!rc)
        rb_engine_result_free(&result);
    return rc;
}

void fuzz_audit_path(const char *path, bool lenient)
{
    const rb_ruleset *rules = fuzz_shipped_rules();
    rb_evidence *ev = rb_evidence_new();
    rb_findings findings = {0};
    if (fuzz_audit(rules, path, NULL, lenient, ev, &findings) == RB_OK)
        fuzz_write_reports(rules, ev, &findings, NULL, NULL);
    rb_findings_clear(&findings);
    rb_evidence_free(ev);
}

void fuzz_audit_bytes(const char *const *names, size_t n_names, const uint8_t *data, size_t size)
{
    char *path = fuzz_file(fuzz_pick(names, n_names, size), data, size);
    fuzz_audit_path(path, size / n_names % 2);
    free(path);
}

void fuzz_inspect_bundle(const char *path)
{
    char *report = rb_xasprintf("%s/inspect.json", scratch());
    char *argv[] = {"bundle", "inspect", (char *)path, "--format", "json", "--output", report, NULL};
    int status = rb_cmd_bundle.run(sizeof argv / sizeof *argv - 1, argv);
    if (status == 3)
        abort();
    free(report);
}

void fuzz_replay(const char *trace, const char *model, const char *what_if)
{
    rp_replay_opts opts = {.trace = trace, .model = model, .what_if = what_if, .seed = 1, .lenient = true};
    rp_replay_result result;
    rb_findings findings = {0};
    rb_error err;
    rb_error_clear(&err);
    rb_code rc = rp_replay_run(&opts, &result, &findings, &err);
    fuzz_expect_no_internal_error(rc, &err);
    static rb_ruleset *no_rules;
    if (!no_rules)
        no_rules = rb_ruleset_new();
    if (!rc)
        fuzz_write_reports(no_rules, result.evidence, &findings, result.report, result.streams);
    rb_findings_clear(&findings);
    rp_replay_result_free(&result);
}
