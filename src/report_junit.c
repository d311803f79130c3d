/*
 * report_junit.c — JUnit XML (SPEC §6), written with libxml2's writer, for
 * CI systems that show test results: one testsuite per pack, then the
 * run's own suite, "rbaudit": built-in findings, and in its system-out
 * what was read and skipped; a rule that found nothing
 * is one passing testcase, a rule with N findings is N testcases named
 * "RULE key", each with one failure (the message, and where and what to do
 * in its text); a waived or baselined finding is a skipped testcase.  A
 * rule that failed on a ledger has a testcase of its own with an <error>
 * per such ledger, and one that did not apply to a ledger a <skipped>
 * ("not applicable: ...").  No times or timestamps: the same input gives
 * the same bytes.
 */
#include <libxml/xmlwriter.h>
#include <string.h>

#include "report.h"
#include "template.h"
#include "util.h"

#define BUILTIN_SUITE "rbaudit"

/* How many findings and suppressed findings a rule id has. */
static void count_rule(const rb_report *rep, const char *id, size_t *found, size_t *skipped)
{
    *found = *skipped = 0;
    for (size_t i = 0; i < rep->findings->n; i++)
        *found += strcmp(rep->findings->items[i]->rule_id, id) == 0;
    for (size_t i = 0; rep->suppressed && i < rep->suppressed->n; i++)
        *skipped += strcmp(rep->suppressed->items[i]->rule_id, id) == 0;
}

/* "RULE key" (or "RULE" without a key). */
static char *case_name(const rb_finding *f)
{
    if (json_is_null(f->key))
        return rb_xstrdup(f->rule_id);
    rb_buf b = {0};
    rb_buf_printf(&b, "%s ", f->rule_id);
    rb_template_append_value(&b, f->key);
    return rb_buf_take(&b);
}

/* The failure's text: where, the runbook, what to do, the fingerprint. */
static char *failure_text(const rb_finding *f)
{
    rb_buf b = {0};
    for (size_t i = 0; i < f->n_origins; i++) {
        rb_buf_puts(&b, "at ");
        rb_origin_describe(&f->origins[i], &b);
        rb_buf_putc(&b, '\n');
    }
    if (f->runbook)
        rb_buf_printf(&b, "runbook: %s\n", f->runbook);
    if (f->remediation)
        rb_buf_printf(&b, "fix: %s\n", f->remediation);
    rb_buf_printf(&b, "fingerprint: %s\n", f->fingerprint);
    return rb_buf_take(&b);
}

static int write_finding_case(xmlTextWriterPtr w, const char *classname, const rb_finding *f, bool suppressed)
{
    char *name = case_name(f), *text = failure_text(f);
    int rc = xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname", BAD_CAST classname) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST(suppressed ? "skipped" : "failure")) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST rb_severity_name(f->severity)) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST(f->message ? f->message : "")) < 0;
    if (!suppressed)
        rc |= xmlTextWriterWriteString(w, BAD_CAST text) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    free(name);
    free(text);
    return rc;
}

/* The statuses of a rule (none for a built-in one: rule NULL), and
 * whether any is a failure. */
static const rb_rule_status *rule_statuses(const rb_report *rep, const rb_rule *rule, size_t *n, bool *failed)
{
    *n = 0;
    *failed = false;
    const rb_rule_status *st = rule ? rb_report_rule_statuses(rep, rule, n) : NULL;
    for (size_t i = 0; i < *n; i++)
        *failed |= st[i].outcome == RB_RULE_FAILED;
    return st;
}

/* The case of the rule itself: an <error> per ledger it failed on, then a
 * <skipped> per ledger it does not apply to. */
static int write_rule_case(xmlTextWriterPtr w, const char *classname, const char *id, const rb_rule_status *st,
                           size_t n)
{
    int rc = xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname", BAD_CAST classname) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST id) < 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            bool failed = st[i].outcome == RB_RULE_FAILED;
            if (failed != (pass == 0))
                continue;
            char *message = failed ? rb_xstrdup(st[i].reason) : rb_xasprintf("not applicable: %s", st[i].reason);
            rc |= xmlTextWriterStartElement(w, BAD_CAST(failed ? "error" : "skipped")) < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST message) < 0;
            rc |= xmlTextWriterEndElement(w) < 0;
            free(message);
        }
    return rc | (xmlTextWriterEndElement(w) < 0);
}

/* The testcases of one rule id: one per finding; and the rule's own case
 * when it found nothing (passing) or did not run everywhere. */
static int write_rule_cases(xmlTextWriterPtr w, const rb_report *rep, const char *suite, const char *id,
                            const rb_rule *rule)
{
    char *classname = rb_xasprintf("%s.%s", suite, id);
    size_t found, skipped, n;
    bool failed;
    count_rule(rep, id, &found, &skipped);
    const rb_rule_status *st = rule_statuses(rep, rule, &n, &failed);
    int rc = 0;
    if ((!found && !skipped) || n)
        rc |= write_rule_case(w, classname, id, st, n);
    for (size_t i = 0; i < rep->findings->n; i++)
        if (strcmp(rep->findings->items[i]->rule_id, id) == 0)
            rc |= write_finding_case(w, classname, rep->findings->items[i], false);
    for (size_t i = 0; rep->suppressed && i < rep->suppressed->n; i++)
        if (strcmp(rep->suppressed->items[i]->rule_id, id) == 0)
            rc |= write_finding_case(w, classname, rep->suppressed->items[i], true);
    free(classname);
    return rc;
}

/* Counts of a suite. */
typedef struct suite_counts {
    size_t tests, failures, errors, skipped;
} suite_counts;

