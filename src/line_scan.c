/*
 * line_scan.c — reading a JSON Lines line without building it
 * (line_scan.h).
 *
 * A cursor walks the line once, as a validating parser would, but builds
 * nothing: it checks the grammar, the UTF-8 of every string, every escape,
 * and that no object names a member twice, and it keeps only where the
 * top-level members asked for are.  Runs of plain ASCII inside strings are
 * taken eight bytes at a time.  Whatever jansson might refuse, or read
 * otherwise than the scanner would say (an integer too long for it, a
 * number that might overflow a double, a NUL, a lone surrogate, a member
 * name with escapes, an object with very many members), is not decided
 * here: the answer is "not sure" and the line goes to jansson, which also
 * says what is wrong with it.  So the scanner decides only what it is sure
 * of, and a line it accepts is one jansson reads to an object.
 *
 * A reader that makes what it needs of a line itself (a replay) may ask
 * for every top-level member instead: where each name and value lies in
 * the line, a value that is neither a plain string nor an integer given as
 * its whole JSON text, for it to read with jansson if it must.
 */
#include "line_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input_limits.h"
#include "timeutil.h"

/* Member names remembered at once over all open objects, to refuse a name
 * given twice as jansson does with JSON_REJECT_DUPLICATES; more are left
 * to jansson. */
#define MAX_NAMES_OPEN 256
/* Members asked for (line_scan.h). */
#define MAX_ASKED 8
/* Integers of more digits might not fit jansson's integers. */
#define MAX_INTEGER_DIGITS 18
/* A number whose decimal exponent is beyond this might overflow or
 * underflow a double: left to jansson. */
#define MAX_DECIMAL_EXPONENT 300

