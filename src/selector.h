/*
 * selector.h — the Sigma-style selector language of SPEC §4.
 *
 * A selector is a YAML mapping of `field|modifier...: value` entries, all
 * ANDed, plus optional `all: [SEL...]`, `any: [SEL...]` and `not: SEL` in the
 * same mapping (also ANDed).  Fields are dotted paths (jsonpath.h).  A list
 * value (except for `in`, whose value is the set) means any of its items.
 *
 * Modifiers: none (equals), in, contains, startswith, endswith, glob, re
 * (POSIX extended, unanchored), exists, gt, gte, lt, lte, len (length of a
 * string in characters or of a list, compared with a following gt/gte/lt/
 * lte/in or equality), not (negates the rest: `status|not|in`), and i after
 * a string modifier for a case-insensitive match (`code|contains|i`).
 *
 * Values: equality is typed (the string "1" is not the number 1; numbers
 * compare by value, 1 equals 1.0); gt/gte/lt/lte compare two numbers as
 * numbers, two times as instants (an RFC 3339 string against another or
 * against an epoch number, read by its magnitude: timeutil.h) or two
 * durations, and are false for anything else.  A
 * missing field matches every `not|...` entry and `exists: false`, and no
 * other entry; a present null exists.
 *
 * String values may hold references: "{param}" is replaced when compiling by
 * the rule parameter (keeping its YAML type when the value is exactly one
 * reference); "{first.FIELD}" (or another name the caller allows) refers to
 * a bound event at evaluation time: correlation.
 */
#ifndef RB_SELECTOR_H
#define RB_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "linemap.h"

typedef struct rb_selector rb_selector;

/* Where a selector comes from and what it may refer to. */
typedef struct rb_sel_env {
    const char *file;          /* file name for messages */
    const rb_linemap *lines;   /* lines of that file (may be NULL) */
    const json_t *params;      /* object of parameter values (may be NULL) */
    const char *const *refs;   /* NULL-terminated names allowed as "{name.FIELD}"
                                  correlation references, e.g. {"first", NULL};
                                  may be NULL (no correlation) */
} rb_sel_env;

/*
 * Compiles spec (a JSON object) found at `path` in the file (jsonpath
 * spelling, used to find lines for messages).  On error returns RB_ERULE
 * with "FILE:LINE: <what> (expected <what>)": a non-mapping selector, an
 * unknown modifier, a modifier combination that means nothing (`i` on a
 * number comparison, two comparison modifiers), `in` without a list, `re`
 * that does not compile, `exists` without a boolean, `len` without a
 * non-negative integer, `all`/`any` without a list of mappings, an unknown
 * "{param}", a "{name.FIELD}" reference whose name is not allowed, an empty
 * field name.  *out is owned by the caller: free with rb_selector_free.
 */
rb_code rb_selector_compile(const json_t *spec, const char *path, const rb_sel_env *env,
                            rb_selector **out, rb_error *err);

void rb_selector_free(rb_selector *sel);

/* Values bound to correlation names while evaluating ("first" -> event). */
typedef struct rb_bindings {
    size_t n;
    const char *names[4];
    const json_t *values[4];
} rb_bindings;

/* Three-valued result: an entry that refers to a name not bound in b is
 * UNKNOWN, combined by Kleene logic (false AND unknown = false, true OR
 * unknown = true, not unknown = unknown).  So "the parts that do not name
 * {first.…}" match an event exactly when the result is not FALSE. */
typedef enum rb_sel_result {
    RB_SEL_FALSE = 0,
    RB_SEL_TRUE = 1,
    RB_SEL_UNKNOWN = 2
} rb_sel_result;

/* Evaluates sel against value (an event or a document); b may be NULL. */
rb_sel_result rb_selector_eval(const rb_selector *sel, const json_t *value, const rb_bindings *b);

/* rb_selector_eval(...) == RB_SEL_TRUE with no bindings. */
bool rb_selector_match(const rb_selector *sel, const json_t *value);

/* True when the selector refers to "{name.…}" anywhere. */
bool rb_selector_refers(const rb_selector *sel, const char *name);

/* Adds to names (an object used as a set) the top-level members of an
 * event that sel reads: the first key of every field it tests, and of
 * every field of a bound event it compares with ("{first.nonce}"). */
void rb_selector_fields(const rb_selector *sel, json_t *names);

/* Adds to names the first and second segments of every reference of a
 * template ("{then.detail.code}" adds then and detail): the members a
 * message or an embedded reference may read. */
void rb_selector_names_refs(const char *tpl, json_t *names);

/* The string values `field` (a dotted path) must have for sel not to be
 * false on a value: a new array of strings (perhaps empty: no value will
 * do), or NULL when sel does not restrict the field to strings it names
 * (an `any:` alternative without it, a negation, a pattern, a reference).
 * What an index of rules by event `type` is built from. */
json_t *rb_selector_field_values(const rb_selector *sel, const char *field);

/*
 * What the JSON text of an event must hold for sel to match it, when that
 * text has no escapes (no backslash): a new array of groups, all of which
 * must hold, each an array of strings of which the text must contain at
 * least one.  `type: queued` needs "\"queued\"", `code|contains: 40` needs
 * "40", `any:` of two such entries needs either.  Entries that say nothing
 * about the text (numbers, negations, patterns, case-insensitive matches,
 * correlation operands) add no group: an empty array means any text may
 * match.  The caller owns the array.
 */
json_t *rb_selector_needs(const rb_selector *sel);

#endif
