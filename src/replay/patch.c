/*
 * patch.c — loading and applying what-if patches (patch.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/patch.h"
#include "timeutil.h"
#include "util.h"
#include "yaml_load.h"

#define MAX_PATCH_BYTES (1u << 20)

static rb_code patch_error(const rp_patch *p, const char *path, rb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static rb_code patch_error(const rp_patch *p, const char *path, rb_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rb_code rc = rb_error_at_vpath(err, RB_EUSAGE, p->path, p->lines, path, fmt, ap);
    va_end(ap);
    return rc;
}

void rp_patch_free(rp_patch *p, const rp_model *m)
{
    if (!p)
        return;
    for (size_t i = 0; p->configs && i < m->n_comps; i++)
        json_decref(p->configs[i]);
    free(p->configs);
    free(p->events);
    json_decref(p->doc);
    rb_linemap_free(p->lines);
    free(p->path);
    free(p);
}

/* The object that holds the last segment of a dotted path inside config,
 * creating intermediate objects; NULL when a segment is not an object. */
static json_t *parent_of(json_t *config, const char *dotted, const char **last)
{
    json_t *at = config;
    const char *seg = dotted;
    for (const char *dot; (dot = strchr(seg, '.')); seg = dot + 1) {
        char *name = rb_xstrndup(seg, (size_t)(dot - seg));
        json_t *next = json_object_get(at, name);
        if (!next) {
            next = json_object();
            json_object_set_new(at, name, next);
        }
        free(name);
        if (!json_is_object(next))
            return NULL;
        at = next;
    }
    *last = seg;
    return at;
}

/* COMPONENT.PARAMETER[...]: the component's index and the rest. */
static rb_code target_of(const rp_patch *p, const rp_model *m, const char *section, const char *target,
                         size_t *comp, const char **rest, rb_error *err)
{
    char *path = rb_jsonpath_child_key(section, target);
    const char *dot = strchr(target, '.');
    char *name = dot ? rb_xstrndup(target, (size_t)(dot - target)) : rb_xstrdup(target);
    long ci = rp_model_component(m, name);
    rb_code rc = RB_OK;
    if (!dot || !dot[1])
        rc = patch_error(p, path, err, "%s: '%s' must be COMPONENT.PARAMETER (e.g. acl.allow, bus.retry.limit)", section,
                         target);
    else if (ci < 0)
        rc = patch_error(p, path, err, "%s: model %s has no component '%s'", section, m->name, name);
    if (!rc) {
        const rp_component_type *t = m->comps[ci].type;
        const char *param_end = strchr(dot + 1, '.');
        char *param = param_end ? rb_xstrndup(dot + 1, (size_t)(param_end - dot - 1)) : rb_xstrdup(dot + 1);
        if (!rb_str_in_list(param, t->params)) {
            rb_buf list = {0};
            for (size_t i = 0; t->params[i]; i++)
                rb_buf_printf(&list, "%s%s", i ? ", " : "", t->params[i]);
            rc = patch_error(p, path, err, "%s: component %s (%s) has no parameter '%s' (expected one of: %s)", section,
                             name, t->name, param, list.data);
            rb_buf_free(&list);
        }
        free(param);
        *comp = (size_t)ci;
        *rest = dot + 1;
    }
    free(name);
    free(path);
    return rc;
}

static rb_code apply_section(rp_patch *p, const rp_model *m, const char *section, bool append, rb_error *err)
{
    const json_t *spec = json_object_get(p->doc, section);
    if (!spec)
        return RB_OK;
    if (!json_is_object(spec))
        return patch_error(p, section, err, "%s: expected a mapping of COMPONENT.PARAMETER: VALUE", section);
    size_t n;
    const char **targets = rb_json_sorted_keys(spec, &n);
    rb_code rc = RB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t comp;
        const char *rest, *last;
        if ((rc = target_of(p, m, section, targets[i], &comp, &rest, err)))
            break;
        json_t *value = json_object_get(spec, targets[i]);
        json_t *parent = parent_of(p->configs[comp], rest, &last);
        json_t *list = parent ? json_object_get(parent, last) : NULL;
        char *path = rb_jsonpath_child_key(section, targets[i]);
        if (!parent)
            rc = patch_error(p, path, err, "%s: '%s' goes through a value that is not a mapping", section, targets[i]);
        else if (!append)
            json_object_set(parent, last, value);
        else if (list && !json_is_array(list))
            rc = patch_error(p, path, err, "add: '%s' is not a list (use set: to replace it)", targets[i]);
        else if (list)
            json_array_append(list, value);
        else
            json_object_set_new(parent, last, json_pack("[O]", value));
        free(path);
    }
    free(targets);
    return rc;
}

