/*
 * jsonpath.h — dotted paths into JSON values, as rules write them.
 *
 * A path is segments joined by '.': "detail.error_code",
 * "artifacts.0.sha256".  A segment that is all digits indexes an array (on
 * an object it is an ordinary key).  A key that contains '.' or '\' is
 * written with a backslash before it ("labels.app\.kubernetes\.io/name").
 * The root is the empty path "".  The same spelling keys the line maps of
 * parsed YAML (linemap.h), so that a rule's path finds its line.
 */
#ifndef RB_JSONPATH_H
#define RB_JSONPATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef struct rb_jsonpath rb_jsonpath;

/* Compiles a dotted path; NULL when it is malformed (an empty segment, or a
 * trailing backslash).  Free with rb_jsonpath_free. */
rb_jsonpath *rb_jsonpath_compile(const char *dotted);
void rb_jsonpath_free(rb_jsonpath *p);

/* The node at the path, borrowed from root; NULL when absent. */
json_t *rb_jsonpath_lookup(const rb_jsonpath *p, const json_t *root);

/* The source text the path was compiled from (borrowed). */
const char *rb_jsonpath_text(const rb_jsonpath *p);

/* The first key of the path ("detail" of "detail.code"), or NULL for the
 * empty path (the whole value); borrowed. */
const char *rb_jsonpath_head(const rb_jsonpath *p);

/* One-shot lookup of a dotted path (compiles and frees). */
json_t *rb_jsonpath_get(const json_t *root, const char *dotted);

/* Whether a path matches a pattern of the same spelling whose segments
 * are globs: "*" matches one segment (and fnmatch wildcards match within
 * one, "field_map*"), "**" any number of segments, none included. */
bool rb_jsonpath_glob(const rb_jsonpath *pattern, const rb_jsonpath *path);

/* Path of a child: the parent path plus one escaped key, or one index.
 * The result is allocated; the caller frees it. */
char *rb_jsonpath_child_key(const char *parent, const char *key);
char *rb_jsonpath_child_index(const char *parent, size_t index);

/* The same, in place: appends the child's segment to the path in b (a
 * walk that goes down and back up truncates b->len again; an empty b is
 * the root). */
void rb_jsonpath_append_key(rb_buf *b, const char *key);
void rb_jsonpath_append_index(rb_buf *b, size_t index);

#endif
