/*
 * sort.c — the external sort of trace events (sort.h).
 *
 * Held events live in an arena of text chunks; past the budget they are
 * sorted and written as one run, and once everything is added the runs
 * are merged through a heap of their heads.  A run is a sequence of
 * records: a fixed header (time, seq, line, length) and the line's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "line_scan.h"
#include "replay/sort.h"
#include "replay/spill.h"
#include "util.h"

/* Memory a sorter may hold before it writes a run. */
#define DEFAULT_BUDGET ((size_t)64 << 20)
#define CHUNK ((size_t)1 << 20)
/* The least a run reader reads at once. */
#define MIN_READ ((size_t)4096)

/* ---- canonical text ---- */

static int member_compare(const void *pa, const void *pb)
{
    const rb_scan_member *a = pa, *b = pb;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

static bool append_value(rb_buf *b, const rb_scan_value *v)
{
    if (v->kind == RB_SCAN_STRING) {
        rb_buf_putc(b, '"');
        rb_buf_append(b, v->text, v->len);
        rb_buf_putc(b, '"');
        return true;
    }
    if (v->kind == RB_SCAN_INTEGER) {
        if (v->len == 2 && memcmp(v->text, "-0", 2) == 0)
            rb_buf_putc(b, '0');
        else
            rb_buf_append(b, v->text, v->len);
        return true;
    }
    /* decimals and arrays as jansson writes them; true, false, null */
    json_t *j = json_loadb(v->text, v->len, JSON_DECODE_ANY, NULL);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (!text)
        return false;
    rb_buf_puts(b, text);
    free(text);
    return true;
}

char *rp_event_canonical(const char *text, size_t len, const json_t *parsed)
{
    rb_scan_member members[RB_SCAN_MAX_MEMBERS];
    size_t n;
    if (!parsed && rb_line_scan_members(text, len, members, &n, NULL)) {
        qsort(members, n, sizeof *members, member_compare);
        rb_buf b = {0};
        rb_buf_putc(&b, '{');
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            if (i)
                rb_buf_putc(&b, ',');
            rb_buf_putc(&b, '"');
            rb_buf_append(&b, members[i].name, members[i].name_len);
            rb_buf_puts(&b, "\":");
            ok = append_value(&b, &members[i].value);
        }
        rb_buf_putc(&b, '}');
        if (ok)
            return rb_buf_take(&b);
        rb_buf_free(&b);
    }
    json_t *own = parsed ? NULL : json_loadb(text, len, 0, NULL);
    char *c = json_dumps(parsed ? parsed : own, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(own);
    return c ? c : rb_xstrndup(text, len);
}

int rp_event_order(const rp_sort_item *a, char **ca, const rp_sort_item *b, char **cb)
{
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->has_seq && b->has_seq && a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (!*ca)
        *ca = rp_event_canonical(a->text, a->len, NULL);
    if (!*cb)
        *cb = rp_event_canonical(b->text, b->len, NULL);
    int c = strcmp(*ca, *cb);
    if (c)
        return c;
    return (a->line > b->line) - (a->line < b->line);
}

/* ---- the sorter ---- */

typedef struct held {
    rp_sort_item item;
    char *canonical;
} held;

typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    char data[];
} chunk;

typedef struct run {
    uint64_t offset, bytes;
} run;

/* On disk: the header of a record, then its bytes. */
typedef struct disk_item {
    int64_t ts, seq, line;
    uint32_t len;
    uint32_t has_seq;
} disk_item;

typedef struct run_reader {
    const rp_spill *file;
    uint64_t next, stop;
    char *buf;
    size_t cap, start, end;
    bool has;
    rp_sort_item head;
    char *canonical;
} run_reader;

struct rp_sorter {
    size_t budget, used;
    held *items;
    size_t n, cap;
    chunk *chunks;
    rp_spill file;
    bool file_open;
    run *runs;
    size_t n_runs, cap_runs;
    bool done;
    /* reading */
    size_t next;              /* in memory: the next item */
    run_reader *readers;      /* on disk: one per run */
    size_t *heap, n_heap;     /* reader indices, smallest head first */
    size_t taken;             /* the reader whose head was given last, or n_runs */
};

