/*
 * yaml_load.c — YAML streams into jansson values with a line map per
 * document (yaml_load.h).
 *
 * The loader walks libyaml's event stream rather than its document tree:
 * that way each node's line is at hand when its path is known, and hostile
 * input (deep nesting, alias bombs) is refused before it costs memory, since
 * every alias is charged its full expanded size before it is copied.
 */
#include "yaml_load.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "input_limits.h"
#include "jsonpath.h"
#include "util.h"

#if JSON_INTEGER_IS_LONG_LONG
#define JSON_INT_MAX LLONG_MAX
#else
#define JSON_INT_MAX LONG_MAX
#endif

typedef struct loader {
    const char *name;
    const unsigned char *data; /* for placing reader errors, which carry an offset only */
    size_t len;
    yaml_parser_t parser;
    rb_yaml_limits limits;
    bool flow_only;     /* command-line values: no block collections */
    size_t nodes;       /* nodes built so far, every alias expanded */
    size_t deepest;     /* deepest collection level reached so far */
    json_t *anchors;    /* name -> [value, nodes, height], for one document */
    rb_linemap *lines;  /* of the document being built */
    rb_buf path;        /* of the node being built, grown and cut back as
                           the walk goes down and up: no copy per node */
    rb_error *err;
} loader;

/* The members of a mapping being built.  Merges are applied only at its
 * end, so that explicit keys win wherever they stand. */
typedef struct mapping {
    json_t *obj;       /* explicit members */
    json_t *key_lines; /* key -> line, for duplicate-key messages, in a
                          mapping that is not placed (placed ones find the
                          first line in the line map) */
    json_t *merges;    /* the mappings named by "<<", in order */
    long merge_line;
} mapping;

/* How a scalar's text fared against one type. */
typedef enum typing { TYPED, NOT_THIS_TYPE, OUT_OF_RANGE, NOT_TEXT } typing;

static rb_code parse_node(loader *ld, const yaml_event_t *ev, bool placed, size_t depth, json_t **out);

/* ---- small helpers ---------------------------------------------------- */

/* jansson reports exhaustion as NULL; the project's policy is to exit. */
static json_t *must(json_t *v)
{
    if (!v)
        rb_out_of_memory(0);
    return v;
}

static long line_of(yaml_mark_t at)
{
    return (long)at.line + 1;
}

/* A node that is not placed is not part of the document (a merge
 * source): it has no path and no lines.  A placed one's path is ld->path,
 * between a descent and the matching ascent. */
static size_t descend_key(loader *ld, const char *key)
{
    size_t at = ld->path.len;
    rb_jsonpath_append_key(&ld->path, key);
    return at;
}

static size_t descend_index(loader *ld, size_t index)
{
    size_t at = ld->path.len;
    rb_jsonpath_append_index(&ld->path, index);
    return at;
}

static void ascend(loader *ld, size_t at)
{
    ld->path.len = at;
    ld->path.data[at] = '\0';
}

static void record_line(loader *ld, bool placed, long line)
{
    if (placed)
        rb_linemap_set(ld->lines, ld->path.data, line);
}

static rb_code vfail(loader *ld, long line, long col, const char *fmt, va_list ap)
{
    char what[1536];
    vsnprintf(what, sizeof what, fmt, ap);
    if (col)
        return rb_error_set(ld->err, RB_EINPUT, "%s:%ld:%ld: %s", ld->name, line, col, what);
    return rb_error_set(ld->err, RB_EINPUT, "%s:%ld: %s", ld->name, line, what);
}

static rb_code __attribute__((format(printf, 3, 4))) fail_at(loader *ld, yaml_mark_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rb_code rc = vfail(ld, line_of(at), (long)at.column + 1, fmt, ap);
    va_end(ap);
    return rc;
}

