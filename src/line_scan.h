/*
 * line_scan.h — recognising the plain lines of a JSON Lines log without
 * building them, to read the order of an event that no rule can select
 * (prefilter.h).
 *
 * A plain line is one flat object whose members are ASCII strings without
 * escapes, integers of at most 18 digits, decimals without an exponent,
 * true, false, null, and arrays of those, no member named twice.  Such a
 * line is valid JSON and jansson reads it to the same values; anything else
 * (escapes, non-ASCII text, nested objects, exponents, long numbers, bad
 * syntax) is not plain and is left to jansson, which also says what is
 * wrong with it.  So the scanner decides only what it is sure of.
 */
#ifndef RB_LINE_SCAN_H
#define RB_LINE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rb_scan_kind {
    RB_SCAN_ABSENT,  /* no such member */
    RB_SCAN_STRING,  /* text: the characters between the quotes */
    RB_SCAN_INTEGER, /* text: the digits, with their sign */
    RB_SCAN_OTHER    /* a decimal, true, false, null or an array */
} rb_scan_kind;

typedef struct rb_scan_value {
    rb_scan_kind kind;
    const char *text; /* inside the line */
    size_t len;
} rb_scan_value;

/* Whether line (n bytes) is plain; if so, values[i] is the member named
 * names[i] (n_names of them, at most 8). */
bool rb_line_scan(const char *line, size_t n, const char *const *names, size_t n_names,
                  rb_scan_value *values);

/* The integer of an RB_SCAN_INTEGER value (at most 18 digits: it fits). */
int64_t rb_scan_integer(const rb_scan_value *v);

/* The time of a scanned `ts` as rb_time_from_json reads the same value
 * (an RFC 3339 string, or an epoch integer read by its magnitude); false
 * for a decimal, which is left to jansson, and for anything that is no
 * time. */
bool rb_scan_time(const rb_scan_value *v, int64_t *us);

#endif
