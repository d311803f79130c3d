/*
 * line_scan.h — reading a line of a JSON Lines log without building it,
 * for an event that no rule can want (plan.h): only its order and time
 * matter, and that it is a valid event.
 *
 * The scanner checks what jansson would check — the grammar, UTF-8,
 * escapes, no member named twice, the --max-json-depth limit — over
 * objects nested to any depth, and keeps the top-level members asked for.
 * What it is not sure jansson reads the same way (a NUL, a lone surrogate,
 * a number that might not fit, a member name with escapes, hundreds of
 * members) it leaves to jansson, which also says what is wrong with a bad
 * line.  So the scanner decides only what it is sure of.
 *
 * A line's strings written with escapes are decoded for the plan's check
 * (plan.h): a text a rule needs may hide behind an escape.
 */
#ifndef RB_LINE_SCAN_H
#define RB_LINE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"

typedef enum rb_scan_kind {
    RB_SCAN_ABSENT,  /* no such member */
    RB_SCAN_STRING,  /* text: the characters between the quotes (no escape) */
    RB_SCAN_INTEGER, /* text: the digits, with their sign */
    RB_SCAN_OTHER    /* anything else: a decimal, a literal, an array, an
                        object, a string with escapes */
} rb_scan_kind;

typedef struct rb_scan_value {
    rb_scan_kind kind;
    const char *text; /* inside the line: a string's characters, an
                         integer's digits, or the whole JSON text of any
                         other value (a string with escapes with its
                         quotes) */
    size_t len;
} rb_scan_value;

/* Whether line (n bytes) is an object that jansson reads; if so,
 * values[i] is the top-level member named names[i] (n_names of them, at
 * most 8; a string with escapes is RB_SCAN_OTHER).  decoded (may be NULL)
 * gets the line's string values that have escapes, decoded, each between
 * quotes. */
bool rb_line_scan(const char *line, size_t n, const char *const *names, size_t n_names, rb_scan_value *values,
                  rb_buf *decoded);

/* The object of a line, as rb_line_scan checks it, when the scanner is sure
 * jansson reads it so (a new reference; else NULL: ask jansson): with
 * every member, or, when keep is not NULL, only the top-level members
 * named there (n_keep names in strcmp order) — then *partial says whether
 * any was left out.  Values are made as jansson makes them: strings
 * decoded, integers by strtoll, other numbers by strtod, keys in order. */
json_t *rb_line_build(const char *line, size_t n, const char *const *keep, size_t n_keep, bool *partial);

/* One top-level member of a line. */
typedef struct rb_scan_member {
    const char *name; /* inside the line, without its quotes */
    size_t name_len;
    rb_scan_value value;
} rb_scan_member;

/* rb_line_scan_members reports at most this many members; a line with
 * more is left to jansson. */
#define RB_SCAN_MAX_MEMBERS 64

/* Whether line (n bytes) is an object that jansson reads, as rb_line_scan
 * checks it; if so, members[0..*count) are its top-level members in the
 * order of the line (members has room for RB_SCAN_MAX_MEMBERS), and
 * decoded (may be NULL) is as rb_line_scan fills it.  For a reader that
 * needs more of a line than a few named members (a replay makes its
 * events' fields from them). */
bool rb_line_scan_members(const char *line, size_t n, rb_scan_member *members, size_t *count, rb_buf *decoded);

/* values[i] is the member named names[i] among members[0..n), or
 * RB_SCAN_ABSENT (n_names at most 8). */
void rb_scan_pick(const rb_scan_member *members, size_t n, const char *const *names, size_t n_names,
                  rb_scan_value *values);

/* The integer of an RB_SCAN_INTEGER value (at most 18 digits: it fits). */
int64_t rb_scan_integer(const rb_scan_value *v);

/* The time of a scanned `ts` as rb_time_from_json reads the same value
 * (an RFC 3339 string, or an epoch integer read by its magnitude); false
 * for a decimal, which is left to jansson, and for anything that is no
 * time. */
bool rb_scan_time(const rb_scan_value *v, int64_t *us);

#endif