/* For the messages whose format the header fixes without a column. */
static rb_code __attribute__((format(printf, 3, 4))) fail_line(loader *ld, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rb_code rc = vfail(ld, line, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- scalar typing (YAML 1.2 core schema) ----------------------------- */

static bool is_word(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(s, *words, n) == 0)
            return true;
    return false;
}

static typing type_null(const char *s, size_t n, json_t **out)
{
    static const char *const words[] = {"", "~", "null", "Null", "NULL", NULL};
    if (!is_word(s, n, words))
        return NOT_THIS_TYPE;
    *out = json_null();
    return TYPED;
}

static typing type_bool(const char *s, size_t n, json_t **out)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    if (!is_word(s, n, yes) && !is_word(s, n, no))
        return NOT_THIS_TYPE;
    *out = json_boolean(is_word(s, n, yes));
    return TYPED;
}

/* The value of a hex digit; 99 for anything else. */
static int digit_value(char c)
{
    static const char digits[] = "0123456789abcdef";
    const char *d = c ? strchr(digits, tolower((unsigned char)c)) : NULL;
    return d ? (int)(d - digits) : 99;
}

/* Decimal, 0o octal or 0x hex, each with an optional sign. */
static typing type_int(const char *s, size_t n, json_t **out)
{
    size_t i = 0;
    bool neg = n > 0 && s[0] == '-';
    if (n > 0 && (s[0] == '-' || s[0] == '+'))
        i++;
    int base = 10;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
        base = s[i + 1] == 'x' ? 16 : 8;
        i += 2;
    }
    if (i == n)
        return NOT_THIS_TYPE;
    /* the most negative value has no positive twin: allow one more */
    unsigned long long limit = (unsigned long long)JSON_INT_MAX + neg, v = 0;
    bool over = false;
    for (; i < n; i++) {
        int d = digit_value(s[i]);
        if (d >= base)
            return NOT_THIS_TYPE;
        if (v > (limit - (unsigned)d) / (unsigned)base)
            over = true; /* keep scanning: it may not be an integer at all */
        else
            v = v * (unsigned)base + (unsigned)d;
    }
    if (over)
        return OUT_OF_RANGE;
    *out = must(json_integer(neg && v ? -(json_int_t)(v - 1) - 1 : (json_int_t)v));
    return TYPED;
}

/* Skips an optional sign, then decimal digits; returns how many digits. */
static size_t skip_digits(const char *s, size_t n, size_t *i, bool sign)
{
    if (sign && *i < n && (s[*i] == '-' || s[*i] == '+'))
        ++*i;
    size_t start = *i;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9')
        ++*i;
    return *i - start;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool float_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = skip_digits(s, n, &i, true);
    if (i < n && s[i] == '.') {
        i++;
        digits += skip_digits(s, n, &i, false);
    }
    if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (!skip_digits(s, n, &i, true))
            return false;
    }
    return digits && i == n;
}

/* .inf and .nan never match: JSON has no way to write them. */
static typing type_float(const char *s, size_t n, json_t **out)
{
    if (!float_syntax(s, n))
        return NOT_THIS_TYPE;
    char *copy = rb_xstrndup(s, n); /* strtod needs the terminator */
    double d = strtod(copy, NULL);
    free(copy);
    if (!isfinite(d))
        return OUT_OF_RANGE;
    *out = must(json_real(d));
    return TYPED;
}

static typing type_str(const char *s, size_t n, json_t **out)
{
    *out = json_stringn(s, n);
    return *out ? TYPED : NOT_TEXT;
}

static typing type_plain(const char *s, size_t n, json_t **out)
{
    /* null, booleans and numbers all start with one of these (or are
     * empty): most keys and words are strings at the first glance */
    static const char starts[] = "~nNtTfF+-.0123456789";
    if (n && !memchr(starts, s[0], sizeof starts - 1))
        return type_str(s, n, out);
    typing (*const types[])(const char *, size_t, json_t **) = {type_null, type_bool, type_int,
                                                                 type_float, type_str};
    typing t = NOT_THIS_TYPE;
    for (size_t i = 0; t == NOT_THIS_TYPE && i < sizeof types / sizeof *types; i++)
        t = types[i](s, n, out);
    return t;
}

