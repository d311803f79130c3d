/*
 * load_jsonl.c — JSON Lines event logs: one event object per line
 * (SPEC §3.1), streamed: the engine's pass reads one line at a time, so a
 * log of any length is audited in the memory of its open keys.  Blank lines
 * are skipped; a line that is not an event is an input error with its line
 * number, or in --lenient mode a problem that becomes an RBA-INPUT finding.
 *
 * Files are read in large blocks, hashed as they come.  A line that no rule
 * of the pass can want (the engine's plan) is not parsed when it is
 * a plain line (line_scan.h): its event keeps only its order and time,
 * which is all the pass needs of it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "line_scan.h"
#include "loader.h"
#include "plan.h"
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
    json_t *v = rb_json_parse(line, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!v) {
        if (e.column > 0)
            rb_buf_printf(why, "invalid JSON at column %d: %s (expected one JSON object per line)", e.column,
                          e.text);
        else
            rb_buf_printf(why, "invalid JSON: %s (expected one JSON object per line)", e.text);
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
/* Files are read in blocks of this size, each hashed as it comes. */
#define READ_BLOCK ((size_t)1 << 20)

/* The state of one JSON Lines input being streamed. */
typedef struct jsonl_reader {
    char *path;          /* as given, for opening; NULL for a member in memory */
    unsigned char *data; /* a member's bytes (owned) */
    size_t len;
    rb_input *input;
    rb_load_opts opts;   /* sources and lenience (borrowed from the run) */
    bool mapped;         /* a source renames its fields or sets some */
    int fd;              /* the open file, or -1 */
    bool at_end;         /* the file has no more bytes to read */
    char *buf;           /* a file's bytes read but not yet taken: [pos, fill) */
    size_t cap, pos, fill;
    size_t data_pos;     /* a member's next byte */
    long line_no;
    rb_sha256 *hash;     /* of a file's bytes read so far */
    uint64_t bytes;
    rb_buf decoded;      /* the escaped strings of the line being scanned */
    rb_buf text[2];      /* the texts of the last two events read in part:
                            the cursor holds one while it reads the next */
    int slot;
    rb_scan_member members[RB_SCAN_MAX_MEMBERS]; /* of the last unread line */
} jsonl_reader;

static void jsonl_close(void *state)
{
    jsonl_reader *r = state;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
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
    free(r->buf);
    free(r->path);
    free(r->data);
    rb_buf_free(&r->decoded);
    rb_buf_free(&r->text[0]);
    rb_buf_free(&r->text[1]);
    free(r);
}

/* Whether a `sources:` entry maps this input: its lines then do not name
 * their fields as rules do, and only parsed events are mapped. */
static bool input_is_mapped(const jsonl_reader *r)
{
    for (size_t i = 0; i < r->opts.n_sources; i++)
        if (!r->opts.sources[i].query && rb_source_takes(&r->opts.sources[i], r->input->path))
            return true;
    return false;
}

static rb_code jsonl_open(void *state, rb_error *err)
{
    jsonl_reader *r = state;
    jsonl_close(r);
    r->mapped = input_is_mapped(r);
    r->line_no = 0;
    r->data_pos = 0;
    if (!r->path)
        return RB_OK;
    r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return rb_error_set(err, RB_EINPUT, "%s: cannot open: %s", r->input->path, strerror(errno));
    struct stat st;
    if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        jsonl_close(r);
        return rb_error_set(err, RB_EINPUT, "%s: not a regular file", r->input->path);
    }
    if ((uint64_t)st.st_size > rb_limits_get()->input_bytes) {
        jsonl_close(r);
        return rb_error_set(err, RB_EINPUT, "%s: %lld bytes, over the --max-input-size limit of %zu",
                            r->input->path, (long long)st.st_size, rb_limits_get()->input_bytes);
    }
    r->hash = rb_sha256_new();
    r->bytes = 0;
    r->pos = r->fill = 0;
    r->at_end = false;
    return RB_OK;
}

/* The input has been read to its end: its digest is now known. */
static void finish_input(jsonl_reader *r)
{
    if (!r->hash) /* a member in memory was hashed when added */
        return;
    char hex[RB_SHA256_HEX_LEN + 1];
    rb_sha256_final(r->hash, hex);
    r->hash = NULL;
    memcpy(r->input->sha256, hex, sizeof hex);
    r->input->bytes = r->bytes;
}

