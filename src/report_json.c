/*
 * report_json.c — the versioned JSON report, "rbaudit-report/1" (SPEC §6).
 */
#include <stdlib.h>
#include <string.h>

#include "check_kind.h"
#include "report.h"
#include "timeutil.h"
#include "util.h"

static json_t *origin_json(const rb_origin *o)
{
    json_t *j = json_pack("{s:s, s:s}", "path", o->input->path, "sha256", o->input->sha256);
    if (o->line)
        json_object_set_new(j, "line", json_integer(o->line));
    if (o->table)
        json_object_set_new(j, "table", json_string(o->table));
    if (o->row)
        json_object_set_new(j, "rowid", json_integer(o->row));
    if (o->commit)
        json_object_set_new(j, "commit", json_string(o->commit));
    return j;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *finding_json(const rb_finding *f)
{
    json_t *origins = json_array();
    for (size_t i = 0; i < f->n_origins; i++)
        json_array_append_new(origins, origin_json(&f->origins[i]));
    json_t *j = json_pack("{s:s, s:s, s:s, s:O, s:o, s:O, s:o, s:o, s:s}",
                          "rule", f->rule_id,
                          "severity", rb_severity_name(f->severity),
                          "message", f->message ? f->message : "",
                          "key", f->key,
                          "origins", origins,
                          "evidence", f->evidence,
                          "runbook", string_or_null(f->runbook),
                          "remediation", string_or_null(f->remediation),
                          "fingerprint", f->fingerprint);
    json_object_update_missing(j, f->extra);
    return j;
}

static json_t *findings_json(const rb_findings *list)
{
    json_t *a = json_array();
    for (size_t i = 0; list && i < list->n; i++)
        json_array_append_new(a, finding_json(list->items[i]));
    return a;
}

/* Each input with what was read from it, and what its loader adds
 * (notes, a ledger's tables, ...). */
static json_t *inputs_json(const rb_evidence *ev)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ev->n_inputs; i++) {
        const rb_input *in = ev->inputs[i];
        json_t *j = json_pack("{s:s, s:o, s:s, s:s, s:I, s:I, s:I}", "path", in->path, "fingerprint_name",
                              rb_json_text(in->name, strlen(in->name)), "kind", in->kind, "sha256", in->sha256,
                              "bytes", (json_int_t)in->bytes, "events", (json_int_t)in->n_events, "documents",
                              (json_int_t)in->n_documents);
        if (in->account)
            json_object_update(j, in->account);
        json_array_append_new(a, j);
    }
    return a;
}

/* Each rule, with the ledgers it did not apply to and those it failed on
 * (both always there, empty when none). */
static json_t *rules_json(const rb_report *rep)
{
    const rb_ruleset *rs = rep->rules;
    json_t *a = json_array();
    for (size_t i = 0; i < rs->n; i++) {
        const rb_rule *r = rs->rules[i];
        json_t *not_applicable = json_array(), *errors = json_array();
        size_t n;
        const rb_rule_status *s = rb_report_rule_statuses(rep, r, &n);
        for (size_t k = 0; k < n; k++)
            json_array_append_new(s[k].outcome == RB_RULE_NOT_APPLICABLE ? not_applicable : errors,
                                  json_pack("{s:s, s:s}", "ledger", s[k].input->path,
                                            s[k].outcome == RB_RULE_NOT_APPLICABLE ? "reason" : "error",
                                            s[k].reason));
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", r->id,
                                           "title", r->title, "severity", rb_severity_name(r->severity),
                                           "pack", r->pack, "check", r->check->name,
                                           "runbook", string_or_null(r->runbook),
                                           "not_applicable", not_applicable, "errors", errors));
    }
    return a;
}

static json_t *summary_json(const rb_report *rep)
{
    const rb_summary *s = &rep->summary;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "findings", (json_int_t)(s->errors + s->warnings + s->notes),
                     "error", (json_int_t)s->errors,
                     "warning", (json_int_t)s->warnings,
                     "note", (json_int_t)s->notes,
                     "suppressed", (json_int_t)s->suppressed,
                     "baselined", (json_int_t)s->baselined,
                     "pending", (json_int_t)s->pending,
                     "inputs", (json_int_t)rep->evidence->n_inputs,
                     "events", (json_int_t)rep->evidence->n_events,
                     "documents", (json_int_t)rep->evidence->n_docs,
                     "skipped", (json_int_t)json_array_size(rep->evidence->skipped),
                     "rules", (json_int_t)rep->rules->n,
                     "not_applicable", (json_int_t)s->not_applicable,
                     "rule_errors", (json_int_t)s->rule_errors);
}

static rb_code write_json(const rb_report *rep, const rb_report_style *style, FILE *out, rb_error *err)
{
    char now[48];
    if (rep->has_now)
        rb_time_format(rep->now, now, sizeof now);
    json_t *doc = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:o, s:O, s:o, s:o, s:o, s:o}",
                            "schema", "rbaudit-report/1",
                            "tool", "name", PACKAGE_NAME, "version", PACKAGE_VERSION,
                            "fingerprints", RB_FINGERPRINT_SCHEME,
                            "now", rep->has_now ? json_string(now) : json_null(),
                            "inputs", inputs_json(rep->evidence),
                            "skipped", rep->evidence->skipped,
                            "rules", rules_json(rep),
                            "findings", findings_json(rep->findings),
                            "suppressed", findings_json(rep->suppressed),
                            "summary", summary_json(rep));
    if (!doc)
        return rb_error_set(err, RB_EINTERNAL, "cannot build the JSON report");
    if (json_array_size(rep->evidence->triage))
        json_object_set(doc, "triage", rep->evidence->triage);
    if (rep->replay)
        json_object_set(doc, "replay", (json_t *)rep->replay);
    rb_code rc = RB_OK;
    if (rep->streams && rep->streams->n)
        rc = rb_json_write_streamed(out, doc, rep->streams, err);
    else if (json_dumpf(doc, out, JSON_INDENT(2)) != 0)
        rc = rb_error_set(err, RB_EINTERNAL, "cannot write the JSON report");
    json_decref(doc);
    if (!rc && fputc('\n', out) == EOF)
        rc = rb_error_set(err, RB_EINTERNAL, "cannot write the JSON report");
    return rc;
}

const rb_reporter rb_reporter_json = {
    .name = "json",
    .write = write_json,
};
