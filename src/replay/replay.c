/*
 * replay.c — one replay: baseline run with comparison, what-if run,
 * exploration (replay.h).
 *
 * A run reads the trace as it simulates (feed.h).  Errors keep the
 * precedence they have when everything is read first: an error in the
 * trace, then one in the other inputs of its evidence, then one of the
 * simulation; so when the simulation fails, the rest of the trace is read
 * for its errors before the failure is reported.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/compare.h"
#include "replay/explore.h"
#include "replay/feed.h"
#include "replay/keys.h"
#include "replay/model.h"
#include "replay/patch.h"
#include "replay/replay.h"
#include "replay/sim.h"
#include "replay/trace.h"
#include "util.h"

/* One simulation of the trace: its keys and their comparison. */
typedef struct run {
    rp_keys *keys;
    rp_compare *compare;
} run;

/* What the report's key arrays read: it lives until the report is
 * written (rb_json_streams_free). */
typedef struct replay_state {
    rp_model *model;
    rp_patch *patch;
    run baseline, what_if;
} replay_state;

static void run_free(run *r)
{
    rp_compare_free(r->compare);
    rp_keys_free(r->keys);
    memset(r, 0, sizeof *r);
}

static void state_free(void *p)
{
    replay_state *st = p;
    if (!st)
        return;
    run_free(&st->baseline);
    run_free(&st->what_if);
    if (st->patch)
        rp_patch_free(st->patch, st->model);
    rp_model_free(st->model);
    free(st);
}

/* ---- runs ---- */

typedef struct run_outcome {
    bool restart;     /* the trace is not in time order: run again */
    bool sim_failed;  /* the error is the simulation's */
} run_outcome;

/* One simulation of the trace's inputs (and `injected`) compared with the
 * trace; *stats describe it. */
static rb_code run_once(replay_state *st, run *r, rp_trace *t, const rp_schedule *injected, json_t *const *configs,
                        const rp_replay_opts *o, json_t **stats, run_outcome *outcome, rb_error *err)
{
    memset(outcome, 0, sizeof *outcome);
    size_t sim_slots = rp_sim_slots_size(st->model);
    r->keys = rp_keys_new(sim_slots + rp_compare_slot_size());
    r->compare = rp_compare_new(st->model, t, r->keys, sim_slots);
    rp_sim_opts so = {.seed = o->seed, .max_steps = o->max_steps, .configs = configs, .keys = r->keys};
    rp_sim *sim = NULL;
    rb_code rc = rp_trace_rewind(t, err);
    if (!rc)
        rc = rp_sim_new(st->model, &so, &sim, err);
    if (rc) {
        rp_sim_free(sim);
        return rc;
    }
    rp_feed *feed = rp_feed_new(t, r->keys, r->compare, injected);
    rp_source source = rp_feed_source(feed);
    rp_observer obs = rp_compare_observer(r->compare);
    rc = rp_sim_run_source(sim, &source, &obs, 1, err);
    if (rc && !rp_feed_failed(feed) && !rp_feed_restart(feed)) {
        rb_error failed = *err;
        rb_code trace_rc = rp_feed_drain(feed, err);
        if (!trace_rc) {
            *err = failed;
            outcome->sim_failed = true;
        } else {
            rc = trace_rc;
        }
    }
    outcome->restart = rp_feed_restart(feed);
    if (!rc && !outcome->restart) {
        rp_compare_finish(r->compare, sim);
        char hash[RB_SHA256_HEX_LEN + 1];
        rp_sim_hash(sim, hash);
        *stats = json_pack("{s:s, s:I, s:I, s:I}", "replay_hash", hash, "inputs", (json_int_t)rp_sim_inputs(sim),
                           "steps", (json_int_t)rp_sim_steps(sim), "outputs", (json_int_t)rp_sim_outputs(sim));
        size_t keys, retired, returned;
        rp_keys_stats(r->keys, &keys, &retired, &returned);
        rb_verbose("replay: %zu keys; %zu retired to disk as the run left them, %zu of those brought back", keys,
                   retired, returned);
    }
    rp_feed_free(feed);
    rp_sim_free(sim);
    if (outcome->restart) {
        run_free(r);
        outcome->sim_failed = false;
        return RB_OK;
    }
    return rc;
}

/* run_once until the trace is read in order. */
static rb_code simulate(replay_state *st, run *r, rp_trace *t, const rp_schedule *injected, json_t *const *configs,
                        const rp_replay_opts *o, json_t **stats, bool *sim_failed, rb_error *err)
{
    run_outcome outcome;
    rb_code rc;
    do
        rc = run_once(st, r, t, injected, configs, o, stats, &outcome, err);
    while (!rc && outcome.restart);
    *sim_failed = outcome.sim_failed;
    return rc;
}

