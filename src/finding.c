/*
 * finding.c — building, fingerprinting and ordering findings (finding.h).
 */
#include "finding.h"

#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "template.h"
#include "util.h"

static rb_finding *finding_new(const char *rule_id, rb_severity sev)
{
    rb_finding *f = rb_xcalloc(1, sizeof *f);
    f->rule_id = rb_xstrdup(rule_id);
    f->severity = sev;
    f->key = json_null();
    f->evidence = json_array();
    f->extra = json_object();
    return f;
}

/* The built-in rules: findings the program makes itself. */
static const struct builtin_rule {
    const char *id, *title;
} builtin_rules[] = {
    {"RBA-INPUT", "Evidence that could not be read as expected"},
    {"RBA-INTEGRITY", "A bundle member is unsafe, missing, altered or unlisted"},
    {"RBA-UNCOVERED", "A changed file that no rule reads"},
    {"RBA-RULE-ERROR", "A rule failed on a ledger and could not audit it"},
    {"RBA-WAIVER-EXPIRED", "A waiver has expired"},
    {"RBA-WAIVER-UNUSED", "A waiver matched no finding"},
    {"RBA-REPLAY-DIVERGE", "A captured trace leaves the model of the system"},
    {"RBA-REPLAY-INVARIANT", "A model invariant breaks under injected faults"},
};

const char *rb_builtin_rule_title(const char *rule_id)
{
    for (size_t i = 0; i < sizeof builtin_rules / sizeof builtin_rules[0]; i++)
        if (strcmp(builtin_rules[i].id, rule_id) == 0)
            return builtin_rules[i].title;
    return NULL;
}

void rb_origin_describe(const rb_origin *o, rb_buf *b)
{
    rb_buf_puts(b, o->input->path);
    if (o->line)
        rb_buf_printf(b, ":%ld", o->line);
    if (o->table)
        rb_buf_printf(b, " %s", o->table);
    if (o->row)
        rb_buf_printf(b, " rowid %lld", (long long)o->row);
    if (o->commit)
        rb_buf_printf(b, " @%.12s", o->commit);
}

rb_finding *rb_finding_for_rule(const rb_rule *rule)
{
    rb_finding *f = finding_new(rule->id, rule->severity);
    f->rule = rule;
    f->runbook = rule->runbook ? rb_xstrdup(rule->runbook) : NULL;
    f->remediation = rule->remediation ? rb_xstrdup(rule->remediation) : NULL;
    return f;
}

rb_finding *rb_finding_builtin(const char *rule_id, rb_severity sev, const char *message)
{
    rb_finding *f = finding_new(rule_id, sev);
    f->message = rb_xstrdup(message);
    return f;
}

void rb_finding_free(rb_finding *f)
{
    if (!f)
        return;
    free(f->rule_id);
    free(f->message);
    json_decref(f->key);
    free(f->origins);
    json_decref(f->evidence);
    free(f->runbook);
    free(f->remediation);
    json_decref(f->extra);
    free(f);
}

void rb_finding_set_key(rb_finding *f, const json_t *key)
{
    json_decref(f->key);
    f->key = key ? json_deep_copy(key) : json_null();
}

void rb_finding_add_origin(rb_finding *f, rb_origin origin)
{
    f->origins = rb_xrealloc(f->origins, (f->n_origins + 1) * sizeof *f->origins);
    f->origins[f->n_origins++] = origin;
}

void rb_finding_add_evidence(rb_finding *f, const rb_event *ev)
{
    if (json_array_size(f->evidence) < RB_FINDING_MAX_EVIDENCE)
        json_array_append_new(f->evidence, rb_event_whole(ev));
}

void rb_finding_add_event(rb_finding *f, const rb_event *ev)
{
    rb_finding_add_origin(f, ev->origin);
    rb_finding_add_evidence(f, ev);
}

/* What a message template is rendered against. */
typedef struct message_scope {
    const rb_finding *f;
    const rb_message_ctx *ctx;
} message_scope;

static const json_t *message_lookup(void *opaque, const char *name)
{
    const rb_finding *f = ((message_scope *)opaque)->f;
    const rb_message_ctx *ctx = ((message_scope *)opaque)->ctx;
    const json_t *v = ctx->vars ? json_object_get(ctx->vars, name) : NULL;
    if (v)
        return v;
    if (strcmp(name, "key") == 0)
        return f->key;
    const char *dot = strchr(name, '.');
    if (dot && ctx->bound) {
        for (size_t i = 0; i < ctx->bound->n; i++) {
            size_t len = strlen(ctx->bound->names[i]);
            if ((size_t)(dot - name) == len && strncmp(name, ctx->bound->names[i], len) == 0)
                return rb_jsonpath_get(ctx->bound->values[i], dot + 1);
        }
    }
    if (f->rule && (v = json_object_get(f->rule->params, name)))
        return v;
    return ctx->primary ? rb_jsonpath_get(ctx->primary, name) : NULL;
}

