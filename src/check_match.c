/*
 * check_match.c — `match: SEL`: every selected event (or document) that the
 * selector matches is a forbidden one, and a finding (SPEC §4).
 */
#include "check_kind.h"

static rb_code match_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    rb_sel_env env = rb_rule_sel_env(rule, src->at.lines, NULL);
    return rb_selector_compile(src->spec, src->at.path, &env, (rb_selector **)&rule->check_data, err);
}

static void match_free(void *data)
{
    rb_selector_free(data);
}

static void match_event(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run)
{
    if (!rb_selector_match(rule->check_data, ev->fields))
        return;
    rb_finding *f = rb_finding_for_rule(rule);
    rb_finding_set_key(f, rb_rule_key_of(rule, ev->fields));
    rb_finding_add_event(f, ev);
    rb_message_ctx ctx = {ev->fields, NULL, NULL};
    rb_finding_render(f, &ctx);
    rb_run_emit(run, f);
}

/* A document finding is keyed by the document's path (SPEC §4, document). */
static void match_document(void *state, const rb_rule *rule, const rb_document *doc, rb_run *run)
{
    if (!rb_selector_match(rule->check_data, doc->value))
        return;
    rb_finding *f = rb_finding_for_rule(rule);
    rb_finding_set_key(f, json_object_get(doc->meta, "path"));
    rb_finding_add_origin(f, doc->origin);
    json_array_append(f->evidence, doc->meta);
    rb_message_ctx ctx = {doc->value, NULL, NULL};
    rb_finding_render(f, &ctx);
    rb_run_emit(run, f);
}

/* Only the events the selector matches make findings. */
static size_t match_interest(const rb_rule *rule, const rb_selector **out, size_t max)
{
    if (max)
        out[0] = rule->check_data;
    return 1;
}

const rb_check_kind rb_check_match = {
    .name = "match",
    .compile = match_compile,
    .free_data = match_free,
    .event = match_event,
    .document = match_document,
    .interest = match_interest,
    .fields = rb_check_no_more_fields,
};
