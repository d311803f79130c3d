/*
 * explore.c — seeded fault injection, invariant checking and shrinking
 * (explore.h).
 */
#include <stdlib.h>
#include <string.h>

#include "replay/explore.h"
#include "replay/invariant.h"
#include "replay/prng.h"
#include "timeutil.h"
#include "util.h"

typedef enum fault_kind { FAULT_DELAY, FAULT_DROP, FAULT_DUPLICATE, FAULT_REORDER, FAULT_DOWN, N_FAULT_KINDS } fault_kind;
static const char *const fault_names[] = {"delay", "drop", "duplicate", "reorder", "down"};

typedef struct fault {
    fault_kind kind;
    size_t target;     /* index into the schedule */
    int64_t amount;    /* delay, duplicate: how much later; down: how long */
    size_t comp;       /* down */
} fault;

typedef struct schedule_faults {
    fault *items;
    size_t n;
} schedule_faults;

/* Time amounts are drawn in whole milliseconds, for readable schedules. */
#define MS INT64_C(1000)

static int64_t draw_amount(rp_prng *p, int64_t max)
{
    int64_t ms = max / MS;
    return (1 + (int64_t)rp_prng_below(p, (uint64_t)(ms > 0 ? ms : 1))) * MS;
}

/* The faults of one run: from 1 to max_faults of the model's kinds. */
static schedule_faults faults_draw(const rp_model *m, size_t n_inputs, uint64_t seed)
{
    const rp_explore_config *x = &m->explore;
    rp_prng p;
    rp_prng_seed(&p, seed ^ UINT64_C(0x6661756c74730000)); /* "faults": apart from the run's own stream */
    fault_kind kinds[N_FAULT_KINDS];
    size_t n_kinds = 0;
    for (int k = 0; k < N_FAULT_KINDS; k++)
        if (x->kinds & (1u << k) && (k != FAULT_DOWN || x->n_down))
            kinds[n_kinds++] = (fault_kind)k;
    schedule_faults f = {0};
    if (!n_kinds || !n_inputs)
        return f;
    size_t n = 1 + (size_t)rp_prng_below(&p, (uint64_t)x->max_faults);
    f.items = rb_xcalloc(n, sizeof *f.items);
    for (size_t i = 0; i < n; i++) {
        fault *ft = &f.items[f.n++];
        ft->kind = kinds[rp_prng_below(&p, n_kinds)];
        ft->target = (size_t)rp_prng_below(&p, n_inputs);
        if (ft->kind == FAULT_DELAY || ft->kind == FAULT_DUPLICATE)
            ft->amount = draw_amount(&p, x->max_delay);
        if (ft->kind == FAULT_DOWN) {
            ft->comp = x->down[rp_prng_below(&p, x->n_down)];
            ft->amount = draw_amount(&p, x->down_for);
        }
    }
    return f;
}

/* The inputs and outages of a run with these faults. */
static void faults_apply(const schedule_faults *f, const rp_schedule *base, rp_schedule *out, rp_outage **outages,
                         size_t *n_outages)
{
    *outages = rb_xcalloc(f->n + 1, sizeof **outages);
    *n_outages = 0;
    bool *dropped = rb_xcalloc(base->n + 1, sizeof *dropped);
    rp_input_item *items = rb_xcalloc(base->n + 1, sizeof *items);
    memcpy(items, base->items, base->n * sizeof *items);
    rp_schedule extra = {0};
    for (size_t i = 0; i < f->n; i++) {
        const fault *ft = &f->items[i];
        rp_input_item *it = &items[ft->target];
        switch (ft->kind) {
        case FAULT_DELAY:
            it->at += ft->amount;
            break;
        case FAULT_DROP:
            dropped[ft->target] = true;
            break;
        case FAULT_DUPLICATE: {
            rp_input_item copy = *it;
            copy.at += ft->amount;
            copy.order += base->n + i;  /* after any original at the same time */
            rp_schedule_add(&extra, &copy);
            break;
        }
        case FAULT_REORDER:
            if (ft->target + 1 < base->n) {
                rp_input_item *next = &items[ft->target + 1];
                int64_t at = it->at;
                uint64_t order = it->order;
                it->at = next->at;
                it->order = next->order;
                next->at = at;
                next->order = order;
            }
            break;
        default:
            (*outages)[(*n_outages)++] = (rp_outage){ft->comp, base->items[ft->target].at,
                                                     base->items[ft->target].at + ft->amount};
            break;
        }
    }
    for (size_t i = 0; i < base->n; i++)
        if (!dropped[i])
            rp_schedule_add(out, &items[i]);
    for (size_t i = 0; i < extra.n; i++)
        rp_schedule_add(out, &extra.items[i]);
    rp_schedule_sort(out);
    rp_schedule_free(&extra);
    free(items);
    free(dropped);
}

