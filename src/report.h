/*
 * report.h — reporters: they only format findings, never decide (SPEC §6).
 *
 * A new output format is one new report_<format>.c defining an rb_reporter
 * and one entry in the table in report.c.  Outputs go to a temporary file
 * beside the destination, renamed into place when complete, so that no
 * partial report is ever left behind.
 */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "check_kind.h"
#include "error.h"
#include "evidence.h"
#include "finding.h"
#include "json_stream.h"
#include "pack.h"
#include "util.h"

typedef struct rb_summary {
    size_t errors, warnings, notes; /* reported findings by severity */
    size_t suppressed;              /* waived or baselined */
    size_t baselined;
    size_t pending;                 /* `after` deadlines beyond the end */
    size_t not_applicable;          /* rules that did not apply to some ledger */
    size_t rule_errors;             /* rules that failed on some ledger */
} rb_summary;

/* Everything a reporter may show; all borrowed. */
typedef struct rb_report {
    const rb_evidence *evidence;
    const rb_ruleset *rules;
    const rb_findings *findings;    /* reported, sorted */
    const rb_findings *suppressed;  /* waived or baselined, sorted */
    rb_summary summary;
    bool has_now;
    int64_t now;                    /* the clock of the run */
    const json_t *replay;           /* the replay section (replay.h), or NULL */
    const rb_json_streams *streams; /* arrays of the replay section written
                                       item by item (json_stream.h), or NULL */
    const char *timestamp;          /* --timestamps: when the run started (UTC), or NULL */
    const rb_rule_statuses *statuses; /* rules not applicable to a ledger or
                                         failed on one, sorted; may be NULL */
} rb_report;

typedef struct rb_report_style {
    bool color; /* ANSI colours (text only; a TTY without --no-color) */
} rb_report_style;

typedef struct rb_reporter {
    const char *name;
    rb_code (*write)(const rb_report *report, const rb_report_style *style, FILE *out,
                     rb_error *err);
} rb_reporter;

extern const rb_reporter rb_reporter_text;
extern const rb_reporter rb_reporter_json;
extern const rb_reporter rb_reporter_sarif;
extern const rb_reporter rb_reporter_junit;
extern const rb_reporter rb_reporter_markdown;
extern const rb_reporter rb_reporter_codequality;

/* The reporter of a format name, or NULL. */
const rb_reporter *rb_reporter_find(const char *name);

/* Format names, comma-separated, for messages and --help. */
const char *rb_reporter_names(void);

/* What was read from an input, for people: "jsonl: 9 events, 0
 * documents", with its rows when its loader counted them.  Appended to b. */
void rb_report_describe_input(const rb_input *in, rb_buf *b);

/* The notes of an input (rb_input_note), or NULL: an array of strings. */
const json_t *rb_report_input_notes(const rb_input *in);

/* What the run read, input by input (rb_report_describe_input, sha256,
 * notes), then what it skipped and why, as lines of text for people:
 * appended to b (nothing when there was no input and nothing skipped). */
void rb_report_write_accounting(const rb_evidence *ev, rb_buf *b);

/* Counts findings by severity into the summary. */
void rb_summary_count(rb_summary *summary, const rb_findings *findings);

/* Counts the rules with a status (not applicable, failed) into the summary. */
void rb_summary_count_statuses(rb_summary *summary, const rb_rule_statuses *statuses);

/* The statuses of one rule, in a report: *n of them from the returned one
 * (the list is sorted by rule, so they are together), NULL when none. */
const rb_rule_status *rb_report_rule_statuses(const rb_report *report, const rb_rule *rule, size_t *n);

/* An output being written: "-" is standard output. */
typedef struct rb_output {
    const rb_reporter *reporter;
    char *path;  /* destination */
    char *tmp;   /* temporary file beside it, which a signal that ends the
                    run removes (cleanup.h); NULL for stdout and for a
                    destination that is not a regular file */
    FILE *file;
    bool direct; /* file is the destination itself, opened here */
} rb_output;

/* Opens the temporary file for an output (RB_EUSAGE when the directory is
 * missing or not writable), so that a bad path fails before any work.  A
 * destination that exists and is not a regular file (a device such as
 * /dev/null, a FIFO, a terminal) is written in place: renaming a file over
 * it would replace the device. */
rb_code rb_output_open(rb_output *out, const rb_reporter *reporter, const char *path, rb_error *err);

/* Writes the report and renames the temporary file into place. */
rb_code rb_output_write(rb_output *out, const rb_report *report, const rb_report_style *style,
                        rb_error *err);

/* Finishes an output written directly to out->file (a command's own
 * format): flushes it and renames the temporary file into place. */
rb_code rb_output_commit(rb_output *out, rb_error *err);

/* Removes the temporary file (if any) and frees the output's strings. */
void rb_output_close(rb_output *out);

#endif
