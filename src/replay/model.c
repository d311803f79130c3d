/*
 * model.c — reading replay model files into components and compiled
 * wiring (model.h), with every reference checked when the model loads so
 * that a run never meets a dangling name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pack.h"
#include "replay/model.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"
#include "yaml_load.h"

/* Model files larger than this are refused (models are hand-written). */
#define MAX_MODEL_BYTES (4u << 20)

/* What compiling one model needs at hand. */
typedef struct model_ctx {
    rp_model *m;
    rb_error *err;
} model_ctx;

static rb_code model_error(const model_ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static rb_code model_error(const model_ctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rb_code rc = rb_error_at_vpath(c->err, RB_ERULE, c->m->path, c->m->lines, path, fmt, ap);
    va_end(ap);
    return rc;
}

const char *rp_models_dir(void)
{
    static char dir[4096 + 32];
    if (!dir[0])
        snprintf(dir, sizeof dir, "%s/replay/models", rb_data_dir());
    return dir;
}

static void value_free(rp_value *v)
{
    json_decref(v->literal);
    rb_jsonpath_free(v->ref);
    free(v->tpl);
}

static void steps_free(rp_steps *s);

static void step_free(rp_step *st)
{
    rb_selector_free(st->when);
    for (size_t i = 0; i < st->n_values; i++) {
        free(st->names[i]);
        value_free(&st->values[i]);
    }
    free(st->names);
    free(st->values);
    for (size_t i = 0; i < st->n_branches; i++) {
        free(st->branches[i].outcome);
        steps_free(&st->branches[i].steps);
    }
    free(st->branches);
    free(st->type);
}

static void steps_free(rp_steps *s)
{
    for (size_t i = 0; i < s->n; i++)
        step_free(&s->items[i]);
    free(s->items);
}

static void handlers_free(rp_handler *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].trigger);
        steps_free(&h[i].steps);
    }
    free(h);
}

void rp_model_free(rp_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_comps; i++) {
        free(m->comps[i].name);
        json_decref(m->comps[i].config);
        free(m->comps[i].path);
    }
    free(m->comps);
    handlers_free(m->inputs, m->n_inputs);
    handlers_free(m->timers, m->n_timers);
    handlers_free(m->routines, m->n_routines);
    for (size_t i = 0; i < m->n_outputs; i++) {
        free(m->outputs[i].type);
        for (size_t j = 0; j < m->outputs[i].n_compare; j++) {
            free(m->outputs[i].compare[j]);
            rb_jsonpath_free(m->outputs[i].paths[j]);
        }
        free(m->outputs[i].compare);
        free(m->outputs[i].paths);
    }
    free(m->outputs);
    for (size_t i = 0; i < m->n_ignore; i++)
        free(m->ignore[i]);
    free(m->ignore);
    for (size_t i = 0; i < m->n_invariants; i++) {
        rp_invariant *inv = &m->invariants[i];
        free(inv->name);
        free(inv->type);
        free(inv->reset);
        free(inv->field);
        free(inv->first);
        free(inv->then);
        free(inv->open);
        free(inv->close);
    }
    free(m->invariants);
    free(m->explore.down);
    free(m->key_field);
    rb_jsonpath_free(m->key_path);
    json_decref(m->doc);
    rb_linemap_free(m->lines);
    free(m->name);
    free(m->path);
    free(m);
}

static const rp_handler *find_handler(const rp_handler *h, size_t n, const char *trigger)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].trigger, trigger) == 0)
            return &h[i];
    return NULL;
}

const rp_handler *rp_model_input(const rp_model *m, const char *type)
{
    return find_handler(m->inputs, m->n_inputs, type);
}

const rp_output_decl *rp_model_output(const rp_model *m, const char *type)
{
    for (size_t i = 0; i < m->n_outputs; i++)
        if (strcmp(m->outputs[i].type, type) == 0)
            return &m->outputs[i];
    return NULL;
}

const rp_handler *rp_model_timer(const rp_model *m, size_t comp, const char *timer)
{
    for (size_t i = 0; i < m->n_timers; i++)
        if (m->timers[i].comp == comp && strcmp(m->timers[i].timer, timer) == 0)
            return &m->timers[i];
    return NULL;
}

