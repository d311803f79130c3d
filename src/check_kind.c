/*
 * check_kind.c — the table of check kinds (check_kind.h) and what every kind shares.
 */
#include "check_kind.h"

#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "timeutil.h"
#include "util.h"

static const rb_check_kind *const kinds[] = {
    &rb_check_match,
    &rb_check_document,
    &rb_check_before,
    &rb_check_after,
    &rb_check_between,
    &rb_check_sequence,
    &rb_check_concurrent,
    &rb_check_final,
    &rb_check_count,
    &rb_check_sql,
    &rb_check_changes,
    &rb_check_integrity,
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const rb_check_kind *rb_check_kind_find(const char *name)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

const rb_check_kind *rb_check_kind_of(const json_t *rule_spec, int *count)
{
    const rb_check_kind *found = NULL;
    *count = 0;
    for (size_t i = 0; i < N_KINDS; i++) {
        if (json_object_get(rule_spec, kinds[i]->name)) {
            if (!found)
                found = kinds[i];
            ++*count;
        }
    }
    return found;
}

const char *rb_check_kind_names(void)
{
    static char names[256];
    if (!names[0]) {
        for (size_t i = 0; i < N_KINDS; i++) {
            if (i)
                strcat(names, ", ");
            strcat(names, kinds[i]->name);
        }
    }
    return names;
}

void rb_run_emit(rb_run *run, rb_finding *f)
{
    /* a severity the check chose itself (a satisfied change) stands */
    if (f->rule && f->rule->n_severity_cases && f->severity == f->rule->severity)
        f->severity = rb_rule_severity_for(f->rule, json_array_get(f->evidence, 0));
    rb_finding_seal(f);
    rb_findings_add(run->findings, f);
}

void rb_rule_statuses_add(rb_rule_statuses *list, const rb_rule *rule, const rb_input *input,
                          rb_rule_outcome outcome, const char *reason)
{
    rb_grow((void **)&list->items, &list->cap, list->n + 1, sizeof *list->items);
    list->items[list->n++] = (rb_rule_status){rule, input, outcome, rb_xstrdup(reason)};
}

static int compare_statuses(const void *pa, const void *pb)
{
    const rb_rule_status *a = pa, *b = pb;
    int c = strcmp(a->rule->id, b->rule->id);
    if (c)
        return c;
    if (a->input->index != b->input->index)
        return a->input->index < b->input->index ? -1 : 1;
    return a->outcome != b->outcome ? (a->outcome < b->outcome ? -1 : 1) : strcmp(a->reason, b->reason);
}

void rb_rule_statuses_sort(rb_rule_statuses *list)
{
    if (list->n > 1)
        qsort(list->items, list->n, sizeof *list->items, compare_statuses);
}

size_t rb_rule_statuses_count_rules(const rb_rule_statuses *list, rb_rule_outcome outcome)
{
    size_t n = 0;
    for (size_t i = 0; i < list->n; i++) {
        if (list->items[i].outcome != outcome)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = list->items[j].outcome == outcome && list->items[j].rule == list->items[i].rule;
        n += !seen;
    }
    return n;
}

void rb_rule_statuses_clear(rb_rule_statuses *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i].reason);
    free(list->items);
    *list = (rb_rule_statuses){0};
}

void rb_run_not_applicable(rb_run *run, const rb_rule *rule, const rb_ledger *ledger, const char *reason)
{
    rb_rule_statuses_add(run->statuses, rule, ledger->input, RB_RULE_NOT_APPLICABLE, reason);
}

/* "a, b, c" of a NULL-terminated list. */
static void join_names(rb_buf *b, const char *const *list)
{
    rb_buf_puts(b, "");
    for (size_t i = 0; list && list[i]; i++)
        rb_buf_printf(b, "%s%s", i ? ", " : "", list[i]);
}

