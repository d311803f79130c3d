/*
 * fuzz_trace.c — replay traces (JSON Lines) through each shipped model:
 * the trace reader, the schedule, the simulator and its components, the
 * per-key comparison and the invariants, then every report format.  A
 * trace a model does not wire stops at its first event.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const models[] = {"beam-bus", "beampipe-scheduler", "byteor-ring", "platform-edge"};
    char *path = fuzz_file("trace.jsonl", data, size);
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        char *model = rb_xasprintf("%s/replay/models/%s.yaml", RB_SRCDIR, models[i]);
        fuzz_replay(path, model, NULL);
        free(model);
    }
    free(path);
    return 0;
}
