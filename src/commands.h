/*
 * commands.h — the subcommands of the rbaudit program, dispatched by main().
 */
#ifndef RB_COMMANDS_H
#define RB_COMMANDS_H

#include <stdio.h>

typedef struct rb_command {
    const char *name;
    const char *summary;  /* one line for `rbaudit --help` */
    /* Runs with argv[0] the subcommand's name; returns the exit status. */
    int (*run)(int argc, char **argv);
} rb_command;

extern const rb_command rb_cmd_check;
extern const rb_command rb_cmd_gate;
extern const rb_command rb_cmd_replay;
extern const rb_command rb_cmd_rules;
extern const rb_command rb_cmd_diff;
extern const rb_command rb_cmd_bundle;
extern const rb_command rb_cmd_version;

#endif
