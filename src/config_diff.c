/*
 * config_diff.c — parsing config revisions and diffing them leaf by leaf
 * (config_diff.h).
 */
#include "config_diff.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input_limits.h"
#include "util.h"
#include "yaml_load.h"

void rb_config_set_add(rb_config_set *set, const char *files, const json_t *list_keys)
{
    rb_grow((void **)&set->items, &set->cap, set->n + 1, sizeof *set->items);
    rb_config_decl *d = &set->items[set->n++];
    *d = (rb_config_decl){.files = rb_xstrdup(files)};
    size_t n = json_object_size(list_keys);
    d->lists = rb_xcalloc(n + 1, sizeof *d->lists);
    d->list_keys = rb_xcalloc(n + 1, sizeof *d->list_keys);
    const char *glob;
    json_t *field;
    json_object_foreach((json_t *)list_keys, glob, field) {
        d->lists[d->n_lists] = rb_jsonpath_compile(glob);
        d->list_keys[d->n_lists++] = rb_xstrdup(json_string_value(field));
    }
}

void rb_config_set_free(rb_config_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        rb_config_decl *d = &set->items[i];
        for (size_t j = 0; j < d->n_lists; j++) {
            rb_jsonpath_free(d->lists[j]);
            free(d->list_keys[j]);
        }
        free(d->lists);
        free(d->list_keys);
        free(d->files);
    }
    free(set->items);
    *set = (rb_config_set){0};
}

const char *rb_config_check_list_keys(const json_t *list_keys)
{
    static const char expected[] = "'list_keys' must map list paths (dotted globs such as "
                                   "'profiles' or 'projects.*.graphs') to key field names";
    if (!json_is_object(list_keys))
        return expected;
    const char *glob;
    json_t *field;
    json_object_foreach((json_t *)list_keys, glob, field) {
        rb_jsonpath *p = rb_jsonpath_compile(glob);
        rb_jsonpath_free(p);
        if (!p || !*glob || !json_is_string(field) || !*json_string_value(field))
            return expected;
    }
    return NULL;
}

bool rb_config_set_takes(const rb_config_set *set, const char *file)
{
    for (size_t i = 0; i < set->n; i++)
        if (rb_path_glob(set->items[i].files, file))
            return true;
    return false;
}

json_t *rb_config_set_globs(const rb_config_set *set)
{
    json_t *seen = json_object();
    for (size_t i = 0; set && i < set->n; i++)
        json_object_set_new(seen, set->items[i].files, json_true());
    size_t n;
    const char **keys = rb_json_sorted_keys(seen, &n);
    json_t *globs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(globs, json_string(keys[i]));
    free(keys);
    json_decref(seen);
    return globs;
}

bool rb_config_is_no_revision(const char *path)
{
    struct stat st, null;
    return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 &&
           S_ISCHR(null.st_mode) && st.st_rdev == null.st_rdev;
}

void rb_config_set_digest(const rb_config_set *set, char hex[RB_SHA256_HEX_LEN + 1])
{
    rb_sha256 *h = rb_sha256_new();
    for (size_t i = 0; i < set->n; i++) {
        const rb_config_decl *d = &set->items[i];
        rb_sha256_update(h, d->files, strlen(d->files) + 1);
        for (size_t j = 0; j < d->n_lists; j++) {
            const char *glob = rb_jsonpath_text(d->lists[j]);
            rb_sha256_update(h, glob, strlen(glob) + 1);
            rb_sha256_update(h, d->list_keys[j], strlen(d->list_keys[j]) + 1);
        }
        rb_sha256_update(h, "", 1);
    }
    rb_sha256_final(h, hex);
}

/* A YAML stream of several documents: a list of them, each document's
 * start line standing for the lines inside it. */
