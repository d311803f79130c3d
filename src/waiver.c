/*
 * waiver.c — reading waiver files and applying them to findings
 * (waiver.h).
 */
#include "waiver.h"

#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "timeutil.h"
#include "util.h"
#include "yaml_load.h"

#define MAX_WAIVER_FILE_BYTES ((size_t)16 << 20)

typedef struct waiver {
    char *fingerprint;   /* or NULL, and then rule and key */
    char *rule;
    char *key;           /* the key's text; NULL for no key */
    char *reason, *owner, *expires;
    int64_t expiry;      /* the first moment it no longer holds */
    rb_origin origin;
} waiver;

struct rb_waivers {
    waiver *items;
    size_t n;
};

void rb_waivers_free(rb_waivers *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        waiver *x = &w->items[i];
        free(x->fingerprint);
        free(x->rule);
        free(x->key);
        free(x->reason);
        free(x->owner);
        free(x->expires);
    }
    free(w->items);
    free(w);
}

/* The text of a key as findings are compared: a string as itself, other
 * values as compact JSON; NULL for null. */
static char *key_text(const json_t *key)
{
    if (!key || json_is_null(key))
        return NULL;
    rb_buf b = {0};
    rb_template_append_value(&b, key);
    return rb_buf_take(&b);
}

/* A date "YYYY-MM-DD" lasts through the end of that day (UTC); a time is
 * the moment itself. */
static bool parse_expiry(const char *text, int64_t *expiry)
{
    if (strlen(text) == 10) {
        char *midnight = rb_xasprintf("%sT00:00:00Z", text);
        bool ok = rb_time_parse(midnight, expiry);
        free(midnight);
        *expiry += INT64_C(86400) * RB_US_PER_SEC;
        return ok;
    }
    return rb_time_parse(text, expiry);
}

static rb_code entry_error(const char *file, const rb_linemap *lines, const char *path, const char *member,
                           rb_error *err, const char *what)
{
    char *at = member ? rb_jsonpath_child_key(path, member) : rb_xstrdup(path);
    long line = rb_linemap_nearest(lines, at);
    free(at);
    return rb_error_set(err, RB_EINPUT, "%s:%ld: %s", file, line, what);
}

/* Copies a required non-empty string member. */
static rb_code required_string(const json_t *entry, const char *name, const char *file, const rb_linemap *lines,
                               const char *path, char **out, rb_error *err)
{
    const json_t *v = json_object_get(entry, name);
    if (!json_is_string(v) || !json_string_length(v)) {
        char *what = rb_xasprintf("a waiver needs '%s' (a non-empty string): every waiver says why, who owns "
                                  "it and when it ends",
                                  name);
        rb_code rc = entry_error(file, lines, path, v ? name : NULL, err, what);
        free(what);
        return rc;
    }
    *out = rb_xstrdup(json_string_value(v));
    return RB_OK;
}

static rb_code read_entry(const json_t *entry, const char *file, const rb_linemap *lines, const char *path,
                          waiver *w, rb_error *err)
{
    static const char *const keys[] = {"fingerprint", "rule", "key", "reason", "owner", "expires", NULL};
    if (!json_is_object(entry))
        return entry_error(file, lines, path, NULL, err,
                           "a waiver must be a mapping {fingerprint | rule + key, reason, owner, expires}");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)entry, k, v)
        if (!rb_str_in_list(k, keys)) {
            char *what = rb_xasprintf("unknown key '%s' in a waiver (expected fingerprint, rule, key, reason, "
                                      "owner, expires)",
                                      k);
            rb_code rc = entry_error(file, lines, path, k, err, what);
            free(what);
            return rc;
        }
    bool by_fingerprint = json_object_get(entry, "fingerprint") != NULL;
    bool by_rule = json_object_get(entry, "rule") || json_object_get(entry, "key");
    if (by_fingerprint == by_rule)
        return entry_error(file, lines, path, NULL, err,
                           "a waiver names its finding by 'fingerprint', or by 'rule' and 'key' (not both)");
    rb_code rc;
    if (by_fingerprint)
        rc = required_string(entry, "fingerprint", file, lines, path, &w->fingerprint, err);
    else if (!json_object_get(entry, "key"))
        rc = entry_error(file, lines, path, NULL, err, "a waiver by 'rule' needs 'key' too (null for no key)");
    else
        rc = required_string(entry, "rule", file, lines, path, &w->rule, err);
    if (rc || (rc = required_string(entry, "reason", file, lines, path, &w->reason, err)) ||
        (rc = required_string(entry, "owner", file, lines, path, &w->owner, err)) ||
        (rc = required_string(entry, "expires", file, lines, path, &w->expires, err)))
        return rc;
    if (!by_fingerprint)
        w->key = key_text(json_object_get(entry, "key"));
    if (!parse_expiry(w->expires, &w->expiry))
        return entry_error(file, lines, path, "expires", err,
                           "'expires' is not a date or time (expected 2026-12-31 or 2026-12-31T18:00:00Z)");
    return RB_OK;
}

