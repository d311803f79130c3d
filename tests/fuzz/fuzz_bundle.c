/*
 * fuzz_bundle.c — incident bundles as tar archives, plain or compressed,
 * through libarchive: unsafe members, caps, the manifest and its hashes,
 * every shipped rule over the members, then `bundle inspect`'s triage.
 */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"incident.tar", "incident.tgz"};
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    char *path = fuzz_file(fuzz_pick(names, sizeof names / sizeof *names, size), data, size);
    fuzz_inspect_bundle(path);
    free(path);
    return 0;
}
