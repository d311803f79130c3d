/*
 * keys.c — the key table of a replay run (keys.h).
 *
 * Records in memory sit in a hash table and on a list from the most to
 * the least recently touched.  Retiring takes unpinned records from the
 * cold end, sorts them in keymap's order and writes them as one run, a
 * temporary file of its own.  A run keeps in memory what finds a key in
 * it without reading it: its first and last keys, a Bloom filter of its
 * keys (ten bits each, one cache line a test), a sparse index (every
 * SPARSE-th key and its offset: one read finds a key) and a bitmap of its
 * records that came back since.  When the newest runs are four of a like
 * size they are merged into one, so that a few runs hold every retired
 * key and a merged-away run's file is gone.  A retired record is alive in
 * one run only: one that comes back is marked gone there, and goes to a
 * newer run if it is retired again.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/keys.h"
#include "replay/spill.h"
#include "template.h"
#include "util.h"

/* Records held in memory before retiring, unless RBAUDIT_REPLAY_KEYS says:
 * past it, the coldest half goes. */
#define DEFAULT_BUDGET ((size_t)1 << 14)
/* One index entry per this many records of a run. */
#define SPARSE 128
/* This many newest runs of a like size are merged. */
#define MERGE_WIDTH 4
/* What one read of a run takes, and what a writer holds before writing. */
#define CHUNK ((size_t)1 << 16)
/* Bloom filters: bits per key (about 2% false positives), in blocks of
 * 512 bits, probes per key. */
#define BLOOM_BITS 8
#define BLOCK_WORDS 8
#define PROBES 6

typedef struct rec {
    rp_key pub;
    struct rec *hnext;          /* hash chain */
    struct rec *newer, *older;  /* recency list */
    uint64_t hash;
    uint32_t pins;
    size_t eff_len;             /* of the text form, up to a NUL (keymap compares with strcmp) */
} rec;

/* Record number i * SPARSE of a run: where it is, and its id. */
typedef struct sparse_entry {
    uint64_t offset;            /* of the record in its run */
    uint64_t id;                /* its id in the run's `ids` */
} sparse_entry;

typedef struct run {
    rp_spill file;
    size_t count, alive;
    sparse_entry *index;
    size_t n_index, cap_index;
    rb_buf ids;                 /* the index's ids, NUL-separated */
    char *first, *last;         /* its first and last ids */
    uint64_t *bloom;
    size_t n_blocks;
    uint64_t *gone;             /* bitmap by ordinal: came back since */
} run;

struct rp_keys {
    size_t slot_size, budget;
    rec **buckets;
    size_t n_buckets, held;
    rec *newest, *oldest;
    run *runs;                  /* oldest (largest) first */
    size_t n_runs, cap_runs;
    size_t keys, retired, returned;
    size_t retry_at;            /* too many pinned: retire again past this */
    rb_code failed;
    char failure[sizeof ((rb_error *)0)->message];
};

/* A record as it is in a run: a header, the id and its NUL, the value's
 * JSON (keys that are not strings), the slots. */
typedef struct disk_header {
    uint32_t id_len, value_len;
} disk_header;

static size_t record_size(const rp_keys *t, const disk_header *h)
{
    return sizeof *h + h->id_len + 1 + h->value_len + t->slot_size;
}

static const char *disk_id(const char *p)
{
    return p + sizeof(disk_header);
}

static const char *disk_value(const char *p, const disk_header *h)
{
    return disk_id(p) + h->id_len + 1;
}

static const char *disk_slots(const char *p, const disk_header *h)
{
    return disk_value(p, h) + h->value_len;
}

/* ---- identities ---- */

static size_t effective_length(const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    return nul ? (size_t)(nul - text) : len;
}

