/*
 * check_document.c — `document: {select?, assert: [...]}`: assertions on
 * the values of documents by JSON path (SPEC §4).
 *
 * Each `assert` entry is `{path: DOTTED.PATH, <comparison>: value}` where the
 * comparison is `eq` (plain equality), `exists` (a boolean) or any selector
 * modifier chain (`contains`, `re`, `len|gte`, `not|in`, `startswith|i`...):
 * an entry is compiled into a one-entry selector over the document, so
 * assertions mean exactly what selectors mean.  One difference, from the
 * SPEC: a comparison on a missing path fails — `not|…` included — and only
 * `exists: false` holds for a missing path.
 *
 * `each: PATH` asserts on every item of the list (or object) at PATH
 * instead, with paths relative to the item: `where: SELECTOR` picks the
 * items checked, `key: FIELD` names an item in the finding's key
 * (DOCUMENT[NAME]; its index otherwise), and `required: [NAME...]` lists
 * the names that must be among the items (each absent one is a finding).
 * An assertion value may refer to the whole document as {document.PATH}
 * ("passed: {lte: '{document.counts.checked}'}").
 *
 * One finding per failed assertion, keyed by the document's path; its
 * origin is the line of the asserted node (of its nearest ancestor when the
 * node is missing).  Message variables: {path} (the asserted path),
 * {expected} (the assertion), {actual} (the value; empty when missing),
 * {document} (the document's path), {item} (the item's name under each);
 * other names are fields of the item or the document.
 */
#include "check_kind.h"

#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

typedef struct assertion {
    rb_jsonpath *path;
    rb_selector *test;   /* the entry as a selector over the document */
    bool is_exists;      /* an `exists:` test, which may see a missing node */
    json_t *expected;    /* the entry without `path`, for evidence */
} assertion;

typedef struct document_check {
    rb_selector *select;  /* over the document's {path, kind, role}; may be NULL */
    rb_jsonpath *each;    /* the items asserted on; NULL: the document itself */
    rb_selector *where;   /* which items; NULL: all */
    rb_jsonpath *item_key;/* an item's name; NULL: its index */
    json_t *required;     /* names that must be among the items; may be NULL */
    assertion *asserts;
    size_t n;
} document_check;

/* What an assertion is checked against: the document, or one item of it. */
typedef struct subject {
    const rb_document *doc;
    const json_t *value;  /* the document's value or the item */
    const char *prefix;   /* the item's path in the document, or NULL */
    const char *name;     /* the item's name, or NULL */
} subject;

static const char *const document_refs[] = {"document", NULL};

static void document_free(void *data)
{
    document_check *c = data;
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        rb_jsonpath_free(c->asserts[i].path);
        rb_selector_free(c->asserts[i].test);
        json_decref(c->asserts[i].expected);
    }
    free(c->asserts);
    rb_selector_free(c->select);
    rb_jsonpath_free(c->each);
    rb_selector_free(c->where);
    rb_jsonpath_free(c->item_key);
    json_decref(c->required);
    free(c);
}

/* The one comparison key of an entry (not `path`), or an error. */
static rb_code comparison_of(const json_t *entry, const rb_rule_src *at, const char **out, rb_error *err)
{
    *out = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)entry, key, v) {
        if (strcmp(key, "path") == 0)
            continue;
        if (*out)
            return rb_rule_error(at, key, err, "an assertion has one comparison, but this one has '%s' and '%s'",
                                 *out, key);
        *out = key;
    }
    if (!*out)
        return rb_rule_error(at, NULL, err, "an assertion needs a comparison beside 'path' (expected eq, "
                             "exists, or a selector modifier such as contains, re, gte, not|in)");
    return RB_OK;
}

