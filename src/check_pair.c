/*
 * check_pair.c — the `first`/`then` pair shared by `before` and `after`
 * (check_pair.h).
 */
#include "check_pair.h"

#include <stdlib.h>

#include "util.h"

static const char *const pair_refs[] = {"first", NULL};

rb_code rb_pair_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"first", "then", "within", NULL};
    static const char *const required[] = {"first", "then", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    rb_pair *p = rb_xcalloc(1, sizeof *p);
    rule->check_data = p;
    if ((rc = rb_check_selector(rule, src, "first", true, NULL, &p->first, err)) ||
        (rc = rb_check_selector(rule, src, "then", true, pair_refs, &p->then, err)) ||
        (rc = rb_check_duration(rule, src, "within", &p->has_within, &p->within, err)))
        return rc;
    p->correlated = rb_selector_refers(p->then, "first");
    return RB_OK;
}

void rb_pair_free(void *pair)
{
    rb_pair *p = pair;
    if (!p)
        return;
    rb_selector_free(p->first);
    rb_selector_free(p->then);
    free(p);
}

size_t rb_pair_interest(const rb_rule *rule, const rb_selector **out, size_t max)
{
    const rb_pair *p = rule->check_data;
    const rb_selector *both[] = {p->first, p->then};
    for (size_t i = 0; i < 2 && i < max; i++)
        out[i] = both[i];
    return 2;
}

bool rb_pair_is_then(const rb_pair *p, const rb_event *ev)
{
    return rb_selector_eval(p->then, ev->fields, NULL) != RB_SEL_FALSE;
}

bool rb_pair_matches(const rb_pair *p, const rb_event *first, const rb_event *then)
{
    if (p->has_within && then->ts - first->ts > p->within)
        return false;
    if (!p->correlated)
        return true;
    rb_bindings b = {1, {"first"}, {first->fields}};
    return rb_selector_eval(p->then, then->fields, &b) == RB_SEL_TRUE;
}
