/*
 * check_concurrent.c — `concurrent: {start, stop, id?, max?, min?}`: the
 * number of open intervals per group stays within [min, max] (SPEC §4).
 *
 * An interval opens at a `start` and closes at the next `stop` with the
 * same `id` value (default: the rule's key); a second start of an open id
 * and a stop of a closed one are ignored.  Open intervals are counted per
 * value of the rule-level `group:` field (default: the rule's key), which
 * keys the findings.  `max` is checked after every start, `min` after every
 * stop (without the interval just closed); each breach is one finding.
 * Message variables: {count}, {max}, {min}, {group}.
 *
 * State: the group of each open id, and the count of each group with open
 * intervals.
 */
#include "check_kind.h"

#include <stdlib.h>

#include "keymap.h"
#include "util.h"

typedef struct concurrent_check {
    rb_selector *start, *stop;
    rb_jsonpath *id;      /* NULL: the rule's key */
    rb_jsonpath *group;   /* NULL: the rule's key */
    bool has_max, has_min;
    int64_t max, min;
} concurrent_check;

typedef struct concurrent_state {
    rb_keymap *open;     /* id -> json_t group value */
    rb_keymap *counts;   /* group -> int64_t */
} concurrent_state;

static rb_code read_group(const rb_check_src *src, concurrent_check *c, rb_error *err)
{
    const json_t *group = json_object_get(src->rule_spec, "group");
    if (!group)
        return RB_OK;
    c->group = json_is_string(group) ? rb_jsonpath_compile(json_string_value(group)) : NULL;
    return c->group ? RB_OK
                    : rb_rule_error(&src->rule_at, "group", err,
                                    "'group' must be a dotted field name (e.g. pool, detail.region)");
}

static rb_code concurrent_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"start", "stop", "id", "max", "min", NULL};
    static const char *const required[] = {"start", "stop", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    concurrent_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    if ((rc = rb_check_selector(rule, src, "start", true, NULL, &c->start, err)) ||
        (rc = rb_check_selector(rule, src, "stop", true, NULL, &c->stop, err)) ||
        (rc = rb_check_integer(rule, src, "max", &c->has_max, &c->max, err)) ||
        (rc = rb_check_integer(rule, src, "min", &c->has_min, &c->min, err)) ||
        (rc = read_group(src, c, err)))
        return rc;
    if (json_object_get(src->spec, "id") && (rc = rb_check_field(src, "id", &c->id, err)))
        return rc;
    if (!c->has_max && !c->has_min)
        return rb_rule_error(&src->at, NULL, err, "the check needs 'max', 'min' or both");
    if (c->has_max && c->has_min && c->max < c->min)
        return rb_rule_error(&src->at, "max", err, "'max' is below 'min'");
    return RB_OK;
}

static void concurrent_free(void *data)
{
    concurrent_check *c = data;
    if (!c)
        return;
    rb_selector_free(c->start);
    rb_selector_free(c->stop);
    rb_jsonpath_free(c->id);
    rb_jsonpath_free(c->group);
    free(c);
}

static void release_json(void *value)
{
    json_decref(value);
}

static void *concurrent_start(const rb_rule *rule)
{
    (void)rule;
    concurrent_state *s = rb_xcalloc(1, sizeof *s);
    s->open = rb_keymap_new(release_json);
    s->counts = rb_keymap_new(free);
    return s;
}

static void concurrent_stop(void *state)
{
    concurrent_state *s = state;
    rb_keymap_free(s->open);
    rb_keymap_free(s->counts);
    free(s);
}

static const json_t *field_or_key(const rb_rule *rule, const rb_jsonpath *path, const json_t *fields)
{
    return path ? rb_jsonpath_lookup(path, fields) : rb_rule_key_of(rule, fields);
}

static void report_breach(const rb_rule *rule, const concurrent_check *c, const json_t *group, int64_t count,
                          const rb_event *ev, rb_run *run)
{
    json_t *vars = json_pack("{s:I}", "count", (json_int_t)count);
    json_object_set_new(vars, "group", group ? json_incref((json_t *)group) : json_null());
    if (c->has_max)
        json_object_set_new(vars, "max", json_integer(c->max));
    if (c->has_min)
        json_object_set_new(vars, "min", json_integer(c->min));
    rb_run_report(run, rule, group, ev, NULL, 0, NULL, vars);
    json_decref(vars);
}

/* Adds delta to the group's count and returns the new count; a group with
 * nothing open is forgotten. */
static int64_t add_to_group(concurrent_state *s, const json_t *group, int64_t delta)
{
    int64_t *count = rb_keymap_get(s->counts, group);
    if (!count) {
        count = rb_xcalloc(1, sizeof *count);
        rb_keymap_put(s->counts, group, count);
    }
    int64_t now = *count += delta;
    if (now <= 0)
        rb_keymap_remove(s->counts, group);
    return now;
}

/* Intervals open at a start and close at a stop. */
static size_t concurrent_interest(const rb_rule *rule, const rb_selector **out, size_t max)
{
    const concurrent_check *c = rule->check_data;
    const rb_selector *two[] = {c->start, c->stop};
    for (size_t i = 0; i < 2 && i < max; i++)
        out[i] = two[i];
    return 2;
}

/* An interval's id and group. */
static void concurrent_fields(const rb_rule *rule, json_t *names)
{
    const concurrent_check *c = rule->check_data;
    rb_fields_of_path(c->id, names);
    rb_fields_of_path(c->group, names);
}

static void concurrent_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    const concurrent_check *c = rule->check_data;
    concurrent_state *s = state;
    const json_t *id = field_or_key(rule, c->id, ev->fields);
    json_t *open_group = rb_keymap_get(s->open, id);
    if (open_group && rb_selector_match(c->stop, ev->fields)) {
        json_t *group = json_incref(open_group);
        rb_keymap_remove(s->open, id);
        int64_t count = add_to_group(s, json_is_null(group) ? NULL : group, -1);
        if (c->has_min && count < c->min)
            report_breach(rule, c, json_is_null(group) ? NULL : group, count, ev, run);
        json_decref(group);
    } else if (!open_group && rb_selector_match(c->start, ev->fields)) {
        const json_t *group = field_or_key(rule, c->group, ev->fields);
        rb_keymap_put(s->open, id, group ? json_incref((json_t *)group) : json_null());
        int64_t count = add_to_group(s, group, 1);
        if (c->has_max && count > c->max)
            report_breach(rule, c, group, count, ev, run);
    }
}

static const char *const concurrent_rule_keys[] = {"group", NULL};

const rb_check_kind rb_check_concurrent = {
    .name = "concurrent",
    .rule_keys = concurrent_rule_keys,
    .compile = concurrent_compile,
    .free_data = concurrent_free,
    .start = concurrent_start,
    .event = concurrent_event,
    .interest = concurrent_interest,
    .fields = concurrent_fields,
    .stop = concurrent_stop,
};