/* Compiles one `assert` entry at `path` in the rule file. */
static rb_code compile_assertion(const rb_rule *rule, const json_t *entry, const rb_rule_src *at,
                                 assertion *a, rb_error *err)
{
    if (!json_is_object(entry))
        return rb_rule_error(at, NULL, err, "an assertion must be a mapping {path: DOTTED.PATH, <comparison>: value}");
    const json_t *path = json_object_get(entry, "path");
    if (!json_is_string(path) || !(a->path = rb_jsonpath_compile(json_string_value(path))))
        return rb_rule_error(at, path ? "path" : NULL, err,
                             "an assertion needs 'path', a dotted path (e.g. artifacts.0.sha256)");
    const char *comparison;
    rb_code rc = comparison_of(entry, at, &comparison, err);
    if (rc)
        return rc;
    a->is_exists = strcmp(comparison, "exists") == 0;
    a->expected = json_deep_copy(entry);
    json_object_del(a->expected, "path");
    /* the value as the rule means it: "{max_lag}" shown as its value */
    const char *value = json_string_value(json_object_get(entry, comparison));
    char *param = value ? rb_template_single_ref(value) : NULL;
    if (param && json_object_get(rule->params, param))
        json_object_set(a->expected, comparison, json_object_get(rule->params, param));
    free(param);
    char *field = strcmp(comparison, "eq") == 0
                      ? rb_xstrdup(json_string_value(path))
                      : rb_xasprintf("%s|%s", json_string_value(path), comparison);
    json_t *spec = json_object();
    json_object_set(spec, field, json_object_get(entry, comparison));
    free(field);
    rb_sel_env env = rb_rule_sel_env(rule, at->lines, document_refs);
    rc = rb_selector_compile(spec, at->path, &env, &a->test, err);
    json_decref(spec);
    return rc;
}

/* `each`, `where`, `key` and `required`: which items are asserted on. */
static rb_code compile_items(rb_rule *rule, const rb_check_src *src, document_check *c, rb_error *err)
{
    const json_t *each = json_object_get(src->spec, "each");
    const json_t *key = json_object_get(src->spec, "key");
    const json_t *required = json_object_get(src->spec, "required");
    if (!each) {
        const char *stray = json_object_get(src->spec, "where") ? "where" : key ? "key" : required ? "required" : NULL;
        return stray ? rb_rule_error(&src->at, stray, err, "'%s' applies to the items of 'each'", stray) : RB_OK;
    }
    if (!json_is_string(each) || !(c->each = rb_jsonpath_compile(json_string_value(each))))
        return rb_rule_error(&src->at, "each", err, "'each' must be the dotted path of a list (e.g. adapters)");
    if (key && (!json_is_string(key) || !(c->item_key = rb_jsonpath_compile(json_string_value(key)))))
        return rb_rule_error(&src->at, "key", err, "'key' must be the dotted path of a field of each item");
    if (required) {
        size_t i;
        json_t *name;
        bool ok = c->item_key && json_is_array(required);
        json_array_foreach(required, i, name)
            ok = ok && (json_is_string(name) || json_is_number(name));
        if (!ok)
            return rb_rule_error(&src->at, "required", err, "'required' must be a list of item names, with 'key' "
                                 "saying which field names an item");
        c->required = json_incref((json_t *)required);
    }
    return rb_check_selector(rule, src, "where", false, NULL, &c->where, err);
}

static rb_code document_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"select", "each", "where", "key", "required", "assert", NULL};
    static const char *const required[] = {"assert", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    const json_t *list = json_object_get(src->spec, "assert");
    if (!json_is_array(list) || json_array_size(list) == 0)
        return rb_rule_error(&src->at, "assert", err, "'assert' must be a non-empty list of assertions");
    document_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    if ((rc = rb_check_selector(rule, src, "select", false, NULL, &c->select, err)) ||
        (rc = compile_items(rule, src, c, err)))
        return rc;
    c->asserts = rb_xcalloc(json_array_size(list), sizeof *c->asserts);
    char *list_path = rb_jsonpath_child_key(src->at.path, "assert");
    for (size_t i = 0; !rc && i < json_array_size(list); i++) {
        char *entry_path = rb_jsonpath_child_index(list_path, i);
        rb_rule_src at = {src->at.file, src->at.lines, entry_path};
        rc = compile_assertion(rule, json_array_get(list, i), &at, &c->asserts[c->n++], err);
        free(entry_path);
    }
    free(list_path);
    return rc;
}

static bool assertion_holds(const assertion *a, const subject *at)
{
    if (!a->is_exists && !rb_jsonpath_lookup(a->path, at->value))
        return false;
    rb_bindings b = {1, {"document"}, {at->doc->value}};
    return rb_selector_eval(a->test, at->value, &b) == RB_SEL_TRUE;
}

/* The finding's key: the document's path, with the item's name. */
static json_t *subject_key(const subject *at)
{
    const char *doc = json_string_value(json_object_get(at->doc->meta, "path"));
    return at->name ? json_sprintf("%s[%s]", doc, at->name) : json_string(doc);
}

/* Emits a finding on `at`: `path` is the node concerned (relative to the
 * subject), `expected` what was asserted, `actual` the value (or NULL). */
