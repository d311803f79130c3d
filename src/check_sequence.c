/*
 * check_sequence.c — `sequence: {field, contiguous: true, start?}`: per key,
 * each value of `field` is the previous plus one (SPEC §4).
 *
 * The first value of a key sets the start unless `start` is given.  A gap,
 * a duplicate (equal to the previous value) and a step backwards are one
 * finding each, and checking goes on from the new value; so is a selected
 * event whose field is missing or not an integer.  Message variables:
 * {prev} (the previous value; empty for a key's first event), {value},
 * {problem} (gap, duplicate, backwards or not-an-integer), and for a gap the
 * missing range {missing_from}..{missing_to}.
 *
 * State per key: the last value.
 */
#include "check_kind.h"

#include <stdlib.h>

#include "keymap.h"
#include "util.h"

typedef struct sequence_check {
    rb_jsonpath *field;
    bool has_start;
    int64_t start;
} sequence_check;

static rb_code sequence_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"field", "contiguous", "start", NULL};
    static const char *const required[] = {"field", "contiguous", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    if (!json_is_true(json_object_get(src->spec, "contiguous")))
        return rb_rule_error(&src->at, "contiguous", err,
                             "'contiguous' must be true (a sequence checks that values increase by one)");
    sequence_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    if ((rc = rb_check_field(src, "field", &c->field, err)))
        return rc;
    return rb_check_integer(rule, src, "start", &c->has_start, &c->start, err);
}

static void sequence_free(void *data)
{
    sequence_check *c = data;
    if (!c)
        return;
    rb_jsonpath_free(c->field);
    free(c);
}

static void *sequence_start(const rb_rule *rule)
{
    (void)rule;
    return rb_keymap_new(free);
}

static void sequence_stop(void *state)
{
    rb_keymap_free(state);
}

/* Reports a problem with value, which should have been `expected`. */
static void report(const rb_rule *rule, const json_t *key, const rb_event *ev, const int64_t *prev,
                   const json_t *value, int64_t expected, const char *problem, rb_run *run)
{
    json_t *vars = json_pack("{s:s, s:O}", "problem", problem, "value", value ? value : json_null());
    json_object_set_new(vars, "prev", prev ? json_integer(*prev) : json_string(""));
    if (json_is_integer(value) && json_integer_value(value) > expected) {
        json_object_set_new(vars, "missing_from", json_integer(expected));
        json_object_set_new(vars, "missing_to", json_integer(json_integer_value(value) - 1));
    }
    rb_run_report(run, rule, key, ev, NULL, 0, NULL, vars);
    json_decref(vars);
}

/* What is wrong with value where expected (the previous value plus one)
 * was due, or NULL. */
static const char *problem_of(int64_t value, int64_t expected)
{
    if (value > expected)
        return "gap";
    if (value == expected - 1)
        return "duplicate";
    return value < expected ? "backwards" : NULL;
}

/* Every event its `events:` select, for the numbers of its field. */
static void sequence_fields(const rb_rule *rule, json_t *names)
{
    rb_fields_of_path(((const sequence_check *)rule->check_data)->field, names);
}

static void sequence_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    const sequence_check *c = rule->check_data;
    rb_keymap *keys = state;
    const json_t *key = rb_rule_key_of(rule, ev->fields);
    int64_t *last = rb_keymap_get(keys, key);
    const json_t *value = rb_jsonpath_lookup(c->field, ev->fields);
    if (!json_is_integer(value)) {
        report(rule, key, ev, last, value, 0, "not-an-integer", run);
        return;
    }
    int64_t v = json_integer_value(value);
    /* before a key's first event, `start` plays the previous value's part */
    int64_t expected = last ? *last + 1 : c->has_start ? c->start : v;
    const char *problem = last ? problem_of(v, expected) : v > expected ? "gap" : v < expected ? "backwards" : NULL;
    if (problem)
        report(rule, key, ev, last, value, expected, problem, run);
    if (!last) {
        last = rb_xmalloc(sizeof *last);
        rb_keymap_put(keys, key, last);
    }
    *last = v;
}

const rb_check_kind rb_check_sequence = {
    .name = "sequence",
    .compile = sequence_compile,
    .free_data = sequence_free,
    .start = sequence_start,
    .event = sequence_event,
    .fields = sequence_fields,
    .stop = sequence_stop,
};
