/*
 * finding.h — the one finding struct of SPEC §5, for rule checks, input
 * problems, integrity failures and replay divergences alike.
 *
 * Ownership: a finding owns its strings and JSON values; rb_findings owns
 * the findings added to it.  `rule` and origin inputs are borrowed from the
 * ruleset and the evidence, which outlive every report.
 */
#ifndef RB_FINDING_H
#define RB_FINDING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "evidence.h"
#include "rule.h"
#include "selector.h"
#include "sha256.h"
#include "util.h"

/* At most this many events are kept as a finding's evidence. */
#define RB_FINDING_MAX_EVIDENCE 5

typedef struct rb_finding {
    char *rule_id;
    const rb_rule *rule;  /* NULL for built-in findings (RBA-...) */
    rb_severity severity;
    char *message;
    json_t *key;          /* the group key; json null when none */
    rb_origin *origins;
    size_t n_origins;
    json_t *evidence;     /* array of the events or excerpts that prove it */
    char *runbook;        /* NULL when none */
    char *remediation;    /* NULL when none */
    json_t *extra;        /* object of kind-specific members (missing, ...) */
    char fingerprint[RB_SHA256_HEX_LEN + 1];
} rb_finding;

/* The title of a built-in rule (RBA-INPUT, RBA-INTEGRITY, RBA-UNCOVERED, RBA-WAIVER-...),
 * or NULL for an id that is none; static. */
const char *rb_builtin_rule_title(const char *rule_id);

/* Appends where an origin points, for people: "path:line", then " table
 * rowid N" for a ledger row and " @abcdef012345" for a git revision. */
void rb_origin_describe(const rb_origin *o, rb_buf *b);

/* A finding of a rule: id, severity, runbook and remediation from it. */
rb_finding *rb_finding_for_rule(const rb_rule *rule);

/* A built-in finding (RBA-INPUT, RBA-INTEGRITY, ...) with its message. */
rb_finding *rb_finding_builtin(const char *rule_id, rb_severity sev, const char *message);

void rb_finding_free(rb_finding *f);

/* Sets the key (a copy is kept; NULL means json null). */
void rb_finding_set_key(rb_finding *f, const json_t *key);

void rb_finding_add_origin(rb_finding *f, rb_origin origin);

/* Adds an event: its origin, and its fields as evidence (up to the cap). */
void rb_finding_add_event(rb_finding *f, const rb_event *ev);

/* Adds an event as evidence only (up to the cap): the whole event, even
 * when the pass read only some of its members (rb_event_whole). */
void rb_finding_add_evidence(rb_finding *f, const rb_event *ev);

/* What a message template can refer to (template.h): `vars` members (e.g.
 * prev, missing_from), "key", "NAME.FIELD" of a bound event ("first",
 * "then", ...), a rule parameter, or a field of the primary event or
 * document — looked up in that order. */
typedef struct rb_message_ctx {
    const json_t *primary;    /* the event or document that produced it */
    const rb_bindings *bound; /* named events; may be NULL */
    const json_t *vars;       /* object; may be NULL */
} rb_message_ctx;

/* Renders the rule's message template into f->message. */
void rb_finding_render(rb_finding *f, const rb_message_ctx *ctx);

/* Computes the fingerprint: SHA-256 of the rule id, the key, the name of
 * the first origin's input and the content of the evidence — never line
 * numbers — so that it survives unrelated edits.  It does not depend on
 * where the run stood either: an input counts by its name relative to its
 * root (evidence.h rb_input name), and where the key or an evidence
 * item's `path` or `file` names an input of the finding's origins by its
 * path as given (a document's key "PATH" or "PATH[item]", a document's
 * meta, a config change's file), the fingerprint reads that input's name
 * instead. */
void rb_finding_seal(rb_finding *f);

/* The name of the way rb_finding_seal fingerprints: the JSON report's
 * `fingerprints` and SARIF's partialFingerprints key.  "rbaudit/v1" hashed
 * the path as given; a baseline written with it cannot be compared. */
#define RB_FINGERPRINT_SCHEME "rbaudit/v2"

typedef struct rb_findings {
    rb_finding **items;
    size_t n, cap;
} rb_findings;

void rb_findings_add(rb_findings *list, rb_finding *f);

/* Report order: severity (error first), rule id, origin path, line, key,
 * then fingerprint so that the order is total. */
void rb_findings_sort(rb_findings *list);

/* Frees every finding and the array; the list is empty afterwards. */
void rb_findings_clear(rb_findings *list);

#endif
