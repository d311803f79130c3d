/*
 * compare.c — per-key comparison of captured and simulated outputs
 * (compare.h).
 */
#include <stdlib.h>
#include <string.h>

#include "keymap.h"
#include "replay/compare.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

typedef struct key_track {
    json_t *key;                /* owned; json null for events without a key */
    size_t *captured;           /* trace indices of this key's outputs */
    size_t n_captured, cap_captured;
    size_t cursor;              /* captured outputs matched so far */
    const rp_trace_event *last; /* the key's last trace event, for origins */
    const char *simulated;      /* last simulated output type (the model's string) */
    json_t *divergence;         /* the first one, or NULL */
} key_track;

struct rp_compare {
    const rp_model *model;
    const rp_trace *trace;
    rb_keymap *keys;
    size_t diverging;
};

static void track_free(void *p)
{
    key_track *k = p;
    json_decref(k->key);
    free(k->captured);
    json_decref(k->divergence);
    free(k);
}

static key_track *track_of(rp_compare *c, const json_t *key)
{
    key_track *k = rb_keymap_get(c->keys, key);
    if (!k) {
        k = rb_xcalloc(1, sizeof *k);
        k->key = key ? json_deep_copy(key) : json_null();
        rb_keymap_put(c->keys, key, k);
    }
    return k;
}

rp_compare *rp_compare_new(const rp_model *m, const rp_trace *t)
{
    rp_compare *c = rb_xcalloc(1, sizeof *c);
    c->model = m;
    c->trace = t;
    c->keys = rb_keymap_new(track_free);
    for (size_t i = 0; i < t->n; i++) {
        const rp_trace_event *e = &t->events[i];
        if (e->role == RP_ROLE_IGNORED)
            continue;
        key_track *k = track_of(c, e->key);
        k->last = e;
        if (e->role == RP_ROLE_OUTPUT) {
            rb_grow((void **)&k->captured, &k->cap_captured, k->n_captured + 1, sizeof *k->captured);
            k->captured[k->n_captured++] = i;
        }
    }
    return c;
}

void rp_compare_free(rp_compare *c)
{
    if (!c)
        return;
    rb_keymap_free(c->keys);
    free(c);
}

static json_t *time_json(int64_t us)
{
    char text[64];
    rb_time_format(us, text, sizeof text);
    return json_string(text);
}

/* What the model expected: {type, ts, fields}. */
static json_t *expected_json(const rp_output *out)
{
    return json_pack("{s:s, s:o, s:O}", "type", out->type, "ts", time_json(out->at), "fields", out->fields);
}

static bool output_matches(const rp_compare *c, const rp_output *out, const rp_trace_event *e)
{
    if (strcmp(out->type, e->type) != 0)
        return false;
    const rp_output_decl *d = rp_model_output(c->model, out->type);
    for (size_t i = 0; i < d->n_compare; i++) {
        const json_t *a = rb_jsonpath_get(out->fields, d->compare[i]);
        const json_t *b = rb_jsonpath_get(e->fields, d->compare[i]);
        if ((a || b) && !(a && b && json_equal((json_t *)a, (json_t *)b)))
            return false;
    }
    if (!c->model->has_tolerance)
        return true;
    int64_t skew = e->ts - out->at;
    return (skew < 0 ? -skew : skew) <= c->model->tolerance;
}

static void diverge(rp_compare *c, const rp_sim *sim, key_track *k, const rp_output *expected,
                    const rp_trace_event *observed)
{
    k->divergence = json_pack("{s:I, s:o, s:o, s:o}", "output_index", (json_int_t)k->cursor, "expected",
                              expected ? expected_json(expected) : json_null(), "observed",
                              observed ? json_deep_copy(observed->fields) : json_null(), "state",
                              rp_sim_describe(sim, json_is_null(k->key) ? NULL : k->key));
    if (observed) {
        json_object_set_new(k->divergence, "event_index", json_integer((json_int_t)observed->index));
        json_object_set_new(k->divergence, "line", json_integer(observed->origin.line));
    }
    c->diverging++;
}

static void on_output(void *ctx, rp_sim *sim, const rp_output *out)
{
    rp_compare *c = ctx;
    key_track *k = track_of(c, out->key);
    k->simulated = out->type;  /* the model's own string: it outlives the comparison */
    if (k->divergence)
        return;
    const rp_trace_event *next = k->cursor < k->n_captured ? &c->trace->events[k->captured[k->cursor]] : NULL;
    if (next && output_matches(c, out, next))
        k->cursor++;
    else
        diverge(c, sim, k, out, next);
}

rp_observer rp_compare_observer(rp_compare *c)
{
    return (rp_observer){.output = on_output, .ctx = c};
}

typedef struct finish_ctx {
    rp_compare *c;
    const rp_sim *sim;
} finish_ctx;

static void finish_key(void *ctx, const json_t *key, void *value)
{
    (void)key;
    finish_ctx *f = ctx;
    key_track *k = value;
    if (!k->divergence && k->cursor < k->n_captured)
        diverge(f->c, f->sim, k, NULL, &f->c->trace->events[k->captured[k->cursor]]);
}

void rp_compare_finish(rp_compare *c, const rp_sim *sim)
{
    finish_ctx f = {c, sim};
    rb_keymap_each_sorted(c->keys, finish_key, &f);
}

size_t rp_compare_diverging(const rp_compare *c)
{
    return c->diverging;
}

static const char *captured_terminal(const rp_compare *c, const key_track *k)
{
    return k->n_captured ? c->trace->events[k->captured[k->n_captured - 1]].type : NULL;
}

