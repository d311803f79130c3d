/*
 * evidence.c — the store of inputs, events and documents (evidence.h).
 */
#include "evidence.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "input_limits.h"
#include "timeutil.h"
#include "util.h"

rb_evidence *rb_evidence_new(void)
{
    rb_evidence *ev = rb_xcalloc(1, sizeof(rb_evidence));
    ev->triage = json_array();
    ev->skipped = json_array();
    ev->uncovered_index = json_object();
    return ev;
}

void rb_problem_clear(rb_problem *p)
{
    free(p->message);
    free(p->key);
    p->message = p->key = NULL;
}

void rb_input_defer(rb_input *in, rb_code (*finish)(void *state, rb_input *in, rb_error *err), void *state)
{
    in->pending = finish;
    in->pending_state = state;
}

/* Finishes an input's deferred work, if any; err may be NULL. */
static rb_code finish_input(rb_input *in, rb_error *err)
{
    rb_code (*finish)(void *, rb_input *, rb_error *) = in->pending;
    if (!finish)
        return RB_OK;
    in->pending = NULL;
    return finish(in->pending_state, in, err);
}

rb_code rb_evidence_finish_inputs(rb_evidence *ev, rb_error *err)
{
    rb_code first = RB_OK;
    for (size_t i = 0; i < ev->n_inputs; i++) {
        rb_error later;
        rb_code rc = finish_input(ev->inputs[i], first ? &later : err);
        if (!first)
            first = rc;
    }
    return first;
}

void rb_evidence_free(rb_evidence *ev)
{
    if (!ev)
        return;
    /* a worker may still be reading what is freed below */
    for (size_t i = 0; i < ev->n_inputs; i++)
        finish_input(ev->inputs[i], NULL);
    for (size_t i = 0; i < ev->n_buffered; i++)
        rb_event_clear(&ev->buffered[i]);
    for (size_t i = 0; i < ev->n_docs; i++) {
        json_decref(ev->docs[i].value);
        json_decref(ev->docs[i].meta);
        rb_linemap_free(ev->docs[i].lines);
    }
    for (size_t i = 0; i < ev->n_problems; i++)
        rb_problem_clear(&ev->problems[i]);
    for (size_t i = 0; i < ev->n_ledgers; i++) {
        sqlite3_close(ev->ledgers[i].db);
        free(ev->ledgers[i].name);
    }
    free(ev->ledgers);
    for (size_t i = 0; i < ev->n_uncovered; i++) {
        free(ev->uncovered[i].file);
        free(ev->uncovered[i].origins);
    }
    free(ev->uncovered);
    json_decref(ev->uncovered_index);
    json_decref(ev->triage);
    json_decref(ev->skipped);
    for (size_t i = 0; i < ev->n_inputs; i++) {
        rb_input *in = ev->inputs[i];
        if (in->reader)
            in->reader->free(in->reader_state);
        json_decref(in->names);
        json_decref(in->account);
        free(in->path);
        free(in->root);
        free(in->rel);
        free(in->name);
        free(in);
    }
    free(ev->inputs);
    free(ev->buffered);
    free(ev->docs);
    free(ev->problems);
    free(ev);
}

static rb_input *add_input(rb_evidence *ev, const char *path, const char *kind)
{
    rb_input *in = rb_xcalloc(1, sizeof *in);
    in->path = rb_xstrdup(rb_path_logical(path));
    in->name = rb_xstrdup(in->path); /* until rb_evidence_settle_names */
    in->kind = kind;
    in->index = ev->n_inputs;
    rb_grow((void **)&ev->inputs, &ev->cap_inputs, ev->n_inputs + 1, sizeof *ev->inputs);
    ev->inputs[ev->n_inputs++] = in;
    return in;
}

rb_input *rb_evidence_add_input(rb_evidence *ev, const char *path, const char *kind,
                                const unsigned char *data, size_t len)
{
    rb_input *in = add_input(ev, path, kind);
    in->bytes = len;
    rb_sha256_hex(data, len, in->sha256);
    return in;
}

rb_input *rb_evidence_add_streamed_input(rb_evidence *ev, const char *path, const char *kind,
                                         const rb_event_reader_ops *reader, void *reader_state)
{
    rb_input *in = add_input(ev, path, kind);
    in->reader = reader;
    in->reader_state = reader_state;
    return in;
}

/* A printf-style text as a JSON string. */
static json_t *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *text = rb_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(text, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    json_t *s = rb_json_text(text, strlen(text));
    free(text);
    return s;
}

void rb_evidence_skip(rb_evidence *ev, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *reason = vformat(fmt, ap);
    va_end(ap);
    json_array_append_new(ev->skipped, json_pack("{s:o, s:o}", "path", rb_json_text(path, strlen(path)),
                                                 "reason", reason));
}

