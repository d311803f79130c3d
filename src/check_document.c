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
 * One finding per failed assertion, keyed by the document's path; its
 * origin is the line of the asserted node (of its nearest ancestor when the
 * node is missing).  Message variables: {path} (the asserted path),
 * {expected} (the assertion), {actual} (the value; empty when missing),
 * {document} (the document's path).
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
    assertion *asserts;
    size_t n;
} document_check;

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
    char *field = strcmp(comparison, "eq") == 0
                      ? rb_xstrdup(json_string_value(path))
                      : rb_xasprintf("%s|%s", json_string_value(path), comparison);
    json_t *spec = json_object();
    json_object_set(spec, field, json_object_get(entry, comparison));
    free(field);
    rb_sel_env env = rb_rule_sel_env(rule, at->lines, NULL);
    rc = rb_selector_compile(spec, at->path, &env, &a->test, err);
    json_decref(spec);
    return rc;
}

static rb_code document_compile(rb_rule *rule, const rb_check_src *src, rb_error *err)
{
    static const char *const keys[] = {"select", "assert", NULL};
    static const char *const required[] = {"assert", NULL};
    rb_code rc = rb_check_keys(src, keys, required, err);
    if (rc)
        return rc;
    const json_t *list = json_object_get(src->spec, "assert");
    if (!json_is_array(list) || json_array_size(list) == 0)
        return rb_rule_error(&src->at, "assert", err, "'assert' must be a non-empty list of assertions");
    document_check *c = rb_xcalloc(1, sizeof *c);
    rule->check_data = c;
    if ((rc = rb_check_selector(rule, src, "select", false, NULL, &c->select, err)))
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

static bool assertion_holds(const assertion *a, const json_t *document)
{
    if (!a->is_exists && !rb_jsonpath_lookup(a->path, document))
        return false;
    return rb_selector_match(a->test, document);
}

static void report_failure(const rb_rule *rule, const rb_document *doc, const assertion *a, rb_run *run)
{
    const char *path = rb_jsonpath_text(a->path);
    const json_t *actual = rb_jsonpath_lookup(a->path, doc->value);
    rb_finding *f = rb_finding_for_rule(rule);
    rb_finding_set_key(f, json_object_get(doc->meta, "path"));
    rb_origin origin = doc->origin;
    long line = rb_linemap_nearest(doc->lines, path);
    if (line)
        origin.line = line;
    rb_finding_add_origin(f, origin);
    json_t *evidence = json_pack("{s:O, s:s, s:O}", "path", json_object_get(doc->meta, "path"), "assert",
                                 path, "expected", a->expected);
    if (actual)
        json_object_set(evidence, "actual", (json_t *)actual);
    json_array_append_new(f->evidence, evidence);
    rb_buf expected = {0};
    rb_template_append_value(&expected, a->expected);
    json_t *vars = json_pack("{s:s, s:s, s:O}", "path", path, "expected", expected.data, "document",
                             json_object_get(doc->meta, "path"));
    json_object_set_new(vars, "actual", actual ? json_incref((json_t *)actual) : json_string(""));
    rb_buf_free(&expected);
    rb_message_ctx ctx = {doc->value, NULL, vars};
    rb_finding_render(f, &ctx);
    json_decref(vars);
    rb_run_emit(run, f);
}

static void document_document(void *state, const rb_rule *rule, const rb_document *doc, rb_run *run)
{
    (void)state;
    const document_check *c = rule->check_data;
    if (c->select && !rb_selector_match(c->select, doc->meta))
        return;
    for (size_t i = 0; i < c->n; i++)
        if (!assertion_holds(&c->asserts[i], doc->value))
            report_failure(rule, doc, &c->asserts[i], run);
}

const rb_check_kind rb_check_document = {
    .name = "document",
    .compile = document_compile,
    .free_data = document_free,
    .document = document_document,
};
