/*
 * sim.c — the replay simulator: the event loop, the timer heap and the
 * interpreter of a model's wiring (sim.h).
 */
#include <stdlib.h>
#include <string.h>

#include "replay/prng.h"
#include "replay/sim.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

/* How deep `call:` may nest: deeper means a routine that calls itself. */
#define MAX_CALL_DEPTH 32

typedef struct timer_item {
    int64_t at;
    uint64_t order;       /* when it was asked for: ties keep that order */
    size_t comp;
    const char *timer;    /* static, from the component type */
    json_t *key;          /* owned; NULL: no key */
    rp_key *rec;          /* the key's record, pinned while the timer waits */
    json_t *payload;      /* owned */
} timer_item;

struct rp_sim {
    const rp_model *model;
    rp_sim_opts opts;
    rp_keys *keys;        /* opts.keys, or our own */
    bool own_keys;
    size_t *slot_at;      /* per component: its state's offset in a record's slots */
    void **insts;
    rp_prng prng;
    int64_t now;
    size_t current_comp;  /* the component being called (for its timers) */
    timer_item *heap;
    size_t n_heap, cap_heap;
    uint64_t timers_asked;
    uint64_t steps, budget, outputs, inputs;
    bool budget_whole;    /* the budget is final (all inputs known, or --max-steps) */
    const rp_source *source;
    rp_key *current_rec;  /* the record of the handler's key */
    const json_t *current_key;
    bool stopped;
    rb_sha256 *hash;
    rb_buf line;          /* an output's line of the hash */
    char hex[RB_SHA256_HEX_LEN + 1];
    const rp_observer *obs;
    size_t n_obs;
    const char *last_trigger;  /* for the step budget message */
    const json_t *last_key;
};

/* The fields a handler runs with, made when first read. */
struct rp_lazy_event {
    const json_t *event;      /* NULL until made */
    json_t *(*make)(const void *from);
    const void *from;
    json_t *made;             /* owned */
};

/* What a handler runs with. */
typedef struct frame {
    rp_lazy_event *event;
    const json_t *key;
    rp_key *rec;
    int depth;
} frame;

static const json_t *event_of(rp_lazy_event *e)
{
    if (!e->event) {
        e->made = e->make(e->from);
        e->event = e->made;
    }
    return e->event;
}

const json_t *rp_call_event(const rp_call *call)
{
    return event_of(call->event);
}

typedef enum { FLOW_NEXT, FLOW_STOP, FLOW_ERROR } flow;

/* ---- schedule ---- */

static int input_compare(const void *pa, const void *pb)
{
    const rp_input_item *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

void rp_schedule_sort(rp_schedule *s)
{
    if (s->n > 1)
        qsort(s->items, s->n, sizeof *s->items, input_compare);
}

void rp_schedule_add(rp_schedule *s, const rp_input_item *item)
{
    rb_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items);
    s->items[s->n++] = *item;
}

void rp_schedule_free(rp_schedule *s)
{
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* ---- timer heap, ordered by (at, order) ---- */

static bool timer_before(const timer_item *a, const timer_item *b)
{
    return a->at != b->at ? a->at < b->at : a->order < b->order;
}

static void heap_push(rp_sim *sim, timer_item t)
{
    rb_grow((void **)&sim->heap, &sim->cap_heap, sim->n_heap + 1, sizeof *sim->heap);
    size_t i = sim->n_heap++;
    while (i > 0 && timer_before(&t, &sim->heap[(i - 1) / 2])) {
        sim->heap[i] = sim->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sim->heap[i] = t;
}

static timer_item heap_pop(rp_sim *sim)
{
    timer_item top = sim->heap[0], last = sim->heap[--sim->n_heap];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= sim->n_heap)
            break;
        if (child + 1 < sim->n_heap && timer_before(&sim->heap[child + 1], &sim->heap[child]))
            child++;
        if (!timer_before(&sim->heap[child], &last))
            break;
        sim->heap[i] = sim->heap[child];
        i = child;
    }
    if (sim->n_heap)
        sim->heap[i] = last;
    return top;
}

/* ---- services for components ---- */

int64_t rp_sim_now(const rp_sim *sim)
{
    return sim->now;
}

uint64_t rp_sim_random(rp_sim *sim, uint64_t n)
{
    return rp_prng_below(&sim->prng, n);
}

