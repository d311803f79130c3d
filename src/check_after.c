/*
 * check_after.c — `after: {first, then, within?}`: every `first` must be
 * followed by a `then` of its key group (at most `within` after it).  A
 * first whose deadline is at or beyond the end of the evidence is pending,
 * not a finding (SPEC §4).
 *
 * State per key: the firsts still waiting.  A first leaves as soon as a
 * then answers it or, with `within`, as soon as an event of its key comes
 * after its deadline (it is then overdue for good); the rest are decided in
 * finish, when the end of the evidence is known.
 *
 * Events of unknown time (rb_event_has_time) sort before all others.  Under
 * `within` they take no part: such a first has no deadline, such a then
 * proves nothing in time.  Without it no window applies and they count,
 * wherever they may be: a then of unknown time answers every first of its
 * key, those after it in evidence order too (so the thens of unknown time
 * are kept per key), and a first of unknown time is answered by any then
 * of its key after it.
 */
#include "check_pair.h"

#include <stdlib.h>

#include "keymap.h"
#include "util.h"

typedef struct after_state {
    rb_keymap *firsts;  /* key -> rb_event_list of firsts waiting */
    rb_keymap *untimed; /* key -> rb_event_list of thens of unknown time
                           (only without `within`) */
} after_state;

static void *after_start(const rb_rule *rule)
{
    (void)rule;
    after_state *s = rb_xcalloc(1, sizeof *s);
    s->firsts = rb_keymap_new(rb_event_list_delete);
    s->untimed = rb_keymap_new(rb_event_list_delete);
    return s;
}

static void after_stop(void *state)
{
    after_state *s = state;
    rb_keymap_free(s->firsts);
    rb_keymap_free(s->untimed);
    free(s);
}

static void report_unanswered(const rb_rule *rule, const json_t *key, const rb_event *first, rb_run *run)
{
    rb_bindings b = {1, {"first"}, {first->fields}};
    rb_run_report(run, rule, key, first, NULL, 0, &b, NULL);
}

/* Reports the firsts whose deadline passed before ev: no later then can
 * answer them.  Under --now, a deadline at or after it stays pending. */
static void report_overdue(const rb_pair *p, const rb_rule *rule, const json_t *key,
                           rb_event_list *firsts, const rb_event *ev, rb_run *run)
{
    while (firsts->n) {
        int64_t deadline = firsts->items[0].ts + p->within;
        if (deadline >= ev->ts || (run->has_now && deadline >= run->now))
            return;
        report_unanswered(rule, key, &firsts->items[0], run);
        rb_event_list_remove(firsts, 0);
    }
}

static void answer(const rb_pair *p, rb_event_list *firsts, const rb_event *then)
{
    for (size_t i = firsts->n; i-- > 0;)
        if (rb_pair_matches(p, &firsts->items[i], then))
            rb_event_list_remove(firsts, i);
}

/* Whether a then of unknown time seen before answers this first. */
static bool answered_by_untimed(const rb_pair *p, const after_state *s, const json_t *key, const rb_event *first)
{
    const rb_event_list *thens = rb_keymap_get(s->untimed, key);
    for (size_t i = 0; thens && i < thens->n; i++)
        if (rb_pair_matches(p, first, &thens->items[i]))
            return true;
    return false;
}

static void after_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    const rb_pair *p = rule->check_data;
    after_state *s = state;
    if (p->has_within && !rb_event_has_time(ev))
        return;
    const json_t *key = rb_rule_key_of(rule, ev->fields);
    rb_event_list *firsts = rb_keymap_get(s->firsts, key);
    bool untimed = !rb_event_has_time(ev);
    bool then = (firsts || untimed) && rb_pair_is_then(p, ev);
    if (firsts) {
        if (p->has_within)
            report_overdue(p, rule, key, firsts, ev, run);
        /* an event that is both answers earlier firsts, not itself */
        if (then)
            answer(p, firsts, ev);
    }
    if (rb_selector_match(p->first, ev->fields) && !answered_by_untimed(p, s, key, ev)) {
        if (!firsts) {
            firsts = rb_xcalloc(1, sizeof *firsts);
            rb_keymap_put(s->firsts, key, firsts);
        }
        rb_event_list_push(firsts, rule, ev);
    } else if (firsts && !firsts->n) {
        rb_keymap_remove(s->firsts, key);
    }
    if (then && untimed) {
        rb_event_list *thens = rb_keymap_get(s->untimed, key);
        if (!thens) {
            thens = rb_xcalloc(1, sizeof *thens);
            rb_keymap_put(s->untimed, key, thens);
        }
        rb_event_list_push(thens, rule, ev);
    }
}

typedef struct finish_ctx {
    const rb_rule *rule;
    rb_run *run;
} finish_ctx;

static void finish_key(void *opaque, const json_t *key, void *value)
{
    finish_ctx *ctx = opaque;
    const rb_pair *p = ctx->rule->check_data;
    const rb_event_list *firsts = value;
    for (size_t i = 0; i < firsts->n; i++) {
        const rb_event *first = &firsts->items[i];
        if (p->has_within && (!ctx->run->has_end || first->ts + p->within >= ctx->run->end))
            ctx->run->pending++;
        else
            report_unanswered(ctx->rule, key, first, ctx->run);
    }
}

static void after_finish(void *state, const rb_rule *rule, rb_run *run)
{
    finish_ctx ctx = {rule, run};
    rb_keymap_each_sorted(((after_state *)state)->firsts, finish_key, &ctx);
}

const rb_check_kind rb_check_after = {
    .name = "after",
    .compile = rb_pair_compile,
    .free_data = rb_pair_free,
    .start = after_start,
    .event = after_event,
    .interest = rb_pair_interest,
    .fields = rb_check_no_more_fields,
    .finish = after_finish,
    .stop = after_stop,
};
