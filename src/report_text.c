/*
 * report_text.c — the human report: findings grouped by severity and rule,
 * each group with its runbook citation and remediation, then a line per
 * rule that did not apply to a ledger or failed on one, then one summary
 * line (SPEC §6).  Colours only when the style asks for them.
 */
#include <string.h>

#include "report.h"
#include "template.h"

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *severity_colour(rb_severity sev)
{
    switch (sev) {
    case RB_SEV_ERROR:
        return "\033[1;31m";
    case RB_SEV_WARNING:
        return "\033[1;33m";
    case RB_SEV_NOTE:
    default:
        return "\033[1;36m";
    }
}

static const char *paint(const rb_report_style *style, const char *code)
{
    return style->color ? code : "";
}

static void write_group_header(const rb_finding *f, const rb_report_style *style, FILE *out)
{
    fprintf(out, "%s%s%s %s%s%s", paint(style, severity_colour(f->severity)),
            rb_severity_name(f->severity), paint(style, RESET), paint(style, BOLD), f->rule_id,
            paint(style, RESET));
    const char *title = f->rule ? f->rule->title : rb_builtin_rule_title(f->rule_id);
    if (title)
        fprintf(out, " %s", title);
    fputc('\n', out);
    if (f->runbook)
        fprintf(out, "  %srunbook:%s %s\n", paint(style, DIM), paint(style, RESET), f->runbook);
    if (f->remediation)
        fprintf(out, "  %sfix:%s     %s\n", paint(style, DIM), paint(style, RESET), f->remediation);
}

static void write_finding(const rb_finding *f, const rb_report_style *style, FILE *out)
{
    fputs("  ", out);
    if (f->n_origins) {
        rb_buf where = {0};
        rb_origin_describe(&f->origins[0], &where);
        fprintf(out, "%s%s%s  ", paint(style, DIM), where.data, paint(style, RESET));
        rb_buf_free(&where);
    }
    if (!json_is_null(f->key)) {
        rb_buf key = {0};
        rb_template_append_value(&key, f->key);
        fprintf(out, "[%s] ", key.data ? key.data : "");
        rb_buf_free(&key);
    }
    fprintf(out, "%s\n", f->message ? f->message : "");
}

static bool same_group(const rb_finding *a, const rb_finding *b)
{
    return a->severity == b->severity && strcmp(a->rule_id, b->rule_id) == 0;
}

static void write_summary(const rb_report *rep, FILE *out)
{
    const rb_summary *s = &rep->summary;
    size_t total = s->errors + s->warnings + s->notes;
    if (total)
        fprintf(out, "%zu finding%s: %zu error%s, %zu warning%s, %zu note%s", total, total == 1 ? "" : "s",
                s->errors, s->errors == 1 ? "" : "s", s->warnings, s->warnings == 1 ? "" : "s",
                s->notes, s->notes == 1 ? "" : "s");
    else
        fputs("no findings", out);
    if (s->suppressed)
        fprintf(out, "; %zu suppressed", s->suppressed);
    if (s->pending)
        fprintf(out, "; %zu pending", s->pending);
    if (s->not_applicable)
        fprintf(out, "; %zu rule%s not applicable", s->not_applicable, s->not_applicable == 1 ? "" : "s");
    if (s->rule_errors)
        fprintf(out, "; %zu rule error%s", s->rule_errors, s->rule_errors == 1 ? "" : "s");
    size_t skipped = json_array_size(rep->evidence->skipped);
    fprintf(out, " (%zu input%s, %zu event%s, %zu document%s, ",
            rep->evidence->n_inputs, rep->evidence->n_inputs == 1 ? "" : "s",
            rep->evidence->n_events, rep->evidence->n_events == 1 ? "" : "s",
            rep->evidence->n_docs, rep->evidence->n_docs == 1 ? "" : "s");
    if (skipped)
        fprintf(out, "%zu skipped, ", skipped);
    fprintf(out, "%zu rule%s)\n", rep->rules->n, rep->rules->n == 1 ? "" : "s");
}

/* The rules that did not apply to a ledger or failed on one, a line each
 * (rule, then ledger order). */