long rp_model_component(const rp_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_comps; i++)
        if (strcmp(m->comps[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* ---- values and steps ---- */

static void value_compile(const json_t *v, rp_value *out)
{
    memset(out, 0, sizeof *out);
    if (json_is_string(v)) {
        char *ref = rb_template_single_ref(json_string_value(v));
        if (ref && strcmp(ref, "key") == 0)
            out->key_ref = true;
        else if (ref)
            out->ref = rb_jsonpath_compile(ref);
        else if (rb_template_has_refs(json_string_value(v)))
            out->tpl = rb_xstrdup(json_string_value(v));
        free(ref);
        if (out->key_ref || out->ref || out->tpl)
            return;
    }
    out->literal = json_incref((json_t *)v);
}

/* A mapping of NAME: VALUE (args or fields) into the step. */
static rb_code values_compile(const model_ctx *c, const json_t *map, const char *path, rp_step *st)
{
    if (!json_is_object(map))
        return model_error(c, path, "expected a mapping of NAME: VALUE");
    size_t n = json_object_size(map);
    if (n > RP_MAX_ARGS)
        return model_error(c, path, "at most %d values are allowed", RP_MAX_ARGS);
    size_t n_keys;
    const char **keys = rb_json_sorted_keys(map, &n_keys);
    st->names = rb_xcalloc(n + 1, sizeof *st->names);
    st->values = rb_xcalloc(n + 1, sizeof *st->values);
    for (size_t i = 0; i < n_keys; i++) {
        st->names[i] = rb_xstrdup(keys[i]);
        value_compile(json_object_get(map, keys[i]), &st->values[i]);
        st->n_values++;
    }
    free(keys);
    return RB_OK;
}

static rb_code steps_compile(const model_ctx *c, const json_t *spec, const char *path, rp_steps *out);

static rb_code branches_compile(const model_ctx *c, const json_t *on, const char *path, rp_step *st)
{
    const rp_op *op = &c->m->comps[st->comp].type->ops[st->op];
    if (!json_is_object(on))
        return model_error(c, path, "on: expected a mapping of OUTCOME: STEPS");
    size_t n;
    const char **keys = rb_json_sorted_keys(on, &n);
    st->branches = rb_xcalloc(n + 1, sizeof *st->branches);
    rb_code rc = RB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        char *sub = rb_jsonpath_child_key(path, keys[i]);
        if (!rp_op_has_outcome(op, keys[i])) {
            rb_buf list = {0};
            for (size_t o = 0; op->outcomes[o]; o++)
                rb_buf_printf(&list, "%s, ", op->outcomes[o]);
            rc = model_error(c, sub, "%s.%s has no outcome '%s' (expected one of: %sdown)",
                             c->m->comps[st->comp].name, op->name, keys[i], list.data);
            rb_buf_free(&list);
        } else {
            rp_branch *b = &st->branches[st->n_branches++];
            b->outcome = rb_xstrdup(keys[i]);
            rc = steps_compile(c, json_object_get(on, keys[i]), sub, &b->steps);
        }
        free(sub);
    }
    free(keys);
    return rc;
}

static rb_code do_compile(const model_ctx *c, const json_t *spec, const char *path, rp_step *st)
{
    const char *target = json_string_value(json_object_get(spec, "do"));
    const char *dot = target ? strchr(target, '.') : NULL;
    char *sub = rb_jsonpath_child_key(path, "do");
    rb_code rc = RB_OK;
    char *comp = dot ? rb_xstrndup(target, (size_t)(dot - target)) : NULL;
    long ci = comp ? rp_model_component(c->m, comp) : -1;
    long oi = ci >= 0 ? rp_component_op(c->m->comps[ci].type, dot + 1) : -1;
    if (!dot)
        rc = model_error(c, sub, "do: expected COMPONENT.OPERATION");
    else if (ci < 0)
        rc = model_error(c, sub, "do: no component '%s' in components:", comp);
    else if (oi < 0)
        rc = model_error(c, sub, "do: component %s (%s) has no operation '%s'", comp, c->m->comps[ci].type->name,
                         dot + 1);
    free(comp);
    free(sub);
    if (rc)
        return rc;
    st->kind = RP_STEP_DO;
    st->comp = (size_t)ci;
    st->op = (size_t)oi;
    const json_t *args = json_object_get(spec, "args");
    const rp_op *op = &c->m->comps[ci].type->ops[oi];
    if (args) {
        char *args_path = rb_jsonpath_child_key(path, "args");
        rc = values_compile(c, args, args_path, st);
        for (size_t i = 0; !rc && op->args && i < st->n_values; i++)
            if (!rb_str_in_list(st->names[i], op->args))
                rc = model_error(c, args_path, "%s takes no argument '%s'", target, st->names[i]);
        free(args_path);
    }
    const json_t *on = json_object_get(spec, "on");
    if (!rc && on) {
        char *on_path = rb_jsonpath_child_key(path, "on");
        rc = branches_compile(c, on, on_path, st);
        free(on_path);
    }
    return rc;
}

static rb_code emit_compile(const model_ctx *c, const json_t *spec, const char *path, rp_step *st)
{
    const char *type = json_string_value(json_object_get(spec, "emit"));
    st->kind = RP_STEP_EMIT;
    if (!type || !rp_model_output(c->m, type)) {
        char *sub = rb_jsonpath_child_key(path, "emit");
        rb_code rc = model_error(c, sub, "emit: '%s' is not an output type (expected a type declared under outputs:)",
                                 type ? type : "(not a string)");
        free(sub);
        return rc;
    }
    st->type = rb_xstrdup(type);
    const json_t *fields = json_object_get(spec, "fields");
    if (!fields)
        return RB_OK;
    char *sub = rb_jsonpath_child_key(path, "fields");
    rb_code rc = values_compile(c, fields, sub, st);
    free(sub);
    return rc;
}

static long routine_index(const rp_model *m, const char *name)
{
    const rp_handler *h = name ? find_handler(m->routines, m->n_routines, name) : NULL;
    return h ? h - m->routines : -1;
}

/* The one member of a step mapping that says what it does. */
static const char *step_verb(const json_t *spec)
{
    static const char *const verbs[] = {"do", "emit", "call", "stop"};
    const char *found = NULL;
    for (size_t i = 0; i < 4; i++)
        if (json_object_get(spec, verbs[i]))
            found = found ? "" : verbs[i];
    return found;
}

static rb_code step_members_check(const model_ctx *c, const json_t *spec, const char *path, const char *verb)
{
    static const char *const do_members[] = {"do", "args", "on", "when", NULL};
    static const char *const emit_members[] = {"emit", "fields", "when", NULL};
    static const char *const call_members[] = {"call", "when", NULL};
    static const char *const stop_members[] = {"stop", "when", NULL};
    const char *const *allowed = strcmp(verb, "do") == 0     ? do_members
                                 : strcmp(verb, "emit") == 0 ? emit_members
                                 : strcmp(verb, "call") == 0 ? call_members
                                                             : stop_members;
    const char *member;
    const json_t *v;
    json_object_foreach((json_t *)spec, member, v) {
        if (!rb_str_in_list(member, allowed)) {
            char *sub = rb_jsonpath_child_key(path, member);
            rb_code rc = model_error(c, sub, "unknown member '%s' in a %s step", member, verb);
            free(sub);
            return rc;
        }
    }
    return RB_OK;
}

static rb_code step_compile(const model_ctx *c, const json_t *spec, const char *path, rp_step *st)
{
    st->line = rb_linemap_nearest(c->m->lines, path);
    if (json_is_string(spec) && strcmp(json_string_value(spec), "stop") == 0) {
        st->kind = RP_STEP_STOP;
        return RB_OK;
    }
    const char *verb = json_is_object(spec) ? step_verb(spec) : NULL;
    if (!verb || !*verb)
        return model_error(c, path, "a step must be a mapping with one of do:, emit:, call:, stop: (or the word stop)");
    rb_code rc = step_members_check(c, spec, path, verb);
    const json_t *when = json_object_get(spec, "when");
    if (!rc && when) {
        char *sub = rb_jsonpath_child_key(path, "when");
        rb_sel_env env = {.file = c->m->path, .lines = c->m->lines};
        rc = rb_selector_compile(when, sub, &env, &st->when, c->err);
        free(sub);
    }
    if (rc)
        return rc;
    if (strcmp(verb, "do") == 0)
        return do_compile(c, spec, path, st);
    if (strcmp(verb, "emit") == 0)
        return emit_compile(c, spec, path, st);
    if (strcmp(verb, "stop") == 0) {
        st->kind = RP_STEP_STOP;
        return json_is_true(json_object_get(spec, "stop")) ? RB_OK : model_error(c, path, "stop: expected true");
    }
    st->kind = RP_STEP_CALL;
    const char *name = json_string_value(json_object_get(spec, "call"));
    long r = routine_index(c->m, name);
    if (r < 0)
        return model_error(c, path, "call: no routine '%s' under routines:", name ? name : "(not a string)");
    st->routine = (size_t)r;
    return RB_OK;
}

/* STEPS: a list of steps, or one step. */
static rb_code steps_compile(const model_ctx *c, const json_t *spec, const char *path, rp_steps *out)
{
    if (!json_is_array(spec)) {
        out->items = rb_xcalloc(1, sizeof *out->items);
        out->n = 1;
        return step_compile(c, spec, path, &out->items[0]);
    }
    out->items = rb_xcalloc(json_array_size(spec) + 1, sizeof *out->items);
    size_t i;
    const json_t *item;
    json_array_foreach(spec, i, item) {
        char *sub = rb_jsonpath_child_index(path, i);
        rb_code rc = step_compile(c, item, sub, &out->items[out->n++]);
        free(sub);
        if (rc)
            return rc;
    }
    return RB_OK;
}

/* ---- sections ---- */

static rb_code components_compile(const model_ctx *c, const json_t *spec)
{
    rp_model *m = c->m;
    if (!json_is_object(spec) || json_object_size(spec) == 0)
        return model_error(c, "components", "components: expected a mapping of NAME: {type: TYPE, ...}");
    size_t n;
    const char **names = rb_json_sorted_keys(spec, &n);
    m->comps = rb_xcalloc(n + 1, sizeof *m->comps);
    rb_code rc = RB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const json_t *cfg = json_object_get(spec, names[i]);
        char *path = rb_jsonpath_child_key("components", names[i]);
        const char *type = json_string_value(json_object_get(cfg, "type"));
        const rp_component_type *t = type ? rp_component_find(type) : NULL;
        rp_component_decl *d = &m->comps[m->n_comps++];
        d->name = rb_xstrdup(names[i]);
        d->path = path;
        d->type = t;
        d->config = json_incref((json_t *)cfg);
        if (strchr(names[i], '.'))
            rc = model_error(c, path, "component name '%s' must not hold a '.'", names[i]);
        else if (!json_is_object(cfg) || !t)
            rc = model_error(c, path, "component %s: type: expected one of %s", names[i], rp_component_names());
        const char *member;
        const json_t *v;
        if (!rc)
            json_object_foreach((json_t *)cfg, member, v)
                if (!rc && strcmp(member, "type") != 0 && !rb_str_in_list(member, t->params)) {
                    char *sub = rb_jsonpath_child_key(path, member);
                    rc = model_error(c, sub, "component %s (%s) has no parameter '%s'", names[i], t->name, member);
                    free(sub);
                }
    }
    free(names);
    return rc;
}

/* A section of TRIGGER: STEPS handlers; names are registered first so
 * that steps may call routines declared later. */
static rp_handler *handlers_declare(const json_t *spec, size_t *n)
{
    size_t n_keys;
    const char **keys = rb_json_sorted_keys(spec, &n_keys);
    rp_handler *h = rb_xcalloc(n_keys + 1, sizeof *h);
    for (size_t i = 0; i < n_keys; i++)
        h[i].trigger = rb_xstrdup(keys[i]);
    free(keys);
    *n = n_keys;
    return h;
}

static rb_code handlers_compile(const model_ctx *c, const char *section, const json_t *spec, rp_handler *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *path = rb_jsonpath_child_key(section, h[i].trigger);
        rb_code rc = steps_compile(c, json_object_get(spec, h[i].trigger), path, &h[i].steps);
        free(path);
        if (rc)
            return rc;
    }
    return RB_OK;
}

