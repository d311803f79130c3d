/*
 * config_diff.h — structural diffs of config revisions (SPEC §3.4): two
 * revisions of a YAML or JSON config file parsed and compared leaf by
 * leaf, one change per changed leaf path.
 *
 * Which files are config, and which lists are compared by a key field
 * rather than by position, is what packs declare: a rule file's `config:`
 * entries ({files, list_keys}) and the `files` of every `changes` rule
 * (rule.h config_files), gathered into one rb_config_set.
 *
 * A change is a JSON object {path, op, old?, new?, line?}: `path` is the
 * dotted path of the leaf (jsonpath.h spelling; an item of a keyed list is
 * named by its key value, of any other list by its index), `op` is "add",
 * "remove" or "modify", `old`/`new` are present when that side has a value,
 * and `line` is the line in the new revision (of the nearest ancestor that
 * still exists, for a removal) when known.
 *
 * A file with no revision on one side (added, or deleted) is diffed
 * against the empty document: every leaf of the other side is one `add`
 * (with its line) or one `remove`, so a rule scoped to a path sees a new
 * file's leaves as it sees an edit's.  The empty document is what an empty
 * file parses to (a YAML stream without a document, or a document that is
 * only null), and what /dev/null stands for on the command line, as in
 * diff(1) and git.
 */
#ifndef RB_CONFIG_DIFF_H
#define RB_CONFIG_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "jsonpath.h"
#include "linemap.h"
#include "sha256.h"

/* One declaration: files it covers and their keyed lists. */
typedef struct rb_config_decl {
    char *files;             /* path glob (util.h rb_path_glob) */
    rb_jsonpath **lists;     /* list path globs (rb_jsonpath_glob) ... */
    char **list_keys;        /* ... and the key field of each */
    size_t n_lists;
} rb_config_decl;

typedef struct rb_config_set {
    rb_config_decl *items;
    size_t n, cap;
} rb_config_set;

/* Adds a declaration.  list_keys (may be NULL) is an object mapping list
 * path globs to key field names; it must have been checked
 * (rb_config_check_list_keys). */
void rb_config_set_add(rb_config_set *set, const char *files, const json_t *list_keys);
void rb_config_set_free(rb_config_set *set);

/* NULL when list_keys is a mapping of valid path globs to field names,
 * else a static text saying what was expected. */
const char *rb_config_check_list_keys(const json_t *list_keys);

/* Whether a repository path (or a file named on the command line) is a
 * config file of the set. */
bool rb_config_set_takes(const rb_config_set *set, const char *file);

/* The distinct file globs of the set, sorted: what a file that no rule
 * reads missed.  A new array owned by the caller. */
json_t *rb_config_set_globs(const rb_config_set *set);

/* Whether a path names no revision: /dev/null (or the same device by
 * another name), the side of a file added or deleted. */
bool rb_config_is_no_revision(const char *path);

/* A digest of everything that shapes a diff (the declarations), so that
 * cached diffs are used only under the same declarations. */
void rb_config_set_digest(const rb_config_set *set, char hex[RB_SHA256_HEX_LEN + 1]);

/* Parses one revision: JSON when name ends in .json, else YAML (a stream
 * of several documents is a list of them).  name is used in messages.
 * *value and *lines (may be NULL) are owned by the caller.  RB_EINPUT
 * "NAME:LINE:COLUMN: ..." when it does not parse. */
rb_code rb_config_parse(const char *name, const unsigned char *data, size_t len, json_t **value,
                        rb_linemap **lines, rb_error *err);

/* Appends to `changes` (an array) the changes from old to new, revisions
 * of `file` (its list keys come from the set, which may be NULL).  Either
 * side may be NULL or json null (no revision, or the empty document: a
 * file added or deleted, every leaf of the other side a change).
 * new_lines (may be NULL) gives the lines of the new revision. */
void rb_config_diff(const rb_config_set *set, const char *file, const json_t *old, const json_t *new,
                    const rb_linemap *new_lines, json_t *changes);

/* Reads, parses and diffs two config files, the changes named after
 * new_path as given (its list keys apply; old_path's when new_path is no
 * revision).  Either path may be no revision (rb_config_is_no_revision).
 * files larger than max_bytes are refused.  *changes is owned by the
 * caller.  RB_EINPUT naming the file and line when one cannot be read or
 * does not parse. */
rb_code rb_config_diff_files(const rb_config_set *set, const char *old_path, const char *new_path,
                             size_t max_bytes, json_t **changes, rb_error *err);

#endif