/* ---- the report's key arrays ---- */

/* Walks two key tables in step (either may be NULL): each key of either,
 * once, with its record in each (NULL where it has none). */
typedef struct pair_iter {
    rp_keys_iter *a, *b;
    const rp_key *ka, *kb;
} pair_iter;

static rb_code pair_open(pair_iter *p, rp_keys *a, rp_keys *b, rb_error *err)
{
    memset(p, 0, sizeof *p);
    rb_code rc = rp_keys_iter_open(a, &p->a, err);
    if (!rc && b)
        rc = rp_keys_iter_open(b, &p->b, err);
    if (!rc)
        rc = rp_keys_iter_next(p->a, &p->ka, err);
    if (!rc && p->b)
        rc = rp_keys_iter_next(p->b, &p->kb, err);
    return rc;
}

/* The current key: *a and *b its records, both NULL at the end; they
 * stay valid until pair_advance moves past them. */
static rb_code pair_next(pair_iter *p, const rp_key **a, const rp_key **b, rb_error *err)
{
    (void)err;
    *a = *b = NULL;
    if (!p->ka && !p->kb)
        return RB_OK;
    int c = !p->ka ? 1 : !p->kb ? -1 : rp_key_compare(p->ka, p->kb);
    if (c <= 0)
        *a = p->ka;
    if (c >= 0)
        *b = p->kb;
    return RB_OK;
}

static rb_code pair_advance(pair_iter *p, bool a, bool b, rb_error *err)
{
    rb_code rc = RB_OK;
    if (a)
        rc = rp_keys_iter_next(p->a, &p->ka, err);
    if (!rc && b)
        rc = rp_keys_iter_next(p->b, &p->kb, err);
    return rc;
}

static void pair_close(pair_iter *p)
{
    rp_keys_iter_free(p->a);
    rp_keys_iter_free(p->b);
}

/* A reading of one of the arrays. */
typedef struct reading {
    const replay_state *st;
    bool what_if;
    int phase;            /* what-if: 0 the baseline's keys, 1 the patch's own */
    pair_iter pairs;
    bool advance_a, advance_b;
} reading;

static rb_code reading_open(void *ctx, void **it, rb_error *err, bool what_if)
{
    replay_state *st = ctx;
    reading *r = rb_xcalloc(1, sizeof *r);
    *it = r;
    r->st = st;
    r->what_if = what_if;
    return pair_open(&r->pairs, st->baseline.keys, what_if ? st->what_if.keys : NULL, err);
}

static rb_code keys_open(void *ctx, void **it, rb_error *err)
{
    return reading_open(ctx, it, err, false);
}

static rb_code what_if_open(void *ctx, void **it, rb_error *err)
{
    return reading_open(ctx, it, err, true);
}

static void reading_close(void *it)
{
    reading *r = it;
    if (!r)
        return;
    pair_close(&r->pairs);
    free(r);
}

/* Whether a key has an entry in this reading (what-if: in this phase). */
static bool has_entry(const reading *r, const rp_key *base, const rp_key *after)
{
    bool known_before = false, known_after = false;
    if (base)
        rp_compare_simulated(r->st->baseline.compare, base, &known_before);
    if (!r->what_if || r->phase == 0)
        return known_before;
    if (after)
        rp_compare_simulated(r->st->what_if.compare, after, &known_after);
    return !known_before && known_after;
}

/* The next key with an entry: its records in *a and *b (either may be
 * NULL), both NULL at the end. */
static rb_code reading_step(reading *r, const rp_key **a, const rp_key **b, rb_error *err)
{
    for (;;) {
        rb_code rc = pair_advance(&r->pairs, r->advance_a, r->advance_b, err);
        r->advance_a = r->advance_b = false;
        if (!rc)
            rc = pair_next(&r->pairs, a, b, err);
        if (rc)
            return rc;
        if (!*a && !*b) {
            if (!r->what_if || r->phase == 1)
                return RB_OK;
            /* the keys only the patch's events bring come last */
            r->phase = 1;
            pair_close(&r->pairs);
            if ((rc = pair_open(&r->pairs, r->st->baseline.keys, r->st->what_if.keys, err)))
                return rc;
            continue;
        }
        r->advance_a = *a != NULL;
        r->advance_b = *b != NULL;
        if (has_entry(r, *a, *b))
            return RB_OK;
    }
}

/* A what-if entry's parts: the key's value, its terminal states. */
typedef struct what_if_parts {
    const json_t *key;
    const char *captured, *simulated, *what_if;
    bool changed;
} what_if_parts;

