/*
 * check_final.c — `final: {field, in: [...], select?, required?}`: the last
 * event of each selected key group must leave `field` in the set (SPEC §4).
 *
 * `select` picks the keys that are checked (a key with any event matching
 * it; default every key); the last event is the last of the rule's events
 * for the key, whether or not it matches `select`.  One finding per key, at
 * its last event, decided when the evidence ends.  With `required: true`,
 * no checked key at all is one finding without a key.  Message variables:
 * {value} (the last value; empty when missing), {allowed}.
 *
 * State per key: the value of `field` in its last event, where that event
 * is (its text, to show it whole if the key fails), and whether the key is
 * selected.  A busy log has as many keys as messages: what a key holds is
 * most of the memory of a run.
 */
#include "check_kind.h"

#include <stdlib.h>

#include "keymap.h"
#include "template.h"
#include "util.h"

typedef struct final_check {
    rb_jsonpath *field;
    json_t *allowed;       /* the `in` list */
    rb_selector *select;   /* may be NULL */
    bool required;
} final_check;

typedef struct key_last {
    json_t *value;   /* of `field` in the last event; NULL when missing */
    rb_event last;   /* kept: its place (rb_event_keep_place) */
    bool selected;
} key_last;

static rb_code final_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"field", "in", "select", "required", NULL};
    static const char *const required[] = {"field", "in", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    final_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    const json_t *in = json_object_get(src->spec, "in");
    if (!json_is_array(in) || !json_array_size(in))
        return rb_rule_error(&src->at, "in", err, "'in' must be a non-empty list of allowed final values");
    c->allowed = json_incref((json_t *)in);
    const json_t *req = json_object_get(src->spec, "required");
    if (req && !json_is_boolean(req))
        return rb_rule_error(&src->at, "required", err, "'required' must be true or false");
    c->required = json_is_true(req);
    if ((rc = rb_check_field(src, "field", &c->field, err)))
        return rc;
    return rb_check_selector(rule, src, "select", false, NULL, &c->select, err);
}

static void final_free(void *data)
{
    final_check *c = data;
    if (!c)
        return;
    rb_jsonpath_free(c->field);
    json_decref(c->allowed);
    rb_selector_free(c->select);
    free(c);
}

static void key_last_free(void *data)
{
    key_last *k = data;
    json_decref(k->value);
    rb_event_release(&k->last);
    free(k);
}

static void *final_start(const rb_rule *rule)
{
    (void)rule;
    return rb_keymap_new(key_last_free);
}

static void final_stop(void *state)
{
    rb_keymap_free(state);
}

/* The last event of each key: its field, and whether its key's events
 * met `select`. */
static void final_fields(const rb_rule *rule, json_t *names)
{
    const final_check *c = rule->check_data;
    rb_fields_of_path(c->field, names);
    if (c->select)
        rb_selector_fields(c->select, names);
}

static void final_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    (void)run;
    const final_check *c = rule->check_data;
    const json_t *key = rb_rule_key_of(rule, ev->fields);
    key_last *k = rb_keymap_get(state, key);
    if (!k) {
        k = rb_xcalloc(1, sizeof *k);
        rb_keymap_put(state, key, k);
    } else {
        json_decref(k->value);
        rb_event_release(&k->last);
    }
    k->value = json_incref((json_t *)rb_jsonpath_lookup(c->field, ev->fields));
    k->last = rb_event_keep_place(ev);
    k->selected = k->selected || !c->select || rb_selector_match(c->select, ev->fields);
}

static bool allowed(const json_t *list, const json_t *value)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
        if (value && json_equal(item, (json_t *)value))
            return true;
    return false;
}

typedef struct finish_ctx {
    const rb_rule *rule;
    rb_run *run;
    size_t checked;
} finish_ctx;

static void finish_key(void *opaque, const json_t *key, void *value)
{
    finish_ctx *ctx = opaque;
    const final_check *c = ctx->rule->check_data;
    const key_last *k = value;
    if (!k->selected)
        return;
    ctx->checked++;
    const json_t *last = k->value;
    if (allowed(c->allowed, last))
        return;
    rb_buf text = {0};
    rb_template_append_value(&text, c->allowed);
    json_t *vars = json_pack("{s:s}", "allowed", text.data);
    json_object_set_new(vars, "value", last ? json_incref((json_t *)last) : json_string(""));
    rb_event shown = k->last;
    shown.fields = rb_event_whole(&k->last);
    rb_run_report(ctx->run, ctx->rule, key, &shown, NULL, 0, NULL, vars);
    json_decref(shown.fields);
    json_decref(vars);
    rb_buf_free(&text);
}

static void final_finish(void *state, const rb_rule *rule, rb_run *run)
{
    const final_check *c = rule->check_data;
    finish_ctx ctx = {rule, run, 0};
    rb_keymap_each_sorted(state, finish_key, &ctx);
    if (c->required && !ctx.checked)
        rb_run_report(run, rule, NULL, NULL, NULL, 0, NULL, NULL);
}

const rb_check_kind rb_check_final = {
    .name = "final",
    .compile = final_compile,
    .free_data = final_free,
    .start = final_start,
    .event = final_event,
    .fields = final_fields,
    .finish = final_finish,
    .stop = final_stop,
};
