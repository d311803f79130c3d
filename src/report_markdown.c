/*
 * report_markdown.c — a short summary for a pull-request comment or a CI
 * step summary (SPEC §6): a headline with the counts, then one table row
 * per finding (severity, rule, where, what to do), at most MAX_ROWS of
 * them in report order (errors first), then how many more there are, then
 * a line per rule that failed on a ledger or did not apply to one.
 */
#include <string.h>

#include "report.h"
#include "template.h"
#include "util.h"

#define MAX_ROWS 20
#define MAX_ACCOUNTING_ROWS 100

/* Text safe in a table cell: no line breaks, pipes escaped; outside code,
 * '<' and '&' escaped too, so that "<coverage>" is not taken for HTML. */
static void put_text(FILE *out, const char *text, bool code)
{
    for (const char *c = text ? text : ""; *c; c++) {
        if (*c == '|')
            fputs("\\|", out);
        else if (*c == '\n' || *c == '\r')
            fputc(' ', out);
        else if (!code && *c == '<')
            fputs("&lt;", out);
        else if (!code && *c == '&')
            fputs("&amp;", out);
        else
            fputc(*c, out);
    }
}

static void put_cell(FILE *out, const char *text)
{
    put_text(out, text, false);
}

/* Text as inline code in a table cell. */
static void put_code(FILE *out, const char *text)
{
    fputc('`', out);
    put_text(out, text, true);
    fputc('`', out);
}

static void write_row(FILE *out, const rb_finding *f)
{
    const char *title = f->rule ? f->rule->title : rb_builtin_rule_title(f->rule_id);
    fprintf(out, "| %s | `%s` ", rb_severity_name(f->severity), f->rule_id);
    put_cell(out, title);
    fputs(" | ", out);
    rb_buf where = {0};
    if (f->n_origins)
        rb_origin_describe(&f->origins[0], &where);
    if (where.data) {
        put_code(out, where.data);
    }
    if (!json_is_null(f->key)) {
        rb_buf key = {0};
        rb_template_append_value(&key, f->key);
        fputs(where.data ? " " : "", out);
        put_cell(out, key.data);
        rb_buf_free(&key);
    }
    rb_buf_free(&where);
    fputs(" | ", out);
    put_cell(out, f->message);
    if (f->remediation) {
        fputs(" **Fix:** ", out);
        put_cell(out, f->remediation);
    }
    if (f->runbook) {
        fputs(" _(", out);
        put_cell(out, f->runbook);
        fputs(")_", out);
    }
    fputs(" |\n", out);
}

/* What was read and skipped, folded away under a summary line that counts
 * them (a pull-request comment stays short; the counts account for all). */
static void write_accounting(FILE *out, const rb_evidence *ev)
{
    size_t skipped = json_array_size(ev->skipped);
    fprintf(out, "\n<details><summary>Read %zu input%s (%zu event%s, %zu document%s); skipped %zu</summary>\n\n",
            ev->n_inputs, ev->n_inputs == 1 ? "" : "s", ev->n_events, ev->n_events == 1 ? "" : "s", ev->n_docs,
            ev->n_docs == 1 ? "" : "s", skipped);
    if (ev->n_inputs)
        fputs("| input | read | sha256 |\n|---|---|---|\n", out);
    for (size_t i = 0; i < ev->n_inputs && i < MAX_ACCOUNTING_ROWS; i++) {
        const rb_input *in = ev->inputs[i];
        rb_buf what = {0};
        rb_report_describe_input(in, &what);
        size_t k;
        const json_t *note;
        json_array_foreach(rb_report_input_notes(in), k, note)
            rb_buf_printf(&what, "; **note:** %s", json_string_value(note));
        fputs("| ", out);
        put_code(out, in->path);
        fputs(" | ", out);
        put_cell(out, what.data);
        fprintf(out, " | `%s` |\n", in->sha256);
        rb_buf_free(&what);
    }
    if (skipped)
        fputs("\n| skipped | why |\n|---|---|\n", out);
    for (size_t k = 0; k < skipped && k < MAX_ACCOUNTING_ROWS; k++) {
        const json_t *skip = json_array_get(ev->skipped, k);
        fputs("| ", out);
        put_code(out, json_string_value(json_object_get(skip, "path")));
        fputs(" | ", out);
        put_cell(out, json_string_value(json_object_get(skip, "reason")));
        fputs(" |\n", out);
    }
    if (ev->n_inputs > MAX_ACCOUNTING_ROWS || skipped > MAX_ACCOUNTING_ROWS)
        fputs("\n…the full list is in the JSON report.\n", out);
    fputs("\n</details>\n", out);
}

/* A line per rule that failed on a ledger or did not apply to one. */
static void write_statuses(const rb_report *rep, FILE *out)
{
    if (!rep->statuses || !rep->statuses->n)
        return;
    fputc('\n', out);
    for (size_t i = 0; i < rep->statuses->n; i++) {
        const rb_rule_status *st = &rep->statuses->items[i];
        fprintf(out, "- `%s` %s: ", st->rule->id, st->outcome == RB_RULE_FAILED ? "failed" : "not applicable");
        put_cell(out, st->reason);
        fputc('\n', out);
    }
}

static rb_code write_markdown(const rb_report *rep, const rb_report_style *style, FILE *out, rb_error *err)
{
    (void)style;
    const rb_summary *s = &rep->summary;
    size_t total = s->errors + s->warnings + s->notes;
    fprintf(out, "### rbaudit: %s\n\n",
            total ? (s->errors ? "findings to fix" : "findings to review")
                  : (s->rule_errors ? "no findings, but rules failed" : "no findings"));
    fprintf(out, "%zu error%s, %zu warning%s, %zu note%s", s->errors, s->errors == 1 ? "" : "s", s->warnings,
            s->warnings == 1 ? "" : "s", s->notes, s->notes == 1 ? "" : "s");
    if (s->suppressed)
        fprintf(out, "; %zu suppressed", s->suppressed);
    if (s->pending)
        fprintf(out, "; %zu pending", s->pending);
    if (s->not_applicable)
        fprintf(out, "; %zu rule%s not applicable", s->not_applicable, s->not_applicable == 1 ? "" : "s");
    if (s->rule_errors)
        fprintf(out, "; %zu rule error%s", s->rule_errors, s->rule_errors == 1 ? "" : "s");
    fprintf(out, " (%zu input%s, %zu rule%s).\n", rep->evidence->n_inputs, rep->evidence->n_inputs == 1 ? "" : "s",
            rep->rules->n, rep->rules->n == 1 ? "" : "s");
    if (total) {
        fputs("\n| severity | rule | where | what to do |\n|---|---|---|---|\n", out);
        for (size_t i = 0; i < rep->findings->n && i < MAX_ROWS; i++)
            write_row(out, rep->findings->items[i]);
        if (total > MAX_ROWS)
            fprintf(out, "\n…and %zu more finding%s in the full report.\n", total - MAX_ROWS,
                    total - MAX_ROWS == 1 ? "" : "s");
    }
    write_statuses(rep, out);
    write_accounting(out, rep->evidence);
    return ferror(out) ? rb_error_set(err, RB_EINTERNAL, "cannot write the Markdown report") : RB_OK;
}

const rb_reporter rb_reporter_markdown = {
    .name = "markdown",
    .write = write_markdown,
};