typedef struct cursor {
    const char *p, *end;
    size_t depth, max_depth;   /* nesting of arrays and objects */
    const char *names[MAX_NAMES_OPEN];
    size_t lens[MAX_NAMES_OPEN];
    size_t n_names;            /* names of the open objects, innermost last */
    rb_buf *decoded;           /* strings with escapes, decoded; may be NULL */
    rb_buf text;               /* the string being built, decoded */
    rb_scan_member *members;   /* the top-level members, when asked for */
    size_t n_members;
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

/* Whether eight bytes are all printable ASCII other than a quote and a
 * backslash: the classic word-at-a-time tests for a byte under 0x20, a
 * byte with its high bit set, and a zero byte in w XOR eight quotes or
 * eight backslashes. */
static inline bool plain_word(uint64_t w)
{
    uint64_t control = (w - ONES * 0x20) & ~w & HIGHS;
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    uint64_t quote = (q - ONES) & ~q & HIGHS, backslash = (b - ONES) & ~b & HIGHS;
    return !(control | quote | backslash | (w & HIGHS));
}

/* The length of the well-formed UTF-8 sequence at s (up to end) of a code
 * point jansson takes (no overlong form, no surrogate, at most U+10FFFF),
 * or 0. */
static size_t utf8_sequence(const unsigned char *s, const unsigned char *end)
{
    unsigned char b = s[0];
    size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (!n || b > 0xF4 || (size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((b == 0xE0 && s[1] < 0xA0) || (b == 0xED && s[1] > 0x9F) || (b == 0xF0 && s[1] < 0x90) ||
        (b == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                             : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* The four hex digits of a \u escape at p (end: the line's end), or -1. */
static long hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(rb_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    rb_buf_append(b, u, n);
}

/* One escape after its backslash at c->p: checked, and appended decoded to
 * out (may be NULL).  A NUL or a lone surrogate is not decided. */
static bool escape(cursor *c, rb_buf *out)
{
    if (c->p >= c->end)
        return false;
    static const char simple[] = "\"\\/bfnrt", meaning[] = "\"\\/\b\f\n\r\t";
    const char *at = memchr(simple, *c->p, sizeof simple - 1);
    if (at) {
        if (out)
            rb_buf_putc(out, meaning[at - simple]);
        c->p++;
        return true;
    }
    if (*c->p != 'u')
        return false;
    long cp = hex4(c->p + 1, c->end);
    c->p += 5;
    if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long low = c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u' ? hex4(c->p + 2, c->end) : -1;
        if (low < 0xDC00 || low > 0xDFFF)
            return false;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        c->p += 6;
    }
    if (out)
        put_utf8(out, (unsigned long)cp);
    return true;
}

/* Appends to out and into (each may be NULL) the bytes [from, to). */
static void copy_run(rb_buf *out, rb_buf *into, const char *from, const char *to)
{
    if (out)
        rb_buf_append(out, from, (size_t)(to - from));
    if (into)
        rb_buf_append(into, from, (size_t)(to - from));
}

/* A string at c->p (after skipping space): its raw text between the quotes
 * in *text, *len; *escaped tells whether it holds escapes.  When it does,
 * its decoded text goes to `into` (when not NULL; emptied first), and to
 * c->decoded between quotes when `record`. */
static bool string(cursor *c, const char **text, size_t *len, bool *escaped, bool record, rb_buf *into)
{
    if (!take(c, '"'))
        return false;
    const char *start = c->p, *run = start; /* run: not yet copied */
    *escaped = false;
    rb_buf *out = NULL;
    if (into) {
        into->len = 0;
        if (into->data)
            into->data[0] = '\0';
    }
    for (;;) {
        while (c->end - c->p >= 8) {
            uint64_t w;
            memcpy(&w, c->p, 8);
            if (!plain_word(w))
                break;
            c->p += 8;
        }
        if (c->p >= c->end)
            return false;
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"')
            break;
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (!*escaped) {
                out = record ? c->decoded : NULL;
                if (out)
                    rb_buf_putc(out, '"');
                *escaped = true;
            }
            copy_run(out, into, run, c->p);
            c->p++;
            const char *from = c->p;
            if (!escape(c, out))
                return false;
            /* decoded once more for `into`: escapes are rare, and short */
            if (into && !escape(&(cursor){.p = from, .end = c->end}, into))
                return false;
            run = c->p;
            continue;
        }
        size_t n = ch < 0x80 ? 1 : utf8_sequence((const unsigned char *)c->p, (const unsigned char *)c->end);
        if (!n)
            return false;
        c->p += n;
    }
    if (*escaped)
        copy_run(out, into, run, c->p);
    *text = start;
    *len = (size_t)(c->p - start);
    c->p++;
    if (out)
        rb_buf_putc(out, '"');
    return true;
}

static size_t digits(cursor *c)
{
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return (size_t)(c->p - start);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: *integer when there is
 * neither fraction nor exponent.  Integers of more than
 * MAX_INTEGER_DIGITS digits and numbers far from 1 are not decided. */
static bool number(cursor *c, bool *integer)
{
    if (c->p < c->end && *c->p == '-')
        c->p++;
    const char *first = c->p;
    size_t n = digits(c);
    if (n == 0 || (n > 1 && *first == '0'))
        return false;
    *integer = true;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (digits(c) == 0)
            return false;
        *integer = false;
    }
    long exponent = 0;
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        bool negative = c->p < c->end && *c->p == '-';
        if (c->p < c->end && (*c->p == '-' || *c->p == '+'))
            c->p++;
        const char *e = c->p;
        size_t ne = digits(c);
        if (ne == 0 || ne > 4)
            return false;
        exponent = strtol(e, NULL, 10) * (negative ? -1 : 1);
        *integer = false;
    }
    if (*integer)
        return n <= MAX_INTEGER_DIGITS;
    long scale = (long)n + exponent;
    return scale < MAX_DECIMAL_EXPONENT && scale > -MAX_DECIMAL_EXPONENT;
}

static bool literal(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

/* What a walk over an object builds: nothing (NULL out), or its value,
 * with every member, or at the top level only the members named in keep
 * (sorted; n_keep of them). */
typedef struct building {
    json_t **out;
    const char *const *keep; /* NULL: every member */
    size_t n_keep;
    bool left_out;           /* some member was not built */
} building;

static bool value(cursor *c, rb_scan_value *v, json_t **out);

/* Whether the name just added to the open names repeats one of the object
 * whose names start at `from`. */
static bool repeated(const cursor *c, size_t from)
{
    size_t last = c->n_names - 1;
    for (size_t i = from; i < last; i++)
        if (c->lens[i] == c->lens[last] && memcmp(c->names[i], c->names[last], c->lens[last]) == 0)
            return true;
    return false;
}

/* Opens a nesting level; deeper than --max-json-depth is jansson's to
 * refuse with its message. */
static bool deeper(cursor *c)
{
    return ++c->depth <= c->max_depth;
}

/* The value a number's text stands for, as jansson makes it: an integer
 * through strtoll, anything else a real through strtod. */
static json_t *number_json(const char *text, size_t len, bool integer)
{
    char small[64];
    char *copy = len < sizeof small ? small : rb_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    json_t *v = integer ? json_integer(strtoll(copy, NULL, 10)) : json_real(strtod(copy, NULL));
    if (copy != small)
        free(copy);
    return v;
}

/* Drops what was built of a value the line turned out to make unsure. */
static bool unbuilt(json_t **out)
{
    if (out) {
        json_decref(*out);
        *out = NULL;
    }
    return false;
}

static bool array(cursor *c, json_t **out)
{
    c->p++;
    if (!deeper(c))
        return false;
    if (out)
        *out = json_array();
    if (!take(c, ']')) {
        rb_scan_value item;
        do {
            json_t *built = NULL;
            if (!value(c, &item, out ? &built : NULL))
                return unbuilt(out);
            if (out)
                json_array_append_new(*out, built);
        } while (take(c, ','));
        if (!take(c, ']'))
            return unbuilt(out);
    }
    c->depth--;
    return true;
}

static bool kept(const building *b, const char *name, size_t len)
{
    if (!b->keep)
        return true;
    size_t lo = 0, hi = b->n_keep;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strncmp(b->keep[mid], name, len);
        if (cmp == 0 && b->keep[mid][len] == '\0')
            return true;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* An object's members; at the top level (asked != NULL), the values of the
 * names asked for.  Names with escapes are not decided (a repeat could
 * hide behind one).  With b, builds the object as b says. */
static bool object(cursor *c, const char *const *asked, const size_t *asked_len, size_t n_asked,
                   rb_scan_value *values, building *b)
{
    if (!take(c, '{') || !deeper(c))
        return false;
    json_t **out = b ? b->out : NULL;
    if (out)
        *out = json_object();
    bool top = c->depth == 1;
    size_t from = c->n_names;
    if (!take(c, '}')) {
        do {
            const char *name;
            size_t len;
            bool escaped;
            if (c->n_names == MAX_NAMES_OPEN || !string(c, &name, &len, &escaped, false, NULL) || escaped)
                return unbuilt(out);
            c->names[c->n_names] = name;
            c->lens[c->n_names++] = len;
            rb_scan_value v;
            json_t *member = NULL;
            bool build = out && kept(b, name, len);
            if (out && !build)
                b->left_out = true;
            if (repeated(c, from) || !take(c, ':') || !value(c, &v, build ? &member : NULL))
                return unbuilt(out);
            if (build) {
                char *key = rb_xstrndup(name, len);
                json_object_set_new_nocheck(*out, key, member);
                free(key);
            }
            for (size_t i = 0; i < n_asked; i++)
                if (asked_len[i] == len && memcmp(asked[i], name, len) == 0)
                    values[i] = v;
            if (top && c->members) {
                if (c->n_members == RB_SCAN_MAX_MEMBERS)
                    return unbuilt(out);
                c->members[c->n_members++] = (rb_scan_member){name, len, v};
            }
        } while (take(c, ','));
        if (!take(c, '}'))
            return unbuilt(out);
    }
    c->n_names = from;
    c->depth--;
    return true;
}

static bool value_at(cursor *c, rb_scan_value *v, json_t **out);

/* A value; anything but a plain string or an integer is described by its
 * whole text. */
static bool value(cursor *c, rb_scan_value *v, json_t **out)
{
    skip_space(c);
    const char *start = c->p;
    if (!value_at(c, v, out))
        return false;
    if (v->kind == RB_SCAN_OTHER) {
        v->text = start;
        v->len = (size_t)(c->p - start);
    }
    return true;
}

static bool value_at(cursor *c, rb_scan_value *v, json_t **out)
{
    if (c->p >= c->end)
        return false;
    const char *start = c->p;
    v->kind = RB_SCAN_OTHER;
    switch (*c->p) {
    case '"': {
        bool escaped;
        if (!string(c, &v->text, &v->len, &escaped, true, out ? &c->text : NULL))
            return false;
        v->kind = escaped ? RB_SCAN_OTHER : RB_SCAN_STRING;
        if (out)
            *out = escaped ? json_stringn_nocheck(c->text.data, c->text.len) : json_stringn_nocheck(v->text, v->len);
        return true;
    }
    case '[': return array(c, out);
    case '{': {
        building whole = {out, NULL, 0, false};
        return object(c, NULL, NULL, 0, NULL, out ? &whole : NULL);
    }
    case 't':
        if (out)
            *out = json_true();
        return literal(c, "true") || unbuilt(out);
    case 'f':
        if (out)
            *out = json_false();
        return literal(c, "false") || unbuilt(out);
    case 'n':
        if (out)
            *out = json_null();
        return literal(c, "null") || unbuilt(out);
    default: {
        bool integer;
        if (!number(c, &integer))
            return false;
        v->kind = integer ? RB_SCAN_INTEGER : RB_SCAN_OTHER;
        v->text = start;
        v->len = (size_t)(c->p - start);
        if (out)
            *out = number_json(v->text, v->len, integer);
        return true;
    }
    }
}

/* Walks a whole line: one object and nothing after it. */
static bool walk_line(cursor *c, const char *const *names, size_t n_names, rb_scan_value *values, building *b)
{
    size_t len[MAX_ASKED];
    for (size_t i = 0; i < n_names; i++) {
        values[i] = (rb_scan_value){RB_SCAN_ABSENT, NULL, 0};
        len[i] = strlen(names[i]);
    }
    bool ok = object(c, names, len, n_names, values, b);
    skip_space(c);
    return ok && c->p == c->end;
}

bool rb_line_scan(const char *line, size_t n, const char *const *names, size_t n_names, rb_scan_value *values,
                  rb_buf *decoded)
{
    if (n_names > MAX_ASKED)
        return false;
    cursor c = {.p = line, .end = line + n, .max_depth = rb_limits_get()->json_depth, .decoded = decoded};
    return walk_line(&c, names, n_names, values, NULL);
}

bool rb_line_scan_members(const char *line, size_t n, rb_scan_member *members, size_t *count, rb_buf *decoded)
{
    cursor c = {.p = line, .end = line + n, .max_depth = rb_limits_get()->json_depth, .decoded = decoded,
                .members = members};
    bool ok = walk_line(&c, NULL, 0, NULL, NULL);
    *count = c.n_members;
    return ok;
}

static bool same_name(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

void rb_scan_pick(const rb_scan_member *members, size_t n, const char *const *names, size_t n_names,
                  rb_scan_value *values)
{
    for (size_t i = 0; i < n_names; i++) {
        size_t len = strlen(names[i]);
        values[i] = (rb_scan_value){RB_SCAN_ABSENT, NULL, 0};
        for (size_t m = 0; m < n; m++)
            if (same_name(names[i], len, members[m].name, members[m].name_len))
                values[i] = members[m].value;
    }
}

json_t *rb_line_build(const char *line, size_t n, const char *const *keep, size_t n_keep, bool *partial)
{
    cursor c = {.p = line, .end = line + n, .max_depth = rb_limits_get()->json_depth};
    json_t *object = NULL;
    building b = {&object, keep, n_keep, false};
    bool ok = walk_line(&c, NULL, 0, NULL, &b);
    rb_buf_free(&c.text);
    if (!ok) {
        json_decref(object);
        return NULL;
    }
    *partial = b.left_out;
    return object;
}

int64_t rb_scan_integer(const rb_scan_value *v)
{
    /* at most MAX_INTEGER_DIGITS digits and a sign: no overflow */
    const char *p = v->text, *end = v->text + v->len;
    bool negative = p < end && *p == '-';
    int64_t n = 0;
    for (p += negative; p < end; p++)
        n = n * 10 + (*p - '0');
    return negative ? -n : n;
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
