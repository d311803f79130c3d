/*
 * compare.c — per-key comparison of captured and simulated outputs
 * (compare.h).
 */
#include <stdlib.h>
#include <string.h>

#include "replay/compare.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

/* A captured output read before its simulated one. */
typedef struct captured {
    struct captured *next;
    const rp_output_decl *decl;
    int64_t ts;
    size_t index;
    long line;
    json_t **values;      /* of decl's compared fields (owned; NULL: absent) */
    char *text;           /* a plain line's copy, or NULL */
    size_t len;
    json_t *fields;       /* a parsed line's fields, or NULL */
} captured;

/* A simulated output that came before its captured one. */
typedef struct simulated {
    struct simulated *next;
    const rp_output_decl *decl;
    int64_t at;
    json_t *fields;
    json_t *state;        /* the model's state for the key then */
} simulated;

/* What the comparison keeps of a key, in its record's slot: plain bytes
 * whenever nothing waits (then the lists are empty). */
typedef struct track {
    uint64_t n_captured;  /* captured outputs read */
    uint64_t cursor;      /* of them, matched */
    long last_line;       /* the key's last event in the trace that is not ignored */
    uint32_t divergence;  /* 1 + its index in divs; 0: none */
    uint16_t captured;    /* 1 + the output index of the last captured type; 0: none */
    uint16_t simulated;   /* likewise of the last simulated one */
    bool entered;         /* counted among the report's keys */
    captured *cap_head, *cap_tail;
    simulated *sim_head, *sim_tail;
} track;

/* The first divergence of a key: what the report and its finding need. */
typedef struct divergence {
    rp_key *rec;          /* pinned for good */
    json_t *json;
    bool observed;
    const rp_output_decl *decl;  /* the observed output's */
    int64_t ts;
    long line;
    json_t **values;
} divergence;

struct rp_compare {
    const rp_model *model;
    const rp_trace *trace;
    rp_keys *keys;
    size_t slot;
    divergence *divs;
    size_t n_divs, cap_divs;
    size_t entries;
};

size_t rp_compare_slot_size(void)
{
    return sizeof(track);
}

static track *track_of(const rp_compare *c, const rp_key *k)
{
    return (track *)(k->slots + c->slot);
}

rp_compare *rp_compare_new(const rp_model *m, const rp_trace *t, rp_keys *keys, size_t slot_offset)
{
    rp_compare *c = rb_xcalloc(1, sizeof *c);
    c->model = m;
    c->trace = t;
    c->keys = keys;
    c->slot = slot_offset;
    return c;
}

static void values_free(json_t **values, size_t n)
{
    for (size_t i = 0; values && i < n; i++)
        json_decref(values[i]);
    free(values);
}

/* A captured output in one allocation: the record, its values, its line. */
static captured *captured_new(const rp_trace_event *e)
{
    const rp_output_decl *d = e->output;
    size_t text = e->fields ? 0 : e->len + 1;
    captured *p = rb_xmalloc(sizeof *p + d->n_compare * sizeof *p->values + text);
    *p = (captured){.decl = d, .ts = e->ts, .index = e->index, .line = e->line};
    p->values = (json_t **)(p + 1);
    for (size_t i = 0; i < d->n_compare; i++)
        p->values[i] = d->paths[i] ? rp_trace_event_get(e, d->paths[i]) : NULL;
    if (e->fields) {
        p->fields = json_incref((json_t *)e->fields);
    } else {
        p->text = (char *)(p->values + d->n_compare);
        memcpy(p->text, e->text, e->len);
        p->text[e->len] = '\0';
        p->len = e->len;
    }
    return p;
}

static void captured_free(captured *p)
{
    for (size_t i = 0; i < p->decl->n_compare; i++)
        json_decref(p->values[i]);
    json_decref(p->fields);
    free(p);
}

static void simulated_free(simulated *p)
{
    json_decref(p->fields);
    json_decref(p->state);
    free(p);
}

/* Drops whatever waits for a key (the run is over or void). */
static void track_clear(track *tr)
{
    for (captured *p = tr->cap_head, *next; p; p = next) {
        next = p->next;
        captured_free(p);
    }
    for (simulated *p = tr->sim_head, *next; p; p = next) {
        next = p->next;
        simulated_free(p);
    }
    tr->cap_head = tr->cap_tail = NULL;
    tr->sim_head = tr->sim_tail = NULL;
}