static void documents_as_list(rb_yaml_doc *docs, size_t n, json_t **value, rb_linemap **lines)
{
    *value = json_array();
    *lines = rb_linemap_new();
    for (size_t i = 0; i < n; i++) {
        json_array_append(*value, docs[i].value);
        char *p = rb_jsonpath_child_index("", i);
        rb_linemap_set(*lines, p, docs[i].line);
        free(p);
    }
}

/* Whether data holds nothing but JSON whitespace. */
static bool is_blank(const unsigned char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", data[i]) || !data[i])
            return false;
    return true;
}

rb_code rb_config_parse(const char *name, const unsigned char *data, size_t len, json_t **value,
                        rb_linemap **lines, rb_error *err)
{
    *value = NULL;
    *lines = NULL;
    if (rb_has_suffix(name, ".json")) {
        /* an empty file is the empty document, as it is in YAML */
        if (is_blank(data, len)) {
            *value = json_null();
            return RB_OK;
        }
        json_error_t e;
        *value = rb_json_parse((const char *)data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
        if (!*value)
            return rb_error_set(err, RB_EINPUT, "%s:%s: invalid JSON: %s (expected one JSON value)", name,
                                rb_json_error_place(&e).text, e.text);
        *lines = rb_yaml_json_lines(data, len);
        return RB_OK;
    }
    rb_yaml_doc *docs;
    size_t n;
    rb_code rc = rb_yaml_load(name, data, len, NULL, &docs, &n, err);
    if (rc)
        return rc;
    if (n == 1) {
        *value = json_incref(docs[0].value);
        *lines = docs[0].lines;
        docs[0].lines = NULL;
    } else if (n == 0) {
        *value = json_null();
    } else {
        documents_as_list(docs, n, value, lines);
    }
    rb_yaml_docs_free(docs, n);
    return RB_OK;
}

/* One diff in progress. */
typedef struct differ {
    const rb_config_decl **decls; /* the declarations that cover the file */
    size_t n_decls;
    const rb_linemap *lines;
    json_t *out;
} differ;

/* The key field of the list at `path`, or NULL: the first declaration of
 * the file that names a glob matching the path. */
static const char *list_key(const differ *d, const char *path)
{
    if (!d->n_decls)
        return NULL;
    rb_jsonpath *p = rb_jsonpath_compile(path);
    const char *field = NULL;
    for (size_t i = 0; p && i < d->n_decls && !field; i++)
        for (size_t j = 0; j < d->decls[i]->n_lists && !field; j++)
            if (rb_jsonpath_glob(d->decls[i]->lists[j], p))
                field = d->decls[i]->list_keys[j];
    rb_jsonpath_free(p);
    return field;
}

/* The key of a list item as a path segment, or NULL when it has none
 * that can be one (a string or an integer). */
static char *item_key(const json_t *item, const char *field)
{
    const json_t *k = json_object_get(item, field);
    if (json_is_string(k) && *json_string_value(k))
        return rb_xstrdup(json_string_value(k));
    if (json_is_integer(k))
        return rb_xasprintf("%lld", (long long)json_integer_value(k));
    return NULL;
}

/* The items of a list by key (an object: key -> index), or NULL when some
 * item has no key or two share one: such a list is compared by index. */
static json_t *index_by_key(const json_t *list, const char *field)
{
    if (!field || !json_is_array(list))
        return NULL;
    json_t *index = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        char *k = item_key(item, field);
        bool unique = k && !json_object_get(index, k);
        if (unique)
            json_object_set_new(index, k, json_integer((json_int_t)i));
        free(k);
        if (!unique) {
            json_decref(index);
            return NULL;
        }
    }
    return index;
}

static void emit(differ *d, const char *path, const char *op, const json_t *old, const json_t *new,
                 const char *lines_path)
{
    json_t *c = json_pack("{s:s, s:s}", "path", path, "op", op);
    if (old)
        json_object_set(c, "old", (json_t *)old);
    if (new)
        json_object_set(c, "new", (json_t *)new);
    long line = rb_linemap_nearest(d->lines, lines_path);
    if (line)
        json_object_set_new(c, "line", json_integer(line));
    json_array_append_new(d->out, c);
}