/* FNV-1a of the tag and the text up to a NUL, as keymap's identity goes. */
static uint64_t id_hash(char tag, const char *text, size_t eff_len)
{
    uint64_t h = (UINT64_C(14695981039346656037) ^ (unsigned char)tag) * UINT64_C(1099511628211);
    for (size_t i = 0; i < eff_len; i++)
        h = (h ^ (unsigned char)text[i]) * UINT64_C(1099511628211);
    return h;
}

static uint64_t hash_of_id(const char *id, size_t id_len)
{
    return id_hash(id[0], id + 2, effective_length(id + 2, id_len - 2));
}

void rp_key_id_of(const json_t *key, rp_key_id *id, char **buf)
{
    *buf = NULL;
    if (json_is_string(key)) {
        *id = (rp_key_id){'s', json_string_value(key), json_string_length(key)};
        return;
    }
    rb_buf b = {0};
    rb_template_append_value(&b, key ? key : json_null());
    *buf = rb_buf_take(&b);
    *id = (rp_key_id){'j', *buf, strlen(*buf)};
}

static int id_compare(const char *a, const char *b)
{
    int c = strcmp(a + 2, b + 2);
    return c ? c : strcmp(a, b);
}

int rp_key_compare(const rp_key *a, const rp_key *b)
{
    return id_compare(a->id, b->id);
}

static int rec_ptr_compare(const void *pa, const void *pb)
{
    return rp_key_compare(&(*(rec *const *)pa)->pub, &(*(rec *const *)pb)->pub);
}

/* keymap's order of an identity (tag, text up to a NUL) against an id. */
static int compare_to(char tag, const char *text, size_t eff_len, const char *id)
{
    size_t other = strlen(id + 2);
    size_t n = eff_len < other ? eff_len : other;
    int c = memcmp(text, id + 2, n);
    if (!c)
        c = eff_len < other ? -1 : eff_len > other;
    if (!c)
        c = (unsigned char)tag - (unsigned char)id[0];
    return c;
}

/* ---- Bloom filters ---- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* The block of a hash among n: a multiply instead of a division. */
static uint64_t *bloom_block(uint64_t *words, size_t n_blocks, uint64_t h)
{
    return words + (size_t)(((h >> 32) * (uint64_t)n_blocks) >> 32) * BLOCK_WORDS;
}

static void bloom_add(run *r, uint64_t hash)
{
    uint64_t h = mix(hash);
    uint64_t *block = bloom_block(r->bloom, r->n_blocks, h);
    uint64_t bits = mix(h + 1);
    for (int i = 0; i < PROBES; i++, bits >>= 9)
        block[(bits >> 6) & 7] |= UINT64_C(1) << (bits & 63);
}

static bool bloom_may_have(const run *r, uint64_t hash)
{
    uint64_t h = mix(hash);
    const uint64_t *block = bloom_block(r->bloom, r->n_blocks, h);
    uint64_t bits = mix(h + 1);
    for (int i = 0; i < PROBES; i++, bits >>= 9)
        if (!(block[(bits >> 6) & 7] & (UINT64_C(1) << (bits & 63))))
            return false;
    return true;
}

/* ---- the table in memory ---- */

static size_t budget_from_environment(void)
{
    const char *s = getenv("RBAUDIT_REPLAY_KEYS");
    char *end;
    unsigned long long n = s && *s ? strtoull(s, &end, 10) : 0;
    return n >= 4 && s && !*end ? (size_t)n : DEFAULT_BUDGET;
}

rp_keys *rp_keys_new(size_t slot_size)
{
    rp_keys *t = rb_xcalloc(1, sizeof *t);
    t->slot_size = (slot_size + 15) & ~(size_t)15;
    t->budget = budget_from_environment();
    t->n_buckets = 1024;
    t->buckets = rb_xcalloc(t->n_buckets, sizeof *t->buckets);
    return t;
}

static void rec_free(rec *r)
{
    json_decref(r->pub.value);
    free(r);
}