/* timers: COMPONENT.TIMER names a component and one of its timers. */
static rb_code timers_resolve(const model_ctx *c)
{
    rp_model *m = c->m;
    for (size_t i = 0; i < m->n_timers; i++) {
        rp_handler *h = &m->timers[i];
        const char *dot = strchr(h->trigger, '.');
        char *comp = dot ? rb_xstrndup(h->trigger, (size_t)(dot - h->trigger)) : NULL;
        long ci = comp ? rp_model_component(m, comp) : -1;
        free(comp);
        const char *const *timers = ci >= 0 ? m->comps[ci].type->timers : NULL;
        for (size_t t = 0; timers && timers[t]; t++)
            if (strcmp(timers[t], dot + 1) == 0)
                h->timer = timers[t];
        if (!h->timer) {
            char *path = rb_jsonpath_child_key("timers", h->trigger);
            rb_code rc = model_error(c, path, "timers: '%s' names no timer (expected COMPONENT.TIMER: a lifecycle's "
                                     "retry, a coalescer's expire)", h->trigger);
            free(path);
            return rc;
        }
        h->comp = (size_t)ci;
    }
    return RB_OK;
}

static rb_code string_list(const model_ctx *c, const json_t *spec, const char *path, char ***out, size_t *n)
{
    *out = rb_xcalloc(json_array_size(spec) + 1, sizeof **out);
    *n = 0;
    if (!json_is_array(spec))
        return model_error(c, path, "expected a list of strings");
    size_t i;
    const json_t *item;
    json_array_foreach(spec, i, item) {
        if (!json_is_string(item))
            return model_error(c, path, "expected a list of strings (item %zu is not one)", i);
        (*out)[(*n)++] = rb_xstrdup(json_string_value(item));
    }
    return RB_OK;
}

