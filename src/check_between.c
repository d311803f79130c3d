/*
 * check_between.c — `between: {from, to, need}`: between a `from` and the
 * next `to` of the same key a `need` must occur (SPEC §4).
 *
 * A window opens at a from and closes at the next to; a need strictly
 * inside it (by evidence order) satisfies it; a to whose window holds no
 * need is one finding; a to with no open window is not checked, and a
 * second from inside an open window does not restart it.  `need` may name
 * "{from.FIELD}" (correlation with the from that opened the window).
 *
 * A window between a from and a to is a span of time, so an event of
 * unknown time (rb_event_has_time) takes no part in one: it neither opens
 * nor closes a window, and as a need it cannot show it came inside.
 *
 * State per key: the open window only (its from and whether it is
 * satisfied); a key with no open window holds nothing.
 */
#include "check_kind.h"

#include <stdlib.h>

#include "keymap.h"
#include "util.h"

typedef struct between_check {
    rb_selector *from, *to, *need;
} between_check;

typedef struct window {
    rb_event from;   /* kept */
    bool satisfied;
} window;

static const char *const from_refs[] = {"from", NULL};

static rb_code between_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"from", "to", "need", NULL};
    rb_code rc = rb_check_keys(src, keys, keys, err);
    if (rc)
        return rc;
    between_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    if ((rc = rb_check_selector(rule, src, "from", true, NULL, &c->from, err)) ||
        (rc = rb_check_selector(rule, src, "to", true, NULL, &c->to, err)))
        return rc;
    return rb_check_selector(rule, src, "need", true, from_refs, &c->need, err);
}

/* A window opens at a from, closes at a to, and is kept by a need. */
static size_t between_interest(const rb_rule *rule, const rb_selector **out, size_t max)
{
    const between_check *c = rule->check_data;
    const rb_selector *three[] = {c->from, c->to, c->need};
    for (size_t i = 0; i < 3 && i < max; i++)
        out[i] = three[i];
    return 3;
}

static void between_free(void *data)
{
    between_check *c = data;
    if (!c)
        return;
    rb_selector_free(c->from);
    rb_selector_free(c->to);
    rb_selector_free(c->need);
    free(c);
}

static void window_free(void *data)
{
    window *w = data;
    rb_event_release(&w->from);
    free(w);
}

static void *between_start(const rb_rule *rule)
{
    (void)rule;
    return rb_keymap_new(window_free);
}

static void between_stop(void *state)
{
    rb_keymap_free(state);
}

static void close_window(const rb_rule *rule, rb_keymap *keys, const json_t *key, window *w,
                         const rb_event *to, rb_run *run)
{
    if (!w->satisfied) {
        rb_bindings b = {2, {"from", "to"}, {w->from.fields, to->fields}};
        const rb_event *partners[] = {&w->from};
        rb_run_report(run, rule, key, to, partners, 1, &b, NULL);
    }
    rb_keymap_remove(keys, key);
}

static void between_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    const between_check *c = rule->check_data;
    rb_keymap *keys = state;
    if (!rb_event_has_time(ev))
        return;
    const json_t *key = rb_rule_key_of(rule, ev->fields);
    window *w = rb_keymap_get(keys, key);
    /* the to closes the window before anything else, so neither it nor a
     * need on the same event counts as inside */
    if (w && rb_selector_match(c->to, ev->fields)) {
        close_window(rule, keys, key, w, ev, run);
        w = NULL;
    }
    if (w && !w->satisfied) {
        rb_bindings b = {1, {"from"}, {w->from.fields}};
        w->satisfied = rb_selector_eval(c->need, ev->fields, &b) == RB_SEL_TRUE;
    }
    if (!w && rb_selector_match(c->from, ev->fields)) {
        w = rb_xcalloc(1, sizeof *w);
        w->from = rb_event_keep(rule, ev);
        rb_keymap_put(keys, key, w);
    }
}

const rb_check_kind rb_check_between = {
    .name = "between",
    .compile = between_compile,
    .free_data = between_free,
    .start = between_start,
    .event = between_event,
    .interest = between_interest,
    .fields = rb_check_no_more_fields,
    .stop = between_stop,
};
