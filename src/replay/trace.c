/*
 * trace.c — reading a captured trace for replay (trace.h).
 */
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "replay/trace.h"
#include "util.h"

void rp_trace_free(rp_trace *t)
{
    if (!t)
        return;
    free(t->events);
    rb_evidence_free(t->evidence);
    free(t);
}

/* The input that holds the trace: the file itself, or a bundle's
 * trace.jsonl member. */
static rb_input *trace_input(const rb_evidence *ev, const char *path, rb_error *err)
{
    for (size_t i = 0; i < ev->n_inputs; i++) {
        rb_input *in = ev->inputs[i];
        const char *bang = strrchr(in->path, '!');
        if (strcmp(in->kind, "jsonl") == 0 && (!bang || strcmp(rb_path_basename(bang + 1), "trace.jsonl") == 0))
            return in;
    }
    bool bundle = ev->n_inputs && strcmp(ev->inputs[0]->kind, "bundle") == 0;
    rb_error_set(err, RB_EINPUT, bundle ? "%s: the bundle has no trace.jsonl member (expected the captured events "
                                          "of the incident)"
                                        : "%s: not a trace (expected a JSON Lines file, .jsonl or .ndjson, or a "
                                          "bundle with a trace.jsonl member)", path);
    return NULL;
}

static void wired_types(const rp_model *m, rb_buf *b)
{
    rb_buf_puts(b, "an input (");
    for (size_t i = 0; i < m->n_inputs; i++)
        rb_buf_printf(b, "%s%s", i ? ", " : "", m->inputs[i].trigger);
    rb_buf_puts(b, "), an output (");
    for (size_t i = 0; i < m->n_outputs; i++)
        rb_buf_printf(b, "%s%s", i ? ", " : "", m->outputs[i].type);
    rb_buf_puts(b, ") or a type under ignore:");
}

static rb_code classify(rp_trace *t, const rp_model *m, const rb_event *e, rb_error *err)
{
    rp_trace_event *te = &t->events[t->n];
    te->fields = e->fields;
    te->ts = e->ts;
    te->origin = e->origin;
    te->type = json_string_value(json_object_get(e->fields, "type"));
    te->key = rb_jsonpath_lookup(m->key_path, e->fields);
    if ((te->handler = rp_model_input(m, te->type))) {
        te->role = RP_ROLE_INPUT;
        t->n_inputs++;
    } else if (rp_model_output(m, te->type)) {
        te->role = RP_ROLE_OUTPUT;
        t->n_outputs++;
    } else if (rp_model_ignores(m, te->type)) {
        te->role = RP_ROLE_IGNORED;
    } else {
        rb_buf expected = {0};
        wired_types(m, &expected);
        rb_error_set(err, RB_EINPUT, "%s:%ld: event type '%s' is not wired by model %s (expected %s)",
                     e->origin.input->path, e->origin.line, te->type, m->name, expected.data);
        rb_buf_free(&expected);
        return RB_EINPUT;
    }
    t->n++;
    return RB_OK;
}

/* Sorting falls back on an event's canonical text only for ties, so it is
 * made when first needed. */
typedef struct sort_item {
    rp_trace_event ev;
    const rb_event *source;
    char *canonical;
} sort_item;

static const char *canonical(sort_item *item)
{
    if (!item->canonical)
        item->canonical = json_dumps(item->ev.fields, JSON_COMPACT | JSON_SORT_KEYS);
    return item->canonical;
}

static int sort_compare(const void *pa, const void *pb)
{
    sort_item *a = (sort_item *)pa, *b = (sort_item *)pb;
    if (a->ev.ts != b->ev.ts)
        return a->ev.ts < b->ev.ts ? -1 : 1;
    if (a->source->has_seq && b->source->has_seq && a->source->seq != b->source->seq)
        return a->source->seq < b->source->seq ? -1 : 1;
    return strcmp(canonical(a), canonical(b));
}

static void trace_sort(rp_trace *t, const rb_event **sources)
{
    sort_item *items = rb_xcalloc(t->n + 1, sizeof *items);
    for (size_t i = 0; i < t->n; i++) {
        items[i].ev = t->events[i];
        items[i].source = sources[i];
    }
    if (t->n > 1)
        qsort(items, t->n, sizeof *items, sort_compare);
    for (size_t i = 0; i < t->n; i++) {
        t->events[i] = items[i].ev;
        t->events[i].index = i;
        free(items[i].canonical);
    }
    free(items);
}

rb_code rp_trace_load(const char *path, const rp_model *m, bool lenient, rp_trace **out, rb_error *err)
{
    rp_trace *t = rb_xcalloc(1, sizeof *t);
    *out = NULL;
    t->evidence = rb_evidence_new();
    rb_load_opts opts = {.lenient = lenient};
    rb_code rc = rb_load_input(t->evidence, path, NULL, &opts, err);
    rb_evidence_settle_names(t->evidence);
    rb_input *in = rc ? NULL : trace_input(t->evidence, path, err);
    if (!rc && !in)
        rc = RB_EINPUT;
    if (!rc && in->reader)
        rc = rb_evidence_buffer_input(t->evidence, in, err);
    const rb_evidence *ev = t->evidence;
    const rb_event **sources = rb_xcalloc(ev->n_buffered + 1, sizeof *sources);
    if (!rc) {
        t->input = in;
        t->events = rb_xcalloc(ev->n_buffered + 1, sizeof *t->events);
        for (size_t i = 0; i < ev->n_buffered && !rc; i++)
            if (ev->buffered[i].origin.input == in) {
                sources[t->n] = &ev->buffered[i];
                rc = classify(t, m, &ev->buffered[i], err);
            }
    }
    if (!rc)
        trace_sort(t, sources);
    free(sources);
    if (rc) {
        rp_trace_free(t);
        return rc;
    }
    *out = t;
    return RB_OK;
}

void rp_trace_schedule(const rp_trace *t, rp_schedule *s)
{
    for (size_t i = 0; i < t->n; i++) {
        const rp_trace_event *e = &t->events[i];
        if (e->role != RP_ROLE_INPUT)
            continue;
        rp_input_item item = {.at = e->ts, .order = e->index, .fields = e->fields, .key = e->key,
                              .handler = e->handler, .line = e->origin.line, .index = e->index};
        rp_schedule_add(s, &item);
    }
}