static rb_code outputs_compile(const model_ctx *c, const json_t *spec)
{
    rp_model *m = c->m;
    if (!json_is_object(spec) || json_object_size(spec) == 0)
        return model_error(c, "outputs", "outputs: expected a mapping of EVENT_TYPE: [FIELD...] (the fields compared)");
    size_t n;
    const char **types = rb_json_sorted_keys(spec, &n);
    m->outputs = rb_xcalloc(n + 1, sizeof *m->outputs);
    rb_code rc = RB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        rp_output_decl *o = &m->outputs[m->n_outputs++];
        o->type = rb_xstrdup(types[i]);
        const json_t *fields = json_object_get(spec, types[i]);
        char *path = rb_jsonpath_child_key("outputs", types[i]);
        if (json_is_null(fields))
            o->compare = rb_xcalloc(1, sizeof *o->compare);
        else
            rc = string_list(c, fields, path, &o->compare, &o->n_compare);
        o->paths = rb_xcalloc(o->n_compare + 1, sizeof *o->paths);
        for (size_t f = 0; f < o->n_compare; f++)
            o->paths[f] = rb_jsonpath_compile(o->compare[f]);
        if (!rc && rp_model_input(m, types[i]))
            rc = model_error(c, path, "'%s' is both an input and an output type", types[i]);
        free(path);
    }
    free(types);
    return rc;
}