/* Out-of-range numbers stay text here (the loader refuses them instead,
 * but this has no way to fail); text that is not UTF-8 becomes null. */
json_t *rb_yaml_plain_scalar(const char *text, size_t len)
{
    json_t *v = NULL;
    typing t = type_plain(text, len, &v);
    if (t == OUT_OF_RANGE)
        t = type_str(text, len, &v);
    return t == TYPED ? v : json_null();
}

/* ---- libyaml events ----------------------------------------------------- */

/* Reader errors carry a byte offset, not a mark: count the lines to it. */
static yaml_mark_t mark_of_offset(const loader *ld, size_t offset)
{
    yaml_mark_t at = {offset, 0, 0};
    for (size_t i = 0; i < offset && i < ld->len; i++) {
        if (ld->data[i] == '\n') {
            at.line++;
            at.column = 0;
        } else {
            at.column++;
        }
    }
    return at;
}

static rb_code fail_syntax(loader *ld)
{
    const yaml_parser_t *p = &ld->parser;
    if (p->error == YAML_MEMORY_ERROR)
        rb_out_of_memory(0);
    const char *problem = p->problem ? p->problem : "unreadable YAML";
    if (p->error == YAML_READER_ERROR) {
        yaml_mark_t at = mark_of_offset(ld, p->problem_offset);
        if (p->problem_value >= 0)
            return fail_at(ld, at, "%s (#x%X) (expected UTF-8 text without control characters)", problem,
                           (unsigned)p->problem_value);
        return fail_at(ld, at, "%s (expected UTF-8 text without control characters)", problem);
    }
    if (p->context)
        return fail_at(ld, p->problem_mark, "%s, %s at line %ld (expected a valid YAML document)", problem,
                       p->context, line_of(p->context_mark));
    return fail_at(ld, p->problem_mark, "%s (expected a valid YAML document)", problem);
}

/* On success the caller owns the event and deletes it. */
static rb_code next_event(loader *ld, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ld->parser, ev))
        return fail_syntax(ld);
    return RB_OK;
}

/* ---- nodes -------------------------------------------------------------- */

static const struct {
    const char *tag, *name, *expected;
    typing (*type)(const char *, size_t, json_t **);
} explicit_tags[] = {
    {YAML_STR_TAG, "!!str", "text", type_str},
    {YAML_NULL_TAG, "!!null", "null, ~ or nothing", type_null},
    {YAML_BOOL_TAG, "!!bool", "true or false", type_bool},
    {YAML_INT_TAG, "!!int", "a decimal, 0o octal or 0x hex integer", type_int},
    {YAML_FLOAT_TAG, "!!float", "a finite decimal number", type_float},
};

static rb_code scalar_value(loader *ld, const yaml_event_t *ev, json_t **out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    typing t = NOT_THIS_TYPE;
    for (size_t i = 0; tag && i < sizeof explicit_tags / sizeof *explicit_tags; i++) {
        if (strcmp(tag, explicit_tags[i].tag) != 0)
            continue;
        t = explicit_tags[i].type(s, n, out);
        if (t == NOT_THIS_TYPE)
            return fail_at(ld, ev->start_mark, "'%.100s' is not a valid %s (expected %s)", s,
                           explicit_tags[i].name, explicit_tags[i].expected);
        break;
    }
    /* "!" and unknown tags leave the scalar typed by its style */
    if (t == NOT_THIS_TYPE)
        t = plain && !(tag && strcmp(tag, "!") == 0) ? type_plain(s, n, out) : type_str(s, n, out);
    if (t == OUT_OF_RANGE)
        return fail_at(ld, ev->start_mark,
                       "number '%.100s' is out of range (expected a 64-bit integer or a finite double)", s);
    if (t == NOT_TEXT)
        return fail_at(ld, ev->start_mark, "a string is not valid UTF-8 (expected UTF-8 text)");
    return RB_OK;
}

