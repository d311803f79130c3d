/*
 * change_cache.h — the --cache file of git walks (SPEC §3.4): what a
 * commit changed, and what one pair of blobs differs in, kept in SQLite
 * so that a second walk over the same history parses and diffs nothing.
 *
 * Records are keyed by commit id or by blob ids and file, always together
 * with a digest of the config declarations that shaped them, so a pack
 * change never reuses a stale diff.  Reads go straight to the file; writes
 * are collected and written in one transaction by rb_change_cache_close,
 * so a run that fails leaves the cache as it was.  A file that is not an
 * rbaudit cache is refused, never overwritten; a cache of another format
 * version is emptied and rebuilt.
 */
#ifndef RB_CHANGE_CACHE_H
#define RB_CHANGE_CACHE_H

#include <jansson.h>

#include "error.h"

typedef struct rb_change_cache rb_change_cache;

/* Opens (creating it when absent) the cache at path for records made
 * under `settings` (a digest).  RB_EINPUT naming the file when it cannot
 * be opened or is not a cache.  *out is owned by the caller
 * (rb_change_cache_close). */
rb_code rb_change_cache_open(const char *path, const char *settings, rb_change_cache **out,
                             rb_error *err);

/* The record of a commit, or NULL (a new reference). */
json_t *rb_change_cache_commit(rb_change_cache *c, const char *sha);
void rb_change_cache_put_commit(rb_change_cache *c, const char *sha, const json_t *record);

/* The changes between two blobs of a file, or NULL (a new reference).
 * Puts keep the value as it is at the call (the caller may change it
 * afterwards). */
json_t *rb_change_cache_diff(rb_change_cache *c, const char *old_blob, const char *new_blob, const char *file);
void rb_change_cache_put_diff(rb_change_cache *c, const char *old_blob, const char *new_blob,
                              const char *file, const json_t *changes);

/* Writes what was put and closes the cache (c may be NULL).  RB_EINPUT
 * naming the file when the writes fail. */
rb_code rb_change_cache_close(rb_change_cache *c, rb_error *err);

#endif
