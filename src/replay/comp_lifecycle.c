/*
 * comp_lifecycle.c — a keyed lifecycle state machine: each key (a nonce,
 * an execution id) moves between declared states along declared
 * transitions; terminal states end it; a failure is retried with
 * exponential backoff until a limit, then the key goes to its dead-letter
 * state (the Beam intent lifecycle, beampipe executions).
 *
 *   type: lifecycle
 *   states: [queued, delivered, acked, failed, dead_letter]
 *   initial: queued                       # default: the first state
 *   terminal: [acked, failed, dead_letter]
 *   transitions: [{from: queued, to: delivered}, {from: "*", to: failed}]
 *   retry: {limit: 3, backoff: 2s, factor: 2, max: 1m, jitter: 0, exhausted: dead_letter}
 *
 * Operations: start (ok | duplicate), go {to} (ok | terminal | invalid |
 * unknown), fail (retry | exhausted | terminal | unknown), is {state} (yes |
 * no | unknown).  `fail` asks for a `retry` timer whose payload is the
 * trigger's fields plus `attempt`; it is dropped if the key left the state
 * it failed in (or failed again) before it fired.  The
 * steps of a `fail` outcome can refer to "{attempt}" too.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/component.h"
#include "util.h"

typedef struct lifecycle {
    const char **states;
    size_t n_states;
    size_t initial;
    bool *terminal;          /* by state */
    bool *allowed;           /* n_states * n_states: from -> to */
    int64_t retry_limit;     /* failures retried before exhaustion */
    int64_t backoff;         /* first delay, microseconds */
    double factor, jitter;
    int64_t max_backoff;     /* 0: no cap */
    size_t exhausted;        /* state after the last failure */
} lifecycle;

/* A key's state, kept by the simulator in the key's record. */
typedef struct key_state {
    bool started;            /* `start` made it; all zero before */
    size_t state;
    int64_t attempts;        /* failures since the key (re)entered its initial state */
    size_t failed_in;        /* the state of the last failure: a retry belongs to it */
} key_state;

enum { OP_START, OP_GO, OP_FAIL, OP_IS };

static const char *const start_outcomes[] = {"ok", "duplicate", NULL};
static const char *const go_outcomes[] = {"ok", "terminal", "invalid", "unknown", NULL};
static const char *const fail_outcomes[] = {"retry", "exhausted", "terminal", "unknown", NULL};
static const char *const is_outcomes[] = {"yes", "no", "unknown", NULL};
static const char *const no_args[] = {NULL};
static const char *const to_args[] = {"to", NULL};
static const char *const state_args[] = {"state", NULL};

static const rp_op lifecycle_ops[] = {
    [OP_START] = {.name = "start", .args = no_args, .outcomes = start_outcomes},
    [OP_GO] = {.name = "go", .args = to_args, .outcomes = go_outcomes},
    [OP_FAIL] = {.name = "fail", .args = no_args, .outcomes = fail_outcomes},
    [OP_IS] = {.name = "is", .args = state_args, .outcomes = is_outcomes},
};

static long state_index(const lifecycle *lc, const char *name)
{
    for (size_t i = 0; name && i < lc->n_states; i++)
        if (strcmp(lc->states[i], name) == 0)
            return (long)i;
    return -1;
}

static void lifecycle_free(void *inst)
{
    lifecycle *lc = inst;
    if (!lc)
        return;
    free(lc->states);
    free(lc->terminal);
    free(lc->allowed);
    free(lc);
}

/* A state member (name) as its index. */
/* The index of the state named by v, or -1 with err set naming the member. */
static long state_member(const rp_config *c, const lifecycle *lc, const char *member, const json_t *v, rb_error *err)
{
    long i = json_is_string(v) ? state_index(lc, json_string_value(v)) : -1;
    if (i < 0)
        rp_config_error(c, member, err, "%s names no declared state (expected one of states:)", member);
    return i;
}

static rb_code read_terminal(const rp_config *c, lifecycle *lc, rb_error *err)
{
    const char **names;
    size_t n;
    rb_code rc = rp_config_strings(c, "terminal", &names, &n, err);
    for (size_t i = 0; i < n && !rc; i++) {
        long s = state_index(lc, names[i]);
        if (s < 0)
            rc = rp_config_error(c, "terminal", err, "terminal state '%s' is not declared in states:", names[i]);
        else
            lc->terminal[s] = true;
    }
    free(names);
    return rc;
}