void rb_finding_render(rb_finding *f, const rb_message_ctx *ctx)
{
    message_scope scope = {f, ctx};
    const char *tpl = f->rule ? f->rule->message : "";
    free(f->message);
    f->message = rb_template_render(tpl, message_lookup, &scope);
}

static void hash_json(rb_sha256 *h, const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    if (text) {
        rb_sha256_update(h, text, strlen(text));
        free(text);
    }
    rb_sha256_update(h, "\n", 1);
}

/* The origin input that text names: text is its path, or with `item` its
 * path followed by "[" (a document key, "PATH[item]"); the longest such
 * path wins.  NULL when none does. */
static const rb_input *named_input(const rb_finding *f, const char *text, bool item)
{
    const rb_input *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < f->n_origins; i++) {
        const rb_input *in = f->origins[i].input;
        size_t n = strlen(in->path);
        if (n > best_len && strncmp(text, in->path, n) == 0 && (!text[n] || (item && text[n] == '[')))
            best = in, best_len = n;
    }
    return best;
}

/* v (a new reference), or when it is a string naming an origin input, the
 * same string with that input's name in place of its path. */
static json_t *located(const rb_finding *f, json_t *v, bool item)
{
    const char *text = json_string_value(v);
    const rb_input *in = text ? named_input(f, text, item) : NULL;
    if (!in || strcmp(in->path, in->name) == 0)
        return json_incref(v);
    char *swapped = rb_xasprintf("%s%s", in->name, text + strlen(in->path));
    json_t *s = rb_json_text(swapped, strlen(swapped));
    free(swapped);
    return s;
}

/* An evidence item as the fingerprint reads it: the `path` and `file`
 * members by which documents, places and config changes name their input
 * are located.  A new reference. */
static json_t *located_item(const rb_finding *f, json_t *item)
{
    static const char *const members[] = {"path", "file"};
    json_t *copy = json_is_object(item) ? json_copy(item) : json_incref(item);
    for (size_t i = 0; json_is_object(copy) && i < sizeof members / sizeof members[0]; i++) {
        json_t *v = json_object_get(copy, members[i]);
        if (v)
            json_object_set_new(copy, members[i], located(f, v, false));
    }
    return copy;
}

void rb_finding_seal(rb_finding *f)
{
    rb_sha256 *h = rb_sha256_new();
    rb_sha256_update(h, f->rule_id, strlen(f->rule_id) + 1);
    json_t *key = located(f, f->key, true);
    hash_json(h, key);
    json_decref(key);
    const char *name = f->n_origins ? f->origins[0].input->name : "";
    rb_sha256_update(h, name, strlen(name) + 1);
    size_t i;
    json_t *item;
    json_array_foreach(f->evidence, i, item) {
        json_t *seen = located_item(f, item);
        hash_json(h, seen);
        json_decref(seen);
    }
    rb_sha256_final(h, f->fingerprint);
}

void rb_findings_add(rb_findings *list, rb_finding *f)
{
    rb_grow((void **)&list->items, &list->cap, list->n + 1, sizeof *list->items);
    list->items[list->n++] = f;
}

/* A finding as the sort sees it: its key written out once, not at every
 * comparison (a sort makes n log n of them, and a key's text is what it
 * is compared by). */
typedef struct sort_item {
    rb_finding *f;
    char *key;
} sort_item;

static int compare_findings(const void *pa, const void *pb)
{
    const sort_item *ia = pa, *ib = pb;
    const rb_finding *a = ia->f, *b = ib->f;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    int c = strcmp(a->rule_id, b->rule_id);
    if (c)
        return c;
    const char *pa_path = a->n_origins ? a->origins[0].input->path : "";
    const char *pb_path = b->n_origins ? b->origins[0].input->path : "";
    if ((c = strcmp(pa_path, pb_path)))
        return c;
    long la = a->n_origins ? a->origins[0].line : 0, lb = b->n_origins ? b->origins[0].line : 0;
    if (la != lb)
        return la < lb ? -1 : 1;
    int64_t ra = a->n_origins ? a->origins[0].row : 0, rb = b->n_origins ? b->origins[0].row : 0;
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if ((c = strcmp(ia->key, ib->key)))
        return c;
    return strcmp(a->fingerprint, b->fingerprint);
}

void rb_findings_sort(rb_findings *list)
{
    if (list->n < 2)
        return;
    sort_item *items = rb_xcalloc(list->n, sizeof *items);
    for (size_t i = 0; i < list->n; i++) {
        items[i].f = list->items[i];
        items[i].key = json_dumps(list->items[i]->key, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
        if (!items[i].key)
            items[i].key = rb_xstrdup("");
    }
    qsort(items, list->n, sizeof *items, compare_findings);
    for (size_t i = 0; i < list->n; i++) {
        list->items[i] = items[i].f;
        free(items[i].key);
    }
    free(items);
}

void rb_findings_clear(rb_findings *list)
{
    for (size_t i = 0; i < list->n; i++)
        rb_finding_free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->n = list->cap = 0;
}
