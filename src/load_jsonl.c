/*
 * load_jsonl.c — JSON Lines event logs: one event object per line
 * (SPEC §3.1).  Blank lines are skipped; a line that is not a JSON object
 * is an input error with its line number, or in --lenient mode a problem
 * that becomes an RBA-INPUT finding.
 */
#include <ctype.h>
#include <string.h>

#include "loader.h"
#include "util.h"

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* Parses one line into an object, or sets a message saying what is wrong. */
static json_t *parse_line(const char *line, size_t n, rb_buf *why)
{
    json_error_t e;
    json_t *v = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!v) {
        rb_buf_printf(why, "invalid JSON at column %d: %s (expected one JSON object per line)",
                      e.column, e.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        rb_buf_puts(why, "expected a JSON object per line");
        return NULL;
    }
    return v;
}

/* Handles a line that cannot become an event: an error, or a problem to
 * report when lenient. */
static rb_code bad_line(rb_evidence *ev, rb_origin origin, const char *why,
                        const rb_load_opts *opts, rb_error *err)
{
    if (!opts->lenient)
        return rb_error_set(err, RB_EINPUT, "%s:%ld: %s", origin.input->path, origin.line, why);
    rb_evidence_add_problem(ev, origin, why);
    return RB_OK;
}

static rb_code load_line(rb_evidence *ev, rb_origin origin, const char *line, size_t n,
                         const rb_load_opts *opts, rb_error *err)
{
    rb_buf why = {0};
    json_t *event = parse_line(line, n, &why);
    rb_code rc = RB_OK;
    if (!event) {
        rc = bad_line(ev, origin, why.data, opts, err);
    } else {
        rb_source_apply(opts, origin.input, event);
        const char *problem = rb_evidence_add_event(ev, origin, event);
        if (problem)
            rc = bad_line(ev, origin, problem, opts, err);
    }
    rb_buf_free(&why);
    return rc;
}

static rb_code load_jsonl(rb_evidence *ev, const rb_input *in, const unsigned char *data,
                          size_t len, const rb_load_opts *opts, rb_error *err)
{
    const char *p = (const char *)data, *end = p + len;
    rb_origin origin = {in, 0};
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        origin.line++;
        if (n && p[n - 1] == '\r')
            n--;
        if (!is_blank(p, n)) {
            rb_code rc = load_line(ev, origin, p, n, opts, err);
            if (rc)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return RB_OK;
}

/* Looks like JSON Lines: the first non-blank line is a whole JSON object and
 * something follows it. */
static bool sniff_jsonl(const unsigned char *data, size_t len)
{
    const char *p = (const char *)data, *end = p + len;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p == end || *p != '{')
        return false;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl || is_blank(nl, (size_t)(end - nl)))
        return false;
    json_t *v = json_loadb(p, (size_t)(nl - p), 0, NULL);
    bool ok = json_is_object(v);
    json_decref(v);
    return ok;
}

static const char *const jsonl_suffixes[] = {".jsonl", ".ndjson", NULL};

const rb_loader rb_loader_jsonl = {
    .kind = "jsonl",
    .suffixes = jsonl_suffixes,
    .sniff = sniff_jsonl,
    .load = load_jsonl,
};