rb_code rb_check_keys(const rb_check_src *src, const char *const *allowed,
                      const char *const *required, rb_error *err)
{
    rb_buf names = {0};
    join_names(&names, allowed);
    rb_code rc = RB_OK;
    if (!json_is_object(src->spec)) {
        rc = rb_rule_error(&src->at, NULL, err, "the check must be a mapping (expected keys: %s)",
                           names.data);
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src->spec, key, v) {
        if (!rb_str_in_list(key, allowed)) {
            rc = rb_rule_error(&src->at, key, err, "unknown key '%s' in the check (expected one of: %s)",
                               key, names.data);
            goto done;
        }
    }
    for (size_t i = 0; required && required[i]; i++)
        if (!json_object_get(src->spec, required[i])) {
            rc = rb_rule_error(&src->at, NULL, err, "the check has no '%s' (it needs: %s)", required[i],
                               names.data);
            goto done;
        }
done:
    rb_buf_free(&names);
    return rc;
}

rb_code rb_check_selector(const rb_rule *rule, const rb_check_src *src, const char *name,
                          bool required, const char *const *refs, rb_selector **out,
                          rb_error *err)
{
    *out = NULL;
    const json_t *spec = json_object_get(src->spec, name);
    if (!spec)
        return required ? rb_rule_error(&src->at, NULL, err, "the check has no '%s' (expected a selector)",
                                        name)
                        : RB_OK;
    char *path = rb_jsonpath_child_key(src->at.path, name);
    rb_sel_env env = rb_rule_sel_env(rule, src->at.lines, refs);
    rb_code rc = rb_selector_compile(spec, path, &env, out, err);
    free(path);
    return rc;
}

/* A value that is exactly "{param}" stands for the parameter's value. */
static rb_code resolve_param(const rb_rule *rule, const rb_check_src *src, const char *name,
                             const json_t **v, rb_error *err)
{
    char *param = json_is_string(*v) ? rb_template_single_ref(json_string_value(*v)) : NULL;
    if (!param)
        return RB_OK;
    *v = json_object_get(rule->params, param);
    if (!*v)
        rb_rule_error(&src->at, name, err, "'%s' refers to an unknown parameter '{%s}'", name, param);
    free(param);
    return *v ? RB_OK : RB_ERULE;
}

rb_code rb_check_value(const rb_rule *rule, const rb_check_src *src, const char *name, bool *has,
                            const json_t **v, rb_error *err)
{
    *v = json_object_get(src->spec, name);
    *has = *v != NULL;
    return *v ? resolve_param(rule, src, name, v, err) : RB_OK;
}

rb_code rb_check_duration(const rb_rule *rule, const rb_check_src *src, const char *name,
                          bool *has, int64_t *us, rb_error *err)
{
    const json_t *v;
    *us = 0;
    rb_code rc = rb_check_value(rule, src, name, has, &v, err);
    if (rc || !v)
        return rc;
    if (!json_is_string(v) || !rb_duration_parse(json_string_value(v), us) || *us < 0)
        return rb_rule_error(&src->at, name, err,
                             "'%s' is not a duration (expected e.g. 30s, 10m, 2h, 14d, or a {param} "
                             "holding one)",
                             name);
    return RB_OK;
}

rb_code rb_check_field(const rb_check_src *src, const char *name, rb_jsonpath **out, rb_error *err)
{
    const json_t *v = json_object_get(src->spec, name);
    *out = json_is_string(v) ? rb_jsonpath_compile(json_string_value(v)) : NULL;
    if (!*out)
        return rb_rule_error(&src->at, v ? name : NULL, err,
                             "'%s' must be a dotted field name (e.g. seq, detail.count)", name);
    return RB_OK;
}

void rb_run_report(rb_run *run, const rb_rule *rule, const json_t *key, const rb_event *primary,
                   const rb_event *const *partners, size_t n, const rb_bindings *b, const json_t *vars)
{
    rb_finding *f = rb_finding_for_rule(rule);
    rb_finding_set_key(f, key);
    if (primary)
        rb_finding_add_event(f, primary);
    for (size_t i = 0; i < n; i++)
        if (partners[i])
            rb_finding_add_evidence(f, partners[i]); /* proves it, does not place it */
    rb_message_ctx ctx = {primary ? primary->fields : NULL, b, vars};
    rb_finding_render(f, &ctx);
    rb_run_emit(run, f);
}

