/*
 * comp_rate_limit.c — a token-bucket rate limiter per bucket (Beam's
 * Shield: per sender).  A bucket starts full with `burst` tokens and
 * refills at `rate` tokens per `per` of virtual time, up to `burst`.
 *
 *   type: rate_limit
 *   rate: 5          # tokens per `per`
 *   per: 1s          # the default
 *   burst: 10        # capacity; default: rate rounded up, at least 1
 *
 * Operation: take {bucket?, cost?} (ok | limited).  The bucket defaults to
 * the handler's key; cost to 1.  A refused take costs nothing.
 */
#include <math.h>
#include <stdlib.h>

#include "keymap.h"
#include "replay/component.h"
#include "util.h"

typedef struct rate_limit {
    double rate;          /* tokens per microsecond */
    double burst;
    rb_keymap *buckets;   /* bucket name (string) -> bucket */
} rate_limit;

typedef struct bucket {
    double tokens;
    int64_t last;         /* virtual time of the last refill */
} bucket;

static const char *const take_args[] = {"bucket", "cost", NULL};
static const char *const take_outcomes[] = {"ok", "limited", NULL};
static const rp_op rate_limit_ops[] = {
    {.name = "take", .args = take_args, .outcomes = take_outcomes},
};

static void rate_limit_free(void *inst)
{
    rate_limit *r = inst;
    if (!r)
        return;
    rb_keymap_free(r->buckets);
    free(r);
}

static rb_code rate_limit_create(const rp_config *c, void **inst, rb_error *err)
{
    rate_limit *r = rb_xcalloc(1, sizeof *r);
    *inst = r;
    r->buckets = rb_keymap_new(free);
    double rate = -1, burst = 0;
    int64_t per = 1000000;
    rb_code rc;
    if ((rc = rp_config_number(c, "rate", 0, &rate, err)) || (rc = rp_config_duration(c, "per", &per, err)) ||
        (rc = rp_config_number(c, "burst", 1, &burst, err)))
        return rc;
    if (rate <= 0)
        return rp_config_error(c, "rate", err, "rate must be a number of tokens above 0 (per `per`, default 1s)");
    if (per <= 0)
        return rp_config_error(c, "per", err, "per must be a duration above 0");
    r->rate = rate / (double)per;
    r->burst = burst > 0 ? burst : fmax(1, ceil(rate));
    return RB_OK;
}

static const char *rate_limit_call(void *inst, rp_sim *sim, const rp_call *call)
{
    (void)sim;
    rate_limit *r = inst;
    char buf[64];
    const char *name = rp_args_text(call->args, "bucket", buf, sizeof buf);
    json_t *bucket_key = name ? json_string(name) : json_incref((json_t *)call->key);
    bucket *b = rb_keymap_get(r->buckets, bucket_key);
    if (!b) {
        b = rb_xcalloc(1, sizeof *b);
        b->tokens = r->burst;
        b->last = call->now;
        rb_keymap_put(r->buckets, bucket_key, b);
    }
    json_decref(bucket_key);
    if (call->now > b->last) {
        b->tokens = fmin(r->burst, b->tokens + (double)(call->now - b->last) * r->rate);
        b->last = call->now;
    }
    const json_t *cost_v = rp_args_get(call->args, "cost");
    double cost = json_is_number(cost_v) ? json_number_value(cost_v) : 1;
    if (b->tokens < cost)
        return "limited";
    b->tokens -= cost;
    return "ok";
}

static json_t *rate_limit_describe(const void *inst, const void *state, const json_t *key)
{
    (void)state;
    const rate_limit *r = inst;
    const bucket *b = rb_keymap_get(r->buckets, key);
    if (!b)
        return NULL;
    /* Whole thousandths, so that the report does not print float noise. */
    return json_pack("{s:f, s:f}", "tokens", round(b->tokens * 1000) / 1000, "burst", r->burst);
}

static const char *const rate_limit_params[] = {"rate", "per", "burst", NULL};

const rp_component_type rp_comp_rate_limit = {
    .name = "rate_limit",
    .params = rate_limit_params,
    .ops = rate_limit_ops,
    .n_ops = 1,
    .create = rate_limit_create,
    .call = rate_limit_call,
    .describe = rate_limit_describe,
    .free = rate_limit_free,
};