/* The path of a list item: its key when the list is keyed, else its
 * index. */
static char *item_path(const char *path, const json_t *keys, const json_t *item, const char *field,
                       size_t i)
{
    if (!keys)
        return rb_jsonpath_child_index(path, i);
    char *k = item_key(item, field);
    char *p = rb_jsonpath_child_key(path, k);
    free(k);
    return p;
}

/* Every leaf under v, added (v is new; lines_path follows it) or removed
 * (v is old; lines_path stays at the nearest node of the new revision). */
static void leaves(differ *d, const char *path, const char *lines_path, const json_t *v, bool added)
{
    if (json_is_object(v) && json_object_size(v)) {
        const char *k;
        json_t *child;
        json_object_foreach((json_t *)v, k, child) {
            char *p = rb_jsonpath_child_key(path, k);
            char *lp = added ? rb_jsonpath_child_key(lines_path, k) : rb_xstrdup(lines_path);
            leaves(d, p, lp, child, added);
            free(p);
            free(lp);
        }
    } else if (json_is_array(v) && json_array_size(v)) {
        const char *field = list_key(d, path);
        json_t *keys = index_by_key(v, field);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            char *p = item_path(path, keys, item, field, i);
            char *lp = added ? rb_jsonpath_child_index(lines_path, i) : rb_xstrdup(lines_path);
            leaves(d, p, lp, item, added);
            free(p);
            free(lp);
        }
        json_decref(keys);
    } else {
        emit(d, path, added ? "add" : "remove", added ? NULL : v, added ? v : NULL, lines_path);
    }
}

static void diff_unequal(differ *d, const char *path, const char *lines_path, const json_t *a,
                         const json_t *b);

/* Most of a revision is what its parent was: equal members are passed
 * over before any path is spelt. */
static bool same(const json_t *a, const json_t *b)
{
    return a == b || json_equal((json_t *)a, (json_t *)b);
}

static void diff_objects(differ *d, const char *path, const char *lines_path, const json_t *a,
                         const json_t *b)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)b, k, v) {
        const json_t *old = json_object_get(a, k);
        if (old && same(old, v))
            continue;
        char *p = rb_jsonpath_child_key(path, k), *lp = rb_jsonpath_child_key(lines_path, k);
        if (old)
            diff_unequal(d, p, lp, old, v);
        else
            leaves(d, p, lp, v, true);
        free(p);
        free(lp);
    }
    json_object_foreach((json_t *)a, k, v) {
        if (json_object_get(b, k))
            continue;
        char *p = rb_jsonpath_child_key(path, k);
        leaves(d, p, lines_path, v, false);
        free(p);
    }
}

static void diff_keyed_lists(differ *d, const char *path, const char *lines_path, const json_t *a,
                             const json_t *b, const json_t *a_keys, const json_t *b_keys)
{
    const char *k;
    json_t *at;
    json_object_foreach((json_t *)b_keys, k, at) {
        size_t i = (size_t)json_integer_value(at);
        const json_t *old_at = json_object_get(a_keys, k);
        const json_t *old = old_at ? json_array_get(a, (size_t)json_integer_value(old_at)) : NULL;
        if (old && same(old, json_array_get(b, i)))
            continue;
        char *p = rb_jsonpath_child_key(path, k), *lp = rb_jsonpath_child_index(lines_path, i);
        if (old)
            diff_unequal(d, p, lp, old, json_array_get(b, i));
        else
            leaves(d, p, lp, json_array_get(b, i), true);
        free(p);
        free(lp);
    }
    json_object_foreach((json_t *)a_keys, k, at) {
        if (json_object_get(b_keys, k))
            continue;
        char *p = rb_jsonpath_child_key(path, k);
        leaves(d, p, lines_path, json_array_get(a, (size_t)json_integer_value(at)), false);
        free(p);
    }
}