void rp_sim_timer(rp_sim *sim, int64_t at, const char *timer, const json_t *key, json_t *payload)
{
    rp_key *rec = key == sim->current_key && sim->current_rec ? sim->current_rec : rp_keys_get(sim->keys, key);
    rp_key_pin(rec);
    timer_item t = {.at = at < sim->now ? sim->now : at, .order = sim->timers_asked++, .comp = sim->current_comp,
                    .timer = timer, .key = key ? json_incref((json_t *)key) : NULL, .rec = rec, .payload = payload};
    heap_push(sim, t);
}

void rp_sim_stop(rp_sim *sim)
{
    sim->stopped = true;
}

uint64_t rp_sim_steps(const rp_sim *sim)
{
    return sim->steps;
}

uint64_t rp_sim_outputs(const rp_sim *sim)
{
    return sim->outputs;
}

uint64_t rp_sim_inputs(const rp_sim *sim)
{
    return sim->inputs;
}

uint64_t rp_sim_default_budget(size_t n_inputs)
{
    return 100000 + 1000 * (uint64_t)n_inputs;
}

/* Where each component's per-key state is in a record's slots. */
static size_t slots_layout(const rp_model *m, size_t *at)
{
    size_t total = 0;
    for (size_t i = 0; i < m->n_comps; i++) {
        if (at)
            at[i] = total;
        total += (m->comps[i].type->key_state + 15) & ~(size_t)15;
    }
    return total;
}

size_t rp_sim_slots_size(const rp_model *m)
{
    return slots_layout(m, NULL);
}

static void *comp_state(const rp_sim *sim, size_t comp, rp_key *rec)
{
    return sim->model->comps[comp].type->key_state ? rec->slots + sim->slot_at[comp] : NULL;
}

/* ---- life cycle ---- */

rb_code rp_sim_new(const rp_model *m, const rp_sim_opts *opts, rp_sim **out, rb_error *err)
{
    rp_sim *sim = rb_xcalloc(1, sizeof *sim);
    sim->model = m;
    sim->opts = *opts;
    rp_prng_seed(&sim->prng, opts->seed);
    rb_code rc = rp_model_instantiate(m, opts->configs, &sim->insts, err);
    if (rc) {
        free(sim);
        *out = NULL;
        return rc;
    }
    sim->slot_at = rb_xcalloc(m->n_comps + 1, sizeof *sim->slot_at);
    slots_layout(m, sim->slot_at);
    sim->keys = opts->keys;
    if (!sim->keys) {
        sim->keys = rp_keys_new(rp_sim_slots_size(m));
        sim->own_keys = true;
    }
    sim->hash = rb_sha256_new();
    char header[160];
    int n = snprintf(header, sizeof header, "rbaudit-replay/1 %s %llu\n", m->sha256, (unsigned long long)opts->seed);
    rb_sha256_update(sim->hash, header, (size_t)n);
    *out = sim;
    return RB_OK;
}

void rp_sim_free(rp_sim *sim)
{
    if (!sim)
        return;
    for (size_t i = 0; i < sim->n_heap; i++) {
        json_decref(sim->heap[i].key);
        rp_key_unpin(sim->heap[i].rec);
        json_decref(sim->heap[i].payload);
    }
    free(sim->heap);
    rp_model_instances_free(sim->model, sim->insts);
    if (sim->hash)
        rb_sha256_final(sim->hash, sim->hex);
    if (sim->own_keys)
        rp_keys_free(sim->keys);
    free(sim->slot_at);
    rb_buf_free(&sim->line);
    free(sim);
}

void rp_sim_hash(const rp_sim *sim, char hex[RB_SHA256_HEX_LEN + 1])
{
    memcpy(hex, sim->hex, sizeof sim->hex);
}

json_t *rp_sim_describe(rp_sim *sim, const json_t *key, rp_key *rec)
{
    if (!rec)
        rec = rp_keys_get(sim->keys, key);
    json_t *state = json_object();
    for (size_t i = 0; i < sim->model->n_comps; i++) {
        const rp_component_type *t = sim->model->comps[i].type;
        json_t *d = t->describe ? t->describe(sim->insts[i], comp_state(sim, i, rec), key) : NULL;
        if (d)
            json_object_set_new(state, sim->model->comps[i].name, d);
    }
    return state;
}

/* ---- the wiring interpreter ---- */

static const json_t *lookup_ref(void *ctx, const char *name)
{
    const frame *f = ctx;
    if (strcmp(name, "key") == 0)
        return f->key;
    return rb_jsonpath_get(event_of(f->event), name);
}

/* The value of a step value for this frame: borrowed, or new in *made
 * (the caller releases it). */
