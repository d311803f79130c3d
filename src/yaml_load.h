/*
 * yaml_load.h — YAML (through libyaml) into jansson values, with the line of
 * every node, for rule files and YAML evidence documents.
 *
 * Plain scalars are typed by the YAML 1.2 core schema: null (~, null, Null,
 * NULL, empty), booleans (true/True/TRUE, false/False/FALSE), integers
 * (decimal, 0o octal, 0x hex, optional sign), floats (decimal with '.' or an
 * exponent, .inf, -.inf, .nan) and strings for everything else ("yes", "on"
 * and "1:2" stay strings).  Quoted and block scalars are always strings.
 * The explicit tags !!str, !!int, !!float, !!bool and !!null are honoured.
 * Anchors and aliases work; "<<" merge keys are applied (explicit keys win).
 */
#ifndef RB_YAML_LOAD_H
#define RB_YAML_LOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "linemap.h"

/* Limits against hostile input (SPEC §8). */
typedef struct rb_yaml_limits {
    size_t max_depth; /* nesting of collections */
    size_t max_nodes; /* nodes built, counting every alias expansion */
} rb_yaml_limits;

#define RB_YAML_MAX_DEPTH 256

/* One document of a YAML stream. */
typedef struct rb_yaml_doc {
    json_t *value;      /* owned reference */
    rb_linemap *lines;  /* owned; lines of every node by path */
    long line;          /* 1-based line where the document starts */
} rb_yaml_doc;

/*
 * Parses every document of a YAML stream held in data[0..len).  name is
 * used in messages only.  On success *docs is an array of *n_docs documents
 * (possibly zero for an empty stream) owned by the caller: free it with
 * rb_yaml_docs_free.  On failure returns RB_EINPUT with a message
 * "NAME:LINE:COLUMN: <what is wrong> (<what was expected>)"; nothing is
 * allocated.  Errors: syntax errors, a duplicate key in one mapping ("NAME:
 * LINE: duplicate key 'k' (first at line N)"), a non-scalar key, an unknown
 * alias, a depth or node count over limits (NULL limits: the defaults
 * above), and a scalar that its explicit tag cannot type.
 */
rb_code rb_yaml_load(const char *name, const unsigned char *data, size_t len,
                     const rb_yaml_limits *limits, rb_yaml_doc **docs, size_t *n_docs,
                     rb_error *err);

void rb_yaml_docs_free(rb_yaml_doc *docs, size_t n_docs);

/* The line map of a JSON text (JSON is YAML's flow style), for values that
 * jansson parsed; NULL where libyaml does not read it (tabs) or the text is
 * over 8 MiB (a second parse is not worth it), so that places fall back to
 * line 1.  Owned by the caller. */
rb_linemap *rb_yaml_json_lines(const unsigned char *data, size_t len);

/* Types one plain scalar the way the loader does (a new reference). */
json_t *rb_yaml_plain_scalar(const char *text, size_t len);

/* Parses a command-line value (e.g. --param X.y=VALUE) as one YAML scalar or
 * flow collection: "1h" is a string, "3" an integer, "[a, b]" a list.  On
 * failure RB_EUSAGE with a message naming the value. */
rb_code rb_yaml_parse_value(const char *text, json_t **out, rb_error *err);

#endif
