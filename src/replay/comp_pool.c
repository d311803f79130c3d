/*
 * comp_pool.c — a pool of members with a quorum and drain (Beam's agents,
 * the platform's runner hosts, ByteOr adapters): members are up, offline
 * or draining; a drain that would leave fewer than `quorum` members
 * serving is refused.
 *
 *   type: pool
 *   members: [host-a, host-b, host-c]   # known members (default: any
 *                                       # member a call names, once up)
 *   online: [host-a, host-b]            # up at the start (default: all)
 *   quorum: 2                           # default 0
 *
 * Operations on {member}: up (ok), down (ok), check (up | offline |
 * draining | unknown), drain (ok | below_quorum | not_up | unknown);
 * quorum (ok | below_quorum) asks whether enough members serve.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/component.h"
#include "util.h"

typedef enum { OFFLINE, UP, DRAINING } status;
static const char *const status_names[] = {"offline", "up", "draining"};

typedef struct member {
    char *name;
    status status;
} member;

typedef struct pool {
    bool closed_membership;  /* `members:` given: others are unknown */
    int64_t quorum;
    member *members;         /* few: found by name in a scan */
    size_t n_members, cap_members;
    int64_t serving;         /* members up */
} pool;

enum { OP_UP, OP_DOWN, OP_CHECK, OP_DRAIN, OP_QUORUM };

static const char *const member_args[] = {"member", NULL};
static const char *const no_args[] = {NULL};
static const char *const ok_outcomes[] = {"ok", "unknown", NULL};
static const char *const check_outcomes[] = {"up", "offline", "draining", "unknown", NULL};
static const char *const drain_outcomes[] = {"ok", "below_quorum", "not_up", "unknown", NULL};
static const char *const quorum_outcomes[] = {"ok", "below_quorum", NULL};

static const rp_op pool_ops[] = {
    [OP_UP] = {.name = "up", .args = member_args, .outcomes = ok_outcomes},
    [OP_DOWN] = {.name = "down", .args = member_args, .outcomes = ok_outcomes},
    [OP_CHECK] = {.name = "check", .args = member_args, .outcomes = check_outcomes},
    [OP_DRAIN] = {.name = "drain", .args = member_args, .outcomes = drain_outcomes},
    [OP_QUORUM] = {.name = "quorum", .args = no_args, .outcomes = quorum_outcomes},
};

static void pool_free(void *inst)
{
    pool *p = inst;
    if (!p)
        return;
    for (size_t i = 0; i < p->n_members; i++)
        free(p->members[i].name);
    free(p->members);
    free(p);
}

static void set_status(pool *p, member *m, status s)
{
    p->serving += (s == UP) - (m->status == UP);
    m->status = s;
}

static member *find_member(const pool *p, const char *name)
{
    for (size_t i = 0; i < p->n_members; i++)
        if (strcmp(p->members[i].name, name) == 0)
            return &p->members[i];
    return NULL;
}

static member *add_member(pool *p, const char *name)
{
    member *m = find_member(p, name);
    if (m) {
        /* named twice: it starts again, as a map's put would have it */
        set_status(p, m, OFFLINE);
        return m;
    }
    rb_grow((void **)&p->members, &p->cap_members, p->n_members + 1, sizeof *p->members);
    m = &p->members[p->n_members++];
    *m = (member){rb_xstrdup(name), OFFLINE};
    return m;
}

static rb_code pool_create(const rp_config *c, void **inst, rb_error *err)
{
    pool *p = rb_xcalloc(1, sizeof *p);
    *inst = p;
    const char **names = NULL, **online = NULL;
    size_t n_names, n_online;
    rb_code rc;
    if ((rc = rp_config_int(c, "quorum", 0, &p->quorum, err)) ||
        (rc = rp_config_strings(c, "members", &names, &n_names, err)) ||
        (rc = rp_config_strings(c, "online", &online, &n_online, err)))
        goto done;
    p->closed_membership = json_object_get(c->value, "members") != NULL;
    for (size_t i = 0; i < n_names; i++)
        add_member(p, names[i]);
    bool all_online = !json_object_get(c->value, "online");
    for (size_t i = 0; i < n_names && all_online; i++)
        set_status(p, find_member(p, names[i]), UP);
    for (size_t i = 0; i < n_online && !rc; i++) {
        member *m = find_member(p, online[i]);
        if (!m && p->closed_membership)
            rc = rp_config_error(c, "online", err, "online member '%s' is not one of members:", online[i]);
        else
            set_status(p, m ? m : add_member(p, online[i]), UP);
    }
done:
    free(names);
    free(online);
    return rc;
}

static const char *pool_call(void *inst, rp_sim *sim, const rp_call *call)
{
    (void)sim;
    pool *p = inst;
    if (call->op == OP_QUORUM)
        return p->serving >= p->quorum ? "ok" : "below_quorum";
    char buf[64];
    const char *name = rp_args_text(call->args, "member", buf, sizeof buf);
    member *m = name ? find_member(p, name) : NULL;
    if (!m && name && call->op == OP_UP && !p->closed_membership)
        m = add_member(p, name);
    if (!m)
        return "unknown";
    switch (call->op) {
    case OP_UP:
        set_status(p, m, UP);
        return "ok";
    case OP_DOWN:
        set_status(p, m, OFFLINE);
        return "ok";
    case OP_CHECK:
        return status_names[m->status];
    default:
        if (m->status != UP)
            return "not_up";
        if (p->serving - 1 < p->quorum)
            return "below_quorum";
        set_status(p, m, DRAINING);
        return "ok";
    }
}

static int member_compare(const void *a, const void *b)
{
    return strcmp((*(const member *const *)a)->name, (*(const member *const *)b)->name);
}

static json_t *pool_describe(const void *inst, const void *state, const json_t *key)
{
    (void)state;
    (void)key;
    const pool *p = inst;
    json_t *members = json_object();
    const member **sorted = rb_xcalloc(p->n_members + 1, sizeof *sorted);
    for (size_t i = 0; i < p->n_members; i++)
        sorted[i] = &p->members[i];
    qsort(sorted, p->n_members, sizeof *sorted, member_compare);
    for (size_t i = 0; i < p->n_members; i++)
        json_object_set_new(members, sorted[i]->name, json_string(status_names[sorted[i]->status]));
    free(sorted);
    return json_pack("{s:I, s:I, s:o}", "serving", (json_int_t)p->serving, "quorum", (json_int_t)p->quorum,
                     "members", members);
}

static const char *const pool_params[] = {"members", "online", "quorum", NULL};

const rp_component_type rp_comp_pool = {
    .name = "pool",
    .params = pool_params,
    .ops = pool_ops,
    .n_ops = sizeof pool_ops / sizeof pool_ops[0],
    .create = pool_create,
    .call = pool_call,
    .describe = pool_describe,
    .free = pool_free,
};