static void run_free(run *r)
{
    rp_spill_close(&r->file);
    free(r->index);
    rb_buf_free(&r->ids);
    free(r->first);
    free(r->last);
    free(r->bloom);
    free(r->gone);
    memset(r, 0, sizeof *r);
}

void rp_keys_free(rp_keys *t)
{
    if (!t)
        return;
    for (rec *r = t->newest, *next; r; r = next) {
        next = r->older;
        rec_free(r);
    }
    free(t->buckets);
    for (size_t i = 0; i < t->n_runs; i++)
        run_free(&t->runs[i]);
    free(t->runs);
    free(t);
}

static void list_unlink(rp_keys *t, rec *r)
{
    if (r->newer)
        r->newer->older = r->older;
    else
        t->newest = r->older;
    if (r->older)
        r->older->newer = r->newer;
    else
        t->oldest = r->newer;
    r->newer = r->older = NULL;
}

static void list_push(rp_keys *t, rec *r)
{
    r->older = t->newest;
    r->newer = NULL;
    if (t->newest)
        t->newest->newer = r;
    else
        t->oldest = r;
    t->newest = r;
}

static void touch(rp_keys *t, rec *r)
{
    if (t->newest == r)
        return;
    list_unlink(t, r);
    list_push(t, r);
}

static void table_grow(rp_keys *t)
{
    size_t n = t->n_buckets * 2;
    rec **buckets = rb_xcalloc(n, sizeof *buckets);
    for (size_t i = 0; i < t->n_buckets; i++)
        for (rec *r = t->buckets[i], *next; r; r = next) {
            next = r->hnext;
            r->hnext = buckets[r->hash & (n - 1)];
            buckets[r->hash & (n - 1)] = r;
        }
    free(t->buckets);
    t->buckets = buckets;
    t->n_buckets = n;
}

static void table_insert(rp_keys *t, rec *r)
{
    rec **b = &t->buckets[r->hash & (t->n_buckets - 1)];
    r->hnext = *b;
    *b = r;
    list_push(t, r);
    if (++t->held > t->n_buckets)
        table_grow(t);
}

static void table_remove(rp_keys *t, rec *r)
{
    rec **link = &t->buckets[r->hash & (t->n_buckets - 1)];
    while (*link != r)
        link = &(*link)->hnext;
    *link = r->hnext;
    list_unlink(t, r);
    t->held--;
}

static bool rec_is(const rec *r, uint64_t hash, char tag, const char *text, size_t eff_len)
{
    return r->hash == hash && r->pub.id[0] == tag && r->eff_len == eff_len &&
           memcmp(r->pub.id + 2, text, eff_len) == 0;
}

/* A record for id (its slots zero); value is taken (may be NULL). */
static rec *rec_new(const rp_keys *t, const char *id, size_t id_len, uint64_t hash, json_t *value)
{
    rec *r = rb_xmalloc(sizeof *r + t->slot_size + id_len + 1);
    memset(r, 0, sizeof *r + t->slot_size);
    unsigned char *data = (unsigned char *)(r + 1);
    r->pub.slots = data;
    char *copy = (char *)data + t->slot_size;
    memcpy(copy, id, id_len);
    copy[id_len] = '\0';
    r->pub.id = copy;
    r->pub.id_len = id_len;
    r->hash = hash;
    r->eff_len = effective_length(id + 2, id_len - 2);
    r->pub.value = value;
    return r;
}

/* The value of a key from its identity: a string's characters, or the
 * JSON of anything else ("null": the null key, NULL). */
static json_t *value_from(char tag, const char *text, size_t len)
{
    if (tag == 's')
        return json_stringn(text, len);
    if (len == 4 && memcmp(text, "null", 4) == 0)
        return NULL;
    return json_loadb(text, len, JSON_DECODE_ANY, NULL);
}

static rec *find_held(const rp_keys *t, uint64_t hash, char tag, const char *text, size_t eff_len)
{
    for (rec *r = t->buckets[hash & (t->n_buckets - 1)]; r; r = r->hnext)
        if (rec_is(r, hash, tag, text, eff_len))
            return r;
    return NULL;
}

