/*
 * line_scan.c — the plain-line recogniser of line_scan.h.
 *
 * A cursor walks the line once.  Strings end at the first quote, since a
 * plain string has no backslash; member names are remembered to refuse a
 * name given twice, as jansson does with JSON_REJECT_DUPLICATES.  Every
 * "not plain" answer sends the line to jansson, never to an error.
 */
#include "line_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

/* More members than this, or deeper arrays, are left to jansson. */
#define MAX_MEMBERS 64
#define MAX_ARRAY_DEPTH 16
/* Members asked for (line_scan.h). */
#define MAX_NAMES 8
/* Integers of more digits might not fit jansson's integers. */
#define MAX_INTEGER_DIGITS 18

typedef struct cursor {
    const char *p, *end;
} cursor;

static inline void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static inline bool take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p >= c->end || *c->p != ch)
        return false;
    c->p++;
    return true;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether eight bytes are all printable ASCII other than a backslash: the
 * classic word-at-a-time tests for a byte under 0x20, a byte with its high
 * bit set, and a zero byte in w XOR eight backslashes. */
static bool plain_word(uint64_t w)
{
    uint64_t control = (w - ONES * 0x20) & ~w & HIGHS;
    uint64_t x = w ^ (ONES * '\\');
    uint64_t backslash = (x - ONES) & ~x & HIGHS;
    return !(control | backslash | (w & HIGHS));
}

static bool plain_bytes(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (!plain_word(w))
            return false;
    }
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x80 || ch == '\\')
            return false;
    }
    return true;
}

/* A string of printable ASCII without escapes: its contents in *text, *len. */
static bool plain_string(cursor *c, const char **text, size_t *len)
{
    if (!take(c, '"'))
        return false;
    const char *start = c->p, *quote = memchr(start, '"', (size_t)(c->end - start));
    if (!quote || !plain_bytes(start, (size_t)(quote - start)))
        return false;
    *text = start;
    *len = (size_t)(quote - start);
    c->p = quote + 1;
    return true;
}

static size_t digits(cursor *c)
{
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return (size_t)(c->p - start);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)? with at most MAX_INTEGER_DIGITS before the
 * point; *integer when there is no fraction. */
static bool plain_number(cursor *c, bool *integer)
{
    if (c->p < c->end && *c->p == '-')
        c->p++;
    const char *first = c->p;
    size_t n = digits(c);
    if (n == 0 || n > MAX_INTEGER_DIGITS || (n > 1 && *first == '0'))
        return false;
    *integer = true;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (digits(c) == 0)
            return false;
        *integer = false;
    }
    return c->p >= c->end || (*c->p != 'e' && *c->p != 'E');
}

static bool literal(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool plain_value(cursor *c, rb_scan_value *v, int depth);

static bool plain_array(cursor *c, int depth)
{
    if (depth >= MAX_ARRAY_DEPTH)
        return false;
    c->p++;
    if (take(c, ']'))
        return true;
    rb_scan_value item;
    do {
        if (!plain_value(c, &item, depth + 1))
            return false;
    } while (take(c, ','));
    return take(c, ']');
}

static bool plain_value(cursor *c, rb_scan_value *v, int depth)
{
    skip_space(c);
    if (c->p >= c->end)
        return false;
    const char *start = c->p;
    v->kind = RB_SCAN_OTHER;
    switch (*c->p) {
    case '"':
        v->kind = RB_SCAN_STRING;
        return plain_string(c, &v->text, &v->len);
    case '[': return plain_array(c, depth);
    case 't': return literal(c, "true");
    case 'f': return literal(c, "false");
    case 'n': return literal(c, "null");
    default: {
        bool integer;
        if (!plain_number(c, &integer))
            return false;
        v->kind = integer ? RB_SCAN_INTEGER : RB_SCAN_OTHER;
        v->text = start;
        v->len = (size_t)(c->p - start);
        return true;
    }
    }
}

static bool same_name(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && (!a_len || (a[0] == b[0] && memcmp(a, b, a_len) == 0));
}

/* Whether the name of member `count` repeats an earlier one. */
static bool repeated(const char *const *names, const size_t *lens, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (same_name(names[i], lens[i], names[count], lens[count]))
            return true;
    return false;
}

bool rb_line_scan(const char *line, size_t n, const char *const *names, size_t n_names,
                  rb_scan_value *values)
{
    cursor c = {line, line + n};
    const char *member[MAX_MEMBERS];
    size_t member_len[MAX_MEMBERS], count = 0, name_len[MAX_NAMES];
    if (n_names > MAX_NAMES)
        return false;
    for (size_t i = 0; i < n_names; i++) {
        values[i] = (rb_scan_value){RB_SCAN_ABSENT, NULL, 0};
        name_len[i] = strlen(names[i]);
    }
    if (!take(&c, '{'))
        return false;
    if (!take(&c, '}')) {
        do {
            rb_scan_value v;
            if (count == MAX_MEMBERS || !plain_string(&c, &member[count], &member_len[count]) ||
                repeated(member, member_len, count) || !take(&c, ':') || !plain_value(&c, &v, 0))
                return false;
            for (size_t i = 0; i < n_names; i++)
                if (same_name(names[i], name_len[i], member[count], member_len[count]))
                    values[i] = v;
            count++;
        } while (take(&c, ','));
        if (!take(&c, '}'))
            return false;
    }
    skip_space(&c);
    return c.p == c.end;
}

int64_t rb_scan_integer(const rb_scan_value *v)
{
    char text[MAX_INTEGER_DIGITS + 2];
    memcpy(text, v->text, v->len);
    text[v->len] = '\0';
    return strtoll(text, NULL, 10);
}

bool rb_scan_time(const rb_scan_value *v, int64_t *us)
{
    char text[64];
    if (v->kind == RB_SCAN_STRING && v->len < sizeof text) {
        memcpy(text, v->text, v->len);
        text[v->len] = '\0';
        return rb_time_parse(text, us);
    }
    return v->kind == RB_SCAN_INTEGER && rb_time_from_epoch(rb_scan_integer(v), RB_TIME_UNIT_AUTO, us);
}
