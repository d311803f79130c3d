/*
 * check_kinds.c — the event check kinds (before, after, between, sequence,
 * concurrent, final, count, changes) through the engine: for each, a violating and
 * a clean case and the edges a user hits — equal timestamps, mixed
 * offsets, a key that never closes, `within` exactly at the boundary,
 * empty evidence, out-of-order input, and mistakes in the check.
 */
#include "unit.h"

#include <stdio.h>
#include <unistd.h>

#include "engine.h"
#include "pack.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

static const rb_load_opts plain_opts = {0};

/* What a run gave: "RULE:LINE:KEY[:MESSAGE]" per finding in report order,
 * ';'-separated, and the pending count. */
typedef struct outcome {
    char *findings;
    size_t pending;
} outcome;

/* Runs one rule (YAML text of a single rule mapping) over events (JSON
 * Lines) and, when `untimed` is not NULL, the <testcase> elements of a
 * JUnit suite without a timestamp: events of unknown time, whose key is
 * their name and whose line is that of the element (the first is on line
 * 2).  `now` is --now or NULL.  with_messages adds each message. */
static outcome run_rules_over(const char *rule, const char *events, const char *untimed, const char *now,
                              bool with_messages)
{
    char *rules = rb_xasprintf("- id: TEST-KIND-001\n  title: t\n  severity: error\n%s", rule);
    unit_write_file("r.yaml", rules);
    free(rules);
    unit_write_file("e.jsonl", events);
    rb_ruleset *rs = rb_ruleset_new();
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_ruleset_load(rs, "r.yaml", NULL, &err) == RB_OK, "%s", err.message);
    rb_ruleset_finish(rs);
    rb_evidence *ev = rb_evidence_new();
    ck_assert_int_eq(rb_load_input(ev, "e.jsonl", NULL, &plain_opts, &err), RB_OK);
    if (untimed) {
        char *junit = rb_xasprintf("<testsuite name=\"untimed\">\n%s</testsuite>\n", untimed);
        unit_write_file("u.xml", junit);
        free(junit);
        ck_assert_int_eq(rb_load_input(ev, "u.xml", NULL, &plain_opts, &err), RB_OK);
    }
    rb_engine_opts opts = {.has_now = now != NULL};
    if (now)
        ck_assert(rb_time_parse(now, &opts.now));
    rb_findings found = {0};
    rb_engine_result result;
    ck_assert_msg(rb_engine_run(rs, ev, &opts, &found, &result, &err) == RB_OK, "%s", err.message);
    rb_buf b = {0};
    rb_buf_puts(&b, "");
    for (size_t i = 0; i < found.n; i++) {
        const rb_finding *f = found.items[i];
        rb_buf_printf(&b, "%s%s:%ld:", i ? ";" : "", f->rule_id, f->n_origins ? f->origins[0].line : 0);
        rb_template_append_value(&b, f->key);
        if (with_messages)
            rb_buf_printf(&b, ":%s", f->message);
    }
    outcome out = {rb_buf_take(&b), result.pending};
    rb_engine_result_free(&result);
    rb_findings_clear(&found);
    rb_evidence_free(ev);
    rb_ruleset_free(rs);
    return out;
}

static outcome run_rule(const char *rule, const char *events, const char *now, bool with_messages)
{
    return run_rules_over(rule, events, NULL, now, with_messages);
}

#define expect_findings(rule, events, expected)                                            \
    do {                                                                                   \
        outcome o_ = run_rule((rule), (events), NULL, false);                              \
        ck_assert_msg(strcmp(o_.findings, (expected)) == 0, "got '%s', expected '%s'",     \
                      o_.findings, (expected));                                            \
        free(o_.findings);                                                                 \
    } while (0)

/* A compile error of the rule names this text. */
static void expect_rule_error(const char *rule, const char *message)
{
    char *rules = rb_xasprintf("- id: TEST-KIND-001\n  title: t\n  severity: error\n%s", rule);
    unit_write_file("r.yaml", rules);
    free(rules);
    rb_ruleset *rs = rb_ruleset_new();
    rb_error err;
    rb_error_clear(&err);
    ck_assert_int_eq(rb_ruleset_load(rs, "r.yaml", NULL, &err), RB_ERULE);
    ck_assert_msg(strstr(err.message, message), "'%s' lacks '%s'", err.message, message);
    rb_ruleset_free(rs);
}