static void clear_held(void *ctx, rp_key *k)
{
    track_clear(track_of(ctx, k));
}

void rp_compare_free(rp_compare *c)
{
    if (!c)
        return;
    rp_keys_each_held(c->keys, clear_held, c);
    for (size_t i = 0; i < c->n_divs; i++) {
        json_decref(c->divs[i].json);
        values_free(c->divs[i].values, c->divs[i].decl ? c->divs[i].decl->n_compare : 0);
    }
    free(c->divs);
    free(c);
}

static json_t *time_json(int64_t us)
{
    char text[64];
    rb_time_format(us, text, sizeof text);
    return json_string(text);
}

/* What the model expected: {type, ts, fields}. */
static json_t *expected_json(const char *type, int64_t at, const json_t *fields)
{
    return json_pack("{s:s, s:o, s:O}", "type", type, "ts", time_json(at), "fields", fields);
}

static bool waits(const track *tr)
{
    return tr->cap_head || tr->sim_head;
}

static size_t output_index(const rp_compare *c, const rp_output_decl *d)
{
    return (size_t)(d - c->model->outputs);
}

/* Records the first divergence of a key.  expected (a new reference) may
 * be json null; observed may be NULL. */
static void diverge(rp_compare *c, rp_key *k, track *tr, json_t *expected, const captured *observed, json_t *state)
{
    json_t *observed_json = json_null();
    if (observed && observed->fields)
        observed_json = json_deep_copy(observed->fields);
    else if (observed)
        observed_json = rp_trace_line_fields(observed->text, observed->len);
    json_t *j = json_pack("{s:I, s:o, s:o, s:o}", "output_index", (json_int_t)tr->cursor, "expected", expected,
                          "observed", observed_json, "state", state);
    rb_grow((void **)&c->divs, &c->cap_divs, c->n_divs + 1, sizeof *c->divs);
    divergence *d = &c->divs[c->n_divs++];
    *d = (divergence){.rec = k, .json = j, .observed = observed != NULL};
    if (observed) {
        json_object_set_new(j, "event_index", json_integer((json_int_t)observed->index));
        json_object_set_new(j, "line", json_integer(observed->line));
        d->decl = observed->decl;
        d->ts = observed->ts;
        d->line = observed->line;
        d->values = rb_xcalloc(observed->decl->n_compare + 1, sizeof *d->values);
        for (size_t i = 0; i < observed->decl->n_compare; i++)
            d->values[i] = json_incref(observed->values[i]);
    }
    tr->divergence = (uint32_t)c->n_divs;
    rp_key_pin(k);
}

static bool output_matches(const rp_compare *c, const rp_output_decl *d, const json_t *fields, int64_t at,
                           const captured *e)
{
    if (d != e->decl)
        return false;
    for (size_t i = 0; i < d->n_compare; i++) {
        const json_t *a = d->paths[i] ? rb_jsonpath_lookup(d->paths[i], fields) : NULL;
        const json_t *b = e->values[i];
        if ((a || b) && !(a && b && json_equal((json_t *)a, (json_t *)b)))
            return false;
    }
    if (!c->model->has_tolerance)
        return true;
    int64_t skew = e->ts - at;
    return (skew < 0 ? -skew : skew) <= c->model->tolerance;
}

/* A pair is whole: output number cursor of the key on both sides. */
static void pair(rp_compare *c, rp_key *k, track *tr, const rp_output_decl *d, const json_t *fields, int64_t at,
                 json_t *state, const captured *e, rp_sim *sim)
{
    if (output_matches(c, d, fields, at, e)) {
        tr->cursor++;
        json_decref(state);
        return;
    }
    if (!state)
        state = rp_sim_describe(sim, k->value, k);
    diverge(c, k, tr, expected_json(d->type, at, fields), e, state);
    track_clear(tr);  /* nothing more of the key is compared */
}

static void settle_pin(rp_key *k, const track *tr, bool waited)
{
    if (waited && !waits(tr))
        rp_key_unpin(k);
    else if (!waited && waits(tr))
        rp_key_pin(k);
}

static void enter(rp_compare *c, track *tr)
{
    if (!tr->entered) {
        tr->entered = true;
        c->entries++;
    }
}