static rb_code count_node(loader *ld, yaml_mark_t at, size_t nodes)
{
    if (nodes > ld->limits.max_nodes - ld->nodes)
        return fail_line(ld, line_of(at), "YAML expands to more than %zu nodes (alias bomb? the --max-yaml-nodes limit)",
                         ld->limits.max_nodes);
    ld->nodes += nodes;
    return RB_OK;
}

/* A collection of the given height standing under depth others. */
static rb_code enter_level(loader *ld, yaml_mark_t at, size_t depth, size_t height)
{
    if (depth + height > ld->limits.max_depth)
        return fail_at(ld, at, "collections nested deeper than %zu levels (expected at most %zu)",
                       ld->limits.max_depth, ld->limits.max_depth);
    if (ld->deepest < depth + height)
        ld->deepest = depth + height;
    return RB_OK;
}

/* Aliases are charged their whole expanded size before anything is copied,
 * so a "billion laughs" fails on its first oversized alias. */
static rb_code expand_alias(loader *ld, const yaml_event_t *ev, size_t depth, json_t **out)
{
    const char *name = (const char *)ev->data.alias.anchor;
    json_t *entry = json_object_get(ld->anchors, name);
    if (!entry)
        return fail_at(ld, ev->start_mark,
                       "unknown alias '*%.100s' (expected an anchor defined earlier in the document)", name);
    rb_code rc = count_node(ld, ev->start_mark, (size_t)json_integer_value(json_array_get(entry, 1)));
    if (!rc)
        rc = enter_level(ld, ev->start_mark, depth, (size_t)json_integer_value(json_array_get(entry, 2)));
    if (!rc)
        *out = must(json_deep_copy(json_array_get(entry, 0)));
    return rc;
}

static rb_code parse_sequence(loader *ld, bool placed, size_t depth, json_t **out)
{
    json_t *arr = must(json_array());
    yaml_event_t ev;
    rb_code rc;
    for (size_t i = 0; (rc = next_event(ld, &ev)) == RB_OK; i++) {
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        size_t at = placed ? descend_index(ld, i) : 0;
        record_line(ld, placed, line_of(ev.start_mark));
        json_t *item = NULL;
        rc = parse_node(ld, &ev, placed, depth, &item);
        if (placed)
            ascend(ld, at);
        yaml_event_delete(&ev);
        if (rc)
            break;
        if (json_array_append_new(arr, item) != 0)
            rb_out_of_memory(0);
    }
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RB_OK;
}

static bool is_merge_key(const yaml_event_t *key)
{
    return key->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !key->data.scalar.tag &&
           key->data.scalar.length == 2 && memcmp(key->data.scalar.value, "<<", 2) == 0;
}

static const char *node_kind(const yaml_event_t *ev)
{
    return ev->type == YAML_ALIAS_EVENT            ? "an alias"
           : ev->type == YAML_SEQUENCE_START_EVENT ? "a list"
           : ev->type == YAML_MAPPING_START_EVENT  ? "a mapping"
                                                   : "a scalar";
}

static rb_code check_key(loader *ld, const mapping *m, const yaml_event_t *key, bool placed)
{
    if (key->type != YAML_SCALAR_EVENT)
        return fail_at(ld, key->start_mark,
                       "a mapping key must be a scalar (expected a plain or quoted key, found %s)",
                       node_kind(key));
    const char *text = (const char *)key->data.scalar.value;
    /* keys become C strings in paths: an escaped NUL would cut them short */
    if (strlen(text) != key->data.scalar.length)
        return fail_at(ld, key->start_mark, "a mapping key contains a NUL character (expected text)");
    if (!json_object_get(m->obj, text))
        return RB_OK;
    long first;
    if (placed) {
        size_t at = descend_key(ld, text);
        first = rb_linemap_get(ld->lines, ld->path.data);
        ascend(ld, at);
    } else {
        first = (long)json_integer_value(json_object_get(m->key_lines, text));
    }
    return fail_line(ld, line_of(key->start_mark), "duplicate key '%.100s' (first at line %ld)", text, first);
}