static rb_code read_list(const rb_yaml_doc *doc, const char *file, rb_input *in, rb_waivers *w, rb_error *err)
{
    if (json_is_null(doc->value))
        return RB_OK;
    if (!json_is_array(doc->value))
        return rb_error_set(err, RB_EINPUT, "%s:%ld: expected a list of waivers", file, doc->line);
    w->items = rb_xcalloc(json_array_size(doc->value) + 1, sizeof *w->items);
    size_t i;
    json_t *entry;
    json_array_foreach(doc->value, i, entry) {
        char *path = rb_jsonpath_child_index("", i);
        waiver *x = &w->items[w->n++];
        x->origin = (rb_origin){.input = in, .line = rb_linemap_nearest(doc->lines, path)};
        rb_code rc = read_entry(entry, file, doc->lines, path, x, err);
        free(path);
        if (rc)
            return rc;
    }
    return RB_OK;
}

rb_code rb_waivers_load(const char *path, rb_evidence *ev, rb_waivers **out, rb_error *err)
{
    *out = rb_xcalloc(1, sizeof **out);
    unsigned char *data;
    size_t len;
    rb_code rc = rb_read_file(path, MAX_WAIVER_FILE_BYTES, &data, &len, err);
    if (rc)
        return rc;
    rb_input *in = rb_evidence_add_input(ev, path, "waivers", data, len);
    /* its own findings (expired, unused) are fingerprinted by its own
     * name, wherever it lies; they are keyed by the waiver, so its name
     * needs no telling apart from the evidence's */
    rb_input_set_root_of_file(in, path);
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rc = rb_yaml_load(in->path, data, len, NULL, &docs, &n, err);
    free(data);
    if (!rc && n > 1)
        rc = rb_error_set(err, RB_EINPUT, "%s:%ld: expected one YAML document (a list of waivers)", in->path,
                          docs[1].line);
    if (!rc && n == 1)
        rc = read_list(&docs[0], in->path, in, *out, err);
    rb_yaml_docs_free(docs, n);
    return rc;
}

static bool names(const waiver *w, const rb_finding *f)
{
    if (w->fingerprint)
        return strcmp(w->fingerprint, f->fingerprint) == 0;
    if (strcmp(w->rule, f->rule_id) != 0)
        return false;
    char *key = key_text(f->key);
    bool same = (!key && !w->key) || (key && w->key && strcmp(key, w->key) == 0);
    free(key);
    return same;
}

/* The waiver's own finding (expired or unused). */
static rb_finding *about_waiver(const waiver *w, const char *rule_id, rb_severity sev, const char *state)
{
    char *name = w->fingerprint ? rb_xstrdup(w->fingerprint)
                                : rb_xasprintf("%s:%s", w->rule, w->key ? w->key : "null");
    char *message = rb_xasprintf("waiver for %s (owner %s: %s) %s", name, w->owner, w->reason, state);
    rb_finding *f = rb_finding_builtin(rule_id, sev, message);
    json_t *key = json_string(name);
    rb_finding_set_key(f, key);
    json_decref(key);
    rb_finding_add_origin(f, w->origin);
    json_array_append_new(f->evidence, json_pack("{s:s, s:s, s:s, s:s}", "waiver", name, "owner", w->owner,
                                                 "reason", w->reason, "expires", w->expires));
    rb_finding_seal(f);
    free(message);
    free(name);
    return f;
}

void rb_waivers_apply(const rb_waivers *w, int64_t now, rb_findings *findings, rb_findings *suppressed)
{
    bool *used = rb_xcalloc(w->n + 1, sizeof *used);
    size_t kept = 0;
    for (size_t i = 0; i < findings->n; i++) {
        rb_finding *f = findings->items[i];
        const waiver *by = NULL;
        for (size_t j = 0; j < w->n && !by; j++)
            if (now < w->items[j].expiry && names(&w->items[j], f)) {
                by = &w->items[j];
                used[j] = true;
            }
        if (!by) {
            findings->items[kept++] = f;
            continue;
        }
        json_object_set_new(f->extra, "suppressed_by",
                            json_pack("{s:s, s:s, s:s, s:s}", "kind", "waiver", "reason", by->reason, "owner",
                                      by->owner, "expires", by->expires));
        rb_findings_add(suppressed, f);
    }
    findings->n = kept;
    for (size_t j = 0; j < w->n; j++) {
        const waiver *x = &w->items[j];
        if (now >= x->expiry) {
            char *state = rb_xasprintf("expired at %s: its findings are reported again", x->expires);
            rb_findings_add(findings, about_waiver(x, "RBA-WAIVER-EXPIRED", RB_SEV_WARNING, state));
            free(state);
        } else if (!used[j]) {
            rb_findings_add(findings, about_waiver(x, "RBA-WAIVER-UNUSED", RB_SEV_NOTE,
                                                   "matched no finding: remove it"));
        }
    }
    free(used);
}
