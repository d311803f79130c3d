/*
 * keys.h — the keys of one replay run and what the run keeps for each: a
 * record per key, with slot bytes in which the simulator's components and
 * the comparison keep their state for that key.
 *
 * Memory grows with the keys that are open, not with every key the trace
 * names.  Past a budget of records in memory, the least recently touched
 * keys that wait for nothing (no timer, nothing pending in the
 * comparison: rp_key_pin) are retired: written in sorted batches to a
 * temporary file (spill.h), and brought back as they were when an event
 * names them again.  A Bloom filter of the retired keys (about 1.3 bytes
 * each) tells a new key from a retired one without reading the file, and
 * a sparse index finds a retired one in one read.  So a slot holds plain
 * bytes (no pointer) whenever its key is not pinned.
 *
 * Keys are identified as keymap.h identifies them: by their type and text
 * form, "s:" and the characters of a string, "j:" and the compact JSON of
 * anything else, NULL and JSON null being the same key; and rp_keys_iter
 * visits them in keymap's order (rb_keymap_each_sorted), which is the
 * order of a replay report.
 *
 * Ownership: the table owns its records, their values and its file
 * (rp_keys_free).  A record stays where it is while its key is pinned, and
 * otherwise until the next rp_keys_settle.
 */
#ifndef RP_KEYS_H
#define RP_KEYS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct rp_key {
    json_t *value;          /* the key (owned by the table); NULL: the null key */
    unsigned char *slots;   /* slot_size bytes, zero for a new key */
    const char *id;         /* "s:" or "j:" and the text form, NUL-terminated */
    size_t id_len;
} rp_key;

/* A key's identity: its type tag and its text form. */
typedef struct rp_key_id {
    char tag;               /* 's': a string; 'j': anything else */
    const char *text;       /* the characters, or the compact JSON */
    size_t len;
} rp_key_id;

typedef struct rp_keys rp_keys;

/* A table whose records have slot_size bytes of slots.  The budget of
 * records held in memory is the default unless the environment sets
 * RBAUDIT_REPLAY_KEYS (a whole number of at least 4), which tests use to
 * make small traces retire keys. */
rp_keys *rp_keys_new(size_t slot_size);
void rp_keys_free(rp_keys *t);

/* The identity of a key value (NULL, JSON null: the null key); the text is
 * allocated in *buf when it is not the string's own (free it after). */
void rp_key_id_of(const json_t *key, rp_key_id *id, char **buf);

/* The record of a key, made (zero slots) or brought back from the file.
 * value, when not NULL, is the key's value, taken by a new record (a
 * reference of its own); otherwise one is made from id. */
rp_key *rp_keys_get_id(rp_keys *t, const rp_key_id *id, const json_t *value);

/* rp_keys_get_id of a key value (NULL: the null key). */
rp_key *rp_keys_get(rp_keys *t, const json_t *key);

/* A pinned key is not retired; pins count. */
void rp_key_pin(rp_key *k);
void rp_key_unpin(rp_key *k);

/* Retires keys while there are more records in memory than the budget.
 * Called between events, when no record of a key that is not pinned is in
 * use.  Errors are those of the temporary file (RB_EINTERNAL). */
rb_code rp_keys_settle(rp_keys *t, rb_error *err);

/* The first error met bringing back a key (the file could not be read):
 * the run that got a record from rp_keys_get_id must stop on it. */
rb_code rp_keys_error(const rp_keys *t, rb_error *err);

/* Calls visit for every record in memory, in no particular order; visit
 * may pin and unpin but not get. */
void rp_keys_each_held(rp_keys *t, void (*visit)(void *ctx, rp_key *k), void *ctx);

/* Keys the run met, retirements and returns (for --verbose). */
void rp_keys_stats(const rp_keys *t, size_t *keys, size_t *retired, size_t *returned);

/* Every key, in keymap's order, those in memory and those retired.  The
 * table must not change while an iterator is open; several may be. */
typedef struct rp_keys_iter rp_keys_iter;
rb_code rp_keys_iter_open(rp_keys *t, rp_keys_iter **out, rb_error *err);
/* The next record, valid until the next call, in *k; NULL at the end. */
rb_code rp_keys_iter_next(rp_keys_iter *it, const rp_key **k, rb_error *err);
void rp_keys_iter_free(rp_keys_iter *it);

/* keymap's order of two records: their text forms, then their tags. */
int rp_key_compare(const rp_key *a, const rp_key *b);

#endif
