/*
 * plan_build.c — the plan of a ruleset (plan_build.h).
 *
 * Every rule that reads events adds alternatives to the plan: the needs of
 * its `events:` joined to those of each selector of its interest (or
 * alone, for a check interested in every event).  Rules with the same
 * needs (most of a pack's rules select the same `source:`) share one
 * alternative.  One alternative that needs nothing makes every line
 * matter.  And every rule adds the members it reads: those of its
 * selectors, its key, its message's references, its check's own fields
 * (check_kind.h, fields); a check that cannot say makes every member
 * matter.
 */
#include "plan_build.h"

#include <stdlib.h>
#include <string.h>

#include "check_kind.h"
#include "util.h"

/* Whether a rule reads events at all (document rules see none). */
static bool reads_events(const rb_rule *rule)
{
    return !rule->reads_documents && rule->check->event;
}

/* Appends to `alts` (distinct arrays of groups) the needs of one rule;
 * false when an alternative needs nothing. */
static bool add_rule_needs(const rb_rule *rule, json_t *alts)
{
    const rb_selector *interest[RB_MAX_INTEREST];
    size_t n = rb_rule_interest(rule, interest);
    for (size_t i = 0; i < (n ? n : 1); i++) {
        json_t *needs = rule->select ? rb_selector_needs(rule->select) : json_array();
        if (n) {
            json_t *more = rb_selector_needs(interest[i]);
            json_array_extend(needs, more);
            json_decref(more);
        }
        if (!json_array_size(needs)) {
            json_decref(needs);
            return false;
        }
        bool seen = false;
        for (size_t k = 0; k < json_array_size(alts) && !seen; k++)
            seen = json_equal(json_array_get(alts, k), needs);
        if (seen)
            json_decref(needs);
        else
            json_array_append_new(alts, needs);
    }
    return true;
}

static rb_plan_alt alternative_of(const json_t *needs)
{
    rb_plan_alt a = {rb_xcalloc(json_array_size(needs), sizeof *a.groups), json_array_size(needs)};
    for (size_t g = 0; g < a.n; g++) {
        const json_t *texts = json_array_get(needs, g);
        rb_plan_group *group = &a.groups[g];
        group->n = json_array_size(texts);
        group->texts = rb_xcalloc(group->n, sizeof *group->texts);
        group->lens = rb_xcalloc(group->n, sizeof *group->lens);
        for (size_t t = 0; t < group->n; t++) {
            const json_t *text = json_array_get(texts, t);
            group->texts[t] = rb_xstrdup(json_string_value(text));
            group->lens[t] = json_string_length(text);
        }
    }
    return a;
}

/* The plan's members in strcmp order, from a set. */
static void set_members(rb_plan *plan, const json_t *set)
{
    size_t n;
    const char **keys = rb_json_sorted_keys(set, &n);
    plan->members = rb_xcalloc(n ? n : 1, sizeof *plan->members);
    for (size_t i = 0; i < n; i++)
        plan->members[i] = rb_xstrdup(keys[i]);
    plan->n_members = n;
    free(keys);
}

rb_plan *rb_plan_build(const rb_ruleset *rs)
{
    rb_plan *plan = rb_xcalloc(1, sizeof *plan);
    json_t *alts = json_array(), *members = json_pack("{s:b, s:b, s:b}", "ts", 1, "type", 1, "seq", 1);
    for (size_t r = 0; r < rs->n; r++) {
        const rb_rule *rule = rs->rules[r];
        if (!reads_events(rule))
            continue;
        plan->every_line |= !add_rule_needs(rule, alts);
        plan->every_member |= !rb_rule_members(rule, members);
    }
    plan->n_alts = plan->every_line ? 0 : json_array_size(alts);
    plan->alts = rb_xcalloc(plan->n_alts ? plan->n_alts : 1, sizeof *plan->alts);
    for (size_t i = 0; i < plan->n_alts; i++)
        plan->alts[i] = alternative_of(json_array_get(alts, i));
    if (!plan->every_member)
        set_members(plan, members);
    json_decref(alts);
    json_decref(members);
    return plan;
}
