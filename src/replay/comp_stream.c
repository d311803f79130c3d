/*
 * comp_stream.c — a sequenced event stream with snapshot and resume (the
 * platform's route events over JetStream, a ByteOr ring): events apply in
 * sequence order; a gap fails the stream closed until a fresh verified
 * snapshot is taken and the stream resumes from its sequence plus one.
 *
 *   type: stream
 *   start: 1            # the first sequence expected (default 1)
 *   fail_closed: true   # false models an edge that applies over a gap
 *
 * Operations, on the stream named by `stream` (default: the handler's key):
 *   apply {seq}      applied | duplicate | gap | closed | invalid
 *   snapshot {seq}   ok | invalid      (a verified baseline at seq)
 *   resume {from?}   resumed | bad_resume | no_snapshot
 * `resume` must start at the snapshot's sequence + 1 (the default).
 */
#include <stdlib.h>

#include "keymap.h"
#include "replay/component.h"
#include "util.h"

typedef struct stream {
    int64_t start;
    bool fail_closed;
    rb_keymap *streams;  /* stream name -> position */
} stream;

typedef struct position {
    int64_t next;        /* the sequence expected */
    bool closed;         /* failed closed on a gap */
    int64_t gap_from, gap_to;
    bool has_snapshot;
    int64_t snapshot;
} position;

enum { OP_APPLY, OP_SNAPSHOT, OP_RESUME };

static const char *const seq_args[] = {"seq", "stream", NULL};
static const char *const resume_args[] = {"from", "stream", NULL};
static const char *const apply_outcomes[] = {"applied", "duplicate", "gap", "closed", "invalid", NULL};
static const char *const snapshot_outcomes[] = {"ok", "invalid", NULL};
static const char *const resume_outcomes[] = {"resumed", "bad_resume", "no_snapshot", NULL};

static const rp_op stream_ops[] = {
    [OP_APPLY] = {.name = "apply", .args = seq_args, .outcomes = apply_outcomes},
    [OP_SNAPSHOT] = {.name = "snapshot", .args = seq_args, .outcomes = snapshot_outcomes},
    [OP_RESUME] = {.name = "resume", .args = resume_args, .outcomes = resume_outcomes},
};

static void stream_free(void *inst)
{
    stream *s = inst;
    if (!s)
        return;
    rb_keymap_free(s->streams);
    free(s);
}

static rb_code stream_create(const rp_config *c, void **inst, rb_error *err)
{
    stream *s = rb_xcalloc(1, sizeof *s);
    *inst = s;
    s->streams = rb_keymap_new(free);
    s->start = 1;
    s->fail_closed = true;
    rb_code rc = rp_config_int(c, "start", 0, &s->start, err);
    return rc ? rc : rp_config_bool(c, "fail_closed", &s->fail_closed, err);
}

static position *position_of(stream *s, const rp_call *call)
{
    char buf[64];
    const char *name = rp_args_text(call->args, "stream", buf, sizeof buf);
    json_t *key = name ? json_string(name) : json_incref((json_t *)call->key);
    position *p = rb_keymap_get(s->streams, key);
    if (!p) {
        p = rb_xcalloc(1, sizeof *p);
        p->next = s->start;
        rb_keymap_put(s->streams, key, p);
    }
    json_decref(key);
    return p;
}

static const char *apply(const stream *s, position *p, int64_t seq)
{
    if (p->closed)
        return "closed";
    if (seq < p->next)
        return "duplicate";
    if (seq > p->next && s->fail_closed) {
        p->closed = true;
        p->gap_from = p->next;
        p->gap_to = seq - 1;
        return "gap";
    }
    p->next = seq + 1;
    return "applied";
}

static const char *stream_call(void *inst, rp_sim *sim, const rp_call *call)
{
    (void)sim;
    stream *s = inst;
    position *p = position_of(s, call);
    const json_t *seq = rp_args_get(call->args, "seq");
    switch (call->op) {
    case OP_APPLY:
        return json_is_integer(seq) ? apply(s, p, json_integer_value(seq)) : "invalid";
    case OP_SNAPSHOT:
        if (!json_is_integer(seq))
            return "invalid";
        p->has_snapshot = true;
        p->snapshot = json_integer_value(seq);
        return "ok";
    default: {
        if (!p->has_snapshot)
            return "no_snapshot";
        const json_t *from = rp_args_get(call->args, "from");
        int64_t at = json_is_integer(from) ? json_integer_value(from) : p->snapshot + 1;
        if (at != p->snapshot + 1)
            return "bad_resume";
        p->next = at;
        p->closed = false;
        return "resumed";
    }
    }
}

static json_t *stream_describe(const void *inst, const void *state, const json_t *key)
{
    (void)state;
    const stream *s = inst;
    const position *p = rb_keymap_get(s->streams, key);
    if (!p)
        return NULL;
    json_t *d = json_pack("{s:I, s:b}", "next", (json_int_t)p->next, "closed", p->closed);
    if (p->closed)
        json_object_set_new(d, "gap", json_pack("[I, I]", (json_int_t)p->gap_from, (json_int_t)p->gap_to));
    if (p->has_snapshot)
        json_object_set_new(d, "snapshot", json_integer(p->snapshot));
    return d;
}

static const char *const stream_params[] = {"start", "fail_closed", NULL};

const rp_component_type rp_comp_stream = {
    .name = "stream",
    .params = stream_params,
    .ops = stream_ops,
    .n_ops = sizeof stream_ops / sizeof stream_ops[0],
    .create = stream_create,
    .call = stream_call,
    .describe = stream_describe,
    .free = stream_free,
};
