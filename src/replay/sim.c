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
    json_t *payload;      /* owned */
} timer_item;

struct rp_sim {
    const rp_model *model;
    rp_sim_opts opts;
    void **insts;
    rp_prng prng;
    int64_t now;
    size_t current_comp;  /* the component being called (for its timers) */
    timer_item *heap;
    size_t n_heap, cap_heap;
    uint64_t timers_asked;
    uint64_t steps, budget, outputs;
    bool stopped;
    rb_sha256 *hash;
    char hex[RB_SHA256_HEX_LEN + 1];
    const rp_observer *obs;
    size_t n_obs;
    const char *last_trigger;  /* for the step budget message */
    const json_t *last_key;
};

/* What a handler runs with. */
typedef struct frame {
    const json_t *event;
    const json_t *key;
    int depth;
} frame;

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
    timer_item t = {.at = at < sim->now ? sim->now : at, .order = sim->timers_asked++, .comp = sim->current_comp,
                    .timer = timer, .key = key ? json_incref((json_t *)key) : NULL, .payload = payload};
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

uint64_t rp_sim_default_budget(size_t n_inputs)
{
    return 100000 + 1000 * (uint64_t)n_inputs;
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
        json_decref(sim->heap[i].payload);
    }
    free(sim->heap);
    rp_model_instances_free(sim->model, sim->insts);
    if (sim->hash)
        rb_sha256_final(sim->hash, sim->hex);
    free(sim);
}

void rp_sim_hash(const rp_sim *sim, char hex[RB_SHA256_HEX_LEN + 1])
{
    memcpy(hex, sim->hex, sizeof sim->hex);
}

json_t *rp_sim_describe(const rp_sim *sim, const json_t *key)
{
    json_t *state = json_object();
    for (size_t i = 0; i < sim->model->n_comps; i++) {
        const rp_component_type *t = sim->model->comps[i].type;
        json_t *d = t->describe ? t->describe(sim->insts[i], key) : NULL;
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
    return rb_jsonpath_get(f->event, name);
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
        const json_t *got = rb_jsonpath_lookup(v->ref, f->event);
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
                        .result = &result};
        sim->current_comp = st->comp;
        outcome = sim->model->comps[st->comp].type->call(sim->insts[st->comp], sim, &call);
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
        json_t *seen = result ? json_copy((json_t *)f->event) : NULL;
        if (seen)
            json_object_update(seen, result);
        frame inner = {seen ? seen : f->event, f->key, f->depth};
        r = run_steps(sim, &st->branches[i].steps, &inner, err);
        json_decref(seen);
    }
    json_decref(result);
    if (handled)
        return r;
    /* A component that is down and not handled fails closed: the trigger is lost. */
    return strcmp(outcome, "down") == 0 ? FLOW_STOP : FLOW_NEXT;
}

static void hash_output(rp_sim *sim, const rp_output *out)
{
    char *fields = json_dumps(out->fields, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *key = out->key ? json_dumps(out->key, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    rb_buf line = {0};
    rb_buf_printf(&line, "%lld\t%s\t%s\t%s\n", (long long)out->at, key ? key : "null", out->type, fields ? fields : "{}");
    rb_sha256_update(sim->hash, line.data, line.len);
    rb_buf_free(&line);
    free(fields);
    free(key);
}

static void run_emit(rp_sim *sim, const rp_step *st, const frame *f)
{
    json_t *fields = json_object();
    for (size_t i = 0; i < st->n_values; i++) {
        json_t *made;
        const json_t *v = value_resolve(&st->values[i], f, &made);
        json_object_set(fields, st->names[i], (json_t *)v);
        json_decref(made);
    }
    rp_output out = {.at = sim->now, .key = f->key, .type = st->type, .fields = fields};
    sim->outputs++;
    hash_output(sim, &out);
    for (size_t i = 0; i < sim->n_obs; i++)
        if (sim->obs[i].output)
            sim->obs[i].output(sim->obs[i].ctx, sim, &out);
    json_decref(fields);
}

static flow run_step(rp_sim *sim, const rp_step *st, const frame *f, rb_error *err)
{
    if (++sim->steps > sim->budget)
        return budget_exceeded(sim, err);
    if (st->when && !rb_selector_match(st->when, f->event))
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
        frame inner = {f->event, f->key, f->depth + 1};
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
    frame f = {in->fields, in->key, 0};
    return run_steps(sim, &in->handler->steps, &f, err) == FLOW_ERROR ? err->code : RB_OK;
}

static rb_code run_timer(rp_sim *sim, timer_item *t, rb_error *err)
{
    const rp_component_type *type = sim->model->comps[t->comp].type;
    const rp_handler *h = rp_model_timer(sim->model, t->comp, t->timer);
    rb_code rc = RB_OK;
    sim->last_trigger = h ? h->trigger : t->timer;
    sim->last_key = t->key;
    if (++sim->steps > sim->budget) {
        budget_exceeded(sim, err);
        rc = err->code;
    } else if (h && (!type->timer_live || type->timer_live(sim->insts[t->comp], t->timer, t->key, t->payload))) {
        frame f = {t->payload, t->key, 0};
        if (run_steps(sim, &h->steps, &f, err) == FLOW_ERROR)
            rc = err->code;
    }
    sim->last_key = NULL;
    json_decref(t->key);
    json_decref(t->payload);
    return rc;
}

rb_code rp_sim_run(rp_sim *sim, const rp_schedule *inputs, const rp_observer *obs, size_t n_obs, rb_error *err)
{
    sim->obs = obs;
    sim->n_obs = n_obs;
    sim->budget = sim->opts.max_steps ? sim->opts.max_steps : rp_sim_default_budget(inputs->n);
    size_t next = 0;
    rb_code rc = RB_OK;
    while (!rc && !sim->stopped && (next < inputs->n || sim->n_heap)) {
        bool timer_first = sim->n_heap && (next >= inputs->n || sim->heap[0].at <= inputs->items[next].at);
        if (timer_first) {
            timer_item t = heap_pop(sim);
            sim->now = t.at;
            rc = run_timer(sim, &t, err);
        } else {
            const rp_input_item *in = &inputs->items[next++];
            sim->now = in->at;
            rc = run_input(sim, in, err);
        }
    }
    rb_sha256_final(sim->hash, sim->hex);
    sim->hash = NULL;
    return rc;
}