typedef struct keys_ctx {
    const rp_compare *c;
    json_t *out;
} keys_ctx;

static void key_entry(void *ctx, const json_t *key, void *value)
{
    (void)key;
    keys_ctx *kc = ctx;
    const key_track *k = value;
    if (!k->n_captured && !k->simulated)
        return;  /* a key only inputs name (an agent, a host): nothing to conform */
    const char *captured = captured_terminal(kc->c, k);
    json_t *entry = json_pack("{s:O, s:b, s:s?, s:s?}", "key", k->key, "conforms", !k->divergence, "captured",
                              captured, "simulated", k->simulated);
    if (k->divergence)
        json_object_set(entry, "divergence", k->divergence);
    json_array_append_new(kc->out, entry);
}

json_t *rp_compare_keys(const rp_compare *c)
{
    keys_ctx kc = {c, json_array()};
    rb_keymap_each_sorted(c->keys, key_entry, &kc);
    return kc.out;
}

const char *rp_compare_simulated(const rp_compare *c, const json_t *key, bool *known)
{
    const key_track *k = rb_keymap_get(c->keys, key);
    *known = k && (k->n_captured || k->simulated);
    return k ? k->simulated : NULL;
}

/* "`type` {fields} at TIME" for messages. */
static void describe_event(rb_buf *b, const char *type, const json_t *fields, int64_t at, long line)
{
    rb_buf_printf(b, "`%s`", type);
    const char *name;
    const json_t *v;
    bool first = true;
    json_object_foreach((json_t *)fields, name, v) {
        if (strcmp(name, "type") == 0 || strcmp(name, "ts") == 0)
            continue;
        rb_buf_puts(b, first ? " (" : ", ");
        rb_buf_printf(b, "%s=", name);
        rb_template_append_value(b, v);
        first = false;
    }
    if (!first)
        rb_buf_putc(b, ')');
    char when[64];
    rb_time_format(at, when, sizeof when);
    rb_buf_printf(b, " at %s", when);
    if (line)
        rb_buf_printf(b, " (line %ld)", line);
}

static char *divergence_message(const rp_compare *c, const key_track *k)
{
    const json_t *d = k->divergence;
    const json_t *exp = json_object_get(d, "expected");
    long line = (long)json_integer_value(json_object_get(d, "line"));
    rb_buf b = {0}, keytext = {0};
    rb_template_append_value(&keytext, k->key);
    rb_buf_printf(&b, "%s %s: output %lld diverges from model %s: the model expected ", c->model->key_field,
                  keytext.data, (long long)json_integer_value(json_object_get(d, "output_index")) + 1, c->model->name);
    if (json_is_null(exp)) {
        rb_buf_puts(&b, "nothing more");
    } else {
        int64_t at = 0;
        rb_time_from_json(json_object_get(exp, "ts"), RB_TIME_UNIT_AUTO, &at);
        describe_event(&b, json_string_value(json_object_get(exp, "type")), json_object_get(exp, "fields"), at, 0);
    }
    rb_buf_puts(&b, ", the trace has ");
    if (line) {
        const rp_trace_event *e = &c->trace->events[json_integer_value(json_object_get(d, "event_index"))];
        const rp_output_decl *decl = rp_model_output(c->model, e->type);
        json_t *shown = json_object();
        for (size_t i = 0; i < decl->n_compare; i++) {
            const json_t *v = rb_jsonpath_get(e->fields, decl->compare[i]);
            if (v)
                json_object_set(shown, decl->compare[i], (json_t *)v);
        }
        describe_event(&b, e->type, shown, e->ts, line);
        json_decref(shown);
    } else {
        rb_buf_puts(&b, "nothing more");
    }
    rb_buf_free(&keytext);
    return rb_buf_take(&b);
}

typedef struct findings_ctx {
    const rp_compare *c;
    rb_findings *out;
} findings_ctx;

static void key_finding(void *ctx, const json_t *key, void *value)
{
    (void)key;
    findings_ctx *fc = ctx;
    const key_track *k = value;
    if (!k->divergence)
        return;
    char *message = divergence_message(fc->c, k);
    rb_finding *f = rb_finding_builtin("RBA-REPLAY-DIVERGE", RB_SEV_ERROR, message);
    free(message);
    rb_finding_set_key(f, k->key);
    const json_t *line = json_object_get(k->divergence, "line");
    rb_origin origin = k->last ? k->last->origin : (rb_origin){.input = fc->c->trace->input};
    if (line)
        origin = fc->c->trace->events[json_integer_value(json_object_get(k->divergence, "event_index"))].origin;
    rb_finding_add_origin(f, origin);
    json_t *observed = json_object_get(k->divergence, "observed");
    json_array_append(f->evidence, json_is_null(observed) ? json_object_get(k->divergence, "expected") : observed);
    json_object_set(f->extra, "divergence", k->divergence);
    const char *runbook = json_string_value(json_object_get(fc->c->model->doc, "runbook"));
    f->runbook = runbook ? rb_xstrdup(runbook) : NULL;
    f->remediation = rb_xasprintf("Read the trace of this %s from the diverging event: either the system did not "
                                  "behave as the runbook describes (investigate it, with the model state shown), "
                                  "or the model %s no longer describes the system (fix the model).",
                                  fc->c->model->key_field, fc->c->model->name);
    rb_finding_seal(f);
    rb_findings_add(fc->out, f);
}

void rp_compare_findings(const rp_compare *c, rb_findings *out)
{
    findings_ctx fc = {c, out};
    rb_keymap_each_sorted(c->keys, key_finding, &fc);
}