static void write_statuses(const rb_report *rep, const rb_report_style *style, FILE *out)
{
    if (!rep->statuses || !rep->statuses->n)
        return;
    for (size_t i = 0; i < rep->statuses->n; i++) {
        const rb_rule_status *st = &rep->statuses->items[i];
        bool failed = st->outcome == RB_RULE_FAILED;
        fprintf(out, "%s%-14s%s  %s%s%s  %s\n", paint(style, failed ? severity_colour(RB_SEV_ERROR) : DIM),
                failed ? "rule error" : "not applicable", paint(style, RESET), paint(style, BOLD), st->rule->id,
                paint(style, RESET), st->reason);
    }
    fputc('\n', out);
}

static const char *or_none(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "(none)";
}

static bool write_changed_key(void *ctx, const json_t *k)
{
    FILE *out = ctx;
    if (!json_is_true(json_object_get(k, "changed")))
        return true;
    rb_buf key = {0};
    rb_template_append_value(&key, json_object_get(k, "key"));
    fprintf(out, "  %s: captured %s, simulated %s, what-if %s\n", key.data, or_none(json_object_get(k, "captured")),
            or_none(json_object_get(k, "simulated")), or_none(json_object_get(k, "what_if")));
    rb_buf_free(&key);
    return true;
}

/* The what-if table: the keys whose terminal state the patch changes. */
static rb_code write_what_if(const json_t *w, const rb_json_streams *streams, FILE *out, rb_error *err)
{
    json_int_t changed = json_integer_value(json_object_get(w, "changed"));
    fprintf(out, "what-if %s: %lld key%s end%s elsewhere\n", json_string_value(json_object_get(w, "patch")),
            (long long)changed, changed == 1 ? "" : "s", changed == 1 ? "s" : "");
    return rb_json_stream_each(streams, json_object_get(w, "keys"), write_changed_key, out, err);
}

static rb_code write_replay(const json_t *r, const rb_json_streams *streams, FILE *out, rb_error *err)
{
    const json_t *s = json_object_get(r, "summary");
    fprintf(out, "replay of %s with model %s (seed %lld): %lld keys, %lld conforming, %lld diverging; "
            "replay_hash %.16s\n", json_string_value(json_object_get(r, "trace")),
            json_string_value(json_object_get(r, "model")), (long long)json_integer_value(json_object_get(r, "seed")),
            (long long)json_integer_value(json_object_get(s, "keys")),
            (long long)json_integer_value(json_object_get(s, "conforming")),
            (long long)json_integer_value(json_object_get(s, "diverging")),
            json_string_value(json_object_get(r, "replay_hash")));
    const json_t *w = json_object_get(r, "what_if");
    rb_code rc = w ? write_what_if(w, streams, out, err) : RB_OK;
    const json_t *x = json_object_get(r, "explore");
    if (x)
        fprintf(out, "explore: %lld runs from seed %lld, %lld faults injected, %zu invariant%s broken\n",
                (long long)json_integer_value(json_object_get(x, "runs")),
                (long long)json_integer_value(json_object_get(x, "seed")),
                (long long)json_integer_value(json_object_get(x, "faults")),
                json_array_size(json_object_get(x, "violations")),
                json_array_size(json_object_get(x, "violations")) == 1 ? "" : "s");
    return rc;
}

static rb_code write_text(const rb_report *rep, const rb_report_style *style, FILE *out, rb_error *err)
{
    rb_code rc;
    const rb_findings *list = rep->findings;
    for (size_t i = 0; i < list->n; i++) {
        const rb_finding *f = list->items[i];
        if (i == 0 || !same_group(list->items[i - 1], f)) {
            if (i)
                fputc('\n', out);
            write_group_header(f, style, out);
        }
        write_finding(f, style, out);
    }
    if (list->n)
        fputc('\n', out);
    write_statuses(rep, style, out);
    if (rep->replay && (rc = write_replay(rep->replay, rep->streams, out, err)))
        return rc;
    rb_buf accounting = {0};
    rb_report_write_accounting(rep->evidence, &accounting);
    fputs(accounting.data ? accounting.data : "", out);
    rb_buf_free(&accounting);
    write_summary(rep, out);
    return ferror(out) ? rb_error_set(err, RB_EINTERNAL, "cannot write the text report") : RB_OK;
}

const rb_reporter rb_reporter_text = {
    .name = "text",
    .write = write_text,
};