/* A type that an invariant names must be one the run sees. */
static rb_code check_known_type(const model_ctx *c, const char *path, const char *type, bool inputs_too)
{
    if (type && (rp_model_output(c->m, type) || (inputs_too && rp_model_input(c->m, type))))
        return RB_OK;
    return model_error(c, path, "invariant names '%s', which is not an output type%s", type ? type : "(nothing)",
                       inputs_too ? " or an input type" : "");
}

static char *member_string(const json_t *obj, const char *member)
{
    const char *s = json_string_value(json_object_get(obj, member));
    return s ? rb_xstrdup(s) : NULL;
}

static rb_code invariant_compile(const model_ctx *c, const json_t *spec, const char *path, rp_invariant *inv)
{
    static const char *const kinds[] = {"once", "before", "consecutive", "exclusive", NULL};
    inv->line = rb_linemap_nearest(c->m->lines, path);
    inv->name = member_string(spec, "name");
    const char *kind = NULL;
    for (size_t k = 0; kinds[k]; k++)
        if (json_object_get(spec, kinds[k])) {
            kind = kinds[k];
            inv->kind = (rp_invariant_kind)k;
        }
    if (!inv->name || !kind || json_object_size(spec) != (size_t)(2 + (json_object_get(spec, "reset") != NULL)))
        return model_error(c, path, "an invariant is {name, once: TYPE, reset?: TYPE} or {name, before: {first, "
                           "then}} or {name, consecutive: {type, field}, reset?: TYPE} or {name, exclusive: {open, "
                           "close, max}}");
    const json_t *body = json_object_get(spec, kind);
    char *sub = rb_jsonpath_child_key(path, kind);
    rb_code rc = RB_OK;
    switch (inv->kind) {
    case RP_INV_ONCE:
        inv->type = json_is_string(body) ? rb_xstrdup(json_string_value(body)) : NULL;
        inv->reset = member_string(spec, "reset");
        rc = check_known_type(c, sub, inv->type, false);
        if (!rc && inv->reset)
            rc = check_known_type(c, path, inv->reset, true);
        break;
    case RP_INV_BEFORE:
        inv->first = member_string(body, "first");
        inv->then = member_string(body, "then");
        if (!(rc = check_known_type(c, sub, inv->first, true)))
            rc = check_known_type(c, sub, inv->then, false);
        break;
    case RP_INV_CONSECUTIVE:
        inv->type = member_string(body, "type");
        inv->field = member_string(body, "field");
        inv->reset = member_string(spec, "reset");
        rc = inv->field ? check_known_type(c, sub, inv->type, false) : model_error(c, sub, "consecutive: expected {type, field}");
        if (!rc && inv->reset)
            rc = check_known_type(c, path, inv->reset, true);
        break;
    case RP_INV_EXCLUSIVE:
        inv->open = member_string(body, "open");
        inv->close = member_string(body, "close");
        inv->max = json_is_integer(json_object_get(body, "max")) ? json_integer_value(json_object_get(body, "max")) : 1;
        if (!(rc = check_known_type(c, sub, inv->open, false)))
            rc = check_known_type(c, sub, inv->close, true);
        break;
    }
    free(sub);
    return rc;
}