static rec *bring_back(rp_keys *t, uint64_t hash, char tag, const char *text, size_t eff_len);

rp_key *rp_keys_get_id(rp_keys *t, const rp_key_id *id, const json_t *value)
{
    size_t eff_len = effective_length(id->text, id->len);
    uint64_t hash = id_hash(id->tag, id->text, eff_len);
    rec *r = find_held(t, hash, id->tag, id->text, eff_len);
    if (r) {
        touch(t, r);
        return &r->pub;
    }
    r = t->n_runs ? bring_back(t, hash, id->tag, id->text, eff_len) : NULL;
    if (!r) {
        char small[256];
        char *full = id->len + 3 <= sizeof small ? small : rb_xmalloc(id->len + 3);
        full[0] = id->tag;
        full[1] = ':';
        memcpy(full + 2, id->text, id->len);
        json_t *v = value ? (json_is_null(value) ? NULL : json_incref((json_t *)value))
                          : value_from(id->tag, id->text, id->len);
        r = rec_new(t, full, id->len + 2, hash, v);
        if (full != small)
            free(full);
        t->keys++;
    }
    table_insert(t, r);
    return &r->pub;
}

rp_key *rp_keys_get(rp_keys *t, const json_t *key)
{
    rp_key_id id;
    char *buf;
    rp_key_id_of(key, &id, &buf);
    rp_key *k = rp_keys_get_id(t, &id, key);
    free(buf);
    return k;
}

void rp_key_pin(rp_key *k)
{
    ((rec *)k)->pins++;
}

void rp_key_unpin(rp_key *k)
{
    ((rec *)k)->pins--;
}

void rp_keys_each_held(rp_keys *t, void (*visit)(void *ctx, rp_key *k), void *ctx)
{
    for (rec *r = t->newest; r; r = r->older)
        visit(ctx, &r->pub);
}

void rp_keys_stats(const rp_keys *t, size_t *keys, size_t *retired, size_t *returned)
{
    *keys = t->keys;
    *retired = t->retired;
    *returned = t->returned;
}

rb_code rp_keys_error(const rp_keys *t, rb_error *err)
{
    return t->failed ? rb_error_set(err, t->failed, "%s", t->failure) : RB_OK;
}

static void fail(rp_keys *t, const rb_error *e)
{
    if (!t->failed) {
        t->failed = e->code;
        snprintf(t->failure, sizeof t->failure, "%s", e->message);
    }
}

/* ---- writing runs ---- */

/* Builds a run from records given one at a time in order. */
typedef struct run_writer {
    rp_keys *t;
    run r;
    rb_buf buf;
    uint64_t written;
    size_t last;            /* where the last record is in buf, or SIZE_MAX */
    rb_buf last_id;         /* its id, when it was written out */
} run_writer;

static rb_code writer_start(run_writer *w, rp_keys *t, size_t expected, rb_error *err)
{
    *w = (run_writer){.t = t, .last = SIZE_MAX};
    size_t bits = (expected ? expected : 1) * BLOOM_BITS;
    w->r.n_blocks = (bits + 511) / 512;
    w->r.bloom = rb_xcalloc(w->r.n_blocks * BLOCK_WORDS, sizeof(uint64_t));
    return rp_spill_open(&w->r.file, "the retired keys", err);
}

static rb_code writer_flush(run_writer *w, rb_error *err)
{
    if (w->last != SIZE_MAX) {
        const char *id = disk_id(w->buf.data + w->last);
        w->last_id.len = 0;
        rb_buf_append(&w->last_id, id, strlen(id));
        w->last = SIZE_MAX;
    }
    rb_code rc = w->buf.len ? rp_spill_append(&w->r.file, w->buf.data, w->buf.len, NULL, err) : RB_OK;
    w->buf.len = 0;
    return rc;
}

