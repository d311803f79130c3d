/*
 * fuzz_jsonl.c — JSON Lines event logs: the streamed reader, the plain-line scanner,
 * the prefilter, the `sources:` field maps and every shipped rule over the
 * events, then every report format.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"bus.jsonl", "operator-export.jsonl", "operations.jsonl"};
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    return 0;
}
