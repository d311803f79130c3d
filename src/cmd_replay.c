/*
 * cmd_replay.c — `rbaudit replay TRACE --model MODEL`: the replay tester
 * (SPEC §7) as an auditing subcommand, so that its divergences go through
 * waivers, baselines and every report format like any finding.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "commands.h"
#include "replay/model.h"
#include "replay/replay.h"
#include "util.h"

static void replay_help(FILE *out)
{
    fprintf(out,
            "Usage: rbaudit replay TRACE --model MODEL [--seed N] [--what-if PATCH] [--explore N]\n"
            "                      [options]\n"
            "\n"
            "Replays a captured trace through a deterministic simulator of the system: the\n"
            "trace's input events drive the model, and its output events are compared per key\n"
            "with the simulated ones.  Each key whose outputs leave the model is an\n"
            "RBA-REPLAY-DIVERGE finding naming the first divergence (event index, expected\n"
            "and observed, the model state there).  TRACE is a JSON Lines file or a bundle\n"
            "with a trace.jsonl member.  MODEL is a model file or the name of a shipped model\n"
            "in %s.  The same trace, model, seed and patch always give the\n"
            "same replay_hash.\n"
            "\n"
            "Replay options:\n"
            "  --model MODEL         the model (required)\n"
            "  --seed N              seed of the run's random numbers and of the first --explore\n"
            "                        run (default 1); run i of --explore uses N + i\n"
            "  --what-if PATCH       replay again with a YAML patch of model parameters and\n"
            "                        injected events, and report each key's terminal state\n"
            "  --explore N           N seeded runs with injected faults (delay, drop, duplicate,\n"
            "                        reorder, component down) checking the model's invariants;\n"
            "                        a violation is an RBA-REPLAY-INVARIANT finding with its\n"
            "                        seed and a shrunk fault schedule\n"
            "  --max-steps N         the step budget of one run (default 100000 + 1000 per\n"
            "                        input); a model that loops stops with an error\n"
            "  --dry-run             only simulate and report (the default)\n"
            "\n",
            rp_models_dir());
    rb_cli_help_options(out);
}

static rb_code validate_replay(rb_cli *o, rb_error *err)
{
    const char *option = rb_cli_evidence_option(o);
    if (option)
        return rb_error_set(err, RB_EUSAGE, "replay: %s is not an option of replay (see 'rbaudit replay --help')",
                            option);
    if (o->n_inputs != 1)
        return rb_error_set(err, RB_EUSAGE, "replay: expected one TRACE (a .jsonl file or a bundle), got %zu",
                            o->n_inputs);
    if (!o->model)
        return rb_error_set(err, RB_EUSAGE, "replay: expected --model MODEL (a model file or a shipped model's "
                            "name; see 'rbaudit replay --help')");
    return RB_OK;
}

static rb_code produce_replay(rb_audit *run, rb_error *err)
{
    const rb_cli *o = &run->cli;
    rp_replay_opts opts = {.trace = o->inputs[0], .model = o->model, .what_if = o->what_if,
                           .seed = o->has_seed ? o->seed : 1, .explore = o->explore, .max_steps = o->max_steps,
                           .lenient = o->lenient};
    rp_replay_result result;
    rb_code rc = rp_replay_run(&opts, &result, &run->findings, err);
    if (result.evidence) {
        rb_evidence_free(run->evidence);
        run->evidence = result.evidence;
        result.evidence = NULL;
    }
    if (!rc) {
        run->replay = result.report;
        result.report = NULL;
        run->replay_streams = result.streams;
        result.streams = NULL;
        run->result.has_end = o->has_now || result.has_end;
        run->result.end = o->has_now ? o->now : result.end;
    }
    rp_replay_result_free(&result);
    return rc;
}

static const rb_audit_mode replay_mode = {replay_help, validate_replay, produce_replay};

static int run_replay(int argc, char **argv)
{
    return rb_audit_main(&replay_mode, argc, argv);
}

const rb_command rb_cmd_replay = {
    .name = "replay",
    .summary = "replay a trace through a model of the system",
    .run = run_replay,
};