/* Adds a record in its disk form. */
static rb_code writer_add(run_writer *w, const char *p, const disk_header *h, rb_error *err)
{
    run *r = &w->r;
    const char *id = disk_id(p);
    if (r->count % SPARSE == 0) {
        rb_grow((void **)&r->index, &r->cap_index, r->n_index + 1, sizeof *r->index);
        r->index[r->n_index++] = (sparse_entry){w->written, r->ids.len};
        rb_buf_append(&r->ids, id, strlen(id) + 1);
    }
    if (!r->count)
        r->first = rb_xstrdup(id);
    bloom_add(r, hash_of_id(id, h->id_len));
    size_t size = record_size(w->t, h);
    w->last = w->buf.len;
    rb_buf_append(&w->buf, p, size);
    w->written += size;
    r->count++;
    return w->buf.len >= CHUNK ? writer_flush(w, err) : RB_OK;
}

/* Adds a record from memory. */
static rb_code writer_add_key(run_writer *w, const rp_key *k, rb_buf *scratch, rb_error *err)
{
    char *json = NULL;
    if (k->id[0] == 'j' && k->value)
        json = json_dumps(k->value, JSON_ENCODE_ANY | JSON_COMPACT);
    disk_header h = {(uint32_t)k->id_len, json ? (uint32_t)strlen(json) : 0};
    scratch->len = 0;
    rb_buf_append(scratch, (const char *)&h, sizeof h);
    rb_buf_append(scratch, k->id, k->id_len + 1);
    if (json)
        rb_buf_append(scratch, json, h.value_len);
    rb_buf_append(scratch, (const char *)k->slots, w->t->slot_size);
    free(json);
    return writer_add(w, scratch->data, &h, err);
}

static rb_code writer_finish(run_writer *w, rb_error *err)
{
    rb_code rc = writer_flush(w, err);
    rb_buf_free(&w->buf);
    w->r.last = rb_buf_take(&w->last_id);
    w->r.alive = w->r.count;
    /* what a run keeps in memory, to its size */
    w->r.index = rb_xrealloc(w->r.index, (w->r.n_index + 1) * sizeof *w->r.index);
    w->r.cap_index = w->r.n_index + 1;
    if (w->r.ids.data) {
        w->r.ids.data = rb_xrealloc(w->r.ids.data, w->r.ids.len + 1);
        w->r.ids.cap = w->r.ids.len + 1;
    }
    w->r.gone = rb_xcalloc(w->r.count / 64 + 1, sizeof *w->r.gone);
    return rc;
}

static void writer_discard(run_writer *w)
{
    rb_buf_free(&w->buf);
    rb_buf_free(&w->last_id);
    run_free(&w->r);
}

/* ---- reading runs ---- */

/* Parses the record at p (n bytes left); false when it is not whole. */
static bool parse_record(const rp_keys *t, const char *p, size_t n, disk_header *h, size_t *size)
{
    if (n < sizeof *h)
        return false;
    memcpy(h, p, sizeof *h);
    *size = record_size(t, h);
    return n >= *size;
}

static json_t *disk_key_value(const char *p, const disk_header *h)
{
    const char *id = disk_id(p);
    return h->value_len ? json_loadb(disk_value(p, h), h->value_len, JSON_DECODE_ANY, NULL)
                        : value_from(id[0], id + 2, h->id_len - 2);
}

static rec *rec_from_disk(const rp_keys *t, const char *p, const disk_header *h)
{
    const char *id = disk_id(p);
    rec *r = rec_new(t, id, h->id_len, hash_of_id(id, h->id_len), disk_key_value(p, h));
    memcpy(r->pub.slots, disk_slots(p, h), t->slot_size);
    return r;
}

static bool is_gone(const run *r, size_t ordinal)
{
    return r->gone[ordinal / 64] & (UINT64_C(1) << (ordinal % 64));
}