static rb_code read_events(rp_patch *p, const rp_model *m, rb_error *err)
{
    const json_t *events = json_object_get(p->doc, "events");
    if (!events)
        return RB_OK;
    if (!json_is_array(events))
        return patch_error(p, "events", err, "events: expected a list of events {ts, type, ...}");
    p->events = rb_xcalloc(json_array_size(events) + 1, sizeof *p->events);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        char *path = rb_jsonpath_child_index("events", i);
        const char *type = json_string_value(json_object_get(e, "type"));
        rp_input_item *item = &p->events[p->n_events];
        rb_code rc = RB_OK;
        if (!json_is_object(e) || !rb_time_from_json(json_object_get(e, "ts"), RB_TIME_UNIT_AUTO, &item->at))
            rc = patch_error(p, path, err, "events: item %zu needs a ts (RFC 3339 or an epoch number)", i);
        else if (!type || !(item->handler = rp_model_input(m, type)))
            rc = patch_error(p, path, err, "events: item %zu: type '%s' is not an input of model %s", i,
                             type ? type : "(none)", m->name);
        item->fields = e;
        item->key = rb_jsonpath_lookup(m->key_path, e);
        item->line = rb_linemap_nearest(p->lines, path);
        free(path);
        if (rc)
            return rc;
        p->n_events++;
    }
    return RB_OK;
}

static rb_code check_members(const rp_patch *p, rb_error *err)
{
    static const char *const members[] = {"set", "add", "events", "description", NULL};
    if (!json_is_object(p->doc))
        return patch_error(p, "", err, "a what-if patch is a mapping with set:, add: and events:");
    const char *member;
    const json_t *v;
    json_object_foreach(p->doc, member, v)
        if (!rb_str_in_list(member, members))
            return patch_error(p, member, err, "unknown member '%s' (expected set, add, events, description)", member);
    return RB_OK;
}

/* Creates the patched components once, so that a value a component
 * refuses is reported against the patch. */
static rb_code try_configs(const rp_patch *p, const rp_model *m, rb_error *err)
{
    void **insts;
    rb_code rc = rp_model_instantiate(m, p->configs, &insts, err);
    if (!rc) {
        rp_model_instances_free(m, insts);
        return RB_OK;
    }
    char why[sizeof err->message];
    snprintf(why, sizeof why, "%s", err->message);
    return rb_error_set(err, RB_EUSAGE, "%s: after this patch the model is invalid: %s", p->path, why);
}

rb_code rp_patch_load(const char *path, const rp_model *m, rp_patch **out, rb_error *err)
{
    *out = NULL;
    rp_patch *p = rb_xcalloc(1, sizeof *p);
    p->path = rb_xstrdup(path);
    p->configs = rb_xcalloc(m->n_comps + 1, sizeof *p->configs);
    for (size_t i = 0; i < m->n_comps; i++)
        p->configs[i] = json_deep_copy(m->comps[i].config);
    unsigned char *data = NULL;
    size_t len = 0;
    rb_yaml_doc *docs = NULL;
    size_t n_docs = 0;
    rb_code rc = rb_read_file(path, MAX_PATCH_BYTES, &data, &len, err);
    if (!rc) {
        rb_sha256_hex(data, len, p->sha256);
        rc = rb_yaml_load(path, data, len, NULL, &docs, &n_docs, err);
    }
    if (!rc && n_docs != 1)
        rc = rb_error_set(err, RB_EUSAGE, "%s:1: expected one YAML document (a what-if patch), found %zu", path, n_docs);
    if (!rc) {
        p->doc = json_incref(docs[0].value);
        p->lines = docs[0].lines;
        docs[0].lines = NULL;
        if (!(rc = check_members(p, err)) && !(rc = apply_section(p, m, "set", false, err)) &&
            !(rc = apply_section(p, m, "add", true, err)) && !(rc = read_events(p, m, err)))
            rc = try_configs(p, m, err);
    }
    rb_yaml_docs_free(docs, n_docs);
    free(data);
    if (rc) {
        rp_patch_free(p, m);
        return rc == RB_EINPUT ? RB_EUSAGE : rc;
    }
    *out = p;
    return RB_OK;
}

void rp_patch_schedule(const rp_patch *p, uint64_t first_order, rp_schedule *s)
{
    for (size_t i = 0; i < p->n_events; i++) {
        rp_input_item item = p->events[i];
        item.order = first_order + i;
        item.index = (size_t)-1;
        rp_schedule_add(s, &item);
    }
}