json_t *rb_input_account(rb_input *in)
{
    if (!in->account)
        in->account = json_object();
    return in->account;
}

void rb_input_note(rb_input *in, const char *fmt, ...)
{
    json_t *account = rb_input_account(in);
    json_t *notes = json_object_get(account, "notes");
    if (!notes)
        json_object_set_new(account, "notes", notes = json_array());
    va_list ap;
    va_start(ap, fmt);
    json_array_append_new(notes, vformat(fmt, ap));
    va_end(ap);
}

const char *rb_input_intern(rb_input *in, const char *s)
{
    if (!in->names)
        in->names = json_object();
    void *at = json_object_iter_at(in->names, s);
    if (!at) {
        json_object_set_new(in->names, s, json_null());
        at = json_object_iter_at(in->names, s);
    }
    return json_object_iter_key(at);
}

void rb_input_set_reader(rb_input *in, const rb_event_reader_ops *reader, void *reader_state)
{
    in->reader = reader;
    in->reader_state = reader_state;
}

void rb_evidence_add_ledger(rb_evidence *ev, rb_input *in, struct sqlite3 *db, const char *name)
{
    rb_grow((void **)&ev->ledgers, &ev->cap_ledgers, ev->n_ledgers + 1, sizeof *ev->ledgers);
    ev->ledgers[ev->n_ledgers++] = (rb_ledger){db, in, rb_xstrdup(name)};
}

/* What is wrong with an event object, or NULL; sets *ts when it is fine. */
static const char *event_problem(const json_t *fields, int64_t *ts)
{
    if (!json_is_object(fields))
        return "expected a JSON object for an event";
    json_t *type = json_object_get(fields, "type");
    if (!type)
        return "event has no 'type' field (expected a string)";
    if (!json_is_string(type))
        return "event 'type' is not a string";
    json_t *ts_value = json_object_get(fields, "ts");
    if (!ts_value)
        return "event has no 'ts' field (expected an RFC 3339 time or an epoch number)";
    if (!rb_time_from_json(ts_value, RB_TIME_UNIT_AUTO, ts))
        return "event 'ts' is neither an RFC 3339 time (2026-04-12T10:22:00Z) nor an epoch number "
               "of a time in the years 0000 to 9999 (seconds below 10^11, milliseconds below 10^14, "
               "microseconds below 10^17, else nanoseconds)";
    json_t *seq = json_object_get(fields, "seq");
    if (seq && !json_is_integer(seq))
        return "event 'seq' is not an integer";
    return NULL;
}

/* Positions within an input take the low bits of `order`, the input's
 * index the high ones. */
#define POSITION_BITS 40

static uint64_t event_order(rb_origin origin, uint64_t position)
{
    return ((uint64_t)origin.input->index << POSITION_BITS) | position;
}

const char *rb_event_init(rb_event *e, json_t *fields, rb_origin origin, uint64_t position)
{
    int64_t ts = 0;
    const char *why = event_problem(fields, &ts);
    if (why)
        return why;
    json_t *seq = json_object_get(fields, "seq");
    *e = (rb_event){.fields = fields, .ts = ts, .has_seq = seq != NULL,
                    .seq = seq ? (int64_t)json_integer_value(seq) : 0, .order = event_order(origin, position),
                    .origin = origin};
    return NULL;
}

void rb_event_init_unread(rb_event *e, int64_t ts, bool has_seq, int64_t seq, rb_origin origin,
                          uint64_t position)
{
    *e = (rb_event){.ts = ts, .has_seq = has_seq, .seq = seq, .origin = origin,
                    .order = event_order(origin, position)};
}

/* Holds an event in the evidence: with its own text, as its reader's
 * buffer moves on. */
static void push_buffered(rb_evidence *ev, const rb_event *e)
{
    rb_grow((void **)&ev->buffered, &ev->cap_buffered, ev->n_buffered + 1, sizeof *ev->buffered);
    ev->buffered[ev->n_buffered] = *e;
    ev->buffered[ev->n_buffered].members = NULL; /* in the reader's buffer */
    ev->buffered[ev->n_buffered].n_members = 0;
    rb_event_own_text(&ev->buffered[ev->n_buffered++]);
}

