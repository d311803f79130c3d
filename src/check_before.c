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
 */
#include "check_pair.h"

#include <stdlib.h>

#include "keymap.h"
#include "util.h"

static void *before_start(const rb_rule *rule)
{
    (void)rule;
    return rb_keymap_new(rb_event_list_delete);
}

static void before_stop(void *state)
{
    rb_keymap_free(state);
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

static void before_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    const rb_pair *p = rule->check_data;
    rb_keymap *keys = state;
    const json_t *key = rb_rule_key_of(rule, ev->fields);
    rb_event_list *firsts = rb_keymap_get(keys, key);
    if (firsts && p->has_within) {
        prune(p, firsts, ev);
        if (!firsts->n) {
            rb_keymap_remove(keys, key);
            firsts = NULL;
        }
    }
    /* an event that is both is checked as a then before it counts as a
     * first: it is never its own partner */
    if (rb_pair_is_then(p, ev) && !(firsts && has_partner(p, firsts, ev))) {
        rb_bindings b = {1, {"then"}, {ev->fields}};
        rb_run_report(run, rule, key, ev, NULL, 0, &b, NULL);
    }
    if (!rb_selector_match(p->first, ev->fields))
        return;
    if (!firsts) {
        firsts = rb_xcalloc(1, sizeof *firsts);
        rb_keymap_put(keys, key, firsts);
    }
    if (!p->correlated && firsts->n)
        rb_event_list_remove(firsts, 0);
    rb_event_list_push(firsts, ev);
}

const rb_check_kind rb_check_before = {
    .name = "before",
    .compile = rb_pair_compile,
    .free_data = rb_pair_free,
    .start = before_start,
    .event = before_event,
    .stop = before_stop,
};