/* One transition's `from`: a state, a list of states, or "*" (any). */
static rb_code read_from(const rp_config *c, lifecycle *lc, const json_t *from, size_t to, rb_error *err)
{
    if (json_is_string(from) && strcmp(json_string_value(from), "*") == 0) {
        for (size_t s = 0; s < lc->n_states; s++)
            lc->allowed[s * lc->n_states + to] = true;
        return RB_OK;
    }
    size_t n = json_is_array(from) ? json_array_size(from) : 1;
    for (size_t i = 0; i < n; i++) {
        long s = state_member(c, lc, "transitions", json_is_array(from) ? json_array_get(from, i) : from, err);
        if (s < 0)
            return RB_ERULE;
        lc->allowed[(size_t)s * lc->n_states + to] = true;
    }
    return RB_OK;
}

static rb_code read_transitions(const rp_config *c, lifecycle *lc, rb_error *err)
{
    const json_t *list = json_object_get(c->value, "transitions");
    if (!json_is_array(list))
        return rp_config_error(c, "transitions", err, "transitions must be a list of {from, to}");
    size_t i;
    const json_t *t;
    json_array_foreach(list, i, t) {
        if (!json_is_object(t) || !json_object_get(t, "from") || json_object_size(t) != 2)
            return rp_config_error(c, "transitions", err, "transition %zu must be {from: STATE|[STATE...]|\"*\", to: STATE}", i);
        long to = state_member(c, lc, "transitions", json_object_get(t, "to"), err);
        if (to < 0)
            return RB_ERULE;
        rb_code rc = read_from(c, lc, json_object_get(t, "from"), (size_t)to, err);
        if (rc)
            return rc;
    }
    return RB_OK;
}

static rb_code read_retry(const rp_config *c, lifecycle *lc, rb_error *err)
{
    const json_t *retry = json_object_get(c->value, "retry");
    long exhausted = state_index(lc, "dead_letter");
    lc->retry_limit = 0;
    lc->factor = 2;
    if (!retry) {
        lc->exhausted = exhausted < 0 ? 0 : (size_t)exhausted;
        return exhausted < 0 ? rp_config_error(c, NULL, err, "a lifecycle without a dead_letter state needs "
                                               "retry: {exhausted: STATE}") : RB_OK;
    }
    char *path = rb_xasprintf("%s.retry", c->path);
    rp_config rc_cfg = {c->file, c->lines, path, c->name, retry};
    rb_code rc = RB_OK;
    if (!json_is_object(retry))
        rc = rp_config_error(c, "retry", err, "retry must be a mapping {limit, backoff, factor, max, jitter, exhausted}");
    const char *name = exhausted < 0 ? NULL : "dead_letter";
    static const char *const members[] = {"limit", "backoff", "factor", "max", "jitter", "exhausted", NULL};
    const char *member;
    const json_t *v;
    if (!rc)
        json_object_foreach((json_t *)retry, member, v)
            if (!rc && !rb_str_in_list(member, members))
                rc = rp_config_error(&rc_cfg, member, err, "unknown retry member '%s' (expected limit, backoff, "
                                     "factor, max, jitter, exhausted)", member);
    if (!rc && !(rc = rp_config_int(&rc_cfg, "limit", 0, &lc->retry_limit, err)) &&
        !(rc = rp_config_duration(&rc_cfg, "backoff", &lc->backoff, err)) &&
        !(rc = rp_config_number(&rc_cfg, "factor", 1, &lc->factor, err)) &&
        !(rc = rp_config_duration(&rc_cfg, "max", &lc->max_backoff, err)) &&
        !(rc = rp_config_number(&rc_cfg, "jitter", 0, &lc->jitter, err)) &&
        !(rc = rp_config_string(&rc_cfg, "exhausted", &name, err))) {
        if (lc->jitter >= 1)
            rc = rp_config_error(&rc_cfg, "jitter", err, "jitter must be below 1 (a fraction of the delay)");
        else if (state_index(lc, name) < 0)
            rc = rp_config_error(&rc_cfg, "exhausted", err, "exhausted must name a declared state");
        else
            lc->exhausted = (size_t)state_index(lc, name);
    }
    free(path);
    return rc;
}

static rb_code lifecycle_create(const rp_config *c, void **inst, rb_error *err)
{
    lifecycle *lc = rb_xcalloc(1, sizeof *lc);
    *inst = lc;
    lc->backoff = 1000000;
    rb_code rc = rp_config_strings(c, "states", &lc->states, &lc->n_states, err);
    if (!rc && lc->n_states == 0)
        rc = rp_config_error(c, "states", err, "states must list at least one state");
    for (size_t i = 0; i < lc->n_states && !rc; i++)
        if (state_index(lc, lc->states[i]) != (long)i)
            rc = rp_config_error(c, "states", err, "state '%s' is declared twice", lc->states[i]);
    if (rc)
        return rc;
    lc->terminal = rb_xcalloc(lc->n_states, sizeof *lc->terminal);
    lc->allowed = rb_xcalloc(lc->n_states * lc->n_states, sizeof *lc->allowed);
    const json_t *initial = json_object_get(c->value, "initial");
    if (initial) {
        long i = state_member(c, lc, "initial", initial, err);
        if (i < 0)
            return RB_ERULE;
        lc->initial = (size_t)i;
    }
    rc = read_terminal(c, lc, err);
    if (!rc)
        rc = read_transitions(c, lc, err);
    if (!rc)
        rc = read_retry(c, lc, err);
    return rc;
}

