/*
 * loader.h — turning inputs into evidence: one loader per evidence kind,
 * chosen by --kind, by the file name, or by the content (SPEC §2, §3).
 *
 * A new evidence kind is one new load_<kind>.c defining an rb_loader and one
 * entry in the table in loader.c.
 */
#ifndef RB_LOADER_H
#define RB_LOADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config_diff.h"
#include "error.h"
#include "evidence.h"
#include "input_limits.h"
#include "timeutil.h"
#include "util.h"

/* A pack's `sources:` entry: how the events of some inputs are named.
 * With a `query`, it maps the rows of a SQLite ledger to events (the
 * columns become fields); without one, it renames the fields of event
 * logs.  A `time_unit` says how its events' epoch-number `ts` reads,
 * instead of its magnitude: the mapped event's `ts` becomes that time in
 * RFC 3339, so that its order, the selectors that compare it and the
 * reports all read the same instant. */
typedef struct rb_source {
    char *name;     /* the entry's name, for messages */
    char *files;    /* path glob (util.h rb_path_glob) of the inputs it maps */
    char *query;    /* SQL for ledgers, or NULL */
    json_t *fields; /* object: canonical field -> its name in the input */
    json_t *set;    /* object: fields given to every event that lacks them */
    rb_time_unit time_unit; /* of an epoch-number ts; AUTO: by magnitude */
} rb_source;

typedef struct rb_load_opts {
    const rb_source *sources;
    size_t n_sources;
    bool lenient;            /* bad events become RBA-INPUT findings */
    const char *range;       /* --range of git repositories (NULL: HEAD's history) */
    const rb_config_set *config; /* which repository files are config; may be NULL */
    const char *cache;       /* --cache file of git walks, or NULL */
    bool uncovered;          /* change control (gate): a file a walk finds
                                changed that no config glob takes is an
                                RBA-UNCOVERED note (evidence.h rb_uncovered) */
    /* The bundle whose members are being loaded, so that a member's loader
     * can read a member beside it (a ledger's NAME-wal); NULL elsewhere,
     * and not to be kept past the load. */
    const struct rb_bundle *bundle;
} rb_load_opts;

/* What a loader's sniff says of some bytes. */
typedef enum rb_sniff { RB_SNIFF_NO, RB_SNIFF_NEAR, RB_SNIFF_YES } rb_sniff;

typedef struct rb_loader {
    const char *kind;                 /* the --kind name */
    const char *const *suffixes;      /* file name endings it takes */
    /* Whether data (the first bytes of a file, NUL-terminated) is this
     * kind: RB_SNIFF_YES; RB_SNIFF_NEAR when it is the container this kind
     * uses but holds something else (XML of another root, compressed data
     * that is no tar); RB_SNIFF_NO otherwise.  When not YES and why is not
     * NULL, appends what the data is instead.  Used for names with no known
     * suffix, and for the names of generic_suffixes.  NULL when the kind
     * cannot be told from content. */
    rb_sniff (*sniff)(const unsigned char *data, size_t len, rb_buf *why);
    /* Its suffixes name containers that other things share (.xml, .db,
     * .tar): a file so named is this kind only when sniff agrees. */
    bool generic_suffixes;
    /* Kinds read whole: parses data (the whole input, NUL-terminated at
     * data[len]) into events and documents of ev.  Errors name in->path and
     * the line.  NULL for streamed kinds. */
    rb_code (*load)(rb_evidence *ev, rb_input *in, const unsigned char *data,
                    size_t len, const rb_load_opts *opts, rb_error *err);
    /* Streamed kinds: registers the input at path with a reader of its
     * events (evidence.h), which the engine's pass drives; opts->sources
     * must outlive the run.  NULL for kinds read whole. */
    rb_code (*stream)(rb_evidence *ev, const char *path, const rb_load_opts *opts, rb_error *err);
} rb_loader;

extern const rb_loader rb_loader_jsonl;
extern const rb_loader rb_loader_json;
extern const rb_loader rb_loader_yaml;
extern const rb_loader rb_loader_sqlite;
extern const rb_loader rb_loader_junit;
extern const rb_loader rb_loader_markdown;
extern const rb_loader rb_loader_bundle;
extern const rb_loader rb_loader_git;

