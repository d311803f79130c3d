/*
 * fuzz_model.c — replay model files and what-if patches: YAML through the
 * typed loader, components, wiring, handlers, invariants and exploration
 * settings.  The bytes are replayed as a whole model, then as a patch of
 * each shipped model, over each shipped model's conforming trace (a trace
 * a model does not wire stops at its first event).
 */
#include <stdlib.h>

#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const models[] = {"beam-bus", "beampipe-scheduler", "byteor-ring", "platform-edge"};
    char *path = fuzz_file("model.yaml", data, size);
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        char *trace = rb_xasprintf("%s/replay/scenarios/%s/conforming.jsonl", RB_SRCDIR, models[i]);
        char *shipped = rb_xasprintf("%s/replay/models/%s.yaml", RB_SRCDIR, models[i]);
        fuzz_replay(trace, path, NULL);
        fuzz_replay(trace, shipped, path);
        free(shipped);
        free(trace);
    }
    free(path);
    return 0;
}