/* One run with faults; *violated gets a copy of the first violation (or
 * stays unset).  Returns the error of a run that could not finish. */
static rb_code run_with(const rp_model *m, const rp_schedule *base, const rp_explore_opts *o, uint64_t seed,
                        const schedule_faults *f, rp_violation *violated, bool *found, rb_error *err)
{
    rp_schedule inputs = {0};
    rp_outage *outages;
    size_t n_outages;
    faults_apply(f, base, &inputs, &outages, &n_outages);
    rp_sim_opts so = {.seed = seed, .max_steps = o->max_steps, .configs = o->configs, .outages = outages,
                      .n_outages = n_outages};
    rp_sim *sim;
    rb_code rc = rp_sim_new(m, &so, &sim, err);
    rp_checker *checker = rp_checker_new(m);
    *found = false;
    if (!rc) {
        rp_observer obs = rp_checker_observer(checker);
        rc = rp_sim_run(sim, &inputs, &obs, 1, err);
    }
    const rp_violation *v = rp_checker_violation(checker);
    if (!rc && v) {
        *found = true;
        *violated = (rp_violation){v->invariant, json_deep_copy(v->key), v->at, rb_xstrdup(v->message)};
    }
    rp_checker_free(checker);
    rp_sim_free(sim);
    rp_schedule_free(&inputs);
    free(outages);
    return rc;
}

static void violation_clear(rp_violation *v)
{
    json_decref(v->key);
    free(v->message);
    memset(v, 0, sizeof *v);
}

/* Whether the faults still break invariant `inv` (then *v is the new violation). */
static rb_code still_breaks(const rp_model *m, const rp_schedule *base, const rp_explore_opts *o, uint64_t seed,
                            const schedule_faults *f, size_t inv, rp_violation *v, bool *breaks, rb_error *err)
{
    rp_violation got = {0};
    bool found;
    rb_code rc = run_with(m, base, o, seed, f, &got, &found, err);
    *breaks = !rc && found && got.invariant == inv;
    if (*breaks) {
        violation_clear(v);
        *v = got;
    } else if (found) {
        violation_clear(&got);
    }
    return rc;
}

/* Removes faults one at a time while the violation persists, then halves
 * the amounts that remain: a schedule from which nothing can be taken away. */
static rb_code shrink(const rp_model *m, const rp_schedule *base, const rp_explore_opts *o, uint64_t seed,
                      schedule_faults *f, rp_violation *v, rb_error *err)
{
    rb_code rc = RB_OK;
    bool breaks;
    for (size_t i = 0; i < f->n && !rc;) {
        fault removed = f->items[i];
        memmove(&f->items[i], &f->items[i + 1], (f->n - i - 1) * sizeof *f->items);
        f->n--;
        rc = still_breaks(m, base, o, seed, f, v->invariant, v, &breaks, err);
        if (!breaks) {
            memmove(&f->items[i + 1], &f->items[i], (f->n - i) * sizeof *f->items);
            f->items[i] = removed;
            f->n++;
            i++;
        }
    }
    for (size_t i = 0; i < f->n && !rc; i++) {
        while (!rc && f->items[i].amount > MS) {
            int64_t was = f->items[i].amount;
            f->items[i].amount = (was / 2 / MS) * MS;
            if (f->items[i].amount < MS)
                f->items[i].amount = MS;
            rc = still_breaks(m, base, o, seed, f, v->invariant, v, &breaks, err);
            if (!breaks) {
                f->items[i].amount = was;
                break;
            }
        }
    }
    return rc;
}