void rp_compare_trace_event(rp_compare *c, const rp_trace_event *e, rp_key *k)
{
    if (e->role == RP_ROLE_IGNORED)
        return;
    track *tr = track_of(c, k);
    tr->last_line = e->line;
    if (e->role != RP_ROLE_OUTPUT)
        return;
    tr->n_captured++;
    tr->captured = (uint16_t)(output_index(c, e->output) + 1);
    enter(c, tr);
    if (tr->divergence)
        return;
    bool waited = waits(tr);
    captured *p = captured_new(e);
    simulated *s = tr->sim_head;
    if (s) {
        tr->sim_head = s->next;
        if (!tr->sim_head)
            tr->sim_tail = NULL;
        json_t *state = s->state;
        s->state = NULL;
        pair(c, k, tr, s->decl, s->fields, s->at, state, p, NULL);
        simulated_free(s);
        captured_free(p);
        settle_pin(k, tr, waited);
        return;
    }
    if (tr->cap_tail)
        tr->cap_tail->next = p;
    else
        tr->cap_head = p;
    tr->cap_tail = p;
    settle_pin(k, tr, waited);
}

static void on_output(void *ctx, rp_sim *sim, const rp_output *out)
{
    rp_compare *c = ctx;
    rp_key *k = out->rec;
    track *tr = track_of(c, k);
    const rp_output_decl *d = rp_model_output(c->model, out->type);
    tr->simulated = (uint16_t)(output_index(c, d) + 1);
    enter(c, tr);
    if (tr->divergence)
        return;
    bool waited = waits(tr);
    captured *e = tr->cap_head;
    if (e) {
        tr->cap_head = e->next;
        if (!tr->cap_head)
            tr->cap_tail = NULL;
        pair(c, k, tr, d, out->fields, out->at, NULL, e, sim);
        captured_free(e);
    } else {
        /* its captured output is not read yet, or never comes */
        simulated *p = rb_xcalloc(1, sizeof *p);
        p->decl = d;
        p->at = out->at;
        p->fields = json_incref((json_t *)out->fields);
        p->state = rp_sim_describe(sim, k->value, k);
        if (tr->sim_tail)
            tr->sim_tail->next = p;
        else
            tr->sim_head = p;
        tr->sim_tail = p;
    }
    settle_pin(k, tr, waited);
}

rp_observer rp_compare_observer(rp_compare *c)
{
    return (rp_observer){.output = on_output, .ctx = c};
}

typedef struct finish_ctx {
    rp_compare *c;
    rp_sim *sim;
} finish_ctx;

static void finish_key(void *ctx, rp_key *k)
{
    finish_ctx *f = ctx;
    track *tr = track_of(f->c, k);
    if (!waits(tr))
        return;
    if (tr->divergence) {
        /* cannot wait: a divergence ends the comparison of the key */
    } else if (tr->sim_head) {
        /* the trace has nothing more for this key */
        simulated *s = tr->sim_head;
        json_t *state = s->state;
        s->state = NULL;
        diverge(f->c, k, tr, expected_json(s->decl->type, s->at, s->fields), NULL, state);
    } else {
        /* the simulation never produced this one */
        diverge(f->c, k, tr, json_null(), tr->cap_head, rp_sim_describe(f->sim, k->value, k));
    }
    track_clear(tr);
    rp_key_unpin(k);
}

void rp_compare_finish(rp_compare *c, rp_sim *sim)
{
    finish_ctx f = {c, sim};
    rp_keys_each_held(c->keys, finish_key, &f);
}

size_t rp_compare_keys(const rp_compare *c)
{
    return c->entries;
}

size_t rp_compare_diverging(const rp_compare *c)
{
    return c->n_divs;
}

static const char *type_name(const rp_compare *c, uint16_t index)
{
    return index ? c->model->outputs[index - 1].type : NULL;
}

/* A terminal's JSON text: the type as a string, or null. */
static bool put_terminal(rb_buf *b, const rp_compare *c, uint16_t index)
{
    if (!index) {
        rb_buf_puts(b, "null");
        return true;
    }
    const char *type = c->model->outputs[index - 1].type;
    return rp_json_plain_string(b, type, strlen(type));
}