/* "<<: *a" or "<<: [*a, *b]": remembered until the mapping ends. */
static rb_code add_merge(loader *ld, mapping *m, const yaml_event_t *key, const yaml_event_t *value,
                         size_t depth)
{
    json_t *v = NULL;
    rb_code rc = parse_node(ld, value, false, depth, &v);
    if (rc)
        return rc;
    bool ok = json_is_object(v) || json_is_array(v);
    for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++)
        ok = ok && json_is_object(json_array_get(v, i));
    if (ok && json_is_object(v))
        json_array_append(m->merges, v);
    else if (ok)
        json_array_extend(m->merges, v);
    json_decref(v);
    if (!ok)
        return fail_at(ld, value->start_mark,
                       "'<<' must merge a mapping or a list of mappings (expected an alias such as *defaults)");
    if (!m->merge_line)
        m->merge_line = line_of(key->start_mark);
    return RB_OK;
}

static rb_code add_member(loader *ld, mapping *m, const yaml_event_t *key, const yaml_event_t *value,
                          bool placed, size_t depth)
{
    const char *text = (const char *)key->data.scalar.value;
    long line = line_of(key->start_mark);
    size_t at = placed ? descend_key(ld, text) : 0;
    record_line(ld, placed, line);
    json_t *v = NULL;
    rb_code rc = parse_node(ld, value, placed, depth, &v);
    if (placed)
        ascend(ld, at);
    if (rc)
        return rc;
    if (json_object_set_new(m->obj, text, v) != 0)
        return fail_at(ld, key->start_mark, "a mapping key is not valid UTF-8 (expected UTF-8 text)");
    if (!placed)
        json_object_set_new(m->key_lines, text, must(json_integer(line)));
    return RB_OK;
}

static rb_code parse_member(loader *ld, mapping *m, const yaml_event_t *key, bool placed, size_t depth)
{
    rb_code rc = check_key(ld, m, key, placed);
    yaml_event_t value;
    if (!rc)
        rc = next_event(ld, &value);
    if (rc)
        return rc;
    if (is_merge_key(key))
        rc = add_merge(ld, m, key, &value, depth);
    else
        rc = add_member(ld, m, key, &value, placed, depth);
    yaml_event_delete(&value);
    return rc;
}

/* Merged members fill only the keys still missing, earlier sources first. */
static void apply_merges(loader *ld, mapping *m, bool placed)
{
    size_t i;
    json_t *source;
    json_array_foreach(m->merges, i, source) {
        const char *k;
        json_t *v;
        json_object_foreach(source, k, v) {
            if (json_object_get(m->obj, k))
                continue;
            json_object_set(m->obj, k, v);
            if (placed) {
                size_t at = descend_key(ld, k);
                record_line(ld, placed, m->merge_line);
                ascend(ld, at);
            }
        }
    }
}

static rb_code parse_mapping(loader *ld, bool placed, size_t depth, json_t **out)
{
    mapping m = {must(json_object()), placed ? NULL : must(json_object()), must(json_array()), 0};
    yaml_event_t key;
    rb_code rc;
    while ((rc = next_event(ld, &key)) == RB_OK) {
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            break;
        }
        rc = parse_member(ld, &m, &key, placed, depth);
        yaml_event_delete(&key);
        if (rc)
            break;
    }
    if (!rc)
        apply_merges(ld, &m, placed);
    json_decref(m.key_lines);
    json_decref(m.merges);
    if (rc) {
        json_decref(m.obj);
        return rc;
    }
    *out = m.obj;
    return RB_OK;
}

