/*
 * main.c — the rbaudit program: dispatches to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "query_bounds.h"

static const rb_command *const commands[] = {
    &rb_cmd_check,
    &rb_cmd_gate,
    &rb_cmd_replay,
    &rb_cmd_rules,
    &rb_cmd_bundle,
    &rb_cmd_diff,
    &rb_cmd_version,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "Usage: rbaudit COMMAND [options]\n\n"
                 "Audits operations evidence against runbooks.\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\n'rbaudit COMMAND --help' describes a command and its options.\n");
}

static const rb_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    /* before any SQLite handle opens: its temporary files are then bounded */
    rb_query_bounds_init();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return rb_cmd_version.run(1, (char *[]){"version", NULL});
    const rb_command *cmd = find_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "rbaudit: unknown command '%s' (expected one of:", argv[1]);
        for (size_t i = 0; i < N_COMMANDS; i++)
            fprintf(stderr, " %s", commands[i]->name);
        fprintf(stderr, "; see 'rbaudit --help')\n");
        return 2;
    }
    return cmd->run(argc - 1, argv + 1);
}
