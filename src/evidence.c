/*
 * evidence.c — the store of inputs, events and documents (evidence.h).
 */
#include "evidence.h"

#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "util.h"

rb_evidence *rb_evidence_new(void)
{
    return rb_xcalloc(1, sizeof(rb_evidence));
}

void rb_evidence_free(rb_evidence *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n_events; i++)
        json_decref(ev->events[i].fields);
    for (size_t i = 0; i < ev->n_docs; i++) {
        json_decref(ev->docs[i].value);
        json_decref(ev->docs[i].meta);
        rb_linemap_free(ev->docs[i].lines);
    }
    for (size_t i = 0; i < ev->n_problems; i++)
        free(ev->problems[i].message);
    for (size_t i = 0; i < ev->n_inputs; i++) {
        free(ev->inputs[i]->path);
        free(ev->inputs[i]);
    }
    free(ev->inputs);
    free(ev->events);
    free(ev->docs);
    free(ev->problems);
    free(ev);
}

rb_input *rb_evidence_add_input(rb_evidence *ev, const char *path, const char *kind,
                                const unsigned char *data, size_t len)
{
    rb_input *in = rb_xcalloc(1, sizeof *in);
    in->path = rb_xstrdup(rb_path_logical(path));
    in->kind = kind;
    in->bytes = len;
    rb_sha256_hex(data, len, in->sha256);
    rb_grow((void **)&ev->inputs, &ev->cap_inputs, ev->n_inputs + 1, sizeof *ev->inputs);
    ev->inputs[ev->n_inputs++] = in;
    return in;
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
        return "event has no 'ts' field (expected an RFC 3339 time or epoch milliseconds)";
    if (!rb_time_from_json(ts_value, ts))
        return "event 'ts' is neither an RFC 3339 time (2026-04-12T10:22:00Z) nor a number of "
               "epoch milliseconds";
    json_t *seq = json_object_get(fields, "seq");
    if (seq && !json_is_integer(seq))
        return "event 'seq' is not an integer";
    return NULL;
}

const char *rb_evidence_add_event(rb_evidence *ev, rb_origin origin, json_t *fields)
{
    int64_t ts = 0;
    const char *why = event_problem(fields, &ts);
    if (why) {
        json_decref(fields);
        return why;
    }
    json_t *seq = json_object_get(fields, "seq");
    rb_grow((void **)&ev->events, &ev->cap_events, ev->n_events + 1, sizeof *ev->events);
    rb_event *e = &ev->events[ev->n_events++];
    e->fields = fields;
    e->ts = ts;
    e->has_seq = seq != NULL;
    e->seq = seq ? (int64_t)json_integer_value(seq) : 0;
    e->order = ev->next_order++;
    e->origin = origin;
    if (!ev->has_newest || ts > ev->newest_ts) {
        ev->newest_ts = ts;
        ev->has_newest = true;
    }
    return NULL;
}

void rb_evidence_add_document(rb_evidence *ev, rb_origin origin, json_t *value,
                              rb_linemap *lines, const char *role)
{
    rb_grow((void **)&ev->docs, &ev->cap_docs, ev->n_docs + 1, sizeof *ev->docs);
    rb_document *d = &ev->docs[ev->n_docs++];
    d->value = value;
    d->lines = lines;
    d->origin = origin;
    d->meta = json_pack("{s:s, s:s}", "path", origin.input->path, "kind", origin.input->kind);
    if (role)
        json_object_set_new(d->meta, "role", json_string(role));
}

void rb_evidence_add_problem(rb_evidence *ev, rb_origin origin, const char *message)
{
    rb_grow((void **)&ev->problems, &ev->cap_problems, ev->n_problems + 1, sizeof *ev->problems);
    ev->problems[ev->n_problems].origin = origin;
    ev->problems[ev->n_problems].message = rb_xstrdup(message);
    ev->n_problems++;
}

static int compare_events(const rb_event *a, const rb_event *b)
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
    if (compare_events(&items[half - 1], &items[half]) <= 0)
        return; /* already in order: the common case for exported logs */
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n)
        tmp[k++] = compare_events(&items[j], &items[i]) < 0 ? items[j++] : items[i++];
    while (i < half)
        tmp[k++] = items[i++];
    while (j < n)
        tmp[k++] = items[j++];
    memcpy(items, tmp, n * sizeof *items);
}

void rb_evidence_sort(rb_evidence *ev)
{
    if (ev->n_events < 2)
        return;
    rb_event *tmp = rb_xmalloc(ev->n_events * sizeof *tmp);
    merge_sort(ev->events, tmp, ev->n_events);
    free(tmp);
}
