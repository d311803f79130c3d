/*
 * rule_index.c — rules filed by the event types they can want
 * (rule_index.h).
 */
#include "rule_index.h"

#include <stdlib.h>
#include <string.h>

#include "check_kind.h"
#include "util.h"

/* One rule as the index sees it. */
typedef struct indexed_rule {
    const rb_rule *rule;
    const rb_selector *interest[RB_MAX_INTEREST];
    size_t n_interest;  /* 0: every event its `events:` selects */
} indexed_rule;

/* Rule indices, ascending. */
typedef struct rule_list {
    size_t *items;
    size_t n;
} rule_list;

struct rb_rule_index {
    indexed_rule *rules;  /* one per rule of the ruleset */
    size_t n;
    rule_list any;        /* the event rules that want events of any type */
    json_t *by_type;      /* object: type -> index in lists */
    rule_list *lists;
    size_t n_lists;
};

static void list_add(rule_list *l, size_t r)
{
    l->items = rb_xrealloc(l->items, (l->n + 1) * sizeof *l->items);
    l->items[l->n++] = r;
}

/* The types a rule can want (new array), or NULL for any. */
static json_t *wanted_types(const indexed_rule *ir)
{
    json_t *of_events = ir->rule->select ? rb_selector_field_values(ir->rule->select, "type") : NULL;
    json_t *of_interest = ir->n_interest ? json_array() : NULL;
    for (size_t i = 0; i < ir->n_interest && of_interest; i++) {
        json_t *types = rb_selector_field_values(ir->interest[i], "type");
        if (types)
            json_array_extend(of_interest, types);
        else
            json_decref(of_interest), of_interest = NULL;
        json_decref(types);
    }
    if (!of_events || !of_interest) {
        json_decref(of_events);
        return of_interest ? of_interest : NULL;
    }
    json_t *both = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(of_interest, i, t) {
        size_t k;
        json_t *u;
        json_array_foreach(of_events, k, u)
            if (json_equal(t, u))
                json_array_append(both, t);
    }
    json_decref(of_events);
    json_decref(of_interest);
    return both;
}

/* Files rule r under each type it can want (a type named twice once). */
static void file_rule(rb_rule_index *ix, size_t r)
{
    json_t *types = wanted_types(&ix->rules[r]);
    if (!types) {
        list_add(&ix->any, r);
        return;
    }
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t) {
        const char *name = json_string_value(t);
        json_t *at = json_object_get(ix->by_type, name);
        size_t l = at ? (size_t)json_integer_value(at) : ix->n_lists;
        if (!at) {
            ix->lists = rb_xrealloc(ix->lists, (ix->n_lists + 1) * sizeof *ix->lists);
            ix->lists[ix->n_lists++] = (rule_list){NULL, 0};
            json_object_set_new(ix->by_type, name, json_integer((json_int_t)l));
        }
        if (!ix->lists[l].n || ix->lists[l].items[ix->lists[l].n - 1] != r)
            list_add(&ix->lists[l], r);
    }
    json_decref(types);
}

rb_rule_index *rb_rule_index_new(const rb_ruleset *rs)
{
    rb_rule_index *ix = rb_xcalloc(1, sizeof *ix);
    ix->n = rs->n;
    ix->rules = rb_xcalloc(rs->n ? rs->n : 1, sizeof *ix->rules);
    ix->by_type = json_object();
    for (size_t r = 0; r < rs->n; r++) {
        const rb_rule *rule = rs->rules[r];
        indexed_rule *ir = &ix->rules[r];
        ir->rule = rule;
        if (rule->reads_documents || !rule->check->event)
            continue;
        ir->n_interest = rb_rule_interest(rule, ir->interest);
        file_rule(ix, r);
    }
    return ix;
}

void rb_rule_index_free(rb_rule_index *ix)
{
    if (!ix)
        return;
    for (size_t l = 0; l < ix->n_lists; l++)
        free(ix->lists[l].items);
    free(ix->lists);
    free(ix->any.items);
    json_decref(ix->by_type);
    free(ix->rules);
    free(ix);
}

size_t rb_rule_index_candidates(const rb_rule_index *ix, const json_t *fields, size_t *out)
{
    const char *type = json_string_value(json_object_get(fields, "type"));
    json_t *at = type ? json_object_get(ix->by_type, type) : NULL;
    static const rule_list none = {NULL, 0};
    const rule_list *typed = at ? &ix->lists[json_integer_value(at)] : &none;
    /* the two lists are ascending: merge them */
    size_t i = 0, j = 0, n = 0;
    while (i < ix->any.n || j < typed->n) {
        if (j == typed->n || (i < ix->any.n && ix->any.items[i] < typed->items[j]))
            out[n++] = ix->any.items[i++];
        else
            out[n++] = typed->items[j++];
    }
    return n;
}

bool rb_rule_index_wants(const rb_rule_index *ix, size_t r, const json_t *fields)
{
    const indexed_rule *ir = &ix->rules[r];
    if (ir->rule->select && !rb_selector_match(ir->rule->select, fields))
        return false;
    if (!ir->n_interest)
        return true;
    for (size_t i = 0; i < ir->n_interest; i++)
        if (rb_selector_eval(ir->interest[i], fields, NULL) != RB_SEL_FALSE)
            return true;
    return false;
}