static what_if_parts what_if_of(const reading *r, const rp_key *base, const rp_key *after)
{
    bool known;
    const char *now = after ? rp_compare_simulated(r->st->what_if.compare, after, &known) : NULL;
    if (r->phase == 1)
        return (what_if_parts){after->value ? after->value : json_null(), NULL, NULL, now, true};
    const char *was = rp_compare_simulated(r->st->baseline.compare, base, &known);
    bool changed = was && now ? strcmp(was, now) != 0 : was != now;
    return (what_if_parts){base->value ? base->value : json_null(), rp_compare_captured(r->st->baseline.compare, base),
                           was, now, changed};
}

static json_t *what_if_json(const what_if_parts *w)
{
    return json_pack("{s:O, s:s?, s:s?, s:s?, s:b}", "key", w->key, "captured", w->captured, "simulated",
                     w->simulated, "what_if", w->what_if, "changed", w->changed);
}

static bool put_state(rb_buf *b, const char *name, const char *state)
{
    rb_buf_printf(b, ",\n  \"%s\": ", name);
    if (state)
        return rp_json_plain_string(b, state, strlen(state));
    rb_buf_puts(b, "null");
    return true;
}

/* what_if_json as json_dumps writes it, when nothing needs escapes. */
static bool what_if_text(const what_if_parts *w, rb_buf *text)
{
    text->len = 0;
    if (!json_is_string(w->key))
        return false;
    rb_buf_puts(text, "{\n  \"key\": ");
    bool ok = rp_json_plain_string(text, json_string_value(w->key), json_string_length(w->key));
    ok = ok && put_state(text, "captured", w->captured) && put_state(text, "simulated", w->simulated) &&
         put_state(text, "what_if", w->what_if);
    rb_buf_puts(text, w->changed ? ",\n  \"changed\": true\n}" : ",\n  \"changed\": false\n}");
    return ok;
}

static rb_code reading_next(void *it, json_t **item, rb_error *err)
{
    reading *r = it;
    const rp_key *a, *b;
    *item = NULL;
    rb_code rc = reading_step(r, &a, &b, err);
    if (rc || (!a && !b))
        return rc;
    if (r->what_if) {
        what_if_parts w = what_if_of(r, a, b);
        *item = what_if_json(&w);
    } else {
        *item = rp_compare_entry(r->st->baseline.compare, a);
    }
    return RB_OK;
}

static rb_code reading_next_text(void *it, rb_buf *text, bool *got, rb_error *err)
{
    reading *r = it;
    const rp_key *a, *b;
    rb_code rc = reading_step(r, &a, &b, err);
    *got = !rc && (a || b);
    if (!*got)
        return rc;
    json_t *item = NULL;
    if (r->what_if) {
        what_if_parts w = what_if_of(r, a, b);
        if (!what_if_text(&w, text))
            item = what_if_json(&w);
    } else if (!rp_compare_entry_text(r->st->baseline.compare, a, text)) {
        item = rp_compare_entry(r->st->baseline.compare, a);
    }
    if (item) {
        char *dumped = json_dumps(item, JSON_INDENT(2));
        text->len = 0;
        rb_buf_puts(text, dumped ? dumped : "null");
        free(dumped);
        json_decref(item);
    }
    return RB_OK;
}

/* How many keys the patch moves (a reading of the what-if array). */
static rb_code count_changed(replay_state *st, size_t *changed, rb_error *err)
{
    void *it;
    *changed = 0;
    rb_code rc = what_if_open(st, &it, err);
    reading *r = it;
    const rp_key *a = NULL, *b = NULL;
    while (!rc && !(rc = reading_step(r, &a, &b, err)) && (a || b))
        *changed += what_if_of(r, a, b).changed;
    reading_close(it);
    return rc;
}

static void add_stream(rb_json_streams *s, replay_state *st, const json_t *placeholder,
                       rb_code (*open)(void *, void **, rb_error *))
{
    rb_json_stream stream = {placeholder, open, reading_next, reading_next_text, reading_close, st};
    rb_json_streams_add(s, &stream);
}

/* ---- the replay ---- */

static rb_code run_what_if(replay_state *st, rp_trace *t, const rp_replay_opts *o, json_t *report,
                           rb_json_streams *streams, rb_error *err)
{
    rb_code rc = rp_patch_load(o->what_if, st->model, &st->patch, err);
    if (rc)
        return rc;
    rp_schedule injected = {0};
    rp_patch_schedule(st->patch, 0, &injected);
    rp_schedule_sort(&injected);
    json_t *stats = NULL;
    bool sim_failed;
    rc = simulate(st, &st->what_if, t, &injected, st->patch->configs, o, &stats, &sim_failed, err);
    rp_schedule_free(&injected);
    size_t changed = 0;
    if (!rc)
        rc = count_changed(st, &changed, err);
    if (rc) {
        json_decref(stats);
        return rc;
    }
    json_t *keys = json_array();
    json_object_set_new(stats, "patch", json_string(o->what_if));
    json_object_set_new(stats, "patch_sha256", json_string(st->patch->sha256));
    json_object_set_new(stats, "keys", keys);
    json_object_set_new(stats, "changed", json_integer((json_int_t)changed));
    json_object_set_new(report, "what_if", stats);
    add_stream(streams, st, keys, what_if_open);
    return RB_OK;
}

