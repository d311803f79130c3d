/*
 * audit.h — what every auditing subcommand (check, gate, replay) does
 * around its own work: parse the shared options, open the outputs before
 * any work, apply waivers and the baseline, write every report and turn
 * the findings into an exit status (SPEC §2, §5, §6).
 *
 * A mode says what evidence the command needs and how it makes findings.
 */
#ifndef RB_AUDIT_H
#define RB_AUDIT_H

#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "evidence.h"
#include "finding.h"
#include "json_stream.h"
#include "pack.h"

/* One run.  Everything is owned by the run and freed by rb_audit_main. */
typedef struct rb_audit {
    rb_cli cli;
    rb_ruleset *rules;        /* the rules that ran (empty for replay) */
    rb_evidence *evidence;    /* replaced by a mode that makes its own */
    rb_findings findings, suppressed;
    rb_engine_result result;  /* the end of the evidence, pending deadlines,
                                 rules that did not apply or failed */
    json_t *replay;           /* the replay section of the report, or NULL */
    rb_json_streams *replay_streams; /* its arrays written item by item, or NULL */
} rb_audit;

typedef struct rb_audit_mode {
    void (*help)(FILE *out);
    /* Checks that the options name what the command needs (RB_EUSAGE). */
    rb_code (*validate)(rb_cli *o, rb_error *err);
    /* Makes the findings (and whatever else the report shows). */
    rb_code (*produce)(rb_audit *a, rb_error *err);
} rb_audit_mode;

/* Runs a subcommand in this mode; returns its exit status. */
int rb_audit_main(const rb_audit_mode *mode, int argc, char **argv);

#endif
