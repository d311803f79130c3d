/*
 * comp_acl.c — an access-control list: entries over named fields (Beam:
 * sender, target, intent), each value exact or a glob ("*", "agent:ops-*").
 * A check passes when some entry matches every field; grant and revoke
 * change entries at run time, as ACL changes in a trace do.
 *
 *   type: acl
 *   fields: [sender, target, intent]      # the default
 *   allow:
 *     - {sender: agent:quote-desk, target: agent:pricing, intent: quote.request}
 *
 * Operations (arguments: the fields): check (allow | deny), grant (ok |
 * exists), revoke (ok | absent).  A field missing from a call is empty
 * text, which only "*" matches.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "replay/component.h"
#include "util.h"

typedef struct acl {
    const char **fields;     /* borrowed from the config */
    size_t n_fields;
    char **values;           /* entries: n_entries * n_fields patterns */
    size_t n_entries, cap_entries;
} acl;

enum { OP_CHECK, OP_GRANT, OP_REVOKE };

static const char *const check_outcomes[] = {"allow", "deny", NULL};
static const char *const grant_outcomes[] = {"ok", "exists", NULL};
static const char *const revoke_outcomes[] = {"ok", "absent", NULL};

static const rp_op acl_ops[] = {
    [OP_CHECK] = {.name = "check", .outcomes = check_outcomes},
    [OP_GRANT] = {.name = "grant", .outcomes = grant_outcomes},
    [OP_REVOKE] = {.name = "revoke", .outcomes = revoke_outcomes},
};

static const char *const default_fields[] = {"sender", "target", "intent"};

static void acl_free(void *inst)
{
    acl *a = inst;
    if (!a)
        return;
    for (size_t i = 0; i < a->n_entries * a->n_fields; i++)
        free(a->values[i]);
    free(a->values);
    if (a->fields != default_fields)
        free(a->fields);
    free(a);
}

static char **entry(const acl *a, size_t i)
{
    return a->values + i * a->n_fields;
}

static void add_entry(acl *a, const char *const *values)
{
    size_t cap = a->cap_entries * a->n_fields;
    rb_grow((void **)&a->values, &cap, (a->n_entries + 1) * a->n_fields, sizeof *a->values);
    a->cap_entries = cap / a->n_fields;
    for (size_t f = 0; f < a->n_fields; f++)
        entry(a, a->n_entries)[f] = rb_xstrdup(values[f]);
    a->n_entries++;
}

static rb_code read_entries(const rp_config *c, acl *a, rb_error *err)
{
    const json_t *allow = json_object_get(c->value, "allow");
    if (!allow)
        return RB_OK;
    if (!json_is_array(allow))
        return rp_config_error(c, "allow", err, "allow must be a list of entries");
    size_t i;
    const json_t *e;
    const char *values[RP_MAX_ARGS];
    json_array_foreach(allow, i, e) {
        if (!json_is_object(e) || json_object_size(e) != a->n_fields)
            return rp_config_error(c, "allow", err, "entry %zu must be a mapping of exactly the fields "
                                   "(%zu of them; \"*\" for any value)", i, a->n_fields);
        for (size_t f = 0; f < a->n_fields; f++) {
            const json_t *v = json_object_get(e, a->fields[f]);
            if (!json_is_string(v))
                return rp_config_error(c, "allow", err, "entry %zu: %s must be a string (or \"*\")", i, a->fields[f]);
            values[f] = json_string_value(v);
        }
        add_entry(a, values);
    }
    return RB_OK;
}

static rb_code acl_create(const rp_config *c, void **inst, rb_error *err)
{
    acl *a = rb_xcalloc(1, sizeof *a);
    *inst = a;
    rb_code rc = rp_config_strings(c, "fields", &a->fields, &a->n_fields, err);
    if (rc)
        return rc;
    if (!a->fields) {
        a->fields = (const char **)default_fields;
        a->n_fields = sizeof default_fields / sizeof default_fields[0];
    }
    if (a->n_fields == 0 || a->n_fields > RP_MAX_ARGS)
        return rp_config_error(c, "fields", err, "fields must name 1 to %d fields", RP_MAX_ARGS);
    return read_entries(c, a, err);
}

/* The call's value of each field ("" when missing). */
static void call_values(const acl *a, const rp_call *call, const char **values, char bufs[][64])
{
    for (size_t f = 0; f < a->n_fields; f++) {
        const char *v = rp_args_text(call->args, a->fields[f], bufs[f], sizeof bufs[f]);
        values[f] = v ? v : "";
    }
}

static bool entry_matches(const acl *a, size_t i, const char *const *values, bool exact)
{
    for (size_t f = 0; f < a->n_fields; f++) {
        const char *pattern = entry(a, i)[f];
        /* a pattern without wildcards matches only itself: no fnmatch */
        bool literal = exact || !strpbrk(pattern, "*?[\\");
        if (literal ? strcmp(pattern, values[f]) != 0 : fnmatch(pattern, values[f], 0) != 0)
            return false;
    }
    return true;
}

static long find_entry(const acl *a, const char *const *values, bool exact)
{
    for (size_t i = 0; i < a->n_entries; i++)
        if (entry_matches(a, i, values, exact))
            return (long)i;
    return -1;
}

static const char *acl_call(void *inst, rp_sim *sim, const rp_call *call)
{
    (void)sim;
    acl *a = inst;
    const char *values[RP_MAX_ARGS];
    char bufs[RP_MAX_ARGS][64];
    call_values(a, call, values, bufs);
    if (call->op == OP_CHECK)
        return find_entry(a, values, false) >= 0 ? "allow" : "deny";
    long at = find_entry(a, values, true);
    if (call->op == OP_GRANT) {
        if (at >= 0)
            return "exists";
        add_entry(a, values);
        return "ok";
    }
    if (at < 0)
        return "absent";
    for (size_t f = 0; f < a->n_fields; f++)
        free(entry(a, (size_t)at)[f]);
    memmove(entry(a, (size_t)at), entry(a, (size_t)at + 1),
            (a->n_entries - (size_t)at - 1) * a->n_fields * sizeof *a->values);
    a->n_entries--;
    return "ok";
}

/* The entries (not keyed): at most this many, for a readable report. */
#define DESCRIBED_ENTRIES 20

static json_t *acl_describe(const void *inst, const void *state, const json_t *key)
{
    (void)state;
    (void)key;
    const acl *a = inst;
    json_t *entries = json_array();
    for (size_t i = 0; i < a->n_entries && i < DESCRIBED_ENTRIES; i++) {
        json_t *e = json_object();
        for (size_t f = 0; f < a->n_fields; f++)
            json_object_set_new(e, a->fields[f], json_string(entry(a, i)[f]));
        json_array_append_new(entries, e);
    }
    return json_pack("{s:o, s:I}", "allow", entries, "entries", (json_int_t)a->n_entries);
}

static const char *const acl_params[] = {"fields", "allow", NULL};

const rp_component_type rp_comp_acl = {
    .name = "acl",
    .params = acl_params,
    .ops = acl_ops,
    .n_ops = sizeof acl_ops / sizeof acl_ops[0],
    .create = acl_create,
    .call = acl_call,
    .describe = acl_describe,
    .free = acl_free,
};
