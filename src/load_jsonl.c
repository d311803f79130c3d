/*
 * load_jsonl.c — JSON Lines event logs: one event object per line
 * (SPEC §3.1), streamed: the engine's pass reads one line at a time, so a
 * log of any length is audited in the memory of its open keys.  Blank lines
 * are skipped; a line that is not an event is an input error with its line
 * number, or in --lenient mode a problem that becomes an RBA-INPUT finding.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

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

/* Lines longer than this are refused rather than held (a corrupt or
 * hostile file with no newlines). */
#define MAX_LINE_BYTES ((size_t)64 << 20)

/* The state of one JSON Lines input being streamed. */
typedef struct jsonl_reader {
    char *path;          /* as given, for opening; NULL for a member in memory */
    unsigned char *data; /* a member's bytes (owned), read through fmemopen */
    size_t len;
    rb_input *input;
    rb_load_opts opts;   /* sources and lenience (borrowed from the run) */
    FILE *file;
    char *line;
    size_t line_cap;
    long line_no;
    rb_sha256 *hash;     /* of the bytes read so far */
    uint64_t bytes;
} jsonl_reader;

static void jsonl_close(void *state)
{
    jsonl_reader *r = state;
    if (r->file)
        fclose(r->file);
    r->file = NULL;
    if (r->hash) {
        char unused[RB_SHA256_HEX_LEN + 1];
        rb_sha256_final(r->hash, unused);
    }
    r->hash = NULL;
}

static void jsonl_free(void *state)
{
    jsonl_reader *r = state;
    jsonl_close(r);
    free(r->line);
    free(r->path);
    free(r->data);
    free(r);
}

static rb_code jsonl_open(void *state, rb_error *err)
{
    jsonl_reader *r = state;
    jsonl_close(r);
    /* fmemopen cannot open an empty buffer: an empty member is read as
     * its terminating NUL, a blank line */
    r->file = r->path ? fopen(r->path, "rb") : fmemopen(r->data, r->len ? r->len : 1, "rb");
    if (!r->file)
        return rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", r->input->path, strerror(errno));
    struct stat st;
    if (r->path && (fstat(fileno(r->file), &st) != 0 || !S_ISREG(st.st_mode))) {
        jsonl_close(r);
        return rb_error_set(err, RB_EINPUT, "%s: not a regular file", r->input->path);
    }
    r->hash = rb_sha256_new();
    r->bytes = 0;
    r->line_no = 0;
    return RB_OK;
}

/* The input has been read to its end: its digest is now known. */
static void finish_input(jsonl_reader *r)
{
    char hex[RB_SHA256_HEX_LEN + 1];
    rb_sha256_final(r->hash, hex);
    r->hash = NULL;
    if (r->path) { /* a member in memory was hashed when added */
        memcpy(r->input->sha256, hex, sizeof hex);
        r->input->bytes = r->bytes;
    }
}

/* Turns one non-blank line into an event, or says why it is not one. */
static const char *line_event(jsonl_reader *r, const char *line, size_t n, rb_event *out,
                              rb_buf *why)
{
    json_t *fields = parse_line(line, n, why);
    if (!fields)
        return why->data;
    rb_source_apply(&r->opts, r->input, fields);
    rb_origin origin = {.input = r->input, .line = r->line_no};
    const char *problem = rb_event_init(out, fields, origin, (uint64_t)r->line_no);
    if (problem)
        json_decref(fields);
    return problem;
}

static rb_code jsonl_next(void *state, rb_evidence *ev, rb_event *out, bool *got, rb_error *err)
{
    jsonl_reader *r = state;
    *got = false;
    for (;;) {
        ssize_t len = getline(&r->line, &r->line_cap, r->file);
        if (len < 0) {
            if (ferror(r->file))
                return rb_error_set(err, RB_EINPUT, "%s:%ld: read error: %s", r->input->path,
                                    r->line_no + 1, strerror(errno));
            finish_input(r);
            return RB_OK;
        }
        size_t n = (size_t)len;
        rb_sha256_update(r->hash, r->line, n);
        r->bytes += n;
        r->line_no++;
        if (n > MAX_LINE_BYTES)
            return rb_error_set(err, RB_EINPUT, "%s:%ld: line of %zu bytes is over the limit of %zu",
                                r->input->path, r->line_no, n, MAX_LINE_BYTES);
        while (n && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
            n--;
        if (is_blank(r->line, n))
            continue;
        rb_buf why = {0};
        const char *problem = line_event(r, r->line, n, out, &why);
        rb_code rc = RB_OK;
        if (!problem)
            *got = true;
        else if (!r->opts.lenient)
            rc = rb_error_set(err, RB_EINPUT, "%s:%ld: %s", r->input->path, r->line_no, problem);
        else
            rb_evidence_add_problem(ev, (rb_origin){.input = r->input, .line = r->line_no}, problem);
        rb_buf_free(&why);
        if (rc || *got)
            return rc;
    }
}

static const rb_event_reader_ops jsonl_reader_ops = {
    .open = jsonl_open,
    .next = jsonl_next,
    .close = jsonl_close,
    .free = jsonl_free,
};

static rb_code stream_jsonl(rb_evidence *ev, const char *path, const rb_load_opts *opts,
                            rb_error *err)
{
    (void)err;
    jsonl_reader *r = rb_xcalloc(1, sizeof *r);
    r->path = rb_xstrdup(path);
    r->opts = *opts;
    r->input = rb_evidence_add_streamed_input(ev, path, "jsonl", &jsonl_reader_ops, r);
    return RB_OK;
}

/* A log read whole (a bundle member): streamed from a private copy, so
 * that its events take the same path as those of a file. */
static rb_code load_jsonl(rb_evidence *ev, rb_input *in, const unsigned char *data, size_t len,
                          const rb_load_opts *opts, rb_error *err)
{
    (void)err;
    jsonl_reader *r = rb_xcalloc(1, sizeof *r);
    r->data = rb_xmalloc(len + 1);
    memcpy(r->data, data, len);
    r->data[len] = '\0';
    r->len = len;
    r->opts = *opts;
    r->input = in;
    rb_input_set_reader(in, &jsonl_reader_ops, r);
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
    .stream = stream_jsonl,
};