static void mark_gone(run *r, size_t ordinal)
{
    r->gone[ordinal / 64] |= UINT64_C(1) << (ordinal % 64);
    r->alive--;
}

/* Reads one run in order, skipping records that came back. */
typedef struct run_reader {
    const rp_keys *t;
    const run *r;
    uint64_t next;          /* offset of the next byte to read */
    char *buf;
    size_t cap, start, end; /* unparsed bytes: buf[start, end) */
    size_t ordinal;
    disk_header h;
    const char *record;     /* the current one, in buf */
    bool has;
} run_reader;

static rb_code reader_advance(run_reader *rd, rb_error *err)
{
    const rp_keys *t = rd->t;
    for (;;) {
        size_t size;
        if (rd->buf && parse_record(t, rd->buf + rd->start, rd->end - rd->start, &rd->h, &size)) {
            rd->record = rd->buf + rd->start;
            rd->start += size;
            if (is_gone(rd->r, rd->ordinal++))
                continue;
            rd->has = true;
            return RB_OK;
        }
        if (rd->next >= rd->r->file.size) {
            rd->has = false;
            return RB_OK;
        }
        /* keep what is left, then read more after it */
        size_t left = rd->end - rd->start;
        if (left)
            memmove(rd->buf, rd->buf + rd->start, left);
        rd->start = 0;
        rd->end = left;
        size_t want = CHUNK;
        if (left >= sizeof rd->h) {
            disk_header h;
            memcpy(&h, rd->buf, sizeof h);
            if (record_size(t, &h) > want)
                want = record_size(t, &h);
        }
        if (rd->cap < left + want) {
            rd->cap = left + want;
            rd->buf = rb_xrealloc(rd->buf, rd->cap);
        }
        size_t got;
        rb_code rc = rp_spill_read_some(&rd->r->file, rd->next, rd->buf + left, want, &got, err);
        if (rc)
            return rc;
        rd->next += got;
        rd->end += got;
    }
}

static rb_code reader_open(run_reader *rd, const rp_keys *t, const run *r, rb_error *err)
{
    *rd = (run_reader){.t = t, .r = r};
    return reader_advance(rd, err);
}

static void reader_close(run_reader *rd)
{
    free(rd->buf);
    rd->buf = NULL;
}

static const char *reader_id(const run_reader *rd)
{
    return disk_id(rd->record);
}

/* Looks for a key in one run: its range, its filter, then the block its
 * sparse entry starts. */
static rec *find_in_run(rp_keys *t, run *r, uint64_t hash, char tag, const char *text, size_t eff_len)
{
    if (!r->alive || !r->bloom || compare_to(tag, text, eff_len, r->first) < 0 || compare_to(tag, text, eff_len, r->last) > 0 ||
        !bloom_may_have(r, hash))
        return NULL;
    size_t lo = 0, hi = r->n_index;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (compare_to(tag, text, eff_len, r->ids.data + r->index[mid].id) < 0)
            hi = mid;
        else
            lo = mid;
    }
    uint64_t from = r->index[lo].offset;
    uint64_t to = lo + 1 < r->n_index ? r->index[lo + 1].offset : r->file.size;
    size_t n = (size_t)(to - from);
    char *block = rb_xmalloc(n ? n : 1);
    rb_error e;
    rb_code rc = rp_spill_read(&r->file, from, block, n, &e);
    rec *found = NULL;
    size_t ordinal = lo * SPARSE, at = 0, size;
    disk_header h;
    if (rc)
        fail(t, &e);
    while (!rc && !found && parse_record(t, block + at, n - at, &h, &size)) {
        const char *id = disk_id(block + at);
        if (id[0] == tag && effective_length(id + 2, h.id_len - 2) == eff_len &&
            memcmp(id + 2, text, eff_len) == 0 && !is_gone(r, ordinal)) {
            found = rec_from_disk(t, block + at, &h);
            mark_gone(r, ordinal);
        }
        at += size;
        ordinal++;
    }
    free(block);
    return found;
}