#define EV(ts, type, key, extra) "{\"ts\":\"" ts "\",\"type\":\"" type "\",\"key\":\"" key "\"" extra "}\n"

static const char *before_rule = "  before:\n    first: {type: exported}\n    then: {type|in: [requeued, pruned]}\n"
                                 "    within: 1h\n";

START_TEST(before_needs_an_earlier_first)
{
    unit_enter_workdir();
    /* violating: no export for n-2, and one too old for n-1's prune */
    expect_findings(before_rule,
                    EV("2026-04-12T10:00:00Z", "exported", "n-1", "")
                    EV("2026-04-12T11:00:00Z", "requeued", "n-1", "")   /* exactly 1h: passes */
                    EV("2026-04-12T11:00:01Z", "pruned", "n-1", "")     /* 1h01s: too late */
                    EV("2026-04-12T11:00:02Z", "requeued", "n-2", ""),
                    "TEST-KIND-001:3:n-1;TEST-KIND-001:4:n-2");
    /* clean, with mixed offsets: 11:30+02:00 is 09:30Z, before 10:00Z */
    expect_findings(before_rule,
                    EV("2026-04-12T11:30:00+02:00", "exported", "n-1", "")
                    EV("2026-04-12T10:00:00Z", "requeued", "n-1", ""),
                    "");
    /* equal timestamps: the line listed first is earlier */
    expect_findings(before_rule,
                    EV("2026-04-12T10:00:00Z", "requeued", "n-1", "")
                    EV("2026-04-12T10:00:00Z", "exported", "n-1", "")
                    EV("2026-04-12T10:00:00Z", "requeued", "n-1", ""),
                    "TEST-KIND-001:1:n-1");
    /* empty evidence */
    expect_findings(before_rule, "", "");
}
END_TEST

