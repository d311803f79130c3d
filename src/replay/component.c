/*
 * component.c — the table of component types, and what every component
 * shares: reading its configuration with messages that name the model
 * file and line, and reading call arguments.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jsonpath.h"
#include "replay/component.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

static const rp_component_type *const component_types[] = {
    &rp_comp_lifecycle, &rp_comp_acl, &rp_comp_rate_limit, &rp_comp_stream,
    &rp_comp_coalescer, &rp_comp_pool, &rp_comp_leader,
};
#define N_TYPES (sizeof component_types / sizeof component_types[0])

const rp_component_type *rp_component_find(const char *name)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (strcmp(component_types[i]->name, name) == 0)
            return component_types[i];
    return NULL;
}

const char *rp_component_names(void)
{
    static char names[256];
    if (!names[0]) {
        size_t at = 0;
        for (size_t i = 0; i < N_TYPES; i++)
            at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", component_types[i]->name);
    }
    return names;
}

long rp_component_op(const rp_component_type *t, const char *op)
{
    for (size_t i = 0; i < t->n_ops; i++)
        if (strcmp(t->ops[i].name, op) == 0)
            return (long)i;
    return -1;
}

bool rp_op_has_outcome(const rp_op *op, const char *outcome)
{
    return strcmp(outcome, "down") == 0 || rb_str_in_list(outcome, op->outcomes);
}

rb_code rp_config_error(const rp_config *c, const char *member, rb_error *err, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char *path = member ? rb_jsonpath_child_key(c->path, member) : rb_xstrdup(c->path);
    rb_code rc = rb_error_at_path(err, RB_ERULE, c->file, c->lines, path, "component %s: %s", c->name, what);
    free(path);
    return rc;
}

rb_code rp_config_int(const rp_config *c, const char *member, int64_t min, int64_t *out, rb_error *err)
{
    const json_t *v = json_object_get(c->value, member);
    if (!v)
        return RB_OK;
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return rp_config_error(c, member, err, "%s must be an integer of at least %lld", member, (long long)min);
    *out = json_integer_value(v);
    return RB_OK;
}

rb_code rp_config_number(const rp_config *c, const char *member, double min, double *out, rb_error *err)
{
    const json_t *v = json_object_get(c->value, member);
    if (!v)
        return RB_OK;
    if (!json_is_number(v) || json_number_value(v) < min)
        return rp_config_error(c, member, err, "%s must be a number of at least %g", member, min);
    *out = json_number_value(v);
    return RB_OK;
}

rb_code rp_config_duration(const rp_config *c, const char *member, int64_t *out, rb_error *err)
{
    const json_t *v = json_object_get(c->value, member);
    if (!v)
        return RB_OK;
    if (!json_is_string(v) || !rb_duration_parse(json_string_value(v), out))
        return rp_config_error(c, member, err, "%s must be a duration such as 500ms, 30s, 10m, 2h", member);
    return RB_OK;
}

rb_code rp_config_bool(const rp_config *c, const char *member, bool *out, rb_error *err)
{
    const json_t *v = json_object_get(c->value, member);
    if (!v)
        return RB_OK;
    if (!json_is_boolean(v))
        return rp_config_error(c, member, err, "%s must be true or false", member);
    *out = json_is_true(v);
    return RB_OK;
}

rb_code rp_config_string(const rp_config *c, const char *member, const char **out, rb_error *err)
{
    const json_t *v = json_object_get(c->value, member);
    if (!v)
        return RB_OK;
    if (!json_is_string(v))
        return rp_config_error(c, member, err, "%s must be a string", member);
    *out = json_string_value(v);
    return RB_OK;
}

rb_code rp_config_strings(const rp_config *c, const char *member, const char ***out, size_t *n, rb_error *err)
{
    *out = NULL;
    *n = 0;
    const json_t *v = json_object_get(c->value, member);
    if (!v)
        return RB_OK;
    if (json_is_string(v)) {
        *out = rb_xmalloc(sizeof **out);
        (*out)[(*n)++] = json_string_value(v);
        return RB_OK;
    }
    if (!json_is_array(v))
        return rp_config_error(c, member, err, "%s must be a list of strings", member);
    *out = rb_xcalloc(json_array_size(v) + 1, sizeof **out);
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            free(*out);
            *out = NULL;
            return rp_config_error(c, member, err, "%s must be a list of strings (item %zu is not one)", member, i);
        }
        (*out)[(*n)++] = json_string_value(item);
    }
    return RB_OK;
}

void rp_call_set(const rp_call *call, const char *name, json_t *value)
{
    if (!*call->result)
        *call->result = json_object();
    json_object_set_new(*call->result, name, value);
}

const json_t *rp_args_get(const rp_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->names[i], name) == 0)
            return a->values[i];
    return NULL;
}

const char *rp_args_text(const rp_args *a, const char *name, char *buf, size_t size)
{
    const json_t *v = rp_args_get(a, name);
    return v && !json_is_null(v) ? rp_key_text(v, buf, size) : NULL;
}

const char *rp_key_text(const json_t *key, char *buf, size_t size)
{
    if (!key || json_is_null(key))
        return "null";
    if (json_is_string(key))
        return json_string_value(key);
    rb_buf b = {0};
    rb_template_append_value(&b, key);
    snprintf(buf, size, "%s", b.data ? b.data : "");
    rb_buf_free(&b);
    return buf;
}
