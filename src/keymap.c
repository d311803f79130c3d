/*
 * keymap.c — a chained hash map from JSON group keys to check state
 * (keymap.h).  A key is identified by its type and text form, so typed
 * keys stay apart and lookups need no deep comparison of JSON values.
 */
#include "keymap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    char *id;       /* type tag and text form: "s:abc", "j:12", "j:null" */
    json_t *key;    /* our reference; NULL for the null key */
    void *value;
} entry;

struct rb_keymap {
    entry **buckets;
    size_t n_buckets, count;
    void (*free_value)(void *);
};

/* The identity of a key; the caller frees it.  Strings are tagged apart
 * from every other value so that "1" and 1 are different keys. */
static char *key_id(const json_t *key)
{
    rb_buf b = {0};
    if (json_is_string(key)) {
        rb_buf_puts(&b, "s:");
        rb_buf_append(&b, json_string_value(key), json_string_length(key));
    } else {
        rb_buf_puts(&b, "j:");
        rb_template_append_value(&b, key ? key : json_null());
    }
    return rb_buf_take(&b);
}

/* FNV-1a: short keys, no adversary worth a keyed hash here. */
static uint64_t hash_text(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

rb_keymap *rb_keymap_new(void (*free_value)(void *value))
{
    rb_keymap *m = rb_xcalloc(1, sizeof *m);
    m->n_buckets = 64;
    m->buckets = rb_xcalloc(m->n_buckets, sizeof *m->buckets);
    m->free_value = free_value;
    return m;
}

static void entry_free(const rb_keymap *m, entry *e)
{
    if (m->free_value && e->value)
        m->free_value(e->value);
    json_decref(e->key);
    free(e->id);
    free(e);
}

void rb_keymap_free(rb_keymap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_buckets; i++)
        for (entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            entry_free(m, e);
        }
    free(m->buckets);
    free(m);
}

/* The link that points at the entry with this id, or at the empty end of
 * its chain. */
static entry **find_link(const rb_keymap *m, const char *id, uint64_t hash)
{
    entry **link = &m->buckets[hash % m->n_buckets];
    while (*link && !((*link)->hash == hash && strcmp((*link)->id, id) == 0))
        link = &(*link)->next;
    return link;
}

static void grow(rb_keymap *m)
{
    size_t n = m->n_buckets * 2;
    entry **buckets = rb_xcalloc(n, sizeof *buckets);
    for (size_t i = 0; i < m->n_buckets; i++)
        for (entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = buckets[e->hash % n];
            buckets[e->hash % n] = e;
        }
    free(m->buckets);
    m->buckets = buckets;
    m->n_buckets = n;
}

/* The identity of a string key in buf when it fits (no allocation on
 * the path of every lookup), else allocated; NULL for other keys. */
static char *string_id(const json_t *key, char *buf, size_t size)
{
    if (!json_is_string(key))
        return NULL;
    size_t n = json_string_length(key);
    char *id = n + 3 <= size ? buf : rb_xmalloc(n + 3);
    id[0] = 's';
    id[1] = ':';
    memcpy(id + 2, json_string_value(key), n);
    id[n + 2] = '\0';
    return id;
}

void *rb_keymap_get(const rb_keymap *m, const json_t *key)
{
    char small[128];
    char *id = string_id(key, small, sizeof small);
    if (!id)
        id = key_id(key);
    entry *e = *find_link(m, id, hash_text(id));
    if (id != small)
        free(id);
    return e ? e->value : NULL;
}

void rb_keymap_put(rb_keymap *m, const json_t *key, void *value)
{
    char *id = key_id(key);
    uint64_t hash = hash_text(id);
    entry **link = find_link(m, id, hash);
    if (*link) {
        free(id);
        if (m->free_value && (*link)->value && (*link)->value != value)
            m->free_value((*link)->value);
        (*link)->value = value;
        return;
    }
    entry *e = rb_xcalloc(1, sizeof *e);
    e->hash = hash;
    e->id = id;
    e->key = json_is_null(key) ? NULL : json_incref((json_t *)key);
    e->value = value;
    *link = e;
    if (++m->count > m->n_buckets)
        grow(m);
}

void rb_keymap_remove(rb_keymap *m, const json_t *key)
{
    char *id = key_id(key);
    entry **link = find_link(m, id, hash_text(id));
    free(id);
    entry *e = *link;
    if (!e)
        return;
    *link = e->next;
    m->count--;
    entry_free(m, e);
}

size_t rb_keymap_count(const rb_keymap *m)
{
    return m->count;
}

/* Text order of the keys' text forms (the part after the type tag), then
 * the tag, so that the order reads naturally in reports. */
static int compare_entries(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    int c = strcmp(x->id + 2, y->id + 2);
    return c ? c : strcmp(x->id, y->id);
}

void rb_keymap_each_sorted(const rb_keymap *m, rb_keymap_visit visit, void *ctx)
{
    if (!m->count)
        return;
    entry **all = rb_xcalloc(m->count, sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < m->n_buckets; i++)
        for (entry *e = m->buckets[i]; e; e = e->next)
            all[n++] = e;
    qsort(all, n, sizeof *all, compare_entries);
    for (size_t i = 0; i < n; i++)
        visit(ctx, all[i]->key, all[i]->value);
    free(all);
}