static const json_t *value_resolve(const rp_value *v, const frame *f, json_t **made)
{
    *made = NULL;
    if (v->literal)
        return v->literal;
    if (v->key_ref)
        return f->key ? f->key : json_null();
    if (v->ref) {
        const json_t *got = rb_jsonpath_lookup(v->ref, event_of(f->event));
        return got ? got : json_null();
    }
    char *text = rb_template_render(v->tpl, lookup_ref, (void *)f);
    *made = json_string(text);
    free(text);
    return *made ? *made : json_null();
}

static bool comp_is_down(const rp_sim *sim, size_t comp)
{
    for (size_t i = 0; i < sim->opts.n_outages; i++) {
        const rp_outage *o = &sim->opts.outages[i];
        if (o->comp == comp && sim->now >= o->from && sim->now < o->until)
            return true;
    }
    return false;
}

static flow run_steps(rp_sim *sim, const rp_steps *steps, const frame *f, rb_error *err);

static flow budget_exceeded(rp_sim *sim, rb_error *err);

/* One more step: within the budget, which grows as the source tells of
 * more inputs (a trace read as the run goes), or FLOW_ERROR. */
static flow step_taken(rp_sim *sim, rb_error *err)
{
    if (++sim->steps <= sim->budget)
        return FLOW_NEXT;
    while (!sim->budget_whole) {
        size_t n;
        bool whole;
        if (sim->source->count(sim->source->ctx, true, &n, &whole, err))
            return FLOW_ERROR;
        sim->budget = rp_sim_default_budget(n);
        sim->budget_whole = whole;
        if (sim->steps <= sim->budget)
            return FLOW_NEXT;
    }
    return budget_exceeded(sim, err);
}

static flow budget_exceeded(rp_sim *sim, rb_error *err)
{
    char when[64], kbuf[128];
    rb_time_format(sim->now, when, sizeof when);
    rb_error_set(err, RB_ERULE, "%s: the run exceeded its step budget of %llu steps at virtual time %s (last "
                 "trigger: %s for key %s); expected a model whose timers and routines settle (a retry with a "
                 "limit, a budget that expires) - raise --max-steps if the trace really is that long",
                 sim->model->path, (unsigned long long)sim->budget, when, sim->last_trigger ? sim->last_trigger : "?",
                 rp_key_text(sim->last_key, kbuf, sizeof kbuf));
    return FLOW_ERROR;
}

static flow run_do(rp_sim *sim, const rp_step *st, const frame *f, rb_error *err)
{
    rp_args args = {0};
    json_t *made[RP_MAX_ARGS] = {0};
    for (size_t i = 0; i < st->n_values; i++) {
        args.names[i] = st->names[i];
        args.values[i] = value_resolve(&st->values[i], f, &made[i]);
        args.n++;
    }
    const char *outcome;
    json_t *result = NULL;
    if (comp_is_down(sim, st->comp)) {
        outcome = "down";
    } else {
        rp_call call = {.op = st->op, .args = &args, .key = f->key, .event = f->event, .now = sim->now,
                        .result = &result, .state = comp_state(sim, st->comp, f->rec)};
        sim->current_comp = st->comp;
        sim->current_rec = f->rec;
        sim->current_key = f->key;
        outcome = sim->model->comps[st->comp].type->call(sim->insts[st->comp], sim, &call);
        sim->current_rec = NULL;
        sim->current_key = NULL;
    }
    for (size_t i = 0; i < st->n_values; i++)
        json_decref(made[i]);
    flow r = FLOW_NEXT;
    bool handled = false;
    for (size_t i = 0; i < st->n_branches && !handled; i++) {
        if (strcmp(st->branches[i].outcome, outcome) != 0)
            continue;
        handled = true;
        /* The outcome's steps see the trigger's fields and what the call gave. */
        json_t *seen = result ? json_copy((json_t *)event_of(f->event)) : NULL;
        if (seen)
            json_object_update(seen, result);
        rp_lazy_event with_result = {seen, NULL, NULL, NULL};
        frame inner = {seen ? &with_result : f->event, f->key, f->rec, f->depth};
        r = run_steps(sim, &st->branches[i].steps, &inner, err);
        json_decref(seen);
    }
    json_decref(result);
    if (handled)
        return r;
    /* A component that is down and not handled fails closed: the trigger is lost. */
    return strcmp(outcome, "down") == 0 ? FLOW_STOP : FLOW_NEXT;
}