/* Reads the next block of the file after what is still untaken. */
static rb_code read_block(jsonl_reader *r, rb_error *err)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
        r->fill -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->fill < READ_BLOCK) {
        r->cap = 2 * (r->fill + READ_BLOCK);
        r->buf = rb_xrealloc(r->buf, r->cap);
    }
    ssize_t got;
    do
        got = read(r->fd, r->buf + r->fill, r->cap - r->fill);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return rb_error_set(err, RB_EINPUT, "%s:%ld: read error: %s", r->input->path, r->line_no + 1,
                            strerror(errno));
    rb_sha256_update(r->hash, r->buf + r->fill, (size_t)got);
    r->bytes += (uint64_t)got;
    r->fill += (size_t)got;
    r->at_end = got == 0;
    return RB_OK;
}

/* The next line of a file (without its newline) in *line, *n; *line is
 * NULL at the end.  Valid until the next call. */
static rb_code file_line(jsonl_reader *r, const char **line, size_t *n, rb_error *err)
{
    for (;;) {
        size_t have = r->fill - r->pos;
        /* buf is NULL until the first block: no arithmetic on it before. */
        const char *start = have ? r->buf + r->pos : NULL;
        const char *nl = have ? memchr(start, '\n', have) : NULL;
        if (nl || (r->at_end && have)) {
            *line = start;
            *n = nl ? (size_t)(nl - start) : have;
            r->pos += nl ? *n + 1 : have;
            return RB_OK;
        }
        if (r->at_end) {
            *line = NULL;
            return RB_OK;
        }
        if (have > MAX_LINE_BYTES)
            return rb_error_set(err, RB_EINPUT, "%s:%ld: line of %zu bytes is over the limit of %zu",
                                r->input->path, r->line_no + 1, have, MAX_LINE_BYTES);
        rb_code rc = read_block(r, err);
        if (rc)
            return rc;
    }
}

/* The next line of a member in memory, as file_line. */
static void member_line(jsonl_reader *r, const char **line, size_t *n)
{
    if (r->data_pos >= r->len) {
        *line = NULL;
        return;
    }
    const char *start = (const char *)r->data + r->data_pos;
    const char *nl = memchr(start, '\n', r->len - r->data_pos);
    *line = start;
    *n = nl ? (size_t)(nl - start) : r->len - r->data_pos;
    r->data_pos += nl ? *n + 1 : *n;
}

/* The event of a line the scanner is sure of (line_scan.h), with only the
 * members the pass's rules read (plan.h), keeping the line's text for a
 * finding that shows it whole; NULL when the scanner is not sure. */
static json_t *planned_fields(jsonl_reader *r, const rb_plan *plan, const char *line, size_t n, rb_event *out)
{
    bool partial = false;
    json_t *fields = rb_line_build(line, n, plan->every_member ? NULL : (const char *const *)plan->members,
                                   plan->n_members, &partial);
    out->text = NULL;
    if (fields && partial) {
        rb_buf *text = &r->text[r->slot ^= 1];
        text->len = 0;
        rb_buf_append(text, line, n);
        out->text = text->data;
        out->text_len = n;
    }
    return fields;
}

/* Turns one non-blank line into an event, or says why it is not one.  An
 * input no source maps is read by the pass's plan when there is one;
 * anything the scanner is not sure of goes to jansson, which says what is
 * wrong. */
static const char *line_event(jsonl_reader *r, const rb_evidence *ev, const char *line, size_t n, rb_event *out,
                              rb_buf *why)
{
    rb_origin origin = {.input = r->input, .line = r->line_no};
    json_t *fields = !r->mapped && ev->plan ? planned_fields(r, ev->plan, line, n, out) : NULL;
    if (fields) {
        const char *text = out->text;
        size_t text_len = out->text_len;
        const char *problem = rb_event_init(out, fields, origin, (uint64_t)r->line_no);
        if (problem)
            json_decref(fields);
        out->text = text;
        out->text_len = text_len;
        return problem;
    }
    fields = parse_line(line, n, why);
    if (!fields)
        return why->data;
    const char *problem = rb_source_apply(&r->opts, r->input, fields);
    if (!problem)
        problem = rb_event_init(out, fields, origin, (uint64_t)r->line_no);
    if (problem)
        json_decref(fields);
    return problem;
}

/* A line no rule can want (plan.h) becomes an event with its order
 * and no fields, when the scanner is sure it is a valid event
 * (line_scan.h); anything else is parsed, so that its mistakes are
 * reported as always.  A line with escapes is checked against the plan
 * once more with its escaped strings decoded. */