static size_t budget_from_environment(void)
{
    const char *s = getenv("RBAUDIT_REPLAY_SORT_MEMORY");
    char *end;
    unsigned long long n = s && *s ? strtoull(s, &end, 10) : 0;
    return n >= 1 && s && !*end ? (size_t)n : DEFAULT_BUDGET;
}

rp_sorter *rp_sorter_new(void)
{
    rp_sorter *s = rb_xcalloc(1, sizeof *s);
    s->budget = budget_from_environment();
    return s;
}

static void readers_free(rp_sorter *s)
{
    for (size_t i = 0; s->readers && i < s->n_runs; i++) {
        free(s->readers[i].buf);
        free(s->readers[i].canonical);
    }
    free(s->readers);
    free(s->heap);
    s->readers = NULL;
    s->heap = NULL;
    s->n_heap = 0;
}

static void held_free(rp_sorter *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i].canonical);
    s->n = 0;
    s->used = 0;
    for (chunk *c = s->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    s->chunks = NULL;
}

void rp_sorter_reset(rp_sorter *s)
{
    held_free(s);
    readers_free(s);
    if (s->file_open)
        rp_spill_close(&s->file);
    s->file_open = false;
    s->n_runs = 0;
    s->done = false;
    s->next = 0;
}

void rp_sorter_free(rp_sorter *s)
{
    if (!s)
        return;
    rp_sorter_reset(s);
    free(s->items);
    free(s->runs);
    free(s);
}

size_t rp_sorter_runs(const rp_sorter *s)
{
    return s->n_runs;
}

static char *arena_copy(rp_sorter *s, const char *text, size_t len)
{
    chunk *c = s->chunks;
    if (!c || c->size - c->used < len) {
        size_t size = s->budget < CHUNK ? s->budget : CHUNK;
        if (size < len)
            size = len;
        chunk *fresh = rb_xmalloc(sizeof *fresh + size);
        fresh->size = size;
        fresh->used = 0;
        fresh->next = s->chunks;
        s->chunks = c = fresh;
        s->used += size;
    }
    char *at = c->data + c->used;
    memcpy(at, text, len);
    c->used += len;
    return at;
}

static int held_compare(const void *pa, const void *pb)
{
    held *a = (held *)pa, *b = (held *)pb;
    return rp_event_order(&a->item, &a->canonical, &b->item, &b->canonical);
}

static rb_code write_run(rp_sorter *s, rb_error *err)
{
    qsort(s->items, s->n, sizeof *s->items, held_compare);
    rb_code rc = RB_OK;
    if (!s->file_open && !(rc = rp_spill_open(&s->file, "the sorted trace", err)))
        s->file_open = true;
    rb_buf b = {0};
    run r = {s->file.size, 0};
    for (size_t i = 0; i < s->n && !rc; i++) {
        const rp_sort_item *it = &s->items[i].item;
        disk_item d = {it->ts, it->seq, it->line, (uint32_t)it->len, it->has_seq};
        rb_buf_append(&b, (const char *)&d, sizeof d);
        rb_buf_append(&b, it->text, it->len);
        if (b.len >= CHUNK || i + 1 == s->n) {
            rc = rp_spill_append(&s->file, b.data, b.len, NULL, err);
            r.bytes += b.len;
            b.len = 0;
        }
    }
    rb_buf_free(&b);
    if (rc)
        return rc;
    rb_grow((void **)&s->runs, &s->cap_runs, s->n_runs + 1, sizeof *s->runs);
    s->runs[s->n_runs++] = r;
    held_free(s);
    return RB_OK;
}

rb_code rp_sorter_add(rp_sorter *s, const rp_sort_item *item, rb_error *err)
{
    rb_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items);
    held *h = &s->items[s->n++];
    h->item = *item;
    h->item.text = arena_copy(s, item->text, item->len);
    h->canonical = NULL;
    s->used += sizeof *h;
    return s->used > s->budget ? write_run(s, err) : RB_OK;
}

