/*
 * check_before.c — `before: {first, then, within?}`: every `then` needs an
 * earlier `first` of its key group (at most `within` before it); each
 * `then` without one is a finding (SPEC §4).
 *
 * State per key: the firsts that may still pair with a later then.  Without
 * correlation one first is as good as another, so only one is kept: the
 * newest, which stays in the window longest; with correlation every first
 * in the window is kept, and with `within` firsts that have fallen out of
 * the window of the newest event are dropped (events come in time order).
 *
 * Events of unknown time (rb_event_has_time) sort before all others.  Under
 * `within` they take no part: such a first proves nothing in time, such a
 * then breaks nothing.  Without it no window applies and they count: a
 * first of unknown time is earlier than every then after it, and a then
 * of unknown time is answered by a first of its key wherever that first
 * is; it waits for one until the end, and only a key with no partner for
 * it makes it a finding.
 */
#include "check_pair.h"

#include <stdlib.h>

#include "keymap.h"
#include "util.h"

typedef struct before_state {
    rb_keymap *firsts;  /* key -> rb_event_list of firsts */
    rb_keymap *waiting; /* key -> rb_event_list of thens of unknown time
                           still without a first */
} before_state;

static void *before_start(const rb_rule *rule)
{
    (void)rule;
    before_state *s = rb_xcalloc(1, sizeof *s);
    s->firsts = rb_keymap_new(rb_event_list_delete);
    s->waiting = rb_keymap_new(rb_event_list_delete);
    return s;
}

static void before_stop(void *state)
{
    before_state *s = state;
    rb_keymap_free(s->firsts);
    rb_keymap_free(s->waiting);
    free(s);
}

/* Drops firsts too old to pair with ev or anything after it. */
static void prune(const rb_pair *p, rb_event_list *firsts, const rb_event *ev)
{
    size_t keep = 0;
    while (keep < firsts->n && ev->ts - firsts->items[keep].ts > p->within)
        keep++;
    for (size_t i = 0; i < keep; i++)
        rb_event_list_remove(firsts, 0);
}

static bool has_partner(const rb_pair *p, const rb_event_list *firsts, const rb_event *then)
{
    for (size_t i = 0; i < firsts->n; i++)
        if (rb_pair_matches(p, &firsts->items[i], then))
            return true;
    return false;
}

/* The list of key in map, created when absent. */
static rb_event_list *list_of(rb_keymap *map, const json_t *key)
{
    rb_event_list *list = rb_keymap_get(map, key);
    if (!list) {
        list = rb_xcalloc(1, sizeof *list);
        rb_keymap_put(map, key, list);
    }
    return list;
}

/* A first answers the waiting thens of unknown time it pairs with (not
 * itself: an event that is both was a then first). */
static void answer_waiting(const rb_pair *p, before_state *s, const json_t *key, const rb_event *first)
{
    rb_event_list *waiting = rb_keymap_get(s->waiting, key);
    for (size_t i = waiting ? waiting->n : 0; i-- > 0;)
        if (waiting->items[i].order != first->order && rb_pair_matches(p, first, &waiting->items[i]))
            rb_event_list_remove(waiting, i);
    if (waiting && !waiting->n)
        rb_keymap_remove(s->waiting, key);
}

static void before_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    const rb_pair *p = rule->check_data;
    before_state *s = state;
    if (p->has_within && !rb_event_has_time(ev))
        return;
    const json_t *key = rb_rule_key_of(rule, ev->fields);
    rb_event_list *firsts = rb_keymap_get(s->firsts, key);
    if (firsts && p->has_within) {
        prune(p, firsts, ev);
        if (!firsts->n) {
            rb_keymap_remove(s->firsts, key);
            firsts = NULL;
        }
    }
    /* an event that is both is checked as a then before it counts as a
     * first: it is never its own partner */
    if (rb_pair_is_then(p, ev) && !(firsts && has_partner(p, firsts, ev))) {
        if (!rb_event_has_time(ev)) {
            rb_event_list_push(list_of(s->waiting, key), rule, ev);
        } else {
            rb_bindings b = {1, {"then"}, {ev->fields}};
            rb_run_report(run, rule, key, ev, NULL, 0, &b, NULL);
        }
    }
    if (!rb_selector_match(p->first, ev->fields))
        return;
    answer_waiting(p, s, key, ev);
    firsts = list_of(s->firsts, key);
    if (!p->correlated && firsts->n)
        rb_event_list_remove(firsts, 0);
    rb_event_list_push(firsts, rule, ev);
}

typedef struct finish_ctx {
    const rb_rule *rule;
    rb_run *run;
} finish_ctx;

static void finish_key(void *opaque, const json_t *key, void *value)
{
    finish_ctx *ctx = opaque;
    const rb_event_list *waiting = value;
    for (size_t i = 0; i < waiting->n; i++) {
        rb_bindings b = {1, {"then"}, {waiting->items[i].fields}};
        rb_run_report(ctx->run, ctx->rule, key, &waiting->items[i], NULL, 0, &b, NULL);
    }
}

/* The thens of unknown time that no first of their key answered. */
static void before_finish(void *state, const rb_rule *rule, rb_run *run)
{
    finish_ctx ctx = {rule, run};
    rb_keymap_each_sorted(((before_state *)state)->waiting, finish_key, &ctx);
}

const rb_check_kind rb_check_before = {
    .name = "before",
    .compile = rb_pair_compile,
    .free_data = rb_pair_free,
    .start = before_start,
    .event = before_event,
    .interest = rb_pair_interest,
    .fields = rb_check_no_more_fields,
    .finish = before_finish,
    .stop = before_stop,
};