START_TEST(before_correlates_with_first)
{
    unit_enter_workdir();
    const char *rule = "  message: \"{then.actor} requeued {key}\"\n"
                       "  before:\n    first: {type: exported}\n"
                       "    then: {type: requeued, actor: \"{first.actor}\"}\n";
    outcome o = run_rule(rule,
                         EV("2026-04-12T10:00:00Z", "exported", "n-1", ",\"actor\":\"ana\"")
                         EV("2026-04-12T10:01:00Z", "requeued", "n-1", ",\"actor\":\"ana\"")
                         EV("2026-04-12T10:02:00Z", "requeued", "n-1", ",\"actor\":\"bob\"")
                         EV("2026-04-12T10:03:00Z", "queued", "n-1", ",\"actor\":\"bob\""),
                         NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:3:n-1:bob requeued n-1");
    free(o.findings);
}
END_TEST

static const char *after_rule = "  message: \"{key} queued at {first.ts}\"\n"
                                "  after:\n    first: {type: queued}\n    then: {type: acked}\n    within: 5m\n";

START_TEST(after_needs_a_later_then_or_is_pending)
{
    unit_enter_workdir();
    const char *events = EV("2026-04-12T10:00:00Z", "queued", "n-1", "")
                         EV("2026-04-12T10:05:00Z", "acked", "n-1", "")    /* exactly 5m: passes */
                         EV("2026-04-12T10:06:00Z", "queued", "n-2", "")
                         EV("2026-04-12T10:11:01Z", "acked", "n-2", "")    /* 5m01s: late */
                         EV("2026-04-12T10:12:00Z", "queued", "n-3", "")   /* never closes */
                         EV("2026-04-12T10:13:00Z", "acked", "n-9", "");
    outcome o = run_rule(after_rule, events, NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:3:n-2:n-2 queued at 2026-04-12T10:06:00Z");
    ck_assert_int_eq(o.pending, 1);
    free(o.findings);
    /* with --now past n-3's deadline it is overdue, not pending */
    o = run_rule(after_rule, events, "2026-04-12T10:17:01Z", false);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:3:n-2;TEST-KIND-001:5:n-3");
    ck_assert_int_eq(o.pending, 0);
    free(o.findings);
    /* a deadline exactly at the end of the evidence is pending */
    o = run_rule(after_rule, EV("2026-04-12T10:00:00Z", "queued", "n-1", "")
                             EV("2026-04-12T10:05:00Z", "other", "n-2", ""), NULL, false);
    ck_assert_str_eq(o.findings, "");
    ck_assert_int_eq(o.pending, 1);
    free(o.findings);
    /* without within, no then by the end is a finding; a then never
     * answers itself */
    expect_findings("  after:\n    first: {type: [queued, acked]}\n    then: {type: acked}\n",
                    EV("2026-04-12T10:00:00Z", "queued", "n-1", "")
                    EV("2026-04-12T10:00:00Z", "acked", "n-1", ""),
                    "TEST-KIND-001:2:n-1");
    expect_findings(after_rule, "", "");
}
END_TEST

static const char *between_rule = "  between:\n    from: {type: drill_started}\n    to: {type: drill_closed}\n"
                                  "    need: {type: restore_verified, drill: \"{from.drill}\"}\n";

START_TEST(between_needs_need_inside_the_window)
{
    unit_enter_workdir();
    expect_findings(between_rule,
                    EV("2026-04-12T10:00:00Z", "drill_started", "d", ",\"drill\":1")
                    EV("2026-04-12T10:01:00Z", "restore_verified", "d", ",\"drill\":1")
                    EV("2026-04-12T10:02:00Z", "drill_closed", "d", "")      /* satisfied */
                    EV("2026-04-12T10:03:00Z", "restore_verified", "d", ",\"drill\":2")
                    EV("2026-04-12T10:04:00Z", "drill_started", "d", ",\"drill\":2")
                    EV("2026-04-12T10:05:00Z", "drill_started", "d", ",\"drill\":3") /* no restart */
                    EV("2026-04-12T10:06:00Z", "restore_verified", "d", ",\"drill\":3")
                    EV("2026-04-12T10:07:00Z", "drill_closed", "d", "")      /* need was for 3 */
                    EV("2026-04-12T10:08:00Z", "drill_closed", "d", ""),     /* no window */
                    "TEST-KIND-001:8:d");
    /* a need at the same time as the to, listed after it, is outside */
    expect_findings(between_rule,
                    EV("2026-04-12T10:00:00Z", "drill_started", "e", ",\"drill\":1")
                    EV("2026-04-12T10:01:00Z", "drill_closed", "e", "")
                    EV("2026-04-12T10:01:00Z", "restore_verified", "e", ",\"drill\":1"),
                    "TEST-KIND-001:2:e");
    /* a window that never closes gives nothing */
    expect_findings(between_rule, EV("2026-04-12T10:00:00Z", "drill_started", "f", ",\"drill\":1"), "");
}
END_TEST

START_TEST(sequence_reports_gaps_duplicates_and_steps_back)
{
    unit_enter_workdir();
    const char *rule = "  key: stream\n  message: \"{problem} {prev}->{value} missing {missing_from}..{missing_to}\"\n"
                       "  sequence: {field: seq, contiguous: true}\n";
    outcome o = run_rule(rule,
                         "{\"ts\":1,\"type\":\"a\",\"stream\":\"s\",\"seq\":1}\n"
                         "{\"ts\":2,\"type\":\"a\",\"stream\":\"s\",\"seq\":2}\n"
                         "{\"ts\":3,\"type\":\"a\",\"stream\":\"s\",\"seq\":5}\n"
                         "{\"ts\":4,\"type\":\"a\",\"stream\":\"s\",\"seq\":5}\n"
                         "{\"ts\":5,\"type\":\"a\",\"stream\":\"s\",\"seq\":3}\n"
                         "{\"ts\":6,\"type\":\"a\",\"stream\":\"s\",\"seq\":4}\n"
                         "{\"ts\":7,\"type\":\"a\",\"stream\":\"s\"}\n"
                         "{\"ts\":8,\"type\":\"a\",\"stream\":\"t\",\"seq\":10}\n",
                         NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:3:s:gap 2->5 missing 3..4;"
                                 "TEST-KIND-001:4:s:duplicate 5->5 missing ..;"
                                 "TEST-KIND-001:5:s:backwards 5->3 missing ..;"
                                 "TEST-KIND-001:7:s:not-an-integer 4->null missing ..");
    free(o.findings);
    /* `start` makes the first value due */
    expect_findings("  key: stream\n  sequence: {field: seq, contiguous: true, start: 1}\n",
                    "{\"ts\":1,\"type\":\"a\",\"stream\":\"s\",\"seq\":3}\n"
                    "{\"ts\":2,\"type\":\"a\",\"stream\":\"s\",\"seq\":4}\n",
                    "TEST-KIND-001:1:s");
    /* equal timestamps keep file order; seq breaks ties across inputs */
    expect_findings("  key: stream\n  sequence: {field: seq, contiguous: true}\n",
                    "{\"ts\":1,\"type\":\"a\",\"stream\":\"s\",\"seq\":1}\n"
                    "{\"ts\":1,\"type\":\"a\",\"stream\":\"s\",\"seq\":2}\n",
                    "");
}
END_TEST

START_TEST(out_of_order_input_is_audited_in_evidence_order)
{
    unit_enter_workdir();
    /* the file lists the export last, but it happened first */
    expect_findings(before_rule,
                    EV("2026-04-12T10:30:00Z", "requeued", "n-1", "")
                    EV("2026-04-12T10:00:00Z", "exported", "n-1", ""),
                    "");
    expect_findings("  key: stream\n  sequence: {field: seq, contiguous: true}\n",
                    "{\"ts\":3,\"type\":\"a\",\"stream\":\"s\",\"seq\":3}\n"
                    "{\"ts\":1,\"type\":\"a\",\"stream\":\"s\",\"seq\":1}\n"
                    "{\"ts\":2,\"type\":\"a\",\"stream\":\"s\",\"seq\":2}\n",
                    "");
}
END_TEST

START_TEST(concurrent_counts_open_intervals_per_group)
{
    unit_enter_workdir();
    const char *rule = "  key: run\n  group: project\n  message: \"{count} of {group} (max {max}, min {min})\"\n"
                       "  concurrent: {start: {type: started}, stop: {type: finished}, max: 1, min: 1}\n";
    outcome o = run_rule(rule,
                         "{\"ts\":1,\"type\":\"started\",\"run\":\"r1\",\"project\":\"p\"}\n"
                         "{\"ts\":2,\"type\":\"started\",\"run\":\"r1\",\"project\":\"p\"}\n"   /* ignored */
                         "{\"ts\":3,\"type\":\"started\",\"run\":\"r2\",\"project\":\"p\"}\n"   /* 2 > max */
                         "{\"ts\":4,\"type\":\"started\",\"run\":\"r3\",\"project\":\"q\"}\n"
                         "{\"ts\":5,\"type\":\"finished\",\"run\":\"r1\",\"project\":\"p\"}\n"  /* 1: fine */
                         "{\"ts\":6,\"type\":\"finished\",\"run\":\"r9\",\"project\":\"p\"}\n"  /* ignored */
                         "{\"ts\":7,\"type\":\"finished\",\"run\":\"r2\",\"project\":\"p\"}\n", /* 0 < min */
                         NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:3:p:2 of p (max 1, min 1);TEST-KIND-001:7:p:0 of p (max 1, min 1)");
    free(o.findings);
    /* clean: one at a time */
    expect_findings("  concurrent: {start: {type: started}, stop: {type: finished}, max: 1}\n",
                    EV("2026-04-12T10:00:00Z", "started", "r1", "")
                    EV("2026-04-12T10:01:00Z", "finished", "r1", "")
                    EV("2026-04-12T10:01:00Z", "started", "r2", ""),
                    "");
}
END_TEST

START_TEST(final_checks_the_last_event_of_each_key)
{
    unit_enter_workdir();
    const char *rule = "  message: \"{key} ended {value}, not one of {allowed}\"\n"
                       "  final: {field: state, in: [done, cancelled], select: {type: started}}\n";
    outcome o = run_rule(rule,
                         EV("2026-04-12T10:00:00Z", "started", "a", ",\"state\":\"running\"")
                         EV("2026-04-12T10:01:00Z", "stopped", "a", ",\"state\":\"done\"")
                         EV("2026-04-12T10:00:00Z", "started", "b", ",\"state\":\"running\"")   /* never closes */
                         EV("2026-04-12T10:02:00Z", "stopped", "c", ",\"state\":\"failed\""),  /* not selected */
                         NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:3:b:b ended running, not one of [\"done\",\"cancelled\"]");
    free(o.findings);
    /* required: nothing selected at all is one finding without a key */
    expect_findings("  final: {field: state, in: [done], select: {type: started}, required: true}\n",
                    EV("2026-04-12T10:00:00Z", "stopped", "a", ",\"state\":\"done\""),
                    "TEST-KIND-001:0:null");
    expect_findings("  final: {field: state, in: [done], required: true}\n", "", "TEST-KIND-001:0:null");
    expect_findings("  final: {field: state, in: [done]}\n", "", "");
}
END_TEST

START_TEST(count_compares_the_number_of_selected_events)
{
    unit_enter_workdir();
    const char *events = EV("2026-04-12T10:00:00Z", "smoke_passed", "a", "")
                         EV("2026-04-12T10:00:00Z", "smoke_passed", "b", "");
    outcome o = run_rule("  message: \"{count} {op} {value}\"\n"
                         "  params: {least: 3}\n"
                         "  count: {select: {type: smoke_passed}, op: \">=\", value: \"{least}\"}\n",
                         events, NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:0:null:2 >= 3");
    free(o.findings);
    expect_findings("  count: {select: {type: smoke_passed}, op: \"==\", value: 2}\n", events, "");
    expect_findings("  count: {op: \"==\", value: 0}\n", "", "");
    expect_findings("  count: {op: \"!=\", value: 0}\n", "", "TEST-KIND-001:0:null");
}
END_TEST

START_TEST(mistakes_name_their_line)
{
    unit_enter_workdir();
    expect_rule_error("  before:\n    first: {type: a}\n", "r.yaml:4: the check has no 'then'");
    expect_rule_error("  before:\n    first: {type: a}\n    then: {type: b}\n    within: soon\n",
                      "r.yaml:7: 'within' is not a duration");
    expect_rule_error("  after:\n    first: {type: a}\n    then: {type: b}\n    colour: red\n",
                      "r.yaml:7: unknown key 'colour' in the check");
    expect_rule_error("  before:\n    first: {type: a}\n    then: {actor: \"{from.actor}\"}\n",
                      "r.yaml:6:");
    expect_rule_error("  sequence: {field: seq, contiguous: false}\n", "r.yaml:4: 'contiguous' must be true");
    expect_rule_error("  concurrent: {start: {type: a}, stop: {type: b}}\n", "r.yaml:4: the check needs 'max', 'min'");
    expect_rule_error("  concurrent: {start: {type: a}, stop: {type: b}, max: 1, min: 2}\n", "'max' is below 'min'");
    expect_rule_error("  final: {field: state, in: done}\n", "r.yaml:4: 'in' must be a non-empty list");
    expect_rule_error("  count: {op: \"=~\", value: 1}\n", "r.yaml:4: unknown 'op'");
    expect_rule_error("  count: {op: \"==\", value: \"{nope}\"}\n", "unknown parameter '{nope}'");
    expect_rule_error("  between: {from: {type: a}, to: {type: b}}\n", "r.yaml:4: the check has no 'need'");
    expect_rule_error("  changes: {files: \"c/*.yaml\", paths: [a], requires: []}\n", "r.yaml:4: the check has no 'impact'");
    expect_rule_error("  changes:\n    files: \"c/*.yaml\"\n    paths: [\"a..b\"]\n    impact: x\n    requires: []\n",
                      "r.yaml:6: 'paths' must be a dotted path glob");
    expect_rule_error("  changes:\n    files: 3\n    paths: [a]\n    impact: x\n    requires: []\n",
                      "r.yaml:5: 'files' must be a path glob");
    expect_rule_error("  changes:\n    files: \"c/*\"\n    paths: [a]\n    impact: x\n    requires: {type: a}\n",
                      "r.yaml:8: 'requires' must be a list of selectors");
    expect_rule_error("  changes:\n    files: \"c/*\"\n    paths: [a]\n    impact: x\n    requires: [{type: \"{then.x}\"}]\n",
                      "r.yaml:8:");
}
END_TEST

static const char *changes_rule =
    "  params: {window: 1h}\n"
    "  message: \"{impact}|{missing}\"\n"
    "  changes:\n"
    "    files: \"config/**/*.yaml\"\n"
    "    paths: [\"field_maps.**\", \"graphs.*.version\"]\n"
    "    impact: shape may change\n"
    "    requires:\n"
    "      - {type: validated, file: \"{change.file}\"}\n"
    "      - {type: sample, sources|lte: 10}\n"
    "    within: \"{window}\"\n";

#define CHANGE(ts, file, path) \
    "{\"ts\":\"" ts "\",\"type\":\"config_change\",\"file\":\"" file "\",\"path\":\"" path "\",\"op\":\"modify\"}\n"

START_TEST(changes_demand_follow_ups_after_each_change)
{
    unit_enter_workdir();
    /* nothing after the change: both follow-ups missing, with the change's
     * file filled in; a follow-up before the change does not count */
    outcome o = run_rule(changes_rule,
                         "{\"ts\":\"2026-01-01T09:00:00Z\",\"type\":\"validated\",\"file\":\"config/a.yaml\"}\n"
                         CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "field_maps.ra"),
                         NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:2:field_maps.ra:shape may change|type=validated "
                                 "file=config/a.yaml; type=sample sources|lte=10");
    free(o.findings);
    /* both after it, within the window: nothing missing */
    o = run_rule(changes_rule,
                 CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "field_maps.ra")
                 "{\"ts\":\"2026-01-01T10:30:00Z\",\"type\":\"sample\",\"sources\":5}\n"
                 "{\"ts\":\"2026-01-01T11:00:00Z\",\"type\":\"validated\",\"file\":\"config/a.yaml\"}\n",
                 NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:1:field_maps.ra:shape may change|none");
    free(o.findings);
    /* a follow-up for another file, too large a sample, one past the window */
    o = run_rule(changes_rule,
                 CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "field_maps.ra")
                 "{\"ts\":\"2026-01-01T10:10:00Z\",\"type\":\"validated\",\"file\":\"config/b.yaml\"}\n"
                 "{\"ts\":\"2026-01-01T10:20:00Z\",\"type\":\"sample\",\"sources\":500}\n"
                 "{\"ts\":\"2026-01-01T11:00:01Z\",\"type\":\"sample\",\"sources\":5}\n",
                 NULL, true);
    ck_assert_str_eq(o.findings, "TEST-KIND-001:1:field_maps.ra:shape may change|type=validated "
                                 "file=config/a.yaml; type=sample sources|lte=10");
    free(o.findings);
}
END_TEST

START_TEST(changes_select_by_file_and_path_globs)
{
    unit_enter_workdir();
    /* one finding per change; paths outside the globs, files outside
     * `files` and other events are not changes of this rule */
    expect_findings(changes_rule,
                    CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "field_maps.ra")
                    CHANGE("2026-01-01T10:00:00Z", "config/sub/b.yaml", "field_maps")
                    CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "graphs.hires.version")
                    CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "graphs.hires.path")
                    CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "field_maps_old.ra")
                    CHANGE("2026-01-01T10:00:00Z", "docs/a.yaml", "field_maps.ra")
                    "{\"ts\":\"2026-01-01T10:00:00Z\",\"type\":\"deploy\",\"path\":\"field_maps.ra\"}\n",
                    "TEST-KIND-001:1:field_maps.ra;TEST-KIND-001:2:field_maps;"
                    "TEST-KIND-001:3:graphs.hires.version");
    expect_findings(changes_rule, "", "");
}
END_TEST