static bool unread_event(jsonl_reader *r, const rb_evidence *ev, const char *line, size_t n,
                         rb_event *out)
{
    static const char *const names[] = {"ts", "type", "seq"};
    rb_scan_value v[3];
    size_t count;
    int64_t ts;
    if (r->mapped || !ev->plan || rb_plan_may_select(ev->plan, line, n, NULL, 0))
        return false;
    rb_buf *decoded = memchr(line, '\\', n) ? &r->decoded : NULL;
    if (decoded && decoded->data) {
        decoded->len = 0;
        decoded->data[0] = '\0';
    }
    bool keep = ev->plan->unread_members, scanned;
    count = 0;
    if (keep && (scanned = rb_line_scan_members(line, n, r->members, &count, decoded)))
        rb_scan_pick(r->members, count, names, 3, v);
    else if (!keep)
        scanned = rb_line_scan(line, n, names, 3, v, decoded);
    if (!scanned || v[1].kind != RB_SCAN_STRING || !rb_scan_time(&v[0], &ts) ||
        (v[2].kind != RB_SCAN_ABSENT && v[2].kind != RB_SCAN_INTEGER) ||
        (decoded && decoded->len && rb_plan_may_select(ev->plan, line, n, decoded->data, decoded->len)))
        return false;
    bool has_seq = v[2].kind == RB_SCAN_INTEGER;
    rb_event_init_unread(out, ts, has_seq, has_seq ? rb_scan_integer(&v[2]) : 0,
                         (rb_origin){.input = r->input, .line = r->line_no}, (uint64_t)r->line_no);
    if (keep) {
        out->text = line;
        out->text_len = n;
        out->members = r->members;
        out->n_members = count;
    }
    return true;
}

static rb_code jsonl_next(void *state, rb_evidence *ev, rb_event *out, bool *got, rb_error *err)
{
    jsonl_reader *r = state;
    *got = false;
    for (;;) {
        const char *line;
        size_t n = 0;
        if (r->path) {
            rb_code rc = file_line(r, &line, &n, err);
            if (rc)
                return rc;
        } else {
            member_line(r, &line, &n);
        }
        if (!line) {
            finish_input(r);
            return RB_OK;
        }
        r->line_no++;
        while (n && line[n - 1] == '\r')
            n--;
        if (is_blank(line, n))
            continue;
        if (unread_event(r, ev, line, n, out)) {
            *got = true;
            return RB_OK;
        }
        rb_buf why = {0};
        const char *problem = line_event(r, ev, line, n, out, &why);
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
    .read_ahead = true,
};

static jsonl_reader *reader_new(rb_input *in, const rb_load_opts *opts)
{
    jsonl_reader *r = rb_xcalloc(1, sizeof *r);
    r->fd = -1;
    r->opts = *opts;
    r->input = in;
    return r;
}

static rb_code stream_jsonl(rb_evidence *ev, const char *path, const rb_load_opts *opts,
                            rb_error *err)
{
    (void)err;
    rb_input *in = rb_evidence_add_streamed_input(ev, path, "jsonl", NULL, NULL);
    jsonl_reader *r = reader_new(in, opts);
    r->path = rb_xstrdup(path);
    rb_input_set_reader(in, &jsonl_reader_ops, r);
    return RB_OK;
}

/* A log read whole (a bundle member): streamed from a private copy, so
 * that its events take the same path as those of a file. */
static rb_code load_jsonl(rb_evidence *ev, rb_input *in, const unsigned char *data, size_t len,
                          const rb_load_opts *opts, rb_error *err)
{
    (void)err;
    (void)ev;
    jsonl_reader *r = reader_new(in, opts);
    r->data = rb_xmalloc(len + 1);
    memcpy(r->data, data, len);
    r->len = len;
    rb_input_set_reader(in, &jsonl_reader_ops, r);
    return RB_OK;
}

/* Looks like JSON Lines: the first non-blank line is a whole JSON object and
 * something follows it. */
static rb_sniff sniff_jsonl(const unsigned char *data, size_t len, rb_buf *why)
{
    (void)why;
    const char *p = (const char *)data, *end = p + len;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p == end || *p != '{')
        return RB_SNIFF_NO;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl || is_blank(nl, (size_t)(end - nl)))
        return RB_SNIFF_NO;
    json_t *v = json_loadb(p, (size_t)(nl - p), 0, NULL);
    bool ok = json_is_object(v);
    json_decref(v);
    return ok ? RB_SNIFF_YES : RB_SNIFF_NO;
}

static const char *const jsonl_suffixes[] = {".jsonl", ".ndjson", NULL};

const rb_loader rb_loader_jsonl = {
    .kind = "jsonl",
    .suffixes = jsonl_suffixes,
    .sniff = sniff_jsonl,
    .load = load_jsonl,
    .stream = stream_jsonl,
};
