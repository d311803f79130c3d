/*
 * sort.h — putting trace events in trace order when the trace does not
 * hold them so: by time, then by seq when both events have one, then by
 * their canonical text (compact JSON with sorted keys), then by their
 * place in the file, so that the same events in any order replay the same
 * way.
 *
 * A sorter holds events up to a memory budget; past it, it sorts what it
 * holds into a run on a temporary file (spill.h) and starts again, and
 * reading merges the runs.  So sorting a trace of any length takes the
 * budget's memory and the trace's size on disk.  The budget is the
 * default unless the environment sets RBAUDIT_REPLAY_SORT_MEMORY (bytes, at
 * least 1), which tests use to make small traces spill.
 *
 * The canonical text of an event is made only for ties of time and seq:
 * from a plain line's members (line_scan.h) without parsing it, else by
 * jansson, giving the same text either way.
 *
 * Ownership: a sorter owns copies of what it is given; an item it gives
 * back is valid until the next call.
 */
#ifndef RP_SORT_H
#define RP_SORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* An event as the sorter takes and gives it: its order and its line (for
 * an event that was parsed, the compact JSON of its fields). */
typedef struct rp_sort_item {
    int64_t ts, seq;
    bool has_seq;
    long line;
    const char *text;
    size_t len;
} rp_sort_item;

typedef struct rp_sorter rp_sorter;

rp_sorter *rp_sorter_new(void);
void rp_sorter_free(rp_sorter *s);

/* Empties the sorter, for another set of events. */
void rp_sorter_reset(rp_sorter *s);

rb_code rp_sorter_add(rp_sorter *s, const rp_sort_item *item, rb_error *err);

/* After the last add: sorts what is held.  Then rp_sorter_rewind starts
 * a reading, as many times as wanted. */
rb_code rp_sorter_done(rp_sorter *s, rb_error *err);
rb_code rp_sorter_rewind(rp_sorter *s, rb_error *err);

/* The next item in order in *item, NULL at the end. */
rb_code rp_sorter_next(rp_sorter *s, const rp_sort_item **item, rb_error *err);

/* How many runs went to the file (0: it all fit in memory). */
size_t rp_sorter_runs(const rp_sorter *s);

/* The canonical text of an event from its line (parsed, when not NULL,
 * is the line's fields as jansson read them): allocated. */
char *rp_event_canonical(const char *text, size_t len, const json_t *parsed);

/* Trace order of two events whose canonical texts are made when needed
 * (*ca, *cb: NULL until then; the caller frees them). */
int rp_event_order(const rp_sort_item *a, char **ca, const rp_sort_item *b, char **cb);

#endif