static json_t *duration_json(int64_t us)
{
    char text[64];
    rb_duration_format(us, text, sizeof text);
    return json_string(text);
}

static json_t *faults_json(const rp_model *m, const rp_schedule *base, const schedule_faults *f)
{
    json_t *list = json_array();
    for (size_t i = 0; i < f->n; i++) {
        const fault *ft = &f->items[i];
        const rp_input_item *in = &base->items[ft->target];
        json_t *j = json_pack("{s:s, s:s, s:I}", "kind", fault_names[ft->kind], "event", in->handler->trigger, "line",
                              (json_int_t)in->line);
        if (ft->kind == FAULT_DELAY || ft->kind == FAULT_DUPLICATE)
            json_object_set_new(j, "by", duration_json(ft->amount));
        if (ft->kind == FAULT_DOWN) {
            json_object_set_new(j, "component", json_string(m->comps[ft->comp].name));
            json_object_set_new(j, "for", duration_json(ft->amount));
        }
        json_array_append_new(list, j);
    }
    return list;
}

static void describe_faults(rb_buf *b, const json_t *faults)
{
    size_t i;
    const json_t *f;
    json_array_foreach(faults, i, f) {
        rb_buf_printf(b, "%s%s the `%s` at line %lld", i ? "; " : "", json_string_value(json_object_get(f, "kind")),
                      json_string_value(json_object_get(f, "event")),
                      (long long)json_integer_value(json_object_get(f, "line")));
        if (json_object_get(f, "by"))
            rb_buf_printf(b, " by %s", json_string_value(json_object_get(f, "by")));
        if (json_object_get(f, "component"))
            rb_buf_printf(b, " (%s down for %s)", json_string_value(json_object_get(f, "component")),
                          json_string_value(json_object_get(f, "for")));
    }
}

/* Where a violation points: the event of its first fault, else the key's
 * first event in the trace (a pass over it). */
static rb_code violation_line(rp_trace *t, const rp_schedule *base, const schedule_faults *shrunk, const json_t *key,
                              long *line, rb_error *err)
{
    *line = 0;
    if (shrunk->n) {
        *line = base->items[shrunk->items[0].target].line;
        return RB_OK;
    }
    return rp_trace_first_line(t, key, line, err);
}

static rb_finding *violation_finding(const rp_model *m, const rp_trace *t, const rp_schedule *base,
                                     const json_t *violation, const schedule_faults *shrunk, long line)
{
    const char *name = json_string_value(json_object_get(violation, "invariant"));
    uint64_t seed = (uint64_t)json_integer_value(json_object_get(violation, "seed"));
    rb_buf msg = {0};
    if (shrunk->n) {
        rb_buf_printf(&msg, "invariant `%s` of model %s breaks under faults (seed %llu; shrunk to %zu fault%s: ", name,
                      m->name, (unsigned long long)seed, shrunk->n, shrunk->n == 1 ? "" : "s");
        describe_faults(&msg, json_object_get(violation, "shrunk"));
        rb_buf_puts(&msg, ")");
    } else {
        rb_buf_printf(&msg, "invariant `%s` of model %s breaks on the trace itself, with no fault injected (seed "
                      "%llu)", name, m->name, (unsigned long long)seed);
    }
    rb_buf_printf(&msg, ": %s", json_string_value(json_object_get(violation, "message")));
    rb_finding *f = rb_finding_builtin("RBA-REPLAY-INVARIANT", RB_SEV_ERROR, msg.data);
    rb_buf_free(&msg);
    rb_finding_set_key(f, json_object_get(violation, "key"));
    rb_finding_add_origin(f, (rb_origin){.input = t->input, .line = line});
    json_array_append(f->evidence, json_object_get(violation, "shrunk"));
    json_object_set(f->extra, "invariant", json_object_get(violation, "invariant"));
    json_object_set(f->extra, "seed", json_object_get(violation, "seed"));
    json_object_set(f->extra, "schedule", json_object_get(violation, "schedule"));
    json_object_set(f->extra, "shrunk", json_object_get(violation, "shrunk"));
    const char *runbook = json_string_value(json_object_get(m->doc, "runbook"));
    f->runbook = runbook ? rb_xstrdup(runbook) : NULL;
    f->remediation = rb_xasprintf("Reproduce it with `rbaudit replay %s --model %s --explore 1 --seed %llu`; the "
                                  "system (and the model of it) must keep `%s` under these faults: fix the step "
                                  "that lets it break.", t->input->path, m->name, (unsigned long long)seed, name);
    rb_finding_seal(f);
    return f;
}