static rec *bring_back(rp_keys *t, uint64_t hash, char tag, const char *text, size_t eff_len)
{
    for (size_t i = t->n_runs; i-- > 0;) {
        rec *r = find_in_run(t, &t->runs[i], hash, tag, text, eff_len);
        if (r) {
            t->returned++;
            return r;
        }
    }
    return NULL;
}

/* Merges runs[from..n_runs) into one, in a file of its own. */
static rb_code merge_runs(rp_keys *t, size_t from, rb_error *err)
{
    size_t n = t->n_runs - from, alive = 0;
    for (size_t i = from; i < t->n_runs; i++) {
        alive += t->runs[i].alive;
        /* no key is looked up while they merge: what finds one goes now,
         * before the merged run's own is made (the peak of memory) */
        run *r = &t->runs[i];
        free(r->bloom);
        free(r->index);
        rb_buf_free(&r->ids);
        r->bloom = NULL;
        r->index = NULL;
        r->n_index = r->cap_index = 0;
    }
    run_reader *rd = rb_xcalloc(n, sizeof *rd);
    run_writer w;
    rb_code rc = writer_start(&w, t, alive, err);
    for (size_t i = 0; i < n && !rc; i++)
        rc = reader_open(&rd[i], t, &t->runs[from + i], err);
    while (!rc) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (rd[i].has && (best == n || id_compare(reader_id(&rd[i]), reader_id(&rd[best])) < 0))
                best = i;
        if (best == n)
            break;
        rc = writer_add(&w, rd[best].record, &rd[best].h, err);
        if (!rc)
            rc = reader_advance(&rd[best], err);
    }
    for (size_t i = 0; i < n; i++)
        reader_close(&rd[i]);
    free(rd);
    if (!rc)
        rc = writer_finish(&w, err);
    if (rc) {
        /* the runs can no longer be searched: the run fails */
        writer_discard(&w);
        fail(t, err);
        return rc;
    }
    for (size_t i = from; i < t->n_runs; i++)
        run_free(&t->runs[i]);
    t->runs[from] = w.r;
    t->n_runs = from + 1;
    return RB_OK;
}

/* Keeps few runs: the newest MERGE_WIDTH, when of a like size, become one,
 * and so on up (the sizes then grow by about MERGE_WIDTH a step). */
static rb_code settle_runs(rp_keys *t, rb_error *err)
{
    rb_code rc = RB_OK;
    while (!rc && t->n_runs >= MERGE_WIDTH &&
           t->runs[t->n_runs - MERGE_WIDTH].alive <= MERGE_WIDTH * t->runs[t->n_runs - 1].alive)
        rc = merge_runs(t, t->n_runs - MERGE_WIDTH, err);
    return rc;
}

/* Retires up to `want` records that are not pinned, coldest first. */
static rb_code retire(rp_keys *t, size_t want, rb_error *err)
{
    rec **batch = rb_xcalloc(want + 1, sizeof *batch);
    size_t n = 0;
    for (rec *r = t->oldest; r && n < want; r = r->newer)
        if (!r->pins)
            batch[n++] = r;
    rb_code rc = RB_OK;
    if (n) {
        qsort(batch, n, sizeof *batch, rec_ptr_compare);
        run_writer w;
        rb_buf scratch = {0};
        rc = writer_start(&w, t, n, err);
        for (size_t i = 0; i < n && !rc; i++)
            rc = writer_add_key(&w, &batch[i]->pub, &scratch, err);
        rb_buf_free(&scratch);
        if (!rc)
            rc = writer_finish(&w, err);
        if (rc) {
            writer_discard(&w);
        } else {
            rb_grow((void **)&t->runs, &t->cap_runs, t->n_runs + 1, sizeof *t->runs);
            t->runs[t->n_runs++] = w.r;
            for (size_t i = 0; i < n; i++) {
                table_remove(t, batch[i]);
                rec_free(batch[i]);
            }
            t->retired += n;
            rc = settle_runs(t, err);
        }
    }
    free(batch);
    return rc;
}