bool rp_compare_entry_text(const rp_compare *c, const rp_key *k, rb_buf *text)
{
    const track *tr = track_of(c, k);
    text->len = 0;
    if ((!tr->n_captured && !tr->simulated) || tr->divergence || !json_is_string(k->value))
        return false;
    rb_buf_puts(text, "{\n  \"key\": ");
    bool ok = rp_json_plain_string(text, json_string_value(k->value), json_string_length(k->value));
    rb_buf_puts(text, ",\n  \"conforms\": true,\n  \"captured\": ");
    ok = ok && put_terminal(text, c, tr->captured);
    rb_buf_puts(text, ",\n  \"simulated\": ");
    ok = ok && put_terminal(text, c, tr->simulated);
    rb_buf_puts(text, "\n}");
    return ok;
}

json_t *rp_compare_entry(const rp_compare *c, const rp_key *k)
{
    const track *tr = track_of(c, k);
    if (!tr->n_captured && !tr->simulated)
        return NULL;  /* a key only inputs name (an agent, a host): nothing to conform */
    json_t *entry = json_pack("{s:O, s:b, s:s?, s:s?}", "key", k->value ? k->value : json_null(), "conforms",
                              !tr->divergence, "captured", type_name(c, tr->captured), "simulated",
                              type_name(c, tr->simulated));
    if (tr->divergence)
        json_object_set(entry, "divergence", c->divs[tr->divergence - 1].json);
    return entry;
}

const char *rp_compare_simulated(const rp_compare *c, const rp_key *k, bool *known)
{
    const track *tr = track_of(c, k);
    *known = tr->n_captured || tr->simulated;
    return type_name(c, tr->simulated);
}

const char *rp_compare_captured(const rp_compare *c, const rp_key *k)
{
    return type_name(c, track_of(c, k)->captured);
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

static char *divergence_message(const rp_compare *c, const divergence *dv, const json_t *key)
{
    const json_t *d = dv->json;
    const json_t *exp = json_object_get(d, "expected");
    rb_buf b = {0}, keytext = {0};
    rb_template_append_value(&keytext, key);
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
    if (dv->observed) {
        json_t *shown = json_object();
        for (size_t i = 0; i < dv->decl->n_compare; i++)
            if (dv->values[i])
                json_object_set(shown, dv->decl->compare[i], dv->values[i]);
        describe_event(&b, dv->decl->type, shown, dv->ts, dv->line);
        json_decref(shown);
    } else {
        rb_buf_puts(&b, "nothing more");
    }
    rb_buf_free(&keytext);
    return rb_buf_take(&b);
}

static void key_finding(const rp_compare *c, const divergence *dv, rb_findings *out)
{
    const rp_key *k = dv->rec;
    const json_t *key = k->value ? k->value : json_null();
    char *message = divergence_message(c, dv, key);
    rb_finding *f = rb_finding_builtin("RBA-REPLAY-DIVERGE", RB_SEV_ERROR, message);
    free(message);
    rb_finding_set_key(f, (json_t *)key);
    long line = dv->observed ? dv->line : track_of(c, k)->last_line;
    rb_finding_add_origin(f, (rb_origin){.input = c->trace->input, .line = line});
    json_t *observed = json_object_get(dv->json, "observed");
    json_array_append(f->evidence, json_is_null(observed) ? json_object_get(dv->json, "expected") : observed);
    json_object_set(f->extra, "divergence", dv->json);
    const char *runbook = json_string_value(json_object_get(c->model->doc, "runbook"));
    f->runbook = runbook ? rb_xstrdup(runbook) : NULL;
    f->remediation = rb_xasprintf("Read the trace of this %s from the diverging event: either the system did not "
                                  "behave as the runbook describes (investigate it, with the model state shown), "
                                  "or the model %s no longer describes the system (fix the model).",
                                  c->model->key_field, c->model->name);
    rb_finding_seal(f);
    rb_findings_add(out, f);
}

static int divergence_compare(const void *pa, const void *pb)
{
    const divergence *a = *(const divergence *const *)pa, *b = *(const divergence *const *)pb;
    return rp_key_compare(a->rec, b->rec);
}

void rp_compare_findings(const rp_compare *c, rb_findings *out)
{
    const divergence **sorted = rb_xcalloc(c->n_divs + 1, sizeof *sorted);
    for (size_t i = 0; i < c->n_divs; i++)
        sorted[i] = &c->divs[i];
    qsort(sorted, c->n_divs, sizeof *sorted, divergence_compare);
    for (size_t i = 0; i < c->n_divs; i++)
        key_finding(c, sorted[i], out);
    free(sorted);
}
