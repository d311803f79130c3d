/*
 * replay.c — one replay: baseline run with comparison, what-if run,
 * exploration (replay.h).
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "pack.h"
#include "replay/compare.h"
#include "replay/explore.h"
#include "replay/model.h"
#include "replay/patch.h"
#include "replay/replay.h"
#include "replay/sim.h"
#include "replay/trace.h"
#include "util.h"

/* Everything one replay holds, so that cleanup is one function. */
typedef struct replay_run {
    rp_model *model;
    rp_trace *trace;
    rp_patch *patch;
    rp_schedule inputs, patched;
    rp_compare *baseline, *what_if;
} replay_run;

static void replay_run_free(replay_run *r)
{
    rp_compare_free(r->baseline);
    rp_compare_free(r->what_if);
    rp_schedule_free(&r->inputs);
    rp_schedule_free(&r->patched);
    if (r->patch)
        rp_patch_free(r->patch, r->model);
    rp_trace_free(r->trace);
    rp_model_free(r->model);
}

/* One simulation of `inputs` compared with the trace; *hash and *stats
 * describe it. */
static rb_code simulate(const replay_run *r, const rp_schedule *inputs, json_t *const *configs,
                        const rp_replay_opts *o, rp_compare *cmp, json_t **stats, rb_error *err)
{
    rp_sim_opts so = {.seed = o->seed, .max_steps = o->max_steps, .configs = configs};
    rp_sim *sim;
    rb_code rc = rp_sim_new(r->model, &so, &sim, err);
    if (rc)
        return rc;
    rp_observer obs = rp_compare_observer(cmp);
    rc = rp_sim_run(sim, inputs, &obs, 1, err);
    if (!rc) {
        rp_compare_finish(cmp, sim);
        char hash[RB_SHA256_HEX_LEN + 1];
        rp_sim_hash(sim, hash);
        *stats = json_pack("{s:s, s:I, s:I, s:I}", "replay_hash", hash, "inputs", (json_int_t)inputs->n, "steps",
                           (json_int_t)rp_sim_steps(sim), "outputs", (json_int_t)rp_sim_outputs(sim));
    }
    rp_sim_free(sim);
    return rc;
}

/* Per key: the captured terminal, the simulated one and the what-if one;
 * keys that only the patch's events bring come last. */
static json_t *what_if_keys(const rp_compare *baseline, const rp_compare *what_if, size_t *changed)
{
    json_t *out = json_array();
    *changed = 0;
    json_t *base = rp_compare_keys(baseline), *after = rp_compare_keys(what_if);
    size_t i;
    json_t *k;
    bool known;
    json_array_foreach(base, i, k) {
        const char *now = rp_compare_simulated(what_if, json_object_get(k, "key"), &known);
        json_t *sim = json_object_get(k, "simulated");
        const char *was = json_string_value(sim);
        bool differs = was && now ? strcmp(was, now) != 0 : was != now;
        *changed += differs;
        json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:s?, s:b}", "key", json_object_get(k, "key"),
                                             "captured", json_object_get(k, "captured") ? json_object_get(k, "captured")
                                                                                       : json_null(),
                                             "simulated", sim ? sim : json_null(), "what_if", now, "changed", differs));
    }
    json_array_foreach(after, i, k) {
        rp_compare_simulated(baseline, json_object_get(k, "key"), &known);
        if (known)
            continue;
        *changed += 1;
        json_array_append_new(out, json_pack("{s:O, s:n, s:n, s:O, s:b}", "key", json_object_get(k, "key"), "captured",
                                             "simulated", "what_if", json_object_get(k, "simulated"), "changed", true));
    }
    json_decref(base);
    json_decref(after);
    return out;
}