rb_code rp_sorter_done(rp_sorter *s, rb_error *err)
{
    s->done = true;
    if (s->n_runs && s->n)
        return write_run(s, err);
    qsort(s->items, s->n, sizeof *s->items, held_compare);
    return RB_OK;
}

/* ---- reading runs ---- */

static rb_code reader_advance(run_reader *rd, rb_error *err)
{
    free(rd->canonical);
    rd->canonical = NULL;
    for (;;) {
        size_t have = rd->end - rd->start;
        disk_item d;
        if (have >= sizeof d) {
            memcpy(&d, rd->buf + rd->start, sizeof d);
            if (have >= sizeof d + d.len) {
                rd->head = (rp_sort_item){d.ts, d.seq, d.has_seq != 0, (long)d.line, rd->buf + rd->start + sizeof d,
                                          d.len};
                rd->start += sizeof d + d.len;
                rd->has = true;
                return RB_OK;
            }
        }
        if (rd->next >= rd->stop) {
            rd->has = false;
            return RB_OK;
        }
        if (have)
            memmove(rd->buf, rd->buf + rd->start, have);
        rd->start = 0;
        rd->end = have;
        size_t want = MIN_READ;
        if (have >= sizeof d && sizeof d + d.len > want)
            want = sizeof d + d.len;
        if (rd->cap < have + want) {
            rd->cap = have + want;
            rd->buf = rb_xrealloc(rd->buf, rd->cap);
        }
        size_t room = rd->cap - have;
        size_t n = (size_t)(rd->stop - rd->next < room ? rd->stop - rd->next : room);
        rb_code rc = rp_spill_read(rd->file, rd->next, rd->buf + have, n, err);
        if (rc)
            return rc;
        rd->next += n;
        rd->end += n;
    }
}

static int reader_order(rp_sorter *s, size_t a, size_t b)
{
    run_reader *x = &s->readers[a], *y = &s->readers[b];
    return rp_event_order(&x->head, &x->canonical, &y->head, &y->canonical);
}

static void heap_down(rp_sorter *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n_heap && reader_order(s, s->heap[l], s->heap[m]) < 0)
            m = l;
        if (r < s->n_heap && reader_order(s, s->heap[r], s->heap[m]) < 0)
            m = r;
        if (m == i)
            return;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

rb_code rp_sorter_rewind(rp_sorter *s, rb_error *err)
{
    s->next = 0;
    readers_free(s);
    s->taken = s->n_runs;
    if (!s->n_runs)
        return RB_OK;
    s->readers = rb_xcalloc(s->n_runs, sizeof *s->readers);
    s->heap = rb_xcalloc(s->n_runs, sizeof *s->heap);
    /* the budget, shared by the runs' buffers */
    size_t each = s->budget / s->n_runs;
    for (size_t i = 0; i < s->n_runs; i++) {
        run_reader *rd = &s->readers[i];
        *rd = (run_reader){.file = &s->file, .next = s->runs[i].offset, .stop = s->runs[i].offset + s->runs[i].bytes};
        rd->cap = each > MIN_READ ? each : MIN_READ;
        rd->buf = rb_xmalloc(rd->cap);
        rb_code rc = reader_advance(rd, err);
        if (rc)
            return rc;
        if (rd->has)
            s->heap[s->n_heap++] = i;
    }
    for (size_t i = s->n_heap / 2; i-- > 0;)
        heap_down(s, i);
    return RB_OK;
}

rb_code rp_sorter_next(rp_sorter *s, const rp_sort_item **item, rb_error *err)
{
    *item = NULL;
    if (!s->n_runs) {
        if (s->next < s->n)
            *item = &s->items[s->next++].item;
        return RB_OK;
    }
    if (s->taken < s->n_runs) {
        /* the head given last is the heap's top: replace it by the next */
        rb_code rc = reader_advance(&s->readers[s->taken], err);
        if (rc)
            return rc;
        if (!s->readers[s->taken].has)
            s->heap[0] = s->heap[--s->n_heap];
        if (s->n_heap)
            heap_down(s, 0);
        s->taken = s->n_runs;
    }
    if (!s->n_heap)
        return RB_OK;
    s->taken = s->heap[0];
    *item = &s->readers[s->taken].head;
    return RB_OK;
}