rb_code rp_keys_settle(rp_keys *t, rb_error *err)
{
    if (t->held <= t->budget || t->held < t->retry_at)
        return RB_OK;
    size_t want = t->held - t->budget / 2, before = t->held;
    rb_code rc = retire(t, want, err);
    /* Keys that wait (timers, comparisons) stay: do not walk them again
     * at every event, but once a quarter budget more is held. */
    t->retry_at = before - t->held < want / 2 ? t->held + t->budget / 4 : 0;
    return rc;
}

/* ---- iterating in order ---- */

struct rp_keys_iter {
    rp_keys *t;
    rec **held;            /* the records in memory, sorted */
    size_t n_held, next_held;
    run_reader *readers;
    size_t n_readers;
    rp_key view;           /* a retired record, as a key */
    unsigned char *slots;  /* its slots (aligned) */
    char *id;              /* its id */
    size_t cap_id;
};

rb_code rp_keys_iter_open(rp_keys *t, rp_keys_iter **out, rb_error *err)
{
    rp_keys_iter *it = rb_xcalloc(1, sizeof *it);
    *out = it;
    it->t = t;
    it->held = rb_xcalloc(t->held + 1, sizeof *it->held);
    for (rec *r = t->newest; r; r = r->older)
        it->held[it->n_held++] = r;
    qsort(it->held, it->n_held, sizeof *it->held, rec_ptr_compare);
    it->slots = rb_xcalloc(1, t->slot_size + 16);
    it->readers = rb_xcalloc(t->n_runs + 1, sizeof *it->readers);
    rb_code rc = RB_OK;
    for (size_t i = 0; i < t->n_runs && !rc; i++, it->n_readers++)
        rc = reader_open(&it->readers[i], t, &t->runs[i], err);
    return rc;
}

/* Makes the view of a reader's current record, then moves the reader on. */
static rb_code take_retired(rp_keys_iter *it, run_reader *rd, rb_error *err)
{
    const char *p = rd->record;
    if (it->cap_id < rd->h.id_len + 1) {
        it->cap_id = rd->h.id_len + 1;
        it->id = rb_xrealloc(it->id, it->cap_id);
    }
    memcpy(it->id, disk_id(p), rd->h.id_len + 1);
    memcpy(it->slots, disk_slots(p, &rd->h), it->t->slot_size);
    it->view = (rp_key){disk_key_value(p, &rd->h), it->slots, it->id, rd->h.id_len};
    return reader_advance(rd, err);
}

rb_code rp_keys_iter_next(rp_keys_iter *it, const rp_key **k, rb_error *err)
{
    json_decref(it->view.value);
    it->view.value = NULL;
    *k = NULL;
    const rp_key *held = it->next_held < it->n_held ? &it->held[it->next_held]->pub : NULL;
    size_t best = it->n_readers;
    for (size_t i = 0; i < it->n_readers; i++)
        if (it->readers[i].has &&
            (best == it->n_readers || id_compare(reader_id(&it->readers[i]), reader_id(&it->readers[best])) < 0))
            best = i;
    if (best < it->n_readers && (!held || id_compare(reader_id(&it->readers[best]), held->id) < 0)) {
        rb_code rc = take_retired(it, &it->readers[best], err);
        *k = rc ? NULL : &it->view;
        return rc;
    }
    if (held)
        it->next_held++;
    *k = held;
    return RB_OK;
}

void rp_keys_iter_free(rp_keys_iter *it)
{
    if (!it)
        return;
    json_decref(it->view.value);
    for (size_t i = 0; i < it->n_readers; i++)
        reader_close(&it->readers[i]);
    free(it->readers);
    free(it->held);
    free(it->slots);
    free(it->id);
    free(it);
}