static rb_code run_what_if(replay_run *r, const rp_replay_opts *o, json_t *report, rb_error *err)
{
    rb_code rc = rp_patch_load(o->what_if, r->model, &r->patch, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < r->inputs.n; i++)
        rp_schedule_add(&r->patched, &r->inputs.items[i]);
    rp_patch_schedule(r->patch, r->trace->n, &r->patched);
    rp_schedule_sort(&r->patched);
    r->what_if = rp_compare_new(r->model, r->trace);
    json_t *stats = NULL;
    if ((rc = simulate(r, &r->patched, r->patch->configs, o, r->what_if, &stats, err)))
        return rc;
    size_t changed;
    json_object_set_new(stats, "patch", json_string(o->what_if));
    json_object_set_new(stats, "patch_sha256", json_string(r->patch->sha256));
    json_object_set_new(stats, "keys", what_if_keys(r->baseline, r->what_if, &changed));
    json_object_set_new(stats, "changed", json_integer((json_int_t)changed));
    json_object_set_new(report, "what_if", stats);
    return RB_OK;
}

/* Findings of the trace's own evidence: an altered bundle member, a bad
 * line under --lenient. */
static rb_code evidence_findings(rp_trace *t, rb_findings *out, rp_replay_result *result, rb_error *err)
{
    rb_ruleset *none = rb_ruleset_new();
    rb_engine_opts eo = {0};
    rb_engine_result er;
    rb_code rc = rb_engine_run(none, t->evidence, &eo, out, &er, err);
    rb_ruleset_free(none);
    result->has_end = !rc && er.has_end;
    result->end = er.end;
    if (!rc)
        rb_engine_result_free(&er);
    return rc;
}

static json_t *summary_json(const rp_compare *c, json_t *keys)
{
    size_t n = json_array_size(keys), diverging = rp_compare_diverging(c);
    return json_pack("{s:I, s:I, s:I}", "keys", (json_int_t)n, "conforming", (json_int_t)(n - diverging), "diverging",
                     (json_int_t)diverging);
}

static rb_code replay(replay_run *r, const rp_replay_opts *o, rp_replay_result *result, rb_findings *out,
                      rb_error *err)
{
    json_t *report = result->report;
    rb_code rc;
    if ((rc = rp_model_load(o->model, &r->model, err)) ||
        (rc = rp_trace_load(o->trace, r->model, o->lenient, &r->trace, err)) ||
        (rc = evidence_findings(r->trace, out, result, err)))
        return rc;
    rp_trace_schedule(r->trace, &r->inputs);
    rp_schedule_sort(&r->inputs);
    r->baseline = rp_compare_new(r->model, r->trace);
    json_t *stats = NULL;
    if ((rc = simulate(r, &r->inputs, NULL, o, r->baseline, &stats, err)))
        return rc;
    json_t *keys = rp_compare_keys(r->baseline);
    json_object_set_new(report, "model", json_string(r->model->name));
    json_object_set_new(report, "model_sha256", json_string(r->model->sha256));
    json_object_set_new(report, "trace", json_string(r->trace->input->path));
    json_object_set_new(report, "seed", json_integer((json_int_t)o->seed));
    json_object_update(report, stats);
    json_decref(stats);
    json_object_set_new(report, "captured_outputs", json_integer((json_int_t)r->trace->n_outputs));
    json_object_set_new(report, "summary", summary_json(r->baseline, keys));
    json_object_set_new(report, "keys", keys);
    rp_compare_findings(r->baseline, out);
    if (o->what_if && (rc = run_what_if(r, o, report, err)))
        return rc;
    if (o->explore > 0) {
        rp_explore_opts xo = {.seed = o->seed, .runs = o->explore, .max_steps = o->max_steps,
                              .configs = r->patch ? r->patch->configs : NULL};
        json_t *explored = NULL;
        rc = rp_explore(r->model, r->trace, r->patch ? &r->patched : &r->inputs, &xo, &explored, out, err);
        if (!rc)
            json_object_set_new(report, "explore", explored);
    }
    return rc;
}

rb_code rp_replay_run(const rp_replay_opts *o, rp_replay_result *r, rb_findings *out, rb_error *err)
{
    replay_run run = {0};
    memset(r, 0, sizeof *r);
    r->report = json_object();
    rb_code rc = replay(&run, o, r, out, err);
    if (run.trace) {
        r->evidence = run.trace->evidence;
        run.trace->evidence = NULL;
    }
    replay_run_free(&run);
    rb_findings_sort(out);
    return rc;
}

void rp_replay_result_free(rp_replay_result *r)
{
    json_decref(r->report);
    rb_evidence_free(r->evidence);
    memset(r, 0, sizeof *r);
}
