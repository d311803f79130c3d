/*
 * check_kind.h — the check kinds of SPEC §4, each a table entry of callbacks.
 *
 * A new check kind is one new check_<kind>.c defining an rb_check_kind and
 * one entry in the table in check_kind.c.  The engine calls `event` for each
 * event the rule's `events:` selects, in evidence order, or `document` for
 * each document its `documents:` selects; then `finish` once.  Checks keep
 * per-run state (start/stop) only for what is still open, and report
 * through rb_run_emit.
 *
 * Events stream: an event and its fields are valid only during the `event`
 * call.  A check that needs one later keeps a copy of the rb_event with its
 * own reference to the fields (json_incref; the origin's input outlives the
 * run) and drops it as soon as the event can no longer matter.
 */
#ifndef RB_CHECK_KIND_H
#define RB_CHECK_KIND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "evidence.h"
#include "finding.h"
#include "rule.h"

/* What became of a rule on a ledger it could not query (rbaudit(1), JSON
 * report, `rules`): it does not apply there, or it failed there. */
typedef enum rb_rule_outcome {
    RB_RULE_NOT_APPLICABLE, /* the ledger lacks a table or column the query names */
    RB_RULE_FAILED          /* any other error (SQL, a corrupt page, a
                               --max-query-* limit, ...) */
} rb_rule_outcome;

typedef struct rb_rule_status {
    const rb_rule *rule;     /* borrowed from the ruleset */
    const rb_input *input;   /* the ledger's input, borrowed from the evidence */
    rb_rule_outcome outcome;
    char *reason;            /* owned: why, a sentence that names the ledger */
} rb_rule_status;

/* Statuses, in rule id order, then input order once sorted. */
typedef struct rb_rule_statuses {
    rb_rule_status *items;
    size_t n, cap;
} rb_rule_statuses;

/* Adds a status; the list keeps a copy of reason. */
void rb_rule_statuses_add(rb_rule_statuses *list, const rb_rule *rule, const rb_input *input,
                          rb_rule_outcome outcome, const char *reason);

/* Puts the list in rule id order, then input order. */
void rb_rule_statuses_sort(rb_rule_statuses *list);

/* How many distinct rules have a status of this outcome. */
size_t rb_rule_statuses_count_rules(const rb_rule_statuses *list, rb_rule_outcome outcome);

void rb_rule_statuses_clear(rb_rule_statuses *list);

/* What a check sees of the run. */
typedef struct rb_run {
    rb_findings *findings; /* where rb_run_emit puts findings */
    rb_rule_statuses *statuses; /* where rules that cannot run somewhere are told */
    bool has_now;          /* --now given: known from the start */
    int64_t now;
    bool has_end;          /* the end of the evidence: --now, else the newest
                              ts of all inputs; known only in `finish` */
    int64_t end;
    size_t pending;        /* `after` deadlines beyond the end (summary) */
} rb_run;

/* Seals (fingerprints) a finding and hands it to the run. */
void rb_run_emit(rb_run *run, rb_finding *f);

/* Tells the run that rule does not apply to ledger, and why. */
void rb_run_not_applicable(rb_run *run, const rb_rule *rule, const rb_ledger *ledger, const char *reason);

/*
 * Emits a finding of rule keyed by key (NULL: none): its origin and first
 * evidence is the event `primary` (NULL for an aggregate), then each event
 * of `partners` (n of them, NULL entries skipped) is added as evidence; the
 * message is rendered with bindings b and variables vars (both may be NULL).
 */
void rb_run_report(rb_run *run, const rb_rule *rule, const json_t *key, const rb_event *primary,
                   const rb_event *const *partners, size_t n, const rb_bindings *b, const json_t *vars);

/* A copy of an event that outlives the `event` call: its own reference to
 * the fields.  Release with rb_event_release. */
rb_event rb_event_keep(const rb_rule *rule, const rb_event *ev);
void rb_event_release(rb_event *ev);

/* A copy of an event that keeps only where it is and its text when it has
 * text (an event read in part): fields NULL, for a check that takes what it
 * needs of the event at once and shows the event only in a finding, later.
 * An event without text keeps its fields.  rb_event_whole gives its fields
 * back; release with rb_event_release. */
rb_event rb_event_keep_place(const rb_event *ev);

/* A growable list of kept events, oldest first. */
typedef struct rb_event_list {
    rb_event *items;
    size_t n, cap;
} rb_event_list;

void rb_event_list_push(rb_event_list *list, const rb_rule *rule, const rb_event *ev);  /* keeps a copy */
void rb_event_list_remove(rb_event_list *list, size_t i);          /* releases it */
void rb_event_list_free(rb_event_list *list);                      /* releases all */
/* Frees a list allocated on the heap and what it holds (a keymap's
 * free_value). */
void rb_event_list_delete(void *list);

/* What a check kind compiles: its block, and the rule around it for
 * rule-level keys (`group:`). */
typedef struct rb_check_src {
    const json_t *spec;      /* the check's block (any JSON value) */
    rb_rule_src at;          /* where the block is */
    const json_t *rule_spec; /* the whole rule mapping */
    rb_rule_src rule_at;     /* where the rule is */
} rb_check_src;

