/*
 * keymap.h — per-key state of a streaming check: a hash map from a group
 * key (any JSON value; the rule's `key:` field of an event) to the check's
 * state for that key.
 *
 * Checks keep state only for keys that are still open and remove a key as
 * soon as it can produce no more findings, so that memory grows with open
 * keys, not with events (SPEC §1, the performance issue).
 *
 * Ownership: the map keeps its own reference to each key and owns each
 * value, releasing it with the free_value function given to rb_keymap_new
 * when the entry is replaced or removed or the map is freed.
 */
#ifndef RB_KEYMAP_H
#define RB_KEYMAP_H

#include <jansson.h>
#include <stddef.h>

typedef struct rb_keymap rb_keymap;

/* A new empty map; free_value may be NULL (values are not freed). */
rb_keymap *rb_keymap_new(void (*free_value)(void *value));
void rb_keymap_free(rb_keymap *m);

/* The value for key, or NULL.  A NULL key and a JSON null are the same key;
 * keys are typed (the string "1" and the number 1 differ). */
void *rb_keymap_get(const rb_keymap *m, const json_t *key);

/* Sets the value for key, freeing a previous one. */
void rb_keymap_put(rb_keymap *m, const json_t *key, void *value);

/* Removes the entry for key (freeing its value); nothing when absent. */
void rb_keymap_remove(rb_keymap *m, const json_t *key);

size_t rb_keymap_count(const rb_keymap *m);

/* Calls visit for every entry in a deterministic order (keys sorted by
 * their text form: strings as themselves, other values as compact JSON).
 * visit must not change the map; `key` is NULL for the null key. */
typedef void (*rb_keymap_visit)(void *ctx, const json_t *key, void *value);
void rb_keymap_each_sorted(const rb_keymap *m, rb_keymap_visit visit, void *ctx);

#endif