/* ---- events of unknown time (a JUnit case with no usable timestamp) ---- */

#define CASE(name, classname, outcome) \
    "<testcase name=\"" name "\" classname=\"" classname "\" time=\"1\">" outcome "</testcase>\n"
/* The findings of a rule with messages when it sets one. */
#define EXPECT_UNTIMED(rule, events, untimed, now, expected)                                 \
    do {                                                                                     \
        outcome o_ = run_rules_over((rule), (events), (untimed), (now), strstr((rule), "message:")); \
        ck_assert_msg(strcmp(o_.findings, (expected)) == 0, "got '%s', expected '%s'",       \
                      o_.findings, (expected));                                              \
        ck_assert_int_eq(o_.pending, 0);                                                     \
        free(o_.findings);                                                                   \
    } while (0)

static const char *untimed_changes_rule =
    "  message: \"{missing}\"\n"
    "  changes:\n"
    "    files: \"config/**/*.yaml\"\n"
    "    paths: [\"a.**\"]\n"
    "    impact: x\n"
    "    requires: [{type: test_case, classname: smoke, status: passed}]\n";

START_TEST(changes_count_untimed_follow_ups_only_without_within)
{
    unit_enter_workdir();
    const char *change = CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "a.b");
    /* no window: a passed case of unknown time meets the change, though it
     * sorts before it; a failed one does not */
    EXPECT_UNTIMED(untimed_changes_rule, change, CASE("t1", "smoke", ""), NULL, "TEST-KIND-001:1:a.b:none");
    EXPECT_UNTIMED(untimed_changes_rule, change, CASE("t1", "smoke", "<failure/>"), NULL,
                   "TEST-KIND-001:1:a.b:type=test_case classname=smoke status=passed");
    /* within 1h: it cannot show it came in time, and the finding says so */
    char *windowed = rb_xasprintf("%s    within: 1h\n", untimed_changes_rule);
    EXPECT_UNTIMED(windowed, change, CASE("t1", "smoke", "") CASE("t2", "smoke", ""), NULL,
                   "TEST-KIND-001:1:a.b:type=test_case classname=smoke status=passed (2 matching events of "
                   "unknown time cannot show they came within 1h)");
    /* ... while a timed one in the window meets it */
    EXPECT_UNTIMED(windowed,
                   "{\"ts\":\"2026-01-01T10:30:00Z\",\"type\":\"test_case\",\"classname\":\"smoke\",\"status\":\"passed\"}\n"
                   CHANGE("2026-01-01T10:00:00Z", "config/a.yaml", "a.b"),
                   CASE("t1", "smoke", ""), NULL, "TEST-KIND-001:2:a.b:none");
    free(windowed);
}
END_TEST