static void report(const rb_rule *rule, const subject *at, const char *path, const json_t *expected,
                   const json_t *actual, rb_run *run)
{
    /* path is already jsonpath text (escaped): joined, not escaped again */
    char *full = at->prefix ? rb_xasprintf("%s.%s", at->prefix, path) : rb_xstrdup(path);
    const json_t *doc_path = json_object_get(at->doc->meta, "path");
    rb_finding *f = rb_finding_for_rule(rule);
    json_t *key = subject_key(at);
    rb_finding_set_key(f, key);
    json_decref(key);
    rb_origin origin = at->doc->origin;
    long line = rb_linemap_nearest(at->doc->lines, full);
    if (line)
        origin.line = line;
    rb_finding_add_origin(f, origin);
    json_t *evidence = json_pack("{s:O, s:s, s:O}", "path", doc_path, "assert", full, "expected", expected);
    if (actual)
        json_object_set(evidence, "actual", (json_t *)actual);
    json_array_append_new(f->evidence, evidence);
    rb_buf text = {0};
    rb_template_append_value(&text, expected);
    json_t *vars = json_pack("{s:s, s:s, s:O}", "path", full, "expected", text.data, "document", doc_path);
    json_object_set_new(vars, "actual", actual ? json_incref((json_t *)actual) : json_string(""));
    if (at->name)
        json_object_set_new(vars, "item", json_string(at->name));
    rb_buf_free(&text);
    rb_message_ctx ctx = {at->value, NULL, vars};
    rb_finding_render(f, &ctx);
    json_decref(vars);
    free(full);
    rb_run_emit(run, f);
}

static void assert_subject(const rb_rule *rule, const document_check *c, const subject *at, rb_run *run)
{
    for (size_t i = 0; i < c->n; i++)
        if (!assertion_holds(&c->asserts[i], at))
            report(rule, at, rb_jsonpath_text(c->asserts[i].path), c->asserts[i].expected,
                   rb_jsonpath_lookup(c->asserts[i].path, at->value), run);
}

/* An item's name as text: its key field, else its index (owned). */
static char *item_name(const document_check *c, const json_t *item, size_t index)
{
    const json_t *k = c->item_key ? rb_jsonpath_lookup(c->item_key, item) : NULL;
    if (!k)
        return c->item_key ? NULL : rb_xasprintf("%zu", index);
    rb_buf b = {0};
    rb_template_append_value(&b, k);
    return b.data ? b.data : rb_xstrdup("");
}

static void assert_items(const rb_rule *rule, const document_check *c, const rb_document *doc, rb_run *run)
{
    const json_t *items = rb_jsonpath_lookup(c->each, doc->value);
    const char *each = rb_jsonpath_text(c->each);
    json_t *seen = json_array();
    size_t n = json_is_array(items) ? json_array_size(items) : 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(items, i);
        char *name = item_name(c, item, i);
        if (name)
            json_array_append_new(seen, json_string(name));
        if (!c->where || rb_selector_match(c->where, item)) {
            char *prefix = rb_jsonpath_child_index(each, i);
            char *index = rb_xasprintf("%zu", i);
            subject at = {doc, item, prefix, name ? name : index};
            assert_subject(rule, c, &at, run);
            free(index);
            free(prefix);
        }
        free(name);
    }
    size_t i;
    json_t *want;
    json_array_foreach(c->required, i, want) {
        rb_buf name = {0};
        rb_buf_puts(&name, "");
        rb_template_append_value(&name, want);
        size_t j;
        json_t *have;
        bool found = false;
        json_array_foreach(seen, j, have)
            found = found || strcmp(json_string_value(have), name.data) == 0;
        if (!found) {
            subject at = {doc, doc->value, NULL, name.data};
            json_t *expected = json_pack("{s:O}", rb_jsonpath_text(c->item_key), want);
            report(rule, &at, each, expected, NULL, run);
            json_decref(expected);
        }
        rb_buf_free(&name);
    }
    json_decref(seen);
}

static void document_document(void *state, const rb_rule *rule, const rb_document *doc, rb_run *run)
{
    (void)state;
    const document_check *c = rule->check_data;
    if (c->select && !rb_selector_match(c->select, doc->meta))
        return;
    if (c->each) {
        assert_items(rule, c, doc, run);
        return;
    }
    subject at = {doc, doc->value, NULL, NULL};
    assert_subject(rule, c, &at, run);
}

const rb_check_kind rb_check_document = {
    .name = "document",
    .compile = document_compile,
    .free_data = document_free,
    .document = document_document,
};