struct rb_check_kind {
    const char *name;               /* the rule key that selects this kind */
    const char *const *rule_keys;   /* further rule-level keys it accepts, or NULL */
    /* Compiles the check into rule->check_data (the rule's common keys are
     * read already).  RB_ERULE with "FILE:LINE: ..." on error. */
    rb_code (*compile)(rb_rule *rule, const rb_check_src *src, rb_error *err);
    void (*free_data)(void *check_data);
    /* Per-run state; NULL callbacks mean "nothing to do". */
    void *(*start)(const rb_rule *rule);
    void (*event)(void *state, const rb_rule *rule, const rb_event *ev, rb_run *run);
    void (*document)(void *state, const rb_rule *rule, const rb_document *doc, rb_run *run);
    /* Called for every SQLite ledger of the run, after the events.  A rule
     * that does not apply to the ledger says so (rb_run_not_applicable)
     * and returns RB_OK; an error (a query that fails there) is the rule's
     * failure on that ledger: the engine records it and the other rules
     * go on. */
    rb_code (*ledger)(void *state, const rb_rule *rule, const rb_ledger *ledger, rb_run *run,
                      rb_error *err);
    void (*finish)(void *state, const rb_rule *rule, rb_run *run);
    void (*stop)(void *state);
    /* Gives a built-in finding made from a problem of the evidence (an
     * integrity problem, a bad event) what the rule says of it, before it
     * is sealed; NULL for kinds that explain none. */
    void (*explain)(const rb_rule *rule, rb_finding *f);
    /* The selectors of the events `event` does anything with, beyond the
     * rule's `events:`: an event on which all of them are false (parts
     * naming a correlation reference do not count: rb_selector_eval with
     * no bindings) changes nothing, neither findings nor state.  Puts up to
     * max of them in out and returns how many there are (more than max:
     * the caller takes every event); NULL, or 0, when every selected event
     * matters.  The engine passes a check only the events of its interest,
     * indexes rules by the event types they can want, and plans the lines
     * no rule can want (plan_build.h). */
    size_t (*interest)(const rb_rule *rule, const rb_selector **out, size_t max);
    /* Adds to names (an object used as a set) the top-level members of an
     * event that `event` and what it reports read, beyond its interest's
     * selectors and the rule's own `events:`, key and message: so that a
     * reader may build only those members of an event (plan.h).  NULL when
     * the kind cannot say: then every member of every event is built. */
    void (*fields)(const rb_rule *rule, json_t *names);
};

/* A check names at most this many selectors of interest before it counts
 * as interested in every event. */
#define RB_MAX_INTEREST 16

/* The selectors of rule's interest (check kind `interest`) in out (room
 * for RB_MAX_INTEREST); 0 when the rule wants every event its `events:`
 * selects. */
size_t rb_rule_interest(const rb_rule *rule, const rb_selector **out);

/* Adds to names (an object used as a set) the top-level members a rule
 * reads of an event: those of its selectors, its key, its message's
 * references and its check's own fields; false when its check kind cannot
 * say (no `fields`), and then any member may be read. */
bool rb_rule_members(const rb_rule *rule, json_t *names);

/* A kind's `fields` when it reads nothing beyond its interest. */
void rb_check_no_more_fields(const rb_rule *rule, json_t *names);

/* Adds the first key of path (may be NULL) to names. */
void rb_fields_of_path(const rb_jsonpath *path, json_t *names);

/* Helpers for compile functions; each sets RB_ERULE naming the line. */

/* The block must be a mapping whose keys are all in `allowed` (NULL-
 * terminated); `required` ones (may be NULL) must be present. */
rb_code rb_check_keys(const rb_check_src *src, const char *const *allowed,
                      const char *const *required, rb_error *err);

/* Compiles the selector at member `name` of the block into *out (NULL when
 * absent and not required).  refs: correlation names it may use (may be
 * NULL). */
rb_code rb_check_selector(const rb_rule *rule, const rb_check_src *src, const char *name,
                          bool required, const char *const *refs, rb_selector **out,
                          rb_error *err);

/* Reads the duration at member `name` ("30s", "2h", or "{param}" naming a
 * parameter that holds one); *has tells whether it was given.  Negative or
 * unparsable durations are errors. */
rb_code rb_check_duration(const rb_rule *rule, const rb_check_src *src, const char *name,
                          bool *has, int64_t *us, rb_error *err);

/* The value at member `name` (through its "{param}": the parameter's
 * value), or NULL when absent (*has false).  Borrowed from the rule. */
rb_code rb_check_value(const rb_rule *rule, const rb_check_src *src, const char *name, bool *has,
                       const json_t **v, rb_error *err);

/* Reads the integer at member `name` (a number, or "{param}" naming a
 * parameter that holds one); *has tells whether it was given. */
rb_code rb_check_integer(const rb_rule *rule, const rb_check_src *src, const char *name,
                         bool *has, int64_t *value, rb_error *err);

/* Reads the dotted field name at member `name` into *out (owned by the
 * caller: rb_jsonpath_free); required. */
rb_code rb_check_field(const rb_check_src *src, const char *name, rb_jsonpath **out, rb_error *err);

/* The kind named `name`, or NULL. */
const rb_check_kind *rb_check_kind_find(const char *name);

/* The kind whose name is a key of the rule mapping; *count tells how many
 * kind names the mapping has (the rule must have exactly one). */
const rb_check_kind *rb_check_kind_of(const json_t *rule_spec, int *count);

/* Kind names, comma-separated, for messages. */
const char *rb_check_kind_names(void);

extern const rb_check_kind rb_check_match;
extern const rb_check_kind rb_check_document;
extern const rb_check_kind rb_check_before;
extern const rb_check_kind rb_check_after;
extern const rb_check_kind rb_check_between;
extern const rb_check_kind rb_check_sequence;
extern const rb_check_kind rb_check_concurrent;
extern const rb_check_kind rb_check_final;
extern const rb_check_kind rb_check_count;
extern const rb_check_kind rb_check_sql;
extern const rb_check_kind rb_check_changes;
extern const rb_check_kind rb_check_integrity;

#endif