/* The members of fields the rule reads, sharing their values. */
static json_t *project(const rb_rule *rule, const json_t *fields)
{
    json_t *part = json_object();
    for (size_t i = 0; i < rule->n_members; i++) {
        json_t *value = json_object_get(fields, rule->members[i]);
        if (value)
            json_object_set(part, rule->members[i], value);
    }
    return part;
}

rb_event rb_event_keep(const rb_rule *rule, const rb_event *ev)
{
    rb_event kept = *ev;
    /* An event read in part is read whole again from its text when a
     * finding shows it (rb_event_whole), so a kept copy needs no more than
     * the rule reads: the members of other rules, often nested objects, are
     * most of a kept event's memory.  An event read whole (no text) keeps
     * everything, which keeps the reference path a plain oracle. */
    kept.fields = ev->text && rule->members ? project(rule, ev->fields) : json_incref(ev->fields);
    kept.text_owned = false;
    rb_event_own_text(&kept);
    return kept;
}

rb_event rb_event_keep_place(const rb_event *ev)
{
    rb_event kept = *ev;
    kept.fields = ev->text ? NULL : json_incref(ev->fields);
    kept.text_owned = false;
    rb_event_own_text(&kept);
    return kept;
}

void rb_event_release(rb_event *ev)
{
    rb_event_clear(ev);
}

void rb_event_list_push(rb_event_list *list, const rb_rule *rule, const rb_event *ev)
{
    /* Most lists hold one event all their life (the one first a key waits
     * with), and a busy log has a list for each of many keys: a list
     * starts with room for one, not rb_grow's eight. */
    if (list->n == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 1;
        list->items = rb_xrealloc(list->items, list->cap * sizeof *list->items);
    }
    list->items[list->n++] = rb_event_keep(rule, ev);
}

void rb_event_list_remove(rb_event_list *list, size_t i)
{
    rb_event_release(&list->items[i]);
    memmove(&list->items[i], &list->items[i + 1], (list->n - i - 1) * sizeof *list->items);
    list->n--;
}

void rb_event_list_free(rb_event_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        rb_event_release(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

rb_code rb_check_integer(const rb_rule *rule, const rb_check_src *src, const char *name,
                         bool *has, int64_t *value, rb_error *err)
{
    const json_t *v;
    *value = 0;
    rb_code rc = rb_check_value(rule, src, name, has, &v, err);
    if (rc || !v)
        return rc;
    if (!json_is_integer(v))
        return rb_rule_error(&src->at, name, err, "'%s' must be an integer (or a {param} holding one)", name);
    *value = json_integer_value(v);
    return RB_OK;
}

void rb_event_list_delete(void *list)
{
    rb_event_list_free(list);
    free(list);
}

size_t rb_rule_interest(const rb_rule *rule, const rb_selector **out)
{
    size_t n = rule->check->interest ? rule->check->interest(rule, out, RB_MAX_INTEREST) : 0;
    return n > RB_MAX_INTEREST ? 0 : n;
}

void rb_check_no_more_fields(const rb_rule *rule, json_t *names)
{
    (void)rule, (void)names;
}

void rb_fields_of_path(const rb_jsonpath *path, json_t *names)
{
    const char *head = path ? rb_jsonpath_head(path) : NULL;
    if (head)
        json_object_set_new(names, head, json_true());
}

bool rb_rule_members(const rb_rule *rule, json_t *names)
{
    if (!rule->check->fields)
        return false;
    rule->check->fields(rule, names);
    const rb_selector *interest[RB_MAX_INTEREST];
    size_t n = rb_rule_interest(rule, interest);
    for (size_t i = 0; i < n; i++)
        rb_selector_fields(interest[i], names);
    if (rule->select)
        rb_selector_fields(rule->select, names);
    for (size_t i = 0; i < rule->n_severity_cases; i++)
        rb_selector_fields(rule->severity_cases[i].when, names);
    const char *key = rb_jsonpath_head(rule->key);
    if (key)
        json_object_set_new(names, key, json_true());
    if (rule->message)
        rb_selector_names_refs(rule->message, names);
    return true;
}