START_TEST(before_and_after_give_untimed_events_the_benefit_of_the_doubt)
{
    unit_enter_workdir();
    const char *before = "  before:\n    first: {type: test_case, classname: build}\n    then: {type: deploy}\n";
    const char *before_cases = "  before:\n    first: {type: build}\n    then: {type: test_case}\n";
    /* a first of unknown time is earlier than every then */
    EXPECT_UNTIMED(before, EV("2026-04-12T10:00:00Z", "deploy", "n-1", ""), CASE("n-1", "build", ""), NULL, "");
    /* a then of unknown time is answered by a first of its key, wherever
     * it is; with none at all it is a finding, at its own line */
    EXPECT_UNTIMED(before_cases, EV("2026-04-12T10:00:00Z", "build", "n-2", ""),
                   CASE("n-2", "x", "") CASE("n-3", "x", ""), NULL, "TEST-KIND-001:3:n-3");
    /* under within they take no part: neither a first nor a then */
    char *windowed = rb_xasprintf("%s    within: 1h\n", before);
    EXPECT_UNTIMED(windowed, EV("2026-04-12T10:00:00Z", "deploy", "n-1", ""), CASE("n-1", "build", ""), NULL,
                   "TEST-KIND-001:1:n-1");
    free(windowed);
    windowed = rb_xasprintf("%s    within: 1h\n", before_cases);
    EXPECT_UNTIMED(windowed, "", CASE("n-3", "x", ""), NULL, "");
    free(windowed);

    const char *after = "  after:\n    first: {type: deploy}\n    then: {type: test_case}\n";
    const char *after_cases = "  after:\n    first: {type: test_case}\n    then: {type: verified}\n";
    /* a then of unknown time answers the firsts of its key, though it
     * sorts before them; a first of unknown time is answered by a then */
    EXPECT_UNTIMED(after, EV("2026-04-12T10:00:00Z", "deploy", "n-1", "") EV("2026-04-12T10:00:00Z", "deploy", "n-2", ""),
                   CASE("n-1", "x", ""), NULL, "TEST-KIND-001:2:n-2");
    EXPECT_UNTIMED(after_cases, EV("2026-04-12T10:00:00Z", "verified", "n-2", ""),
                   CASE("n-2", "x", "") CASE("n-3", "x", ""), NULL, "TEST-KIND-001:3:n-3");
    /* under within: a then of unknown time answers nothing, a first of
     * unknown time is neither overdue nor pending */
    windowed = rb_xasprintf("%s    within: 5m\n", after);
    EXPECT_UNTIMED(windowed, EV("2026-04-12T10:00:00Z", "deploy", "n-1", ""), CASE("n-1", "x", ""),
                   "2026-04-12T11:00:00Z", "TEST-KIND-001:1:n-1");
    free(windowed);
    windowed = rb_xasprintf("%s    within: 5m\n", after_cases);
    EXPECT_UNTIMED(windowed, "", CASE("n-3", "x", ""), "2026-04-12T11:00:00Z", "");
    free(windowed);
}
END_TEST

