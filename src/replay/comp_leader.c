/*
 * comp_leader.c — a single-leader role (beampipe's "exactly one scheduler
 * role"): one candidate holds the role at a time; with a `lease`, a holder
 * that does not renew in time loses it to the next candidate.
 *
 *   type: leader
 *   lease: 30s     # default: held until released
 *
 * Operations on {candidate}: acquire (elected | already | refused), renew
 * (ok | not_leader), release (ok | not_leader), check (leader | follower).
 */
#include <stdlib.h>
#include <string.h>

#include "replay/component.h"
#include "util.h"

typedef struct leader {
    int64_t lease;       /* 0: no expiry */
    char *holder;        /* NULL: nobody */
    int64_t expires;     /* when the holder's lease ends (with a lease) */
    int64_t terms;       /* elections so far */
} leader;

enum { OP_ACQUIRE, OP_RENEW, OP_RELEASE, OP_CHECK };

static const char *const candidate_args[] = {"candidate", NULL};
static const char *const acquire_outcomes[] = {"elected", "already", "refused", NULL};
static const char *const holder_outcomes[] = {"ok", "not_leader", NULL};
static const char *const check_outcomes[] = {"leader", "follower", NULL};

static const rp_op leader_ops[] = {
    [OP_ACQUIRE] = {.name = "acquire", .args = candidate_args, .outcomes = acquire_outcomes},
    [OP_RENEW] = {.name = "renew", .args = candidate_args, .outcomes = holder_outcomes},
    [OP_RELEASE] = {.name = "release", .args = candidate_args, .outcomes = holder_outcomes},
    [OP_CHECK] = {.name = "check", .args = candidate_args, .outcomes = check_outcomes},
};

static void leader_free(void *inst)
{
    leader *l = inst;
    if (!l)
        return;
    free(l->holder);
    free(l);
}

static rb_code leader_create(const rp_config *c, void **inst, rb_error *err)
{
    leader *l = rb_xcalloc(1, sizeof *l);
    *inst = l;
    rb_code rc = rp_config_duration(c, "lease", &l->lease, err);
    if (!rc && l->lease < 0)
        rc = rp_config_error(c, "lease", err, "lease must be a duration of at least 0");
    return rc;
}

/* Whether the candidate holds the role now (an expired lease holds nothing). */
static bool holds(const leader *l, const char *candidate, int64_t now)
{
    return l->holder && candidate && strcmp(l->holder, candidate) == 0 && (!l->lease || now < l->expires);
}

static const char *leader_call(void *inst, rp_sim *sim, const rp_call *call)
{
    (void)sim;
    leader *l = inst;
    char buf[64];
    const char *candidate = rp_args_text(call->args, "candidate", buf, sizeof buf);
    bool is_holder = holds(l, candidate, call->now);
    switch (call->op) {
    case OP_ACQUIRE:
        if (is_holder)
            return "already";
        if (!candidate || (l->holder && (!l->lease || call->now < l->expires)))
            return "refused";
        free(l->holder);
        l->holder = rb_xstrdup(candidate);
        l->expires = call->now + l->lease;
        l->terms++;
        return "elected";
    case OP_RENEW:
        if (!is_holder)
            return "not_leader";
        l->expires = call->now + l->lease;
        return "ok";
    case OP_RELEASE:
        if (!is_holder)
            return "not_leader";
        free(l->holder);
        l->holder = NULL;
        return "ok";
    default:
        return is_holder ? "leader" : "follower";
    }
}

static json_t *leader_describe(const void *inst, const void *state, const json_t *key)
{
    (void)state;
    (void)key;
    const leader *l = inst;
    return json_pack("{s:s?, s:I}", "holder", l->holder, "terms", (json_int_t)l->terms);
}

static const char *const leader_params[] = {"lease", NULL};

const rp_component_type rp_comp_leader = {
    .name = "leader",
    .params = leader_params,
    .ops = leader_ops,
    .n_ops = sizeof leader_ops / sizeof leader_ops[0],
    .create = leader_create,
    .call = leader_call,
    .describe = leader_describe,
    .free = leader_free,
};