static rb_code invariants_compile(const model_ctx *c, const json_t *spec)
{
    rp_model *m = c->m;
    if (!json_is_array(spec))
        return model_error(c, "invariants", "invariants: expected a list");
    m->invariants = rb_xcalloc(json_array_size(spec) + 1, sizeof *m->invariants);
    size_t i;
    const json_t *item;
    json_array_foreach(spec, i, item) {
        char *path = rb_jsonpath_child_index("invariants", i);
        rb_code rc = invariant_compile(c, item, path, &m->invariants[m->n_invariants++]);
        free(path);
        if (rc)
            return rc;
    }
    return RB_OK;
}

static rb_code duration_member(const model_ctx *c, const json_t *obj, const char *path, const char *member,
                               int64_t *out)
{
    const json_t *v = json_object_get(obj, member);
    if (!v)
        return RB_OK;
    char *sub = rb_jsonpath_child_key(path, member);
    rb_code rc = json_is_string(v) && rb_duration_parse(json_string_value(v), out) && *out >= 0
                     ? RB_OK : model_error(c, sub, "%s: expected a duration such as 500ms, 10s, 5m", member);
    free(sub);
    return rc;
}

static rb_code fault_kinds(const model_ctx *c, const json_t *spec, unsigned *kinds)
{
    static const char *const names[] = {"delay", "drop", "duplicate", "reorder", "down", NULL};
    if (!spec)
        return RB_OK;
    *kinds = 0;
    size_t i;
    const json_t *item;
    if (!json_is_array(spec))
        return model_error(c, "explore.faults", "faults: expected a list of delay, drop, duplicate, reorder, down");
    json_array_foreach(spec, i, item) {
        size_t k = 0;
        while (names[k] && !(json_is_string(item) && strcmp(names[k], json_string_value(item)) == 0))
            k++;
        if (!names[k])
            return model_error(c, "explore.faults", "faults: item %zu is not one of delay, drop, duplicate, reorder, down", i);
        *kinds |= 1u << k;
    }
    return RB_OK;
}

