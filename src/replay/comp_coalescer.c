/*
 * comp_coalescer.c — a request coalescer with a budget (the platform's
 * wake-on-request): the first request to a sleeping key starts one wake;
 * requests that arrive while it wakes join it instead of starting more
 * allocations; past `max_waiters`, or when the wake outlives its `budget`,
 * requests get a clear refusal instead of waiting forever.
 *
 *   type: coalescer
 *   budget: 30s         # how long a wake may take (default 30s)
 *   max_waiters: 100    # requests held during one wake (default 100)
 *
 * Operations (per handler key): request (hot | started | coalesced |
 * over_budget), ready (ok | already), expire (expired | not_waking), sleep
 * (ok).  `request` that starts a wake asks for an `expire` timer at the
 * budget; it is dropped if the key became ready or slept meanwhile.
 */
#include <stdlib.h>

#include "replay/component.h"
#include "util.h"

typedef enum { COLD, WAKING, HOT } phase;
static const char *const phase_names[] = {"cold", "waking", "hot"};

typedef struct coalescer {
    int64_t budget;
    int64_t max_waiters;
} coalescer;

/* A key's state, kept by the simulator in the key's record. */
typedef struct wake {
    bool known;          /* a call named the key; all zero before */
    phase phase;
    int64_t waiters;     /* requests held by the current wake */
    int64_t number;      /* wakes started so far: tells a stale timer */
} wake;

enum { OP_REQUEST, OP_READY, OP_EXPIRE, OP_SLEEP };

static const char *const no_args[] = {NULL};
static const char *const request_outcomes[] = {"hot", "started", "coalesced", "over_budget", NULL};
static const char *const ready_outcomes[] = {"ok", "already", NULL};
static const char *const expire_outcomes[] = {"expired", "not_waking", NULL};
static const char *const sleep_outcomes[] = {"ok", NULL};

static const rp_op coalescer_ops[] = {
    [OP_REQUEST] = {.name = "request", .args = no_args, .outcomes = request_outcomes},
    [OP_READY] = {.name = "ready", .args = no_args, .outcomes = ready_outcomes},
    [OP_EXPIRE] = {.name = "expire", .args = no_args, .outcomes = expire_outcomes},
    [OP_SLEEP] = {.name = "sleep", .args = no_args, .outcomes = sleep_outcomes},
};

static void coalescer_free(void *inst)
{
    coalescer *c = inst;
    free(c);
}

static rb_code coalescer_create(const rp_config *cfg, void **inst, rb_error *err)
{
    coalescer *c = rb_xcalloc(1, sizeof *c);
    *inst = c;
    c->budget = 30 * INT64_C(1000000);
    c->max_waiters = 100;
    rb_code rc = rp_config_duration(cfg, "budget", &c->budget, err);
    if (!rc && c->budget <= 0)
        rc = rp_config_error(cfg, "budget", err, "budget must be a duration above 0");
    return rc ? rc : rp_config_int(cfg, "max_waiters", 1, &c->max_waiters, err);
}

static const char *request(coalescer *c, rp_sim *sim, wake *w, const rp_call *call)
{
    switch (w->phase) {
    case HOT:
        return "hot";
    case WAKING:
        if (w->waiters >= c->max_waiters)
            return "over_budget";
        w->waiters++;
        return "coalesced";
    default:
        w->phase = WAKING;
        w->waiters = 1;
        w->number++;
        json_t *payload = json_deep_copy(rp_call_event(call));
        json_object_set_new(payload, "wake", json_integer(w->number));
        rp_sim_timer(sim, call->now + c->budget, "expire", call->key, payload);
        return "started";
    }
}

static const char *coalescer_call(void *inst, rp_sim *sim, const rp_call *call)
{
    coalescer *c = inst;
    wake *w = call->state;
    w->known = true;
    switch (call->op) {
    case OP_REQUEST:
        return request(c, sim, w, call);
    case OP_READY:
        if (w->phase == HOT)
            return "already";
        w->phase = HOT;
        w->waiters = 0;
        return "ok";
    case OP_EXPIRE:
        if (w->phase != WAKING)
            return "not_waking";
        w->phase = COLD;
        w->waiters = 0;
        return "expired";
    default:
        w->phase = COLD;
        w->waiters = 0;
        return "ok";
    }
}

static bool coalescer_timer_live(void *inst, const char *timer, const void *state, const json_t *key,
                                 const json_t *payload)
{
    (void)inst;
    (void)timer;
    (void)key;
    const wake *w = state;
    return w->known && w->phase == WAKING && json_integer_value(json_object_get(payload, "wake")) == w->number;
}

static json_t *coalescer_describe(const void *inst, const void *state, const json_t *key)
{
    (void)inst;
    (void)key;
    const wake *w = state;
    if (!w->known)
        return NULL;
    return json_pack("{s:s, s:I, s:I}", "phase", phase_names[w->phase], "waiters", (json_int_t)w->waiters,
                     "wakes", (json_int_t)w->number);
}

static const char *const coalescer_params[] = {"budget", "max_waiters", NULL};
static const char *const coalescer_timers[] = {"expire", NULL};

const rp_component_type rp_comp_coalescer = {
    .name = "coalescer",
    .params = coalescer_params,
    .ops = coalescer_ops,
    .n_ops = sizeof coalescer_ops / sizeof coalescer_ops[0],
    .timers = coalescer_timers,
    .key_state = sizeof(wake),
    .create = coalescer_create,
    .call = coalescer_call,
    .timer_live = coalescer_timer_live,
    .describe = coalescer_describe,
    .free = coalescer_free,
};
