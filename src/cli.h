/*
 * cli.h — the options that the auditing subcommands share (SPEC §2):
 * rules, inputs, formats and outputs, exit policy and the clock.
 */
#ifndef RB_CLI_H
#define RB_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "loader.h"
#include "report.h"
#include "rule.h"

typedef struct rb_kind_choice {
    char *kind;
    char *path;
} rb_kind_choice;

typedef struct rb_output_choice {
    const rb_reporter *reporter; /* NULL: the --format one */
    char *path;                  /* "-" for standard output */
} rb_output_choice;

typedef struct rb_cli {
    char **inputs;
    size_t n_inputs;
    char **rule_paths;          /* --rules */
    size_t n_rule_paths;
    char **packs;               /* --pack */
    size_t n_packs;
    rb_kind_choice *kinds;      /* --kind KIND=PATH */
    size_t n_kinds;
    const rb_reporter *format;  /* --format; text by default */
    rb_output_choice *outputs;  /* --output [FMT:]FILE */
    size_t n_outputs;
    bool fail_never;            /* --fail-on never */
    rb_severity fail_on;        /* --fail-on; error by default */
    bool has_now;               /* --now */
    int64_t now;
    bool quiet, verbose, no_color, lenient, help;
    bool allow_empty;           /* --allow-empty: a run that audits nothing may pass */
    bool reference_path;        /* --debug-reference-path (hidden): every line
                                   parsed whole, every rule asked of every
                                   event, for the differential test */
    bool timestamps;            /* --timestamps: wall-clock time in JUnit reports */
    rb_overrides overrides;     /* --param */
    char *waivers;              /* --waivers, or NULL */
    char *baseline;             /* --baseline, or NULL */
    char *repo;                 /* --repo: a git repository input, or NULL */
    char *range;                /* --range of git repositories, or NULL */
    char *cache;                /* --cache of git walks, or NULL */
    char *old_file, *new_file;  /* --old/--new: two config revisions, or NULL */
    /* replay only */
    char *model;                /* --model, or NULL */
    char *what_if;              /* --what-if patch, or NULL */
    int64_t jobs;               /* --jobs; 0: the processors' count */
    bool has_seed;              /* --seed */
    uint64_t seed;
    bool has_explore;           /* --explore */
    int64_t explore;
    uint64_t max_steps;         /* --max-steps; 0: the default budget */
    rb_limits limits;           /* --max-input-size and the other limits */
} rb_cli;

/* The first option given that only `replay` takes ("--model"), or NULL. */
const char *rb_cli_replay_option(const rb_cli *o);

/* The first option given that `replay` does not take ("--rules"), or NULL. */
const char *rb_cli_evidence_option(const rb_cli *o);

/* Parses the options of an auditing subcommand (argv[0] is its name).
 * RB_EUSAGE with a message naming the option on any mistake.  On success
 * the limits given become the process's (input_limits.h).  The caller
 * frees o with rb_cli_free, whatever the result. */
rb_code rb_cli_parse(rb_cli *o, int argc, char **argv, rb_error *err);
void rb_cli_free(rb_cli *o);

/* Prints the shared options for a subcommand's --help. */
void rb_cli_help_options(FILE *out);

/* The forced kind for an input path (--kind), or NULL. */
const char *rb_cli_kind_for(const rb_cli *o, const char *path);

/* For a command with its own text and JSON output (diff, bundle): checks
 * that --format is text or json and that at most one plain --output FILE
 * is given, and opens that output (standard output by default). */
rb_code rb_cli_open_own_output(const rb_cli *o, const char *command, rb_output *out, rb_error *err);

/* Writes a command's result to out: the JSON value itself for --format
 * json, else what write_text makes of it; then commits the output. */
rb_code rb_cli_write_own(const rb_cli *o, rb_output *out, const json_t *result,
                         void (*write_text)(FILE *f, const json_t *result), rb_error *err);

/* The body of a subcommand that takes the shared options: parses them,
 * prints help for --help, else calls run, which sets *status when it
 * succeeds; an error is printed and gives its exit status. */
int rb_cli_main(int argc, char **argv, void (*help)(FILE *out),
                rb_code (*run)(const rb_cli *o, int *status, rb_error *err));

/* Whether findings of this severity fail the run (exit status 1). */
bool rb_cli_fails(const rb_cli *o, rb_severity sev);

#endif
