/*
 * evidence.h — what loaders make: inputs, events and documents, each with
 * its origin (SPEC §1, §3.1).
 *
 * Events stream: an event log registers a reader that yields its events
 * one at a time during the engine's pass (event_cursor.h merges the readers
 * of all inputs into evidence order), so memory does not grow with the
 * number of events.  Kinds that are read whole add their events with
 * rb_evidence_add_event; those are held in memory.
 *
 * Ownership: an rb_evidence owns every input, reader, event and document
 * added to it; pointers to them stay valid until rb_evidence_free (inputs
 * are allocated one by one, so rb_origin may keep an input pointer).
 */
#ifndef RB_EVIDENCE_H
#define RB_EVIDENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "linemap.h"
#include "sha256.h"

typedef struct rb_evidence rb_evidence;
typedef struct rb_event rb_event;
typedef struct rb_event_reader_ops rb_event_reader_ops;

/* One input as the run read it. */
typedef struct rb_input {
    char *path;        /* logical name: as given, without a leading "./" */
    /* Where it stands (input_name.c): what its fingerprints hash instead of
     * the path, so that they do not depend on where a run stands. */
    char *root;        /* canonical path of its root (a directory named on
                          the command line, the directory of a file named
                          there, a bundle, a repository), or NULL when
                          unknown (owned) */
    char *rel;         /* its name below root, "" for the root itself (owned) */
    char root_sep;     /* what joins root's components to rel: '/', or '!'
                          below a bundle */
    char *name;        /* rel, lengthened by rb_evidence_settle_names until
                          no other input of the run has it (owned) */
    const char *kind;  /* the loader's kind name ("jsonl", "yaml", ...) */
    char sha256[RB_SHA256_HEX_LEN + 1]; /* of a streamed input: once read */
    uint64_t bytes;
    size_t index;      /* position among the run's inputs */
    const rb_event_reader_ops *reader; /* streams its events; NULL if none */
    void *reader_state;                /* owned; freed by reader->free */
    json_t *names;     /* strings origins borrow (table names, commits): the
                          keys of this object, which keep their place */
    /* What the report accounts for (rb_input_note): */
    uint64_t n_events;    /* events the last pass read from it */
    uint64_t n_documents; /* documents made from it */
    json_t *account;      /* object of what else the report says of it, or
                             NULL: "notes" (texts a reader of the report
                             must see) and members its loader sets, such as
                             a ledger's "tables" (owned) */
    /* Work on it still going on beside the pass (rb_input_defer), or NULL. */
    rb_code (*pending)(void *state, struct rb_input *in, rb_error *err);
    void *pending_state;
} rb_input;

/* Where an event, a document or a finding comes from. */
typedef struct rb_origin {
    const rb_input *input; /* borrowed from the evidence */
    long line;             /* 1-based line, 0 when the place is not a line */
    const char *table;     /* a ledger row's table (borrowed from the input), or NULL */
    int64_t row;           /* that row's rowid, 0 when unknown */
    const char *commit;    /* the commit of a git revision (borrowed from the
                              input), or NULL */
} rb_origin;

/* Adds a note that every report shows with the input: something about
 * how it was read that changes what its findings, or their absence, mean
 * ("its timestamp '...' is no time: its events count only where no window
 * applies").  printf-style. */