static bool is_block(const yaml_event_t *ev)
{
    if (ev->type == YAML_SEQUENCE_START_EVENT)
        return ev->data.sequence_start.style == YAML_BLOCK_SEQUENCE_STYLE;
    return ev->type == YAML_MAPPING_START_EVENT && ev->data.mapping_start.style == YAML_BLOCK_MAPPING_STYLE;
}

/* A scalar or a collection whose start event is ev, under depth others. */
static rb_code build_node(loader *ld, const yaml_event_t *ev, bool placed, size_t depth, json_t **out)
{
    rb_code rc = count_node(ld, ev->start_mark, 1);
    if (rc)
        return rc;
    if (ev->type == YAML_SCALAR_EVENT)
        return scalar_value(ld, ev, out);
    if (ld->flow_only && is_block(ev))
        return fail_at(ld, ev->start_mark,
                       "%s in block style (expected a scalar or a flow collection such as [a, b] or {k: v}; "
                       "quote the value to pass it as text)",
                       node_kind(ev));
    rc = enter_level(ld, ev->start_mark, depth, 1);
    if (rc)
        return rc;
    if (ev->type == YAML_SEQUENCE_START_EVENT)
        return parse_sequence(ld, placed, depth + 1, out);
    return parse_mapping(ld, placed, depth + 1, out);
}

/* The anchor of a scalar or collection start event, or NULL. */
static const char *anchor_of(const yaml_event_t *ev)
{
    return (const char *)(ev->type == YAML_SCALAR_EVENT           ? ev->data.scalar.anchor
                          : ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
                                                                  : ev->data.mapping_start.anchor);
}

/* Builds the node that starts with ev and, when it is anchored, keeps it
 * with its expanded size and height for the aliases that follow. */
static rb_code parse_node(loader *ld, const yaml_event_t *ev, bool placed, size_t depth, json_t **out)
{
    *out = NULL;
    if (ev->type == YAML_ALIAS_EVENT)
        return expand_alias(ld, ev, depth, out);
    size_t nodes_before = ld->nodes, outer_deepest = ld->deepest;
    ld->deepest = depth;
    rb_code rc = build_node(ld, ev, placed, depth, out);
    size_t height = ld->deepest - depth;
    if (ld->deepest < outer_deepest)
        ld->deepest = outer_deepest;
    const char *anchor = anchor_of(ev);
    if (!rc && anchor) {
        json_int_t nodes = (json_int_t)(ld->nodes - nodes_before);
        json_object_set_new(ld->anchors, anchor, must(json_pack("[OII]", *out, nodes, (json_int_t)height)));
    }
    return rc;
}

/* ---- documents and streams ---------------------------------------------- */

static rb_code load_document(loader *ld, rb_yaml_doc *doc)
{
    ld->lines = doc->lines;
    json_object_clear(ld->anchors); /* anchors do not cross documents */
    yaml_event_t ev;
    rb_code rc = next_event(ld, &ev);
    if (rc)
        return rc;
    ascend(ld, 0);
    record_line(ld, true, line_of(ev.start_mark));
    rc = parse_node(ld, &ev, true, 0, &doc->value);
    yaml_event_delete(&ev);
    if (!rc)
        rc = next_event(ld, &ev); /* the document end */
    if (!rc)
        yaml_event_delete(&ev);
    return rc;
}

static rb_code load_stream(loader *ld, rb_yaml_doc **docs, size_t *n_docs)
{
    size_t cap = 0;
    yaml_event_t ev;
    rb_code rc;
    while ((rc = next_event(ld, &ev)) == RB_OK) {
        yaml_event_type_t type = ev.type;
        long line = line_of(ev.start_mark);
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
        if (type != YAML_DOCUMENT_START_EVENT)
            continue; /* the stream start */
        rb_grow((void **)docs, &cap, *n_docs + 1, sizeof **docs);
        rb_yaml_doc *doc = &(*docs)[(*n_docs)++];
        *doc = (rb_yaml_doc){NULL, rb_linemap_new(), line};
        rc = load_document(ld, doc);
        if (rc)
            break;
    }
    return rc;
}