/* No retry waits longer than a year of virtual time, so that times stay far
 * from overflowing however many retries a model allows. */
#define MAX_DELAY (INT64_C(366) * 86400 * 1000000)

/* The delay before retry number `attempt` (1-based): backoff * factor^(attempt-1),
 * capped, then spread by ±jitter. */
static int64_t retry_delay(const lifecycle *lc, rp_sim *sim, int64_t attempt)
{
    double delay = (double)lc->backoff;
    for (int64_t i = 1; i < attempt && delay < (double)MAX_DELAY; i++)
        delay *= lc->factor;
    if (delay > (double)MAX_DELAY)
        delay = (double)MAX_DELAY;
    if (lc->max_backoff > 0 && delay > (double)lc->max_backoff)
        delay = (double)lc->max_backoff;
    if (lc->jitter > 0) {
        double spread = ((double)rp_sim_random(sim, 2001) - 1000.0) / 1000.0;
        delay += delay * lc->jitter * spread;
    }
    return (int64_t)delay;
}

static const char *do_fail(lifecycle *lc, rp_sim *sim, key_state *ks, const rp_call *call)
{
    if (lc->terminal[ks->state])
        return "terminal";
    ks->attempts++;
    ks->failed_in = ks->state;
    rp_call_set(call, "attempt", json_integer(ks->attempts));
    if (ks->attempts > lc->retry_limit) {
        ks->state = lc->exhausted;
        return "exhausted";
    }
    json_t *payload = json_deep_copy(rp_call_event(call));
    json_object_set_new(payload, "attempt", json_integer(ks->attempts));
    rp_sim_timer(sim, call->now + retry_delay(lc, sim, ks->attempts), "retry", call->key, payload);
    return "retry";
}

static const char *do_go(lifecycle *lc, key_state *ks, const rp_call *call)
{
    const json_t *to_v = rp_args_get(call->args, "to");
    long to = json_is_string(to_v) ? state_index(lc, json_string_value(to_v)) : -1;
    if (to < 0 || !lc->allowed[ks->state * lc->n_states + (size_t)to])
        return lc->terminal[ks->state] ? "terminal" : "invalid";
    ks->state = (size_t)to;
    if ((size_t)to == lc->initial)
        ks->attempts = 0;
    return "ok";
}

static const char *lifecycle_call(void *inst, rp_sim *sim, const rp_call *call)
{
    lifecycle *lc = inst;
    key_state *ks = call->state;
    if (call->op == OP_START) {
        if (ks->started)
            return "duplicate";
        ks->started = true;
        ks->state = lc->initial;
        return "ok";
    }
    if (!ks->started)
        return "unknown";
    switch (call->op) {
    case OP_GO:
        return do_go(lc, ks, call);
    case OP_FAIL:
        return do_fail(lc, sim, ks, call);
    default: {
        const json_t *s = rp_args_get(call->args, "state");
        return json_is_string(s) && state_index(lc, json_string_value(s)) == (long)ks->state ? "yes" : "no";
    }
    }
}

static bool lifecycle_timer_live(void *inst, const char *timer, const void *state, const json_t *key,
                                 const json_t *payload)
{
    (void)inst;
    (void)timer;
    (void)key;
    const key_state *ks = state;
    return ks->started && ks->state == ks->failed_in &&
           json_integer_value(json_object_get(payload, "attempt")) == ks->attempts;
}

static json_t *lifecycle_describe(const void *inst, const void *state, const json_t *key)
{
    (void)key;
    const lifecycle *lc = inst;
    const key_state *ks = state;
    if (!ks->started)
        return NULL;
    return json_pack("{s:s, s:I}", "state", lc->states[ks->state], "attempts", (json_int_t)ks->attempts);
}

static const char *const lifecycle_params[] = {"states", "initial", "terminal", "transitions", "retry", NULL};
static const char *const lifecycle_timers[] = {"retry", NULL};

const rp_component_type rp_comp_lifecycle = {
    .name = "lifecycle",
    .params = lifecycle_params,
    .ops = lifecycle_ops,
    .n_ops = sizeof lifecycle_ops / sizeof lifecycle_ops[0],
    .timers = lifecycle_timers,
    .key_state = sizeof(key_state),
    .create = lifecycle_create,
    .call = lifecycle_call,
    .timer_live = lifecycle_timer_live,
    .describe = lifecycle_describe,
    .free = lifecycle_free,
};