START_TEST(between_windows_take_no_untimed_events)
{
    unit_enter_workdir();
    const char *rule = "  between:\n    from: {type: drill_started}\n    to: {type: drill_closed}\n"
                       "    need: {type: test_case}\n";
    EXPECT_UNTIMED(rule, EV("2026-04-12T10:00:00Z", "drill_started", "d", "") EV("2026-04-12T10:05:00Z", "drill_closed", "d", ""),
                   CASE("d", "x", ""), NULL, "TEST-KIND-001:2:d");
    /* nor do they open or close one */
    const char *cases = "  between:\n    from: {type: test_case, classname: from}\n"
                        "    to: {type: test_case, classname: to}\n    need: {type: restore}\n";
    EXPECT_UNTIMED(cases, "", CASE("d", "from", "") CASE("d", "to", ""), NULL, "");
}
END_TEST

static Suite *kinds_suite(void)
{
    Suite *s = suite_create("kinds");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, before_needs_an_earlier_first);
    tcase_add_test(tc, before_correlates_with_first);
    tcase_add_test(tc, after_needs_a_later_then_or_is_pending);
    tcase_add_test(tc, between_needs_need_inside_the_window);
    tcase_add_test(tc, sequence_reports_gaps_duplicates_and_steps_back);
    tcase_add_test(tc, out_of_order_input_is_audited_in_evidence_order);
    tcase_add_test(tc, concurrent_counts_open_intervals_per_group);
    tcase_add_test(tc, final_checks_the_last_event_of_each_key);
    tcase_add_test(tc, count_compares_the_number_of_selected_events);
    tcase_add_test(tc, changes_demand_follow_ups_after_each_change);
    tcase_add_test(tc, changes_select_by_file_and_path_globs);
    tcase_add_test(tc, changes_count_untimed_follow_ups_only_without_within);
    tcase_add_test(tc, before_and_after_give_untimed_events_the_benefit_of_the_doubt);
    tcase_add_test(tc, between_windows_take_no_untimed_events);
    tcase_add_test(tc, mistakes_name_their_line);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(kinds_suite)