bool rp_json_plain_string(rb_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == '"' || ch == '\\')
            return false;
    }
    rb_buf_putc(b, '"');
    rb_buf_append(b, s, n);
    rb_buf_putc(b, '"');
    return true;
}

static void append_int(rb_buf *b, int64_t v)
{
    char text[24], *p = text + sizeof text;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    rb_buf_append(b, p, (size_t)(text + sizeof text - p));
}

/* Appends a value as json_dumps writes it compact with sorted keys: the
 * common values directly, anything else by jansson. */
static void append_compact(rb_buf *b, const json_t *v)
{
    if (json_is_string(v) && rp_json_plain_string(b, json_string_value(v), json_string_length(v)))
        return;
    if (json_is_integer(v)) {
        append_int(b, json_integer_value(v));
    } else if (json_is_true(v) || json_is_false(v) || json_is_null(v)) {
        rb_buf_puts(b, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
    } else {
        char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        rb_buf_puts(b, text ? text : "null");
        free(text);
    }
}

static void append_name(rb_buf *b, const char *name)
{
    if (rp_json_plain_string(b, name, strlen(name)))
        return;
    json_t *s = json_string(name);
    append_compact(b, s);
    json_decref(s);
}

/* Every output goes into the replay_hash as a line "AT\tKEY\tTYPE\tFIELDS\n",
 * KEY and FIELDS compact JSON with sorted keys (the fields' names are
 * sorted in the model: values_compile). */
static void hash_output(rp_sim *sim, const rp_output *out, const rp_step *st, const json_t *const *values)
{
    rb_buf *line = &sim->line;
    line->len = 0;
    append_int(line, out->at);
    rb_buf_putc(line, '\t');
    append_compact(line, out->key ? out->key : json_null());
    rb_buf_putc(line, '\t');
    rb_buf_puts(line, out->type);
    rb_buf_puts(line, "\t{");
    for (size_t i = 0; i < st->n_values; i++) {
        if (i)
            rb_buf_putc(line, ',');
        append_name(line, st->names[i]);
        rb_buf_putc(line, ':');
        append_compact(line, values[i]);
    }
    rb_buf_puts(line, "}\n");
    rb_sha256_update(sim->hash, line->data, line->len);
}

static void run_emit(rp_sim *sim, const rp_step *st, const frame *f)
{
    json_t *fields = json_object();
    const json_t *values[RP_MAX_ARGS];
    json_t *made[RP_MAX_ARGS];
    for (size_t i = 0; i < st->n_values; i++) {
        values[i] = value_resolve(&st->values[i], f, &made[i]);
        json_object_set_nocheck(fields, st->names[i], (json_t *)values[i]);
    }
    rp_output out = {.at = sim->now, .key = f->key, .type = st->type, .fields = fields, .rec = f->rec};
    sim->outputs++;
    hash_output(sim, &out, st, values);
    for (size_t i = 0; i < st->n_values; i++)
        json_decref(made[i]);
    for (size_t i = 0; i < sim->n_obs; i++)
        if (sim->obs[i].output)
            sim->obs[i].output(sim->obs[i].ctx, sim, &out);
    json_decref(fields);
}

static flow run_step(rp_sim *sim, const rp_step *st, const frame *f, rb_error *err)
{
    if (step_taken(sim, err) == FLOW_ERROR)
        return FLOW_ERROR;
    if (st->when && !rb_selector_match(st->when, event_of(f->event)))
        return FLOW_NEXT;
    switch (st->kind) {
    case RP_STEP_DO:
        return run_do(sim, st, f, err);
    case RP_STEP_EMIT:
        run_emit(sim, st, f);
        return FLOW_NEXT;
    case RP_STEP_STOP:
        return FLOW_STOP;
    default: {
        if (f->depth >= MAX_CALL_DEPTH) {
            rb_error_set(err, RB_ERULE, "%s:%ld: call: routine '%s' nests deeper than %d calls (expected routines "
                         "that do not call themselves)", sim->model->path, st->line,
                         sim->model->routines[st->routine].trigger, MAX_CALL_DEPTH);
            return FLOW_ERROR;
        }
        frame inner = {f->event, f->key, f->rec, f->depth + 1};
        flow r = run_steps(sim, &sim->model->routines[st->routine].steps, &inner, err);
        return r == FLOW_ERROR ? r : FLOW_NEXT;
    }
    }
}

static flow run_steps(rp_sim *sim, const rp_steps *steps, const frame *f, rb_error *err)
{
    for (size_t i = 0; i < steps->n; i++) {
        flow r = run_step(sim, &steps->items[i], f, err);
        if (r != FLOW_NEXT)
            return r;
    }
    return FLOW_NEXT;
}

static rb_code run_input(rp_sim *sim, const rp_input_item *in, rb_error *err)
{
    for (size_t i = 0; i < sim->n_obs; i++)
        if (sim->obs[i].input)
            sim->obs[i].input(sim->obs[i].ctx, sim, in);
    sim->last_trigger = in->handler->trigger;
    sim->last_key = in->key;
    rp_lazy_event event = {in->fields, in->make, in->from, NULL};
    frame f = {&event, in->key, in->rec ? in->rec : rp_keys_get(sim->keys, in->key), 0};
    rb_code rc = run_steps(sim, &in->handler->steps, &f, err) == FLOW_ERROR ? err->code : RB_OK;
    json_decref(event.made);
    return rc;
}

static rb_code run_timer(rp_sim *sim, timer_item *t, rb_error *err)
{
    const rp_component_type *type = sim->model->comps[t->comp].type;
    const rp_handler *h = rp_model_timer(sim->model, t->comp, t->timer);
    rb_code rc = RB_OK;
    sim->last_trigger = h ? h->trigger : t->timer;
    sim->last_key = t->key;
    if (step_taken(sim, err) == FLOW_ERROR) {
        rc = err->code;
    } else if (h && (!type->timer_live || type->timer_live(sim->insts[t->comp], t->timer,
                                                          comp_state(sim, t->comp, t->rec), t->key, t->payload))) {
        rp_lazy_event payload = {t->payload, NULL, NULL, NULL};
        frame f = {&payload, t->key, t->rec, 0};
        if (run_steps(sim, &h->steps, &f, err) == FLOW_ERROR)
            rc = err->code;
    }
    sim->last_key = NULL;
    json_decref(t->key);
    rp_key_unpin(t->rec);
    json_decref(t->payload);
    return rc;
}

/* A schedule in memory as a source. */
typedef struct schedule_source {
    const rp_schedule *s;
    size_t next;
} schedule_source;

static rb_code schedule_next(void *ctx, const rp_input_item **item, rb_error *err)
{
    (void)err;
    schedule_source *ss = ctx;
    *item = ss->next < ss->s->n ? &ss->s->items[ss->next++] : NULL;
    return RB_OK;
}

static rb_code schedule_count(void *ctx, bool more, size_t *n, bool *whole, rb_error *err)
{
    (void)more;
    (void)err;
    *n = ((schedule_source *)ctx)->s->n;
    *whole = true;
    return RB_OK;
}

rb_code rp_sim_run(rp_sim *sim, const rp_schedule *inputs, const rp_observer *obs, size_t n_obs, rb_error *err)
{
    schedule_source ss = {inputs, 0};
    rp_source source = {schedule_next, schedule_count, &ss};
    return rp_sim_run_source(sim, &source, obs, n_obs, err);
}

rb_code rp_sim_run_source(rp_sim *sim, const rp_source *inputs, const rp_observer *obs, size_t n_obs,
                          rb_error *err)
{
    sim->obs = obs;
    sim->n_obs = n_obs;
    sim->source = inputs;
    size_t n;
    bool whole;
    rb_code rc = inputs->count(inputs->ctx, false, &n, &whole, err);
    sim->budget = sim->opts.max_steps ? sim->opts.max_steps : rp_sim_default_budget(n);
    sim->budget_whole = sim->opts.max_steps || whole;
    const rp_input_item *next = NULL;
    if (!rc)
        rc = inputs->next(inputs->ctx, &next, err);
    while (!rc && !sim->stopped && (next || sim->n_heap)) {
        bool timer_first = sim->n_heap && (!next || sim->heap[0].at <= next->at);
        if (timer_first) {
            timer_item t = heap_pop(sim);
            sim->now = t.at;
            rc = run_timer(sim, &t, err);
        } else {
            sim->now = next->at;
            rc = run_input(sim, next, err);
            if (!rc)
                rc = inputs->next(inputs->ctx, &next, err);
        }
        if (!rc)
            rc = rp_keys_settle(sim->keys, err);
        if (!rc)
            rc = rp_keys_error(sim->keys, err);
    }
    if (!rc && !(rc = inputs->count(inputs->ctx, false, &n, &whole, err)))
        sim->inputs = n;
    rb_sha256_final(sim->hash, sim->hex);
    sim->hash = NULL;
    return rc;
}