static void add_rule_counts(const rb_report *rep, const char *id, const rb_rule *rule, suite_counts *c)
{
    size_t found, skipped, n;
    bool failed;
    count_rule(rep, id, &found, &skipped);
    rule_statuses(rep, rule, &n, &failed);
    bool own_case = (!found && !skipped) || n;
    c->tests += found + skipped + own_case;
    c->failures += found;
    c->errors += failed;
    c->skipped += skipped + (n && !failed);
}

static int start_suite(xmlTextWriterPtr w, const rb_report *rep, const char *name, const suite_counts *c)
{
    int rc = xmlTextWriterStartElement(w, BAD_CAST "testsuite") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name) < 0;
    if (rep->timestamp)
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "timestamp", BAD_CAST rep->timestamp) < 0;
    rc |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "tests", "%zu", c->tests) < 0;
    rc |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "failures", "%zu", c->failures) < 0;
    rc |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "errors", "%zu", c->errors) < 0;
    rc |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "skipped", "%zu", c->skipped) < 0;
    return rc;
}

/* The rule ids of built-in findings, sorted, without repeats. */
static json_t *builtin_ids(const rb_report *rep)
{
    json_t *set = json_object();
    const rb_findings *lists[] = {rep->findings, rep->suppressed};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && i < lists[l]->n; i++)
            if (!lists[l]->items[i]->rule)
                json_object_set_new(set, lists[l]->items[i]->rule_id, json_true());
    return set;
}

/* The suite of one pack: its rules, sorted by id. */
static int write_pack_suite(xmlTextWriterPtr w, const rb_report *rep, const char *pack)
{
    const rb_ruleset *rs = rep->rules;
    suite_counts c = {0};
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->rules[i]->pack, pack) == 0)
            add_rule_counts(rep, rs->rules[i]->id, rs->rules[i], &c);
    int rc = start_suite(w, rep, pack, &c);
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->rules[i]->pack, pack) == 0)
            rc |= write_rule_cases(w, rep, pack, rs->rules[i]->id, rs->rules[i]);
    return rc | (xmlTextWriterEndElement(w) < 0);
}

/* The run's own suite: each built-in rule that reported, sorted by id,
 * then in its system-out what the run read and what it skipped, so that a
 * CI page of test results says what the audit covered. */
static int write_builtin_suite(xmlTextWriterPtr w, const rb_report *rep, const json_t *builtins)
{
    size_t n;
    const char **ids = rb_json_sorted_keys(builtins, &n);
    suite_counts c = {0};
    for (size_t i = 0; i < n; i++)
        add_rule_counts(rep, ids[i], NULL, &c);
    int rc = start_suite(w, rep, BUILTIN_SUITE, &c);
    for (size_t i = 0; i < n; i++)
        rc |= write_rule_cases(w, rep, BUILTIN_SUITE, ids[i], NULL);
    free(ids);
    rb_buf accounting = {0};
    rb_report_write_accounting(rep->evidence, &accounting);
    if (accounting.data)
        rc |= xmlTextWriterWriteElement(w, BAD_CAST "system-out", BAD_CAST accounting.data) < 0;
    rb_buf_free(&accounting);
    return rc | (xmlTextWriterEndElement(w) < 0);
}

/* Each pack's suite, packs in name order; then the run's own suite. */
static int write_suites(xmlTextWriterPtr w, const rb_report *rep)
{
    json_t *packs = json_object();
    for (size_t i = 0; i < rep->rules->n; i++)
        json_object_set_new(packs, rep->rules->rules[i]->pack, json_true());
    size_t n;
    const char **names = rb_json_sorted_keys(packs, &n);
    int rc = 0;
    for (size_t p = 0; p < n; p++)
        rc |= write_pack_suite(w, rep, names[p]);
    json_t *builtins = builtin_ids(rep);
    rc |= write_builtin_suite(w, rep, builtins);
    json_decref(builtins);
    free(names);
    json_decref(packs);
    return rc;
}

/* The counts of the whole report: every rule that ran and every built-in
 * rule that reported. */
static suite_counts report_counts(const rb_report *rep)
{
    suite_counts c = {0};
    for (size_t i = 0; i < rep->rules->n; i++)
        add_rule_counts(rep, rep->rules->rules[i]->id, rep->rules->rules[i], &c);
    json_t *builtins = builtin_ids(rep);
    const char *id;
    json_t *v;
    json_object_foreach(builtins, id, v)
        add_rule_counts(rep, id, NULL, &c);
    json_decref(builtins);
    return c;
}

static rb_code write_junit(const rb_report *rep, const rb_report_style *style, FILE *out, rb_error *err)
{
    (void)style;
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!w) {
        xmlBufferFree(buf);
        return rb_error_set(err, RB_EINTERNAL, "cannot start the JUnit report");
    }
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    suite_counts total = report_counts(rep);
    int rc = 0;
    rc |= xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "testsuites") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST PACKAGE_NAME) < 0;
    rc |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "tests", "%zu", total.tests) < 0;
    rc |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "failures", "%zu", total.failures) < 0;
    rc |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "errors", "%zu", total.errors) < 0;
    rc |= write_suites(w, rep);
    rc |= xmlTextWriterEndDocument(w) < 0;
    xmlFreeTextWriter(w);
    bool written = !rc && fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), out) ==
                              (size_t)xmlBufferLength(buf);
    xmlBufferFree(buf);
    return written ? RB_OK : rb_error_set(err, RB_EINTERNAL, "cannot write the JUnit report");
}

const rb_reporter rb_reporter_junit = {
    .name = "junit",
    .write = write_junit,
};
