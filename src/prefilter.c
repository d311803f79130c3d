/*
 * prefilter.c — the line prefilter of a ruleset (prefilter.h).
 *
 * Each rule that reads events contributes one alternative: groups of texts,
 * every group needing one of its texts in the line.  Rules with the same
 * needs (most of a pack's rules select the same `source:`) share one
 * alternative.
 */
#include "prefilter.h"

#include <stdlib.h>
#include <string.h>

#include "check_kind.h"
#include "util.h"

typedef struct text_group {
    char **texts;
    size_t *lens;
    size_t n;
} text_group;

typedef struct alternative {
    text_group *groups;
    size_t n;
} alternative;

struct rb_prefilter {
    alternative *alts;
    size_t n;
};

/* The needs of one rule's events (json array of groups; empty: none). */
static json_t *rule_needs(const rb_rule *rule)
{
    json_t *needs = rule->select ? rb_selector_needs(rule->select) : json_array();
    const rb_selector *filter = rule->check->event_filter ? rule->check->event_filter(rule) : NULL;
    if (filter) {
        json_t *more = rb_selector_needs(filter);
        json_array_extend(needs, more);
        json_decref(more);
    }
    return needs;
}

static alternative alternative_of(const json_t *needs)
{
    alternative a = {rb_xcalloc(json_array_size(needs), sizeof *a.groups), json_array_size(needs)};
    for (size_t g = 0; g < a.n; g++) {
        const json_t *group = json_array_get(needs, g);
        text_group *tg = &a.groups[g];
        tg->n = json_array_size(group);
        tg->texts = rb_xcalloc(tg->n, sizeof *tg->texts);
        tg->lens = rb_xcalloc(tg->n, sizeof *tg->lens);
        for (size_t t = 0; t < tg->n; t++) {
            const json_t *text = json_array_get(group, t);
            tg->texts[t] = rb_xstrdup(json_string_value(text));
            tg->lens[t] = json_string_length(text);
        }
    }
    return a;
}

/* Whether a rule reads events at all (document rules see none). */
static bool reads_events(const rb_rule *rule)
{
    return !rule->reads_documents && rule->check->event;
}

rb_prefilter *rb_prefilter_new(const rb_ruleset *rs)
{
    json_t *distinct = json_array();
    for (size_t r = 0; r < rs->n; r++) {
        if (!reads_events(rs->rules[r]))
            continue;
        json_t *needs = rule_needs(rs->rules[r]);
        if (!json_array_size(needs)) {
            json_decref(needs);
            json_decref(distinct);
            return NULL;
        }
        bool seen = false;
        for (size_t i = 0; i < json_array_size(distinct) && !seen; i++)
            seen = json_equal(json_array_get(distinct, i), needs);
        if (seen)
            json_decref(needs);
        else
            json_array_append_new(distinct, needs);
    }
    rb_prefilter *pf = rb_xcalloc(1, sizeof *pf);
    pf->n = json_array_size(distinct);
    pf->alts = rb_xcalloc(pf->n ? pf->n : 1, sizeof *pf->alts);
    for (size_t i = 0; i < pf->n; i++)
        pf->alts[i] = alternative_of(json_array_get(distinct, i));
    json_decref(distinct);
    return pf;
}

void rb_prefilter_free(rb_prefilter *pf)
{
    if (!pf)
        return;
    for (size_t i = 0; i < pf->n; i++) {
        for (size_t g = 0; g < pf->alts[i].n; g++) {
            text_group *tg = &pf->alts[i].groups[g];
            for (size_t t = 0; t < tg->n; t++)
                free(tg->texts[t]);
            free(tg->texts);
            free(tg->lens);
        }
        free(pf->alts[i].groups);
    }
    free(pf->alts);
    free(pf);
}

static bool group_holds(const text_group *tg, const char *line, size_t n)
{
    for (size_t t = 0; t < tg->n; t++)
        if (memmem(line, n, tg->texts[t], tg->lens[t]))
            return true;
    return false;
}

bool rb_prefilter_may_select(const rb_prefilter *pf, const char *line, size_t n)
{
    for (size_t i = 0; i < pf->n; i++) {
        const alternative *a = &pf->alts[i];
        size_t g = 0;
        while (g < a->n && group_holds(&a->groups[g], line, n))
            g++;
        if (g == a->n)
            return true;
    }
    return false;
}