/* Whether a directory is a git repository: a work tree (it has .git) or a
 * bare repository. */
bool rb_git_is_repository(const char *dir);

/* Registers an open SQLite ledger of input `in` (takes db), and a reader
 * of its events when some source's `query` maps its rows; `name` is what
 * `db:` and `files:` globs match. */
struct sqlite3;
void rb_sqlite_attach(rb_evidence *ev, rb_input *in, struct sqlite3 *db, const char *name,
                      const rb_load_opts *opts);

/* Whether `name` (the logical path of a file beside a ledger, or a bundle
 * member as BUNDLE!MEMBER) is a companion of a SQLite ledger this run has
 * read: NAME-wal, NAME-journal or NAME-shm.  When it is, it is accounted
 * for: under the ledger's companion when the ledger was read with it,
 * else listed as skipped with why.  false when it is no such companion. */
bool rb_loader_account_companion(rb_evidence *ev, const char *name);

/* The loader of a --kind name, or NULL. */
const rb_loader *rb_loader_find(const char *kind);

/* The loader whose sniff recognises data (the first bytes of a file), or
 * NULL; then, when a sniff found the data near its kind (XML of another
 * root), why says what it is. */
const rb_loader *rb_loader_sniff(const unsigned char *data, size_t len, rb_buf *why);

/* The loader of a file named `name` whose first bytes are data (up to
 * 64 KiB, NUL-terminated): by its suffix — a generic suffix only when the
 * content agrees —, else by its content.  NULL when no kind fits, with
 * `why` saying in a few words what the file is instead. */
const rb_loader *rb_loader_choose(const char *name, const unsigned char *data, size_t len, rb_buf *why);

/* The loader for a file name by its suffix, or NULL. */
const rb_loader *rb_loader_for_name(const char *path);

/* The kind names, comma-separated, for messages ("jsonl, json, yaml"). */
const char *rb_loader_kinds(void);

/*
 * Loads one command-line input.  A directory holding manifest.json is an
 * incident bundle; with a --range, a git repository is its history
 * (load_git.c); any other directory is walked in name order.  A file is
 * loaded with forced_kind when not NULL, else by its suffix, else by its
 * content; a generic suffix (.xml) must agree with the content.
 *
 * Every file a walk finds is read or accounted for: one that is of no
 * known kind (by name and content), hidden, matched by a .rbauditignore,
 * or not a regular file is recorded with the reason (rb_evidence_skip),
 * and the walk goes on.  A file named here that is not of its kind is an
 * RB_EKIND error.  Other errors name the path, the place and what was
 * expected.
 */
rb_code rb_load_input(rb_evidence *ev, const char *path, const char *forced_kind,
                      const rb_load_opts *opts, rb_error *err);

/* Loads the changes between two revisions of a config file (--old/--new)
 * as config_change events with no time (load_config_pair.c); a file that
 * no config glob takes is not parsed but recorded as uncovered, whatever
 * opts->uncovered says.  Either path may be /dev/null (no revision).
 * Errors name the file and line. */
rb_code rb_load_config_pair(rb_evidence *ev, const char *old_path, const char *new_path, const rb_load_opts *opts,
                            rb_error *err);

/* Applies every source entry without a query whose `files` matches
 * in->path to an event: renames mapped fields, adds `set` fields and reads
 * an epoch ts in the `time_unit` (used by event loaders).  Returns NULL,
 * or a static text saying why the event's ts is no time in that unit, for
 * the loader to report with the place. */
const char *rb_source_apply(const rb_load_opts *opts, const rb_input *in, json_t *event);

/* Applies one source's `fields`, `set` and `time_unit` to an event; as
 * rb_source_apply. */
const char *rb_source_apply_one(const rb_source *s, json_t *event);

/* Whether a source's `files` glob takes an input: its path, or the last
 * component of it (a ledger named in any directory). */
bool rb_source_takes(const rb_source *s, const char *path);

#endif
