/*
 * rule.c — compiling one rule from its YAML mapping (rule.h): the common
 * keys of SPEC §4, parameter overrides, and the hand-off to its check kind.
 */
#include "rule.h"

#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check_kind.h"
#include "util.h"
#include "yaml_load.h"

static const char *const common_keys[] = {
    "id", "title", "severity", "runbook", "message", "remediation",
    "tags", "params", "events", "documents", "key", "severity_when", NULL,
};

const char *rb_severity_name(rb_severity sev)
{
    switch (sev) {
    case RB_SEV_ERROR:
        return "error";
    case RB_SEV_WARNING:
        return "warning";
    case RB_SEV_NOTE:
    default:
        return "note";
    }
}

bool rb_severity_parse(const char *name, rb_severity *sev)
{
    static const rb_severity all[] = {RB_SEV_ERROR, RB_SEV_WARNING, RB_SEV_NOTE};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, rb_severity_name(all[i])) == 0) {
            *sev = all[i];
            return true;
        }
    return false;
}

rb_code rb_rule_error(const rb_rule_src *src, const char *key, rb_error *err, const char *fmt, ...)
{
    char *path = key ? rb_jsonpath_child_key(src->path, key) : rb_xstrdup(src->path);
    va_list ap;
    va_start(ap, fmt);
    rb_code rc = rb_error_at_vpath(err, RB_ERULE, src->file, src->lines, path, fmt, ap);
    va_end(ap);
    free(path);
    return rc;
}

static rb_code check_keys(const json_t *spec, const rb_rule_src *src, const rb_check_kind *kind,
                          rb_error *err)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)spec, name, v) {
        if (rb_str_in_list(name, common_keys) || strcmp(name, kind->name) == 0 ||
            rb_str_in_list(name, kind->rule_keys))
            continue;
        if (rb_check_kind_find(name))
            return rb_rule_error(src, name, err, "a rule has exactly one check, but this one has '%s' and '%s'",
                              kind->name, name);
        return rb_rule_error(src, name, err,
                          "unknown key '%s' in a rule (expected one of: id, title, severity, runbook, "
                          "message, remediation, tags, params, events, documents, key, severity_when, or a check: %s)",
                          name, rb_check_kind_names());
    }
    return RB_OK;
}

