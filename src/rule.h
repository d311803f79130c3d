/*
 * rule.h — one compiled rule: the common keys of SPEC §4 and its check.
 *
 * Ownership: a rule owns every string, JSON value, selector and the check
 * data it points to; rb_rule_free releases them.  Rules belong to an
 * rb_ruleset (pack.h) for the whole run, so findings may borrow them.
 */
#ifndef RB_RULE_H
#define RB_RULE_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "jsonpath.h"
#include "linemap.h"
#include "selector.h"

typedef enum rb_severity {
    RB_SEV_NOTE = 0,
    RB_SEV_WARNING = 1,
    RB_SEV_ERROR = 2
} rb_severity;

/* "error", "warning" or "note". */
const char *rb_severity_name(rb_severity sev);
bool rb_severity_parse(const char *name, rb_severity *sev);

typedef struct rb_check_kind rb_check_kind;

/* One `severity_when` entry. */
typedef struct rb_severity_case {
    rb_selector *when;
    rb_severity severity;
} rb_severity_case;

typedef struct rb_rule {
    char *id;
    char *title;
    rb_severity severity;
    char *runbook;      /* NULL when the rule cites none */
    char *message;      /* template (template.h); the title when not given */
    char *remediation;  /* NULL when not given */
    json_t *tags;       /* array of strings (possibly empty) */
    json_t *params;     /* object: defaults with --param overrides applied */
    char *pack;         /* the pack (directory) the rule comes from */
    char *file;         /* rule file and line of the rule, for messages */
    long line;
    bool reads_documents;    /* `documents:` given: the check sees documents */
    rb_selector *select;     /* `events:` or `documents:`; NULL selects all */
    rb_jsonpath *key;        /* grouping field; "key" unless `key:` says */
    rb_severity_case *severity_cases; /* `severity_when`, in order (may be none) */
    size_t n_severity_cases;
    const rb_check_kind *check;
    void *check_data;        /* compiled check, freed by check->free_data */
    json_t *config_files;    /* array of path globs of config files whose
                                revisions the check compares (`changes`), or
                                NULL; set by the check's compile */
    json_t *source;          /* the rule's mapping as written (for lint, show) */
    char **members;          /* the top-level event members the rule reads
                                (check_kind.h rb_rule_members) in strcmp
                                order, or NULL when it may read any */
    size_t n_members;
} rb_rule;

/* --param RULE.NAME=VALUE overrides, collected from the command line and
 * consumed while rules compile. */
typedef struct rb_param_override {
    char *text;     /* as given, for messages */
    char *rule_id;
    char *name;
    json_t *value;  /* typed as a YAML scalar */
    bool used;
} rb_param_override;

typedef struct rb_overrides {
    rb_param_override *items;
    size_t n, cap;
} rb_overrides;

/* Parses "RULE.NAME=VALUE" (RB_EUSAGE when malformed). */
rb_code rb_overrides_add(rb_overrides *ov, const char *arg, rb_error *err);
/* RB_EUSAGE naming the first override that matched no loaded rule. */
rb_code rb_overrides_check_used(const rb_overrides *ov, rb_error *err);
void rb_overrides_free(rb_overrides *ov);

/* Where a part of a rule file is (the rule, or its check block), so that
 * messages name its line. */
typedef struct rb_rule_src {
    const char *file;
    const rb_linemap *lines;  /* may be NULL */
    const char *path;         /* the part's path in the file (jsonpath.h) */
} rb_rule_src;

/* Sets and returns RB_ERULE "FILE:LINE: message", LINE being that of the
 * part's member `key` (or of the part itself when key is NULL or absent). */
rb_code rb_rule_error(const rb_rule_src *src, const char *key, rb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Compiles the rule at `path` (jsonpath spelling) of a parsed rule file.
 * ov may be NULL.  Errors are RB_ERULE "FILE:LINE: ..." naming the line of
 * the offending key (or of the rule when a key is missing) and what was
 * expected.  *out is owned by the caller (rb_rule_free).
 */
rb_code rb_rule_compile(const json_t *spec, const char *file, const rb_linemap *lines,
                        const char *path, const char *pack, rb_overrides *ov, rb_rule **out,
                        rb_error *err);

void rb_rule_free(rb_rule *rule);

/* The rule's key value in an event or document (borrowed), or NULL. */
json_t *rb_rule_key_of(const rb_rule *rule, const json_t *value);

/* The severity of a finding whose first evidence is `evidence` (may be
 * NULL): the first `severity_when` entry that matches it, else the rule's. */
rb_severity rb_rule_severity_for(const rb_rule *rule, const json_t *evidence);

/* The selector environment for compiling a rule's selectors: its file,
 * lines and parameters; refs is the NULL-terminated list of correlation
 * names the check allows (may be NULL). */
rb_sel_env rb_rule_sel_env(const rb_rule *rule, const rb_linemap *lines,
                           const char *const *refs);

#endif