void rb_input_note(rb_input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Work a loader leaves running on an input while the engine's pass goes on
 * (a ledger's file hashed and its tables counted on a worker, worker.h):
 * finish(state, in, err) waits for it, sets what it found (the input's
 * sha256 and bytes, members of its account) and frees state; with err NULL
 * the result is not wanted (the run ended before it was needed).  One
 * piece of work per input. */
void rb_input_defer(rb_input *in, rb_code (*finish)(void *state, rb_input *in, rb_error *err), void *state);

/* Finishes the deferred work of every input, in input order, and returns
 * the first error (which names its input).  The engine calls it when its
 * pass is over: nothing reads an input's sha256, bytes or account before.
 * rb_evidence_free finishes whatever is left. */
rb_code rb_evidence_finish_inputs(rb_evidence *ev, rb_error *err);

/* The input's account object (created when absent), for a loader to set
 * structured members the JSON report shows as they are. */
json_t *rb_input_account(rb_input *in);

/* Records where the input stands: root is the canonical path of its root
 * (rb_path_real), rel its name below it ("" for the root itself) and sep
 * what joins them ('/', or '!' below a bundle).  Its name is rel until
 * rb_evidence_settle_names lengthens it.  An input whose loader sets no
 * root keeps its path as name. */
void rb_input_set_root(rb_input *in, const char *root, char sep, const char *rel);

/* Places an input that is the file at path, named by itself (on the
 * command line, --waivers): its root is its directory, its name its own. */
void rb_input_set_root_of_file(rb_input *in, const char *path);

/* Gives every input its name: rel, or when another input with another
 * root or rel has the same, rel preceded by as many trailing components
 * of root as make them differ ("a/bus.jsonl" and "b/bus.jsonl" for two
 * bus.jsonl named on the command line, "inc-1!trace.jsonl" for members of
 * two bundles).  Depends only on roots and rels: not on the order of
 * inputs, on the current directory, or on how a path was spelled.
 * Called once all inputs are loaded, before any finding is sealed (the
 * engine's run, a replay's trace). */
void rb_evidence_settle_names(rb_evidence *ev);

/* A string that lives as long as the input (e.g. a table name for
 * origins); equal strings share one copy. */
const char *rb_input_intern(rb_input *in, const char *s);

struct rb_event {
    json_t *fields;   /* the event object, after field mapping (owned); NULL
                         for an event no rule of the pass wants (plan.h) */
    int64_t ts;       /* microseconds since the epoch */
    int64_t seq;      /* valid when has_seq */
    bool has_seq;
    uint64_t order;   /* input index, then position in it: the last tie-break */
    rb_origin origin;
    /* An event whose fields hold only the members the pass's rules read
     * (plan.h) keeps the text it was read from, to be read whole when a
     * finding shows it (rb_event_whole); NULL for an event read whole. */
    const char *text;
    size_t text_len;
    bool text_owned;  /* text is the event's own copy (a kept event) */
    /* An event no rule of the pass wants, read by a pass that asked for
     * its line (plan.h, unread_members: a replay reads what it needs of
     * the line itself): text is the line and these are its top-level
     * members (line_scan.h), both borrowed from the reader until its next
     * call; NULL for every other event. */
    const struct rb_scan_member *members;
    size_t n_members;
};

/* The whole object of an event, as its input holds it (a new reference):
 * its fields, or, for an event read in part, its text read again. */
json_t *rb_event_whole(const rb_event *ev);

/* Makes an event's text its own copy, so that it outlives the reader's
 * buffer (an event kept past its pass, or held by the evidence). */
void rb_event_own_text(rb_event *ev);

/* Releases what an event owns: its fields and its text. */
void rb_event_clear(rb_event *ev);

/* The ts of an event that has no time (a change between two plain files,
 * a JUnit case with no usable timestamp): before every other event, and
 * far enough from the range of int64_t that differences of times cannot
 * overflow. */
#define RB_TS_NONE (-(INT64_C(1) << 62))

/* Whether an event has a time: one that has none (RB_TS_NONE) counts only
 * where no time window applies (rbaudit-rules(5), ORDER AND TIME). */
static inline bool rb_event_has_time(const rb_event *e)
{
    return e->ts != RB_TS_NONE;
}

/* Evidence order (SPEC §4 "Order"): ts, then seq when both have one, then
 * input order.  <0, 0 or >0 as for qsort. */
int rb_event_compare(const rb_event *a, const rb_event *b);

/* A reader of one input's events, in the input's own order. */
struct rb_event_reader_ops {
    /* (Re)starts at the first event; a full read sets the input's sha256
     * and bytes. */
    rb_code (*open)(void *state, rb_error *err);
    /* Reads the next event into *out (the caller owns out->fields) and sets
     * *got, or sets *got false at the end.  A bad event is an RB_EINPUT
     * error naming the input and line, or with --lenient a problem added
     * to ev and passed over. */
    rb_code (*next)(void *state, rb_evidence *ev, rb_event *out, bool *got, rb_error *err);
    void (*close)(void *state); /* releases what open took; may be called twice */
    void (*free)(void *state);
    /* `next` may run on a worker (read_ahead.h): it touches nothing shared
     * but its state, its input's sha256 and bytes, ev->plan (read) and
     * ev's problems. */
    bool read_ahead;
};

typedef struct rb_document {
    json_t *value;     /* the parsed artifact (owned) */
    rb_linemap *lines; /* lines of its nodes (owned; NULL when unknown) */
    json_t *meta;      /* {"path", "kind", "role"?}: what `documents:` and
                          `select:` selectors read (owned) */
    rb_origin origin;
} rb_document;

/* A SQLite ledger of the run, for `sql:` checks (ledger.h). */
typedef struct rb_ledger {
    struct sqlite3 *db; /* read-only (owned) */
    rb_input *input;
    char *name;         /* what `db:` globs match: the file or member name */
} rb_ledger;

/* A problem found in evidence that becomes a built-in finding instead of
 * stopping the run: a bad event in --lenient mode (RBA-INPUT), or an
 * unsafe, missing or altered bundle member (RBA-INTEGRITY). */
typedef struct rb_problem {
    const char *rule;  /* "RBA-INPUT" or "RBA-INTEGRITY" (static) */
    rb_origin origin;
    char *key;         /* the finding's key (a member name), or NULL */
    char *message;
} rb_problem;

/* Frees what a problem owns (its key and message). */
void rb_problem_clear(rb_problem *p);

/* A changed file that no pack's config glob takes, so no rule read what
 * changed in it: `gate` reports it as an RBA-UNCOVERED note keyed by the
 * file, rather than passing in silence. */
typedef struct rb_uncovered {
    char *file;         /* as a change would name it: the repository path,
                           or the --new path as given */
    rb_origin *origins; /* where it changed: its input, at each commit of a
                           walk in walk order (the first first) */
    size_t n_origins;
} rb_uncovered;

struct rb_evidence {
    rb_input **inputs;
    size_t n_inputs, cap_inputs;
    rb_event *buffered;  /* events of kinds read whole (rb_evidence_add_event) */
    size_t n_buffered, cap_buffered;
    size_t n_events;     /* events the last pass delivered (the summary) */
    rb_document *docs;
    size_t n_docs, cap_docs;
    rb_problem *problems;
    size_t n_problems, cap_problems;
    rb_ledger *ledgers;
    size_t n_ledgers, cap_ledgers;
    size_t n_tables_read; /* ledger tables some query read (ledger_account.h),
                             counted after the engine's pass */
    rb_uncovered *uncovered; /* in the order first met */
    size_t n_uncovered, cap_uncovered;
    json_t *uncovered_index; /* object: file -> its index in uncovered */
    json_t *triage;      /* array: the triage verdict of each bundle (triage.h) */
    json_t *skipped;     /* array of {"path", "reason"}: what was given or
                            found but not read, in the order met */
    bool has_newest;
    int64_t newest_ts; /* the newest event ts of the last pass: the default --now */
    /* Set by the engine for its pass (borrowed): event lines that no rule
     * wants by this plan may be read as events without fields (plan.h);
     * NULL: every line is read whole. */
    const struct rb_plan *plan;
};

rb_evidence *rb_evidence_new(void);
void rb_evidence_free(rb_evidence *ev);

/* Records something given or found that was not read (a file of no known
 * kind in a directory, a bundle member, a table): every report lists it
 * with the reason.  printf-style reason. */
void rb_evidence_skip(rb_evidence *ev, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Registers an input and hashes its bytes.  Returns the input (owned by ev). */
rb_input *rb_evidence_add_input(rb_evidence *ev, const char *path, const char *kind,
                                const unsigned char *data, size_t len);

/* Registers an input whose events a reader streams (its hash is known once
 * it has been read); takes reader_state.  Returns the input (owned by ev). */
rb_input *rb_evidence_add_streamed_input(rb_evidence *ev, const char *path, const char *kind,
                                         const rb_event_reader_ops *reader, void *reader_state);

/* Fills *e from an event object (taking no reference) if it is one: a
 * `type` string, a `ts` that is an RFC 3339 string or an epoch number
 * (read by its magnitude, timeutil.h), and `seq`, when present, an integer.  Returns NULL when it
 * is, or a static text saying what was expected. */
const char *rb_event_init(rb_event *e, json_t *fields, rb_origin origin, uint64_t position);

/* Fills *e as an event no rule of the pass wants: its order and time are
 * known, its fields were not read (NULL). */
void rb_event_init_unread(rb_event *e, int64_t ts, bool has_seq, int64_t seq, rb_origin origin,
                          uint64_t position);

/* Reads all events of a streamed input into memory (for an input that is
 * not in evidence order) and drops its reader. */
rb_code rb_evidence_buffer_input(rb_evidence *ev, rb_input *in, rb_error *err);

/*
 * Adds an event (takes the reference to fields).  The event must be an
 * object with a `type` string and a `ts` that is an RFC 3339 string or an
 * epoch number; `seq`, when present, must be an integer.
 * Returns NULL when added, or else drops fields and returns a static text
 * saying what was expected, for the loader to report with the place.
 */
const char *rb_evidence_add_event(rb_evidence *ev, rb_origin origin, json_t *fields);

/* Adds an event that has no time (takes the reference to fields): its ts is
 * RB_TS_NONE, so it comes before every other event, and it does not count
 * as the newest.  fields must be an object with a `type` string and no
 * `ts`. */
void rb_evidence_add_timeless_event(rb_evidence *ev, rb_origin origin, json_t *fields);

/* Adds a document (takes value and lines; lines may be NULL).  role may be
 * NULL (only bundle artifacts have one). */
void rb_evidence_add_document(rb_evidence *ev, rb_origin origin, json_t *value,
                              rb_linemap *lines, const char *role);

/* Attaches a reader of its events to an input read whole (a ledger whose
 * rows a source maps to events); takes reader_state. */
void rb_input_set_reader(rb_input *in, const rb_event_reader_ops *reader, void *reader_state);

/* Adds a ledger of input in (takes db).  name: what `db:` globs match. */
void rb_evidence_add_ledger(rb_evidence *ev, rb_input *in, struct sqlite3 *db, const char *name);

/* Records a --lenient problem (RBA-INPUT). */
void rb_evidence_add_problem(rb_evidence *ev, rb_origin origin, const char *message);

/* Records an integrity problem of a bundle member (RBA-INTEGRITY keyed by
 * the member's name). */
void rb_evidence_add_integrity(rb_evidence *ev, rb_origin origin, const char *member, const char *message);

/* Records that `file` changed at origin and no config glob takes it; a
 * file already recorded gains the origin. */
void rb_evidence_add_uncovered(rb_evidence *ev, rb_origin origin, const char *file);

/* Forgets the problems after the first n (those of a pass started again). */
void rb_evidence_truncate_problems(rb_evidence *ev, size_t n);

/* Puts the buffered events in evidence order.  Stable and deterministic. */
void rb_evidence_sort(rb_evidence *ev);

#endif