static rb_code explore_compile(const model_ctx *c, const json_t *spec)
{
    rp_explore_config *x = &c->m->explore;
    x->kinds = RP_FAULT_DELAY | RP_FAULT_DROP | RP_FAULT_DUPLICATE | RP_FAULT_REORDER;
    x->max_faults = 3;
    x->max_delay = 10 * INT64_C(1000000);
    x->down_for = 30 * INT64_C(1000000);
    if (!spec)
        return RB_OK;
    static const char *const members[] = {"faults", "max_faults", "max_delay", "down", "down_for", NULL};
    const char *member;
    const json_t *v;
    json_object_foreach((json_t *)spec, member, v)
        if (!rb_str_in_list(member, members))
            return model_error(c, "explore", "explore: unknown member '%s' (expected faults, max_faults, max_delay, "
                               "down, down_for)", member);
    rb_code rc;
    if ((rc = fault_kinds(c, json_object_get(spec, "faults"), &x->kinds)) ||
        (rc = duration_member(c, spec, "explore", "max_delay", &x->max_delay)) ||
        (rc = duration_member(c, spec, "explore", "down_for", &x->down_for)))
        return rc;
    v = json_object_get(spec, "max_faults");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 64))
        return model_error(c, "explore.max_faults", "max_faults: expected an integer from 1 to 64");
    if (v)
        x->max_faults = json_integer_value(v);
    char **down;
    size_t n_down = 0;
    v = json_object_get(spec, "down");
    if (!v)
        return RB_OK;
    rc = string_list(c, v, "explore.down", &down, &n_down);
    x->down = rb_xcalloc(n_down + 1, sizeof *x->down);
    for (size_t i = 0; i < n_down; i++) {
        long ci = rp_model_component(c->m, down[i]);
        if (!rc && ci < 0)
            rc = model_error(c, "explore.down", "down: no component '%s' in components:", down[i]);
        if (!rc)
            x->down[x->n_down++] = (size_t)ci;
    }
    for (size_t i = 0; i < n_down; i++)
        free(down[i]);
    free(down);
    if (!rc && x->n_down)
        x->kinds |= RP_FAULT_DOWN;
    return rc;
}

static rb_code top_members_check(const model_ctx *c)
{
    static const char *const members[] = {"model", "description", "runbook", "key", "components", "inputs",
                                          "timers", "routines", "outputs", "ignore", "invariants", "timing",
                                          "explore", NULL};
    const char *member;
    const json_t *v;
    if (!json_is_object(c->m->doc))
        return model_error(c, "", "a model must be a mapping (model:, components:, inputs:, outputs:, ...)");
    json_object_foreach(c->m->doc, member, v)
        if (!rb_str_in_list(member, members))
            return model_error(c, member, "unknown member '%s' (expected model, description, runbook, key, "
                               "components, inputs, timers, routines, outputs, ignore, invariants, timing, "
                               "explore)", member);
    const char *name = json_string_value(json_object_get(c->m->doc, "model"));
    if (!name)
        return model_error(c, "", "model: expected the model's name");
    c->m->name = rb_xstrdup(name);
    const json_t *key = json_object_get(c->m->doc, "key");
    if (key && !json_is_string(key))
        return model_error(c, "key", "key: expected the field that keys trace events");
    c->m->key_field = rb_xstrdup(key ? json_string_value(key) : "key");
    c->m->key_path = rb_jsonpath_compile(c->m->key_field);
    if (!c->m->key_path)
        return model_error(c, "key", "key: '%s' is not a field path (expected a field such as nonce, or a dotted "
                           "path such as detail.id)", c->m->key_field);
    return RB_OK;
}

static rb_code timing_compile(const model_ctx *c, const json_t *spec)
{
    if (!spec)
        return RB_OK;
    if (!json_is_object(spec) || json_object_size(spec) != 1 || !json_object_get(spec, "tolerance"))
        return model_error(c, "timing", "timing: expected {tolerance: DURATION}");
    c->m->has_tolerance = true;
    return duration_member(c, spec, "timing", "tolerance", &c->m->tolerance);
}

