/*
 * fuzz_json.c — JSON documents (evidence a document rule reads by its file
 * name), every shipped rule over them, then every report format.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"policy_audit.json", "lane_graph_state.json", "spec_validation.json", "environment.json",
                                        "dataguard_report.json", "adapter_snapshot.json", "other.json"};
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    return 0;
}