static rb_code load(const char *name, const unsigned char *data, size_t len, const rb_yaml_limits *limits,
                    bool flow_only, rb_yaml_doc **docs, size_t *n_docs, rb_error *err)
{
    loader ld = {.name = name, .data = data, .len = len, .flow_only = flow_only, .err = err};
    ld.limits.max_depth = limits && limits->max_depth ? limits->max_depth : RB_YAML_MAX_DEPTH;
    ld.limits.max_nodes = limits && limits->max_nodes ? limits->max_nodes : rb_limits_get()->yaml_nodes;
    ld.anchors = must(json_object());
    rb_buf_append(&ld.path, "", 0); /* the root: an empty path */
    if (!yaml_parser_initialize(&ld.parser))
        rb_out_of_memory(sizeof ld.parser);
    /* libyaml asserts on a NULL input, even an empty one */
    yaml_parser_set_input_string(&ld.parser, data ? data : (const unsigned char *)"", data ? len : 0);
    rb_yaml_doc *list = NULL;
    size_t n = 0;
    rb_code rc = load_stream(&ld, &list, &n);
    yaml_parser_delete(&ld.parser);
    json_decref(ld.anchors);
    rb_buf_free(&ld.path);
    if (rc) {
        rb_yaml_docs_free(list, n);
        list = NULL;
        n = 0;
    }
    *docs = list;
    *n_docs = n;
    return rc;
}

rb_code rb_yaml_load(const char *name, const unsigned char *data, size_t len, const rb_yaml_limits *limits,
                     rb_yaml_doc **docs, size_t *n_docs, rb_error *err)
{
    return load(name, data, len, limits, false, docs, n_docs, err);
}

void rb_yaml_docs_free(rb_yaml_doc *docs, size_t n_docs)
{
    for (size_t i = 0; i < n_docs; i++) {
        json_decref(docs[i].value);
        rb_linemap_free(docs[i].lines);
    }
    free(docs);
}

rb_code rb_yaml_parse_value(const char *text, json_t **out, rb_error *err)
{
    *out = NULL;
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rb_error inner;
    if (load("", (const unsigned char *)text, strlen(text), NULL, true, &docs, &n, &inner) != RB_OK) {
        /* with an empty name the message starts ":LINE:COL: ", which says
         * little about a one-line value (libyaml ends it with a newline) */
        const char *what = inner.message + strspn(inner.message, ":0123456789");
        return rb_error_set(err, RB_EUSAGE, "invalid value '%s': %s", text, what + strspn(what, " "));
    }
    if (n > 1) {
        rb_yaml_docs_free(docs, n);
        return rb_error_set(err, RB_EUSAGE, "invalid value '%s': %zu YAML documents (expected one value)",
                            text, n);
    }
    /* nothing but blanks or a comment: the text itself */
    if (n == 0)
        *out = must(json_string(text));
    else {
        *out = docs[0].value;
        docs[0].value = NULL;
    }
    rb_yaml_docs_free(docs, n);
    return RB_OK;
}

/* Line maps cost a second parse; skip them for large documents. */
#define MAX_LINEMAP_BYTES ((size_t)8 << 20)

rb_linemap *rb_yaml_json_lines(const unsigned char *data, size_t len)
{
    if (len > MAX_LINEMAP_BYTES)
        return NULL;
    rb_yaml_doc *docs = NULL;
    size_t n = 0;
    rb_error ignored;
    if (rb_yaml_load("", data, len, NULL, &docs, &n, &ignored) != RB_OK)
        return NULL;
    rb_linemap *lines = NULL;
    if (n == 1) {
        lines = docs[0].lines;
        docs[0].lines = NULL;
    }
    rb_yaml_docs_free(docs, n);
    return lines;
}
