/*
 * json_stream.c — streamed JSON arrays (json_stream.h).
 *
 * jansson's indented form is regular: every line break of a value at
 * depth d is followed by 2d spaces more than the same value at depth 0.
 * So a value that holds no placeholder is dumped by jansson and indented
 * by its depth, and only the objects on the way to a placeholder are
 * written member by member, the way jansson writes them.
 */
#include "json_stream.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define INDENT 2

void rb_json_streams_add(rb_json_streams *s, const rb_json_stream *stream)
{
    s->items = rb_xrealloc(s->items, (s->n + 1) * sizeof *s->items);
    s->items[s->n++] = *stream;
}

void rb_json_streams_free(rb_json_streams *s)
{
    if (!s)
        return;
    if (s->release)
        s->release(s->owner);
    free(s->items);
    free(s);
}

const rb_json_stream *rb_json_streams_find(const rb_json_streams *s, const json_t *value)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->items[i].placeholder == value)
            return &s->items[i];
    return NULL;
}

rb_code rb_json_stream_each(const rb_json_streams *s, const json_t *value, bool (*visit)(void *ctx, const json_t *item),
                            void *ctx, rb_error *err)
{
    const rb_json_stream *stream = rb_json_streams_find(s, value);
    if (!stream) {
        size_t i;
        const json_t *item;
        json_array_foreach(value, i, item)
            if (!visit(ctx, item))
                break;
        return RB_OK;
    }
    void *it = NULL;
    rb_code rc = stream->open(stream->ctx, &it, err);
    json_t *item = NULL;
    while (!rc && !(rc = stream->next(it, &item, err)) && item) {
        bool more = visit(ctx, item);
        json_decref(item);
        if (!more)
            break;
    }
    stream->close(it);
    return rc;
}

/* ---- writing ---- */

/* Output goes through a buffer written out in large pieces. */
#define FLUSH_AT ((size_t)1 << 16)

typedef struct writer {
    FILE *out;
    const rb_json_streams *streams;
    rb_buf buf;
    bool failed;
} writer;

static void flush(writer *w)
{
    if (w->buf.len && fwrite(w->buf.data, 1, w->buf.len, w->out) != w->buf.len)
        w->failed = true;
    w->buf.len = 0;
}

static void put(writer *w, const char *s, size_t n)
{
    rb_buf_append(&w->buf, s, n);
    if (w->buf.len >= FLUSH_AT)
        flush(w);
}

static void newline(writer *w, size_t depth)
{
    static const char spaces[] = "\n                                                                ";
    size_t n = depth * INDENT;
    if (n < sizeof spaces - 1) {
        put(w, spaces, n + 1);
        return;
    }
    put(w, "\n", 1);
    for (; n; n -= n < 64 ? n : 64)
        put(w, spaces + 1, n < 64 ? n : 64);
}

/* Text of a value at depth 0, written at depth: each line break is
 * followed by the depth's indent, then by the value's own. */
static void put_indented(writer *w, const char *text, size_t len, size_t depth)
{
    const char *p = text, *end = text + len;
    for (const char *nl; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
        put(w, p, (size_t)(nl - p));
        newline(w, depth);
    }
    put(w, p, (size_t)(end - p));
}

/* A value without placeholders, as jansson writes it, at depth. */
static void put_dumped(writer *w, const json_t *v, size_t depth)
{
    char *text = json_dumps(v, JSON_INDENT(INDENT) | JSON_ENCODE_ANY);
    if (!text) {
        w->failed = true;
        return;
    }
    put_indented(w, text, strlen(text), depth);
    free(text);
}

static bool holds_placeholder(const rb_json_streams *s, const json_t *v)
{
    if (rb_json_streams_find(s, v))
        return true;
    if (!json_is_object(v))
        return false;
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member)
        if (holds_placeholder(s, member))
            return true;
    return false;
}

static rb_code put_value(writer *w, const json_t *v, size_t depth, rb_error *err);

/* The next item of a stream, written; *got false at the end. */
static rb_code put_item(writer *w, const rb_json_stream *stream, void *it, rb_buf *text, bool first, size_t depth,
                        bool *got, rb_error *err)
{
    json_t *item = NULL;
    rb_code rc = stream->next_text ? stream->next_text(it, text, got, err) : stream->next(it, &item, err);
    if (!stream->next_text)
        *got = item != NULL;
    if (rc || !*got)
        return rc;
    if (!first)
        put(w, ",", 1);
    newline(w, depth);
    if (item)
        put_dumped(w, item, depth);
    else
        put_indented(w, text->data, text->len, depth);
    json_decref(item);
    return RB_OK;
}

static rb_code put_stream(writer *w, const rb_json_stream *stream, size_t depth, rb_error *err)
{
    void *it = NULL;
    rb_code rc = stream->open(stream->ctx, &it, err);
    rb_buf text = {0};
    bool first = true, got = true;
    put(w, "[", 1);
    while (!rc && got && !(rc = put_item(w, stream, it, &text, first, depth + 1, &got, err)) && got)
        first = false;
    rb_buf_free(&text);
    stream->close(it);
    if (!first)
        newline(w, depth);
    put(w, "]", 1);
    return rc;
}

static rb_code put_object(writer *w, const json_t *v, size_t depth, rb_error *err)
{
    const char *key;
    json_t *member;
    size_t left = json_object_size(v);
    rb_code rc = RB_OK;
    put(w, "{", 1);
    json_object_foreach((json_t *)v, key, member) {
        newline(w, depth + 1);
        json_t *name = json_string(key);
        char *text = json_dumps(name, JSON_ENCODE_ANY);
        json_decref(name);
        put(w, text, strlen(text));
        free(text);
        put(w, ": ", 2);
        if ((rc = put_value(w, member, depth + 1, err)))
            return rc;
        if (--left)
            put(w, ",", 1);
    }
    newline(w, depth);
    put(w, "}", 1);
    return RB_OK;
}

static rb_code put_value(writer *w, const json_t *v, size_t depth, rb_error *err)
{
    const rb_json_stream *stream = rb_json_streams_find(w->streams, v);
    if (stream)
        return put_stream(w, stream, depth, err);
    if (json_is_object(v) && json_object_size(v) && holds_placeholder(w->streams, v))
        return put_object(w, v, depth, err);
    put_dumped(w, v, depth);
    return RB_OK;
}

rb_code rb_json_write_streamed(FILE *out, const json_t *value, const rb_json_streams *s, rb_error *err)
{
    writer w = {out, s, {0}, false};
    rb_code rc = put_value(&w, value, 0, err);
    flush(&w);
    rb_buf_free(&w.buf);
    if (!rc && w.failed)
        rc = rb_error_set(err, RB_EINTERNAL, "cannot write the JSON report");
    return rc;
}