static void diff_lists(differ *d, const char *path, const char *lines_path, const json_t *a, const json_t *b)
{
    const char *field = list_key(d, path);
    json_t *a_keys = index_by_key(a, field), *b_keys = a_keys ? index_by_key(b, field) : NULL;
    if (a_keys && b_keys) {
        diff_keyed_lists(d, path, lines_path, a, b, a_keys, b_keys);
    } else {
        size_t na = json_array_size(a), nb = json_array_size(b);
        for (size_t i = 0; i < na || i < nb; i++) {
            if (i < na && i < nb && same(json_array_get(a, i), json_array_get(b, i)))
                continue;
            char *p = rb_jsonpath_child_index(path, i);
            char *lp = i < nb ? rb_jsonpath_child_index(lines_path, i) : rb_xstrdup(lines_path);
            if (i < na && i < nb)
                diff_unequal(d, p, lp, json_array_get(a, i), json_array_get(b, i));
            else
                leaves(d, p, lp, i < nb ? json_array_get(b, i) : json_array_get(a, i), i < nb);
            free(p);
            free(lp);
        }
    }
    json_decref(a_keys);
    json_decref(b_keys);
}

static void diff_unequal(differ *d, const char *path, const char *lines_path, const json_t *a,
                         const json_t *b)
{
    if (json_is_object(a) && json_is_object(b))
        diff_objects(d, path, lines_path, a, b);
    else if (json_is_array(a) && json_is_array(b))
        diff_lists(d, path, lines_path, a, b);
    else
        emit(d, path, "modify", a, b, lines_path);
}

void rb_config_diff(const rb_config_set *set, const char *file, const json_t *old, const json_t *new,
                    const rb_linemap *new_lines, json_t *changes)
{
    differ d = {.lines = new_lines, .out = changes};
    d.decls = rb_xcalloc((set ? set->n : 0) + 1, sizeof *d.decls);
    for (size_t i = 0; set && i < set->n; i++)
        if (set->items[i].n_lists && rb_path_glob(set->items[i].files, file))
            d.decls[d.n_decls++] = &set->items[i];
    /* the empty document has no leaves: against it, every leaf of the
     * other side is added or removed, not one change of the whole file */
    if (json_is_null(old))
        old = NULL;
    if (json_is_null(new))
        new = NULL;
    if (old && new) {
        if (!same(old, new))
            diff_unequal(&d, "", "", old, new);
    }
    else if (old || new)
        leaves(&d, "", "", new ? new : old, new != NULL);
    free(d.decls);
}

/* Reads and parses one config file; no revision is the empty document
 * (*value and *lines NULL). */
static rb_code parse_file(const char *path, size_t max_bytes, json_t **value, rb_linemap **lines, rb_error *err)
{
    *value = NULL;
    *lines = NULL;
    if (rb_config_is_no_revision(path))
        return RB_OK;
    unsigned char *data;
    size_t len;
    rb_code rc = rb_read_file(path, max_bytes, &data, &len, err);
    if (rc)
        return rc;
    rc = rb_config_parse(rb_path_logical(path), data, len, value, lines, err);
    free(data);
    return rc;
}

rb_code rb_config_diff_files(const rb_config_set *set, const char *old_path, const char *new_path,
                             size_t max_bytes, json_t **changes, rb_error *err)
{
    json_t *old = NULL, *new = NULL;
    rb_linemap *old_lines = NULL, *new_lines = NULL;
    *changes = NULL;
    rb_code rc = parse_file(old_path, max_bytes, &old, &old_lines, err);
    if (!rc)
        rc = parse_file(new_path, max_bytes, &new, &new_lines, err);
    if (!rc) {
        *changes = json_array();
        const char *file = rb_config_is_no_revision(new_path) ? old_path : new_path;
        rb_config_diff(set, rb_path_logical(file), old, new, new_lines, *changes);
    }
    json_decref(old);
    json_decref(new);
    rb_linemap_free(old_lines);
    rb_linemap_free(new_lines);
    return rc;
}
