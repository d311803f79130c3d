/*
 * json_stream.h — JSON arrays too long to hold in memory (a replay's
 * result per key, a million keys of them): their items are made one at a
 * time, again for every report written, by the module that produced the
 * array, and written as they are made.
 *
 * The report section holds an empty array where such an array goes (its
 * placeholder); the JSON reporter writes the items in its place with
 * rb_json_write_streamed, which writes everything else exactly as
 * json_dumpf(JSON_INDENT(2)) does, and other reporters read the items
 * with rb_json_stream_each.
 *
 * Ownership: the streams own their items' producer (released by
 * rb_json_streams_free through `release`); a placeholder is borrowed from
 * the section.
 */
#ifndef RB_JSON_STREAM_H
#define RB_JSON_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "util.h"

typedef struct rb_json_stream {
    const json_t *placeholder;  /* the empty array standing for this one */
    /* Starts a reading (its state in *it). */
    rb_code (*open)(void *ctx, void **it, rb_error *err);
    /* The next item, a new reference, in *item; NULL at the end. */
    rb_code (*next)(void *it, json_t **item, rb_error *err);
    /* The next item as json_dumps(item, JSON_INDENT(2)) writes it, put in
     * *text (emptied first); *got false at the end.  May be NULL (then
     * next is used): a producer writes its items faster than jansson. */
    rb_code (*next_text)(void *it, rb_buf *text, bool *got, rb_error *err);
    void (*close)(void *it);
    void *ctx;
} rb_json_stream;

typedef struct rb_json_streams {
    rb_json_stream *items;
    size_t n;
    void (*release)(void *owner);  /* frees what the streams read */
    void *owner;
} rb_json_streams;

void rb_json_streams_add(rb_json_streams *s, const rb_json_stream *stream);
void rb_json_streams_free(rb_json_streams *s);

/* The stream a value is the placeholder of, or NULL (s may be NULL). */
const rb_json_stream *rb_json_streams_find(const rb_json_streams *s, const json_t *value);

/* Calls visit with every item of the array `value`: a placeholder's
 * stream, or the array itself.  visit returns false to stop. */
rb_code rb_json_stream_each(const rb_json_streams *s, const json_t *value, bool (*visit)(void *ctx, const json_t *item),
                            void *ctx, rb_error *err);

/* Writes value as json_dumpf(value, out, JSON_INDENT(2)) does, streamed
 * arrays in place of their placeholders.  RB_EINTERNAL when writing
 * fails; the streams' own errors as they are. */
rb_code rb_json_write_streamed(FILE *out, const json_t *value, const rb_json_streams *s, rb_error *err);

#endif
