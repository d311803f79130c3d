/*
 * template.h — "{name}" substitution, for finding messages and for string
 * values in selectors.
 *
 * A reference is '{' NAME '}' where NAME is an identifier ([A-Za-z_] then
 * [A-Za-z0-9_-]) optionally followed by '.'-separated segments of
 * [A-Za-z0-9_-] ("{key}", "{window}", "{first.detail.code}").  Anything
 * else between braces is literal text, so regular expressions such as
 * "x{2,3}" pass through; "{{" writes a literal '{'.
 */
#ifndef RB_TEMPLATE_H
#define RB_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

/* Resolves a reference name to a value (borrowed), or NULL when unknown. */
typedef const json_t *(*rb_template_lookup)(void *ctx, const char *name);

/* Renders tpl; unknown references render as empty text (never an error at
 * run time, SPEC §4).  Returns an allocated string the caller frees. */
char *rb_template_render(const char *tpl, rb_template_lookup lookup, void *ctx);

/* Appends the text form of a value: a string as it is, null as "null", any
 * other value as compact JSON with sorted keys. */
void rb_template_append_value(rb_buf *b, const json_t *v);

/* Calls visit for each reference name in tpl, in order; stops and returns
 * false when visit returns false.  The name is valid only during the call
 * (names longer than 255 bytes are cut to that length). */
typedef bool (*rb_template_visit)(void *ctx, const char *name);
bool rb_template_each_ref(const char *tpl, rb_template_visit visit, void *ctx);

/* When the whole of tpl is one reference "{name}", returns the name
 * (allocated, caller frees); otherwise NULL. */
char *rb_template_single_ref(const char *tpl);

/* True when tpl holds at least one reference. */
bool rb_template_has_refs(const char *tpl);

#endif