static rb_code model_compile(const model_ctx *c)
{
    rp_model *m = c->m;
    const json_t *doc = m->doc;
    rb_code rc = top_members_check(c);
    if (rc || (rc = components_compile(c, json_object_get(doc, "components"))))
        return rc;
    const json_t *inputs = json_object_get(doc, "inputs");
    const json_t *timers = json_object_get(doc, "timers");
    const json_t *routines = json_object_get(doc, "routines");
    if (!json_is_object(inputs) || json_object_size(inputs) == 0)
        return model_error(c, "inputs", "inputs: expected a mapping of EVENT_TYPE: STEPS");
    if ((timers && !json_is_object(timers)) || (routines && !json_is_object(routines)))
        return model_error(c, timers && !json_is_object(timers) ? "timers" : "routines",
                           "expected a mapping of NAME: STEPS");
    m->inputs = handlers_declare(inputs, &m->n_inputs);
    m->timers = handlers_declare(timers, &m->n_timers);
    m->routines = handlers_declare(routines, &m->n_routines);
    if ((rc = outputs_compile(c, json_object_get(doc, "outputs"))) || (rc = timers_resolve(c)) ||
        (rc = handlers_compile(c, "inputs", inputs, m->inputs, m->n_inputs)) ||
        (rc = handlers_compile(c, "timers", timers, m->timers, m->n_timers)) ||
        (rc = handlers_compile(c, "routines", routines, m->routines, m->n_routines)) ||
        (rc = timing_compile(c, json_object_get(doc, "timing"))) ||
        (rc = explore_compile(c, json_object_get(doc, "explore"))))
        return rc;
    const json_t *ignore = json_object_get(doc, "ignore");
    if (ignore && (rc = string_list(c, ignore, "ignore", &m->ignore, &m->n_ignore)))
        return rc;
    const json_t *invariants = json_object_get(doc, "invariants");
    return invariants ? invariants_compile(c, invariants) : RB_OK;
}

/* NAME as given, or MODELS_DIR/NAME.yaml for a shipped model's name. */
static char *model_path(const char *name)
{
    struct stat st;
    if (strchr(name, '/') || stat(name, &st) == 0)
        return rb_xstrdup(name);
    return rb_xasprintf("%s/%s.yaml", rp_models_dir(), name);
}

rb_code rp_model_load(const char *name, rp_model **out, rb_error *err)
{
    *out = NULL;
    rp_model *m = rb_xcalloc(1, sizeof *m);
    m->path = model_path(name);
    unsigned char *data = NULL;
    size_t len = 0;
    rb_yaml_doc *docs = NULL;
    size_t n_docs = 0;
    rb_code rc = rb_read_file(m->path, MAX_MODEL_BYTES, &data, &len, err);
    if (rc == RB_EINPUT && !strchr(name, '/'))
        rc = rb_error_set(err, RB_EUSAGE, "--model %s: no such file, and no shipped model of that name in %s",
                          name, rp_models_dir());
    if (!rc) {
        rb_sha256_hex(data, len, m->sha256);
        rc = rb_yaml_load(m->path, data, len, NULL, &docs, &n_docs, err);
    }
    if (!rc && n_docs != 1)
        rc = rb_error_set(err, RB_ERULE, "%s:1: expected one YAML document (a model), found %zu", m->path, n_docs);
    if (!rc) {
        m->doc = json_incref(docs[0].value);
        m->lines = docs[0].lines;
        docs[0].lines = NULL;
        model_ctx c = {m, err};
        rc = model_compile(&c);
    }
    void **insts = NULL;
    if (!rc && !(rc = rp_model_instantiate(m, NULL, &insts, err)))
        rp_model_instances_free(m, insts);
    rb_yaml_docs_free(docs, n_docs);
    free(data);
    if (rc) {
        if (rc == RB_EINPUT)
            rc = RB_ERULE;
        rp_model_free(m);
        return rc;
    }
    *out = m;
    return RB_OK;
}

rb_code rp_model_instantiate(const rp_model *m, json_t *const *configs, void ***insts, rb_error *err)
{
    *insts = rb_xcalloc(m->n_comps + 1, sizeof **insts);
    for (size_t i = 0; i < m->n_comps; i++) {
        const rp_component_decl *d = &m->comps[i];
        rp_config cfg = {m->path, m->lines, d->path, d->name, configs ? configs[i] : d->config};
        rb_code rc = d->type->create(&cfg, &(*insts)[i], err);
        if (rc) {
            rp_model_instances_free(m, *insts);
            *insts = NULL;
            return rc;
        }
    }
    return RB_OK;
}

void rp_model_instances_free(const rp_model *m, void **insts)
{
    for (size_t i = 0; insts && i < m->n_comps; i++)
        m->comps[i].type->free(insts[i]);
    free(insts);
}
