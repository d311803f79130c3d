/*
 * report.c — the reporter table and atomic report files (report.h).
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static const rb_reporter *const reporters[] = {
    &rb_reporter_text,
    &rb_reporter_json,
    &rb_reporter_sarif,
    &rb_reporter_junit,
    &rb_reporter_markdown,
    &rb_reporter_codequality,
};
#define N_REPORTERS (sizeof reporters / sizeof reporters[0])

const rb_reporter *rb_reporter_find(const char *name)
{
    for (size_t i = 0; i < N_REPORTERS; i++)
        if (strcmp(reporters[i]->name, name) == 0)
            return reporters[i];
    return NULL;
}

const char *rb_reporter_names(void)
{
    static char names[128];
    if (!names[0]) {
        for (size_t i = 0; i < N_REPORTERS; i++) {
            if (i)
                strcat(names, ", ");
            strcat(names, reporters[i]->name);
        }
    }
    return names;
}

/* "1 event", "2 events". */
static void count(rb_buf *b, uint64_t n, const char *what)
{
    rb_buf_printf(b, "%llu %s%s", (unsigned long long)n, what, n == 1 ? "" : "s");
}

void rb_report_describe_input(const rb_input *in, rb_buf *b)
{
    rb_buf_printf(b, "%s: ", in->kind);
    count(b, in->n_events, "event");
    rb_buf_puts(b, ", ");
    count(b, in->n_documents, "document");
    const json_t *rows = json_object_get(in->account, "rows");
    if (json_is_integer(rows)) {
        rb_buf_puts(b, ", ");
        count(b, (uint64_t)json_integer_value(rows), "row");
    }
}

const json_t *rb_report_input_notes(const rb_input *in)
{
    const json_t *notes = json_object_get(in->account, "notes");
    return json_array_size(notes) ? notes : NULL;
}

void rb_report_write_accounting(const rb_evidence *ev, rb_buf *b)
{
    if (ev->n_inputs)
        rb_buf_puts(b, "read:\n");
    for (size_t i = 0; i < ev->n_inputs; i++) {
        const rb_input *in = ev->inputs[i];
        rb_buf_printf(b, "  %s  ", in->path);
        rb_report_describe_input(in, b);
        rb_buf_printf(b, "  sha256 %s\n", in->sha256);
        size_t k;
        const json_t *note;
        json_array_foreach(rb_report_input_notes(in), k, note)
            rb_buf_printf(b, "    note: %s\n", json_string_value(note));
    }
    if (json_array_size(ev->skipped))
        rb_buf_puts(b, "skipped:\n");
    size_t k;
    const json_t *skip;
    json_array_foreach(ev->skipped, k, skip)
        rb_buf_printf(b, "  %s  %s\n", json_string_value(json_object_get(skip, "path")),
                      json_string_value(json_object_get(skip, "reason")));
}

void rb_summary_count(rb_summary *summary, const rb_findings *findings)
{
    summary->errors = summary->warnings = summary->notes = 0;
    for (size_t i = 0; i < findings->n; i++) {
        switch (findings->items[i]->severity) {
        case RB_SEV_ERROR:
            summary->errors++;
            break;
        case RB_SEV_WARNING:
            summary->warnings++;
            break;
        case RB_SEV_NOTE:
            summary->notes++;
            break;
        }
    }
}

void rb_summary_count_statuses(rb_summary *summary, const rb_rule_statuses *statuses)
{
    summary->not_applicable = rb_rule_statuses_count_rules(statuses, RB_RULE_NOT_APPLICABLE);
    summary->rule_errors = rb_rule_statuses_count_rules(statuses, RB_RULE_FAILED);
}

const rb_rule_status *rb_report_rule_statuses(const rb_report *report, const rb_rule *rule, size_t *n)
{
    *n = 0;
    const rb_rule_status *first = NULL;
    for (size_t i = 0; report->statuses && i < report->statuses->n; i++)
        if (report->statuses->items[i].rule == rule) {
            first = first ? first : &report->statuses->items[i];
            ++*n;
        }
    return first;
}

/* Writes into the destination itself: it is a device or a FIFO, which has
 * no whole to replace (and a rename over a device would replace it). */
static rb_code open_direct(rb_output *out, rb_error *err)
{
    out->file = fopen(out->path, "w");
    if (!out->file) {
        rb_error_set(err, RB_EUSAGE, "--output %s: cannot write there: %s", out->path, strerror(errno));
        free(out->path);
        memset(out, 0, sizeof *out);
        return RB_EUSAGE;
    }
    out->direct = true;
    return RB_OK;
}

rb_code rb_output_open(rb_output *out, const rb_reporter *reporter, const char *path, rb_error *err)
{
    memset(out, 0, sizeof *out);
    out->reporter = reporter;
    out->path = rb_xstrdup(path);
    if (strcmp(path, "-") == 0) {
        out->file = stdout;
        return RB_OK;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return open_direct(out, err);
    /* a signal that ends the run removes it (cleanup.h): a report at path
     * is only ever replaced whole, by the rename */
    out->tmp = rb_xasprintf("%s.tmp-XXXXXX", path);
    int fd = rb_cleanup_mkstemp(out->tmp);
    if (fd < 0) {
        rb_error_set(err, RB_EUSAGE, "--output %s: cannot write there: %s", path, strerror(errno));
        free(out->tmp);
        free(out->path);
        memset(out, 0, sizeof *out);
        return RB_EUSAGE;
    }
    /* mkstemp makes the file private; a report gets the usual mode */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    out->file = fdopen(fd, "w");
    if (!out->file) {
        rb_error_set(err, RB_EINTERNAL, "--output %s: %s", path, strerror(errno));
        close(fd);
        rb_output_close(out);
        return RB_EINTERNAL;
    }
    return RB_OK;
}

rb_code rb_output_write(rb_output *out, const rb_report *report, const rb_report_style *style,
                        rb_error *err)
{
    rb_code rc = out->reporter->write(report, style, out->file, err);
    return rc ? rc : rb_output_commit(out, err);
}

rb_code rb_output_commit(rb_output *out, rb_error *err)
{
    if (out->direct) {
        int failed = ferror(out->file) | fclose(out->file);
        out->file = NULL;
        return failed ? rb_error_set(err, RB_EINTERNAL, "--output %s: cannot write: %s", out->path, strerror(errno))
                      : RB_OK;
    }
    if (!out->tmp)
        return fflush(out->file) == 0 ? RB_OK
                                      : rb_error_set(err, RB_EINTERNAL, "writing the report: %s", strerror(errno));
    int failed = ferror(out->file) | fclose(out->file);
    out->file = NULL;
    if (failed || rename(out->tmp, out->path) != 0)
        return rb_error_set(err, RB_EINTERNAL, "--output %s: cannot write: %s", out->path, strerror(errno));
    rb_cleanup_forget(out->tmp);
    free(out->tmp);
    out->tmp = NULL;
    return RB_OK;
}

void rb_output_close(rb_output *out)
{
    if (out->direct && out->file)
        fclose(out->file);
    if (out->tmp) {
        if (out->file)
            fclose(out->file);
        rb_cleanup_remove(out->tmp);
        free(out->tmp);
    }
    free(out->path);
    memset(out, 0, sizeof *out);
}