static bool already_found(const json_t *violations, const char *invariant)
{
    size_t i;
    const json_t *v;
    json_array_foreach(violations, i, v)
        if (strcmp(json_string_value(json_object_get(v, "invariant")), invariant) == 0)
            return true;
    return false;
}

/* Records a violation of run `seed`: shrinks it and adds its finding. */
static rb_code record(const rp_model *m, rp_trace *t, const rp_schedule *base, const rp_explore_opts *o,
                      uint64_t seed, schedule_faults *f, rp_violation *v, json_t *violations, rb_findings *out,
                      rb_error *err)
{
    json_t *schedule = faults_json(m, base, f);
    rb_code rc = shrink(m, base, o, seed, f, v, err);
    if (rc) {
        json_decref(schedule);
        return rc;
    }
    char when[64];
    rb_time_format(v->at, when, sizeof when);
    json_t *j = json_pack("{s:s, s:I, s:O, s:s, s:s, s:o, s:o}", "invariant", m->invariants[v->invariant].name, "seed",
                          (json_int_t)seed, "key", v->key, "at", when, "message", v->message, "schedule", schedule,
                          "shrunk", faults_json(m, base, f));
    long line;
    if ((rc = violation_line(t, base, f, v->key, &line, err))) {
        json_decref(j);
        return rc;
    }
    json_array_append_new(violations, j);
    rb_findings_add(out, violation_finding(m, t, base, j, f, line));
    return RB_OK;
}

rb_code rp_explore(const rp_model *m, rp_trace *t, const rp_schedule *inputs, const rp_explore_opts *o,
                   json_t **report, rb_findings *out, rb_error *err)
{
    json_t *runs = json_array(), *violations = json_array();
    size_t injected = 0;
    rb_code rc = RB_OK;
    for (int64_t i = 0; i < o->runs && !rc; i++) {
        uint64_t seed = o->seed + (uint64_t)i;
        schedule_faults f = faults_draw(m, inputs->n, seed);
        json_t *schedule = faults_json(m, inputs, &f);
        char *text = json_dumps(schedule, JSON_COMPACT);
        char hash[RB_SHA256_HEX_LEN + 1];
        rb_sha256_hex(text, strlen(text), hash);
        free(text);
        json_decref(schedule);
        injected += f.n;
        rp_violation v = {0};
        bool found;
        rc = run_with(m, inputs, o, seed, &f, &v, &found, err);
        json_array_append_new(runs, json_pack("{s:I, s:I, s:s, s:b}", "seed", (json_int_t)seed, "faults",
                                              (json_int_t)f.n, "schedule_hash", hash, "violated", found));
        if (!rc && found && !already_found(violations, m->invariants[v.invariant].name))
            rc = record(m, t, inputs, o, seed, &f, &v, violations, out, err);
        violation_clear(&v);
        free(f.items);
    }
    if (rc) {
        json_decref(runs);
        json_decref(violations);
        return rc;
    }
    json_t *names = json_array();
    for (size_t i = 0; i < m->n_invariants; i++)
        json_array_append_new(names, json_string(m->invariants[i].name));
    *report = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "runs", (json_int_t)o->runs, "seed", (json_int_t)o->seed,
                        "faults", (json_int_t)injected, "invariants", names, "violations", violations, "runs_detail",
                        runs);
    return RB_OK;
}