/* Reads an optional string member into *out (a copy). */
static rb_code get_string(const json_t *spec, const char *key, bool required, const rb_rule_src *src,
                          char **out, rb_error *err)
{
    json_t *v = json_object_get(spec, key);
    if (!v) {
        if (required)
            return rb_rule_error(src, NULL, err, "rule has no '%s' (expected a string)", key);
        return RB_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return rb_rule_error(src, key, err, "'%s' must be a non-empty string", key);
    *out = rb_xstrdup(json_string_value(v));
    return RB_OK;
}

static bool valid_id(const char *id)
{
    regex_t re;
    if (regcomp(&re, "^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&re, id, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static rb_code read_header(rb_rule *rule, const json_t *spec, const rb_rule_src *src, rb_error *err)
{
    rb_code rc;
    if ((rc = get_string(spec, "id", true, src, &rule->id, err)))
        return rc;
    if (!valid_id(rule->id))
        return rb_rule_error(src, "id", err, "rule id '%s' is not of the form PACK-AREA-NNN (capitals, "
                          "digits and dashes, e.g. BEAM-DL-002)", rule->id);
    char *severity = NULL;
    if ((rc = get_string(spec, "title", true, src, &rule->title, err)) ||
        (rc = get_string(spec, "severity", true, src, &severity, err)))
        return rc;
    bool known = rb_severity_parse(severity, &rule->severity);
    free(severity);
    if (!known)
        return rb_rule_error(src, "severity", err, "unknown severity (expected error, warning or note)");
    if ((rc = get_string(spec, "runbook", false, src, &rule->runbook, err)) ||
        (rc = get_string(spec, "message", false, src, &rule->message, err)) ||
        (rc = get_string(spec, "remediation", false, src, &rule->remediation, err)))
        return rc;
    if (!rule->message)
        rule->message = rb_xstrdup(rule->title);

    json_t *tags = json_object_get(spec, "tags");
    size_t i;
    json_t *tag;
    if (tags && !json_is_array(tags))
        return rb_rule_error(src, "tags", err, "'tags' must be a list of strings");
    json_array_foreach(tags, i, tag)
        if (!json_is_string(tag))
            return rb_rule_error(src, "tags", err, "'tags' must be a list of strings");
    rule->tags = tags ? json_incref(tags) : json_array();
    return RB_OK;
}

static rb_code read_params(rb_rule *rule, const json_t *spec, const rb_rule_src *src,
                           rb_overrides *ov, rb_error *err)
{
    json_t *params = json_object_get(spec, "params");
    if (params && !json_is_object(params))
        return rb_rule_error(src, "params", err, "'params' must be a mapping of names to default values");
    rule->params = params ? json_deep_copy(params) : json_object();
    for (size_t i = 0; ov && i < ov->n; i++) {
        rb_param_override *o = &ov->items[i];
        if (strcmp(o->rule_id, rule->id) != 0)
            continue;
        if (!json_object_get(rule->params, o->name))
            return rb_error_set(err, RB_EUSAGE,
                                "--param %s: rule %s (%s:%ld) has no parameter '%s'",
                                o->text, rule->id, rule->file, rule->line, o->name);
        json_object_set(rule->params, o->name, o->value);
        o->used = true;
    }
    return RB_OK;
}

static rb_code read_selection(rb_rule *rule, const json_t *spec, const rb_rule_src *src, rb_error *err)
{
    json_t *events = json_object_get(spec, "events");
    json_t *documents = json_object_get(spec, "documents");
    if (events && documents)
        return rb_rule_error(src, "documents", err, "a rule reads either 'events' or 'documents', not both");
    rule->reads_documents = documents != NULL;
    const char *which = documents ? "documents" : "events";
    json_t *sel = documents ? documents : events;
    if (sel) {
        char *path = rb_jsonpath_child_key(src->path, which);
        rb_sel_env env = rb_rule_sel_env(rule, src->lines, NULL);
        rb_code rc = rb_selector_compile(sel, path, &env, &rule->select, err);
        free(path);
        if (rc)
            return rc;
    }
    json_t *key = json_object_get(spec, "key");
    const char *key_text = "key";
    if (key && (!json_is_string(key) || !(key_text = json_string_value(key))[0]))
        return rb_rule_error(src, "key", err, "'key' must be a dotted field name (e.g. nonce, detail.app_id)");
    rule->key = rb_jsonpath_compile(key_text);
    if (!rule->key)
        return rb_rule_error(src, "key", err, "'key' is not a valid dotted field name");
    return RB_OK;
}

/* `severity_when: [{when: SELECTOR, severity: LEVEL}...]`: per-finding
 * severities, tried in order on the finding's first evidence. */
static rb_code read_severity_cases(rb_rule *rule, const json_t *spec, const rb_rule_src *src, rb_error *err)
{
    const json_t *list = json_object_get(spec, "severity_when");
    if (!list)
        return RB_OK;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return rb_rule_error(src, "severity_when", err, "'severity_when' must be a non-empty list of "
                             "{when: SELECTOR, severity: error|warning|note}");
    rule->severity_cases = rb_xcalloc(json_array_size(list), sizeof *rule->severity_cases);
    char *list_path = rb_jsonpath_child_key(src->path, "severity_when");
    rb_code rc = RB_OK;
    for (size_t i = 0; !rc && i < json_array_size(list); i++) {
        const json_t *entry = json_array_get(list, i);
        char *entry_path = rb_jsonpath_child_index(list_path, i);
        rb_rule_src at = {src->file, src->lines, entry_path};
        rb_severity_case *c = &rule->severity_cases[rule->n_severity_cases];
        const json_t *when = json_object_get(entry, "when");
        const char *level = json_string_value(json_object_get(entry, "severity"));
        if (!json_is_object(entry) || json_object_size(entry) != 2 || !when || !level) {
            rc = rb_rule_error(&at, NULL, err, "a severity_when entry is {when: SELECTOR, severity: LEVEL}");
        } else if (!rb_severity_parse(level, &c->severity)) {
            rc = rb_rule_error(&at, "severity", err, "unknown severity (expected error, warning or note)");
        } else {
            char *when_path = rb_jsonpath_child_key(entry_path, "when");
            rb_sel_env env = rb_rule_sel_env(rule, src->lines, NULL);
            rc = rb_selector_compile(when, when_path, &env, &c->when, err);
            free(when_path);
            if (!rc)
                rule->n_severity_cases++;
        }
        free(entry_path);
    }
    free(list_path);
    return rc;
}

rb_severity rb_rule_severity_for(const rb_rule *rule, const json_t *evidence)
{
    for (size_t i = 0; evidence && i < rule->n_severity_cases; i++)
        if (rb_selector_match(rule->severity_cases[i].when, evidence))
            return rule->severity_cases[i].severity;
    return rule->severity;
}

/* What the rule reads of an event, kept so that an event it holds can
 * drop the rest (check_kind.h rb_event_keep). */
static void set_members(rb_rule *rule)
{
    json_t *names = json_object();
    if (rb_rule_members(rule, names)) {
        const char **keys = rb_json_sorted_keys(names, &rule->n_members);
        rule->members = rb_xcalloc(rule->n_members ? rule->n_members : 1, sizeof *rule->members);
        for (size_t i = 0; i < rule->n_members; i++)
            rule->members[i] = rb_xstrdup(keys[i]);
        free(keys);
    }
    json_decref(names);
}

rb_code rb_rule_compile(const json_t *spec, const char *file, const rb_linemap *lines,
                        const char *path, const char *pack, rb_overrides *ov, rb_rule **out,
                        rb_error *err)
{
    rb_rule_src src = {file, lines, path};
    *out = NULL;
    if (!json_is_object(spec))
        return rb_rule_error(&src, NULL, err, "a rule must be a mapping (expected keys id, title, "
                          "severity, ... and one check)");
    int n_kinds = 0;
    const rb_check_kind *kind = rb_check_kind_of(spec, &n_kinds);
    if (!kind)
        return rb_rule_error(&src, NULL, err, "rule has no check (expected one of: %s)",
                          rb_check_kind_names());

    rb_rule *rule = rb_xcalloc(1, sizeof *rule);
    rule->file = rb_xstrdup(file);
    rule->line = rb_linemap_nearest(lines, path);
    rule->pack = rb_xstrdup(pack);
    rule->source = json_incref((json_t *)spec);
    rb_code rc = check_keys(spec, &src, kind, err);
    if (!rc)
        rc = read_header(rule, spec, &src, err);
    if (!rc)
        rc = read_params(rule, spec, &src, ov, err);
    if (!rc)
        rc = read_selection(rule, spec, &src, err);
    if (!rc)
        rc = read_severity_cases(rule, spec, &src, err);
    if (!rc) {
        rule->check = kind;
        char *check_path = rb_jsonpath_child_key(path, kind->name);
        rb_check_src cs = {json_object_get(spec, kind->name), {file, lines, check_path}, spec, src};
        rc = kind->compile(rule, &cs, err);
        free(check_path);
    }
    if (rc) {
        rb_rule_free(rule);
        return rc;
    }
    set_members(rule);
    *out = rule;
    return RB_OK;
}

void rb_rule_free(rb_rule *rule)
{
    if (!rule)
        return;
    if (rule->check && rule->check->free_data)
        rule->check->free_data(rule->check_data);
    free(rule->id);
    free(rule->title);
    free(rule->runbook);
    free(rule->message);
    free(rule->remediation);
    json_decref(rule->tags);
    json_decref(rule->params);
    json_decref(rule->source);
    json_decref(rule->config_files);
    free(rule->pack);
    free(rule->file);
    rb_selector_free(rule->select);
    rb_jsonpath_free(rule->key);
    for (size_t i = 0; i < rule->n_members; i++)
        free(rule->members[i]);
    free(rule->members);
    for (size_t i = 0; i < rule->n_severity_cases; i++)
        rb_selector_free(rule->severity_cases[i].when);
    free(rule->severity_cases);
    free(rule);
}

json_t *rb_rule_key_of(const rb_rule *rule, const json_t *value)
{
    return rb_jsonpath_lookup(rule->key, value);
}

rb_sel_env rb_rule_sel_env(const rb_rule *rule, const rb_linemap *lines, const char *const *refs)
{
    rb_sel_env env = {rule->file, lines, rule->params, refs};
    return env;
}

rb_code rb_overrides_add(rb_overrides *ov, const char *arg, rb_error *err)
{
    const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
    if (!dot || !eq || dot > eq || dot == arg || eq == dot + 1)
        return rb_error_set(err, RB_EUSAGE, "--param %s: expected RULE.NAME=VALUE (e.g. BEAM-DL-002.window=1h)",
                            arg);
    json_t *value;
    rb_code rc = rb_yaml_parse_value(eq + 1, &value, err);
    if (rc)
        return rc;
    rb_grow((void **)&ov->items, &ov->cap, ov->n + 1, sizeof *ov->items);
    rb_param_override *o = &ov->items[ov->n++];
    o->text = rb_xstrdup(arg);
    o->rule_id = rb_xstrndup(arg, (size_t)(dot - arg));
    o->name = rb_xstrndup(dot + 1, (size_t)(eq - dot - 1));
    o->value = value;
    o->used = false;
    return RB_OK;
}

rb_code rb_overrides_check_used(const rb_overrides *ov, rb_error *err)
{
    for (size_t i = 0; i < ov->n; i++)
        if (!ov->items[i].used)
            return rb_error_set(err, RB_EUSAGE, "--param %s: no loaded rule has the id '%s'",
                                ov->items[i].text, ov->items[i].rule_id);
    return RB_OK;
}

void rb_overrides_free(rb_overrides *ov)
{
    for (size_t i = 0; i < ov->n; i++) {
        free(ov->items[i].text);
        free(ov->items[i].rule_id);
        free(ov->items[i].name);
        json_decref(ov->items[i].value);
    }
    free(ov->items);
    ov->items = NULL;
    ov->n = ov->cap = 0;
}