static rb_code run_explore(replay_state *st, rp_trace *t, const rp_replay_opts *o, json_t *report, rb_findings *out,
                           rb_error *err)
{
    rp_schedule inputs = {0};
    json_t *keep = json_array();
    rb_code rc = rp_trace_schedule(t, &inputs, keep, err);
    if (!rc && st->patch) {
        rp_patch_schedule(st->patch, t->n, &inputs);
        rp_schedule_sort(&inputs);
    }
    rp_explore_opts xo = {.seed = o->seed, .runs = o->explore, .max_steps = o->max_steps,
                          .configs = st->patch ? st->patch->configs : NULL};
    json_t *explored = NULL;
    if (!rc)
        rc = rp_explore(st->model, t, &inputs, &xo, &explored, out, err);
    if (!rc)
        json_object_set_new(report, "explore", explored);
    rp_schedule_free(&inputs);
    json_decref(keep);
    return rc;
}

static json_t *summary_json(const rp_compare *c)
{
    size_t n = rp_compare_keys(c), diverging = rp_compare_diverging(c);
    return json_pack("{s:I, s:I, s:I}", "keys", (json_int_t)n, "conforming", (json_int_t)(n - diverging), "diverging",
                     (json_int_t)diverging);
}

static rb_code replay(replay_state *st, rp_trace **trace, const rp_replay_opts *o, rp_replay_result *result,
                      rb_findings *out, rb_error *err)
{
    json_t *report = result->report;
    rb_code rc;
    if ((rc = rp_model_load(o->model, &st->model, err)) ||
        (rc = rp_trace_open(o->trace, st->model, o->lenient, trace, err)))
        return rc;
    rp_trace *t = *trace;
    json_t *stats = NULL;
    bool sim_failed;
    rc = simulate(st, &st->baseline, t, NULL, NULL, o, &stats, &sim_failed, err);
    if (rc && !sim_failed)
        return rc;
    /* the evidence's own errors come before the simulation's */
    rb_error failed = *err;
    rb_code evidence_rc = rp_trace_evidence_findings(t, out, &result->has_end, &result->end, err);
    if (evidence_rc || rc) {
        if (!evidence_rc)
            *err = failed;
        json_decref(stats);
        return evidence_rc ? evidence_rc : rc;
    }
    json_t *keys = json_array();
    json_object_set_new(report, "model", json_string(st->model->name));
    json_object_set_new(report, "model_sha256", json_string(st->model->sha256));
    json_object_set_new(report, "trace", json_string(t->input->path));
    json_object_set_new(report, "seed", json_integer((json_int_t)o->seed));
    json_object_update(report, stats);
    json_decref(stats);
    json_object_set_new(report, "captured_outputs", json_integer((json_int_t)t->n_outputs));
    json_object_set_new(report, "summary", summary_json(st->baseline.compare));
    json_object_set_new(report, "keys", keys);
    add_stream(result->streams, st, keys, keys_open);
    rp_compare_findings(st->baseline.compare, out);
    if (o->what_if && (rc = run_what_if(st, t, o, report, result->streams, err)))
        return rc;
    if (o->explore > 0)
        rc = run_explore(st, t, o, report, out, err);
    return rc;
}

rb_code rp_replay_run(const rp_replay_opts *o, rp_replay_result *r, rb_findings *out, rb_error *err)
{
    memset(r, 0, sizeof *r);
    r->report = json_object();
    replay_state *st = rb_xcalloc(1, sizeof *st);
    r->streams = rb_xcalloc(1, sizeof *r->streams);
    r->streams->release = state_free;
    r->streams->owner = st;
    rp_trace *t = NULL;
    rb_code rc = replay(st, &t, o, r, out, err);
    if (t) {
        r->evidence = t->evidence;
        t->evidence = NULL;
    }
    rp_trace_free(t);
    rb_findings_sort(out);
    return rc;
}

void rp_replay_result_free(rp_replay_result *r)
{
    json_decref(r->report);
    rb_json_streams_free(r->streams);
    rb_evidence_free(r->evidence);
    memset(r, 0, sizeof *r);
}