json_t *rb_event_whole(const rb_event *ev)
{
    if (!ev->text)
        return json_incref(ev->fields);
    json_error_t e;
    json_t *whole = rb_json_parse(ev->text, ev->text_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    /* the text was read whole once already (line_scan.h): it parses */
    return whole ? whole : json_incref(ev->fields);
}

void rb_event_own_text(rb_event *ev)
{
    if (!ev->text || ev->text_owned)
        return;
    ev->text = rb_xstrndup(ev->text, ev->text_len);
    ev->text_owned = true;
}

void rb_event_clear(rb_event *ev)
{
    json_decref(ev->fields);
    ev->fields = NULL;
    if (ev->text_owned)
        free((char *)ev->text);
    ev->text = NULL;
    ev->text_owned = false;
}

const char *rb_evidence_add_event(rb_evidence *ev, rb_origin origin, json_t *fields)
{
    rb_event e;
    const char *why = rb_event_init(&e, fields, origin, ev->n_buffered);
    if (why) {
        json_decref(fields);
        return why;
    }
    push_buffered(ev, &e);
    return NULL;
}

void rb_evidence_add_timeless_event(rb_evidence *ev, rb_origin origin, json_t *fields)
{
    rb_event e = {.fields = fields, .ts = RB_TS_NONE, .origin = origin,
                  .order = event_order(origin, ev->n_buffered)};
    push_buffered(ev, &e);
}

rb_code rb_evidence_buffer_input(rb_evidence *ev, rb_input *in, rb_error *err)
{
    const rb_event_reader_ops *reader = in->reader;
    rb_code rc = reader->open(in->reader_state, err);
    for (bool got = true; !rc && got;) {
        rb_event e;
        rc = reader->next(in->reader_state, ev, &e, &got, err);
        if (!rc && got)
            push_buffered(ev, &e);
    }
    reader->close(in->reader_state);
    if (rc)
        return rc;
    reader->free(in->reader_state);
    in->reader = NULL;
    in->reader_state = NULL;
    return RB_OK;
}

void rb_evidence_add_document(rb_evidence *ev, rb_origin origin, json_t *value,
                              rb_linemap *lines, const char *role)
{
    rb_grow((void **)&ev->docs, &ev->cap_docs, ev->n_docs + 1, sizeof *ev->docs);
    rb_document *d = &ev->docs[ev->n_docs++];
    d->value = value;
    d->lines = lines;
    d->origin = origin;
    ev->inputs[origin.input->index]->n_documents++;
    d->meta = json_pack("{s:s, s:s}", "path", origin.input->path, "kind", origin.input->kind);
    if (role)
        json_object_set_new(d->meta, "role", json_string(role));
}

static void add_problem(rb_evidence *ev, const char *rule, rb_origin origin, const char *key,
                        const char *message)
{
    rb_grow((void **)&ev->problems, &ev->cap_problems, ev->n_problems + 1, sizeof *ev->problems);
    ev->problems[ev->n_problems++] = (rb_problem){rule, origin, key ? rb_xstrdup(key) : NULL, rb_xstrdup(message)};
}

void rb_evidence_add_integrity(rb_evidence *ev, rb_origin origin, const char *member, const char *message)
{
    add_problem(ev, "RBA-INTEGRITY", origin, member, message);
}

void rb_evidence_add_problem(rb_evidence *ev, rb_origin origin, const char *message)
{
    add_problem(ev, "RBA-INPUT", origin, NULL, message);
}

void rb_evidence_add_uncovered(rb_evidence *ev, rb_origin origin, const char *file)
{
    json_t *at = json_object_get(ev->uncovered_index, file);
    if (!at) {
        rb_grow((void **)&ev->uncovered, &ev->cap_uncovered, ev->n_uncovered + 1, sizeof *ev->uncovered);
        ev->uncovered[ev->n_uncovered] = (rb_uncovered){.file = rb_xstrdup(file)};
        at = json_integer((json_int_t)ev->n_uncovered++);
        json_object_set_new(ev->uncovered_index, file, at);
    }
    rb_uncovered *u = &ev->uncovered[json_integer_value(at)];
    u->origins = rb_xrealloc(u->origins, (u->n_origins + 1) * sizeof *u->origins);
    u->origins[u->n_origins++] = origin;
}

void rb_evidence_truncate_problems(rb_evidence *ev, size_t n)
{
    while (ev->n_problems > n)
        rb_problem_clear(&ev->problems[--ev->n_problems]);
}

int rb_event_compare(const rb_event *a, const rb_event *b)
{
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->has_seq && b->has_seq && a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Merge sort: qsort is not stable, and the order must not depend on the C
 * library's choice of algorithm. */
static void merge_sort(rb_event *items, rb_event *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t half = n / 2;
    merge_sort(items, tmp, half);
    merge_sort(items + half, tmp, n - half);
    if (rb_event_compare(&items[half - 1], &items[half]) <= 0)
        return; /* already in order: the common case for exported logs */
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n)
        tmp[k++] = rb_event_compare(&items[j], &items[i]) < 0 ? items[j++] : items[i++];
    while (i < half)
        tmp[k++] = items[i++];
    while (j < n)
        tmp[k++] = items[j++];
    memcpy(items, tmp, n * sizeof *items);
}

void rb_evidence_sort(rb_evidence *ev)
{
    if (ev->n_buffered < 2)
        return;
    rb_event *tmp = rb_xmalloc(ev->n_buffered * sizeof *tmp);
    merge_sort(ev->buffered, tmp, ev->n_buffered);
    free(tmp);
}
