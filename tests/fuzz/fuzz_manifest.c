/*
 * fuzz_manifest.c — the manifest.json of an incident bundle directory
 * whose other members are the clean ByteOr sample's: member names, hashes,
 * sizes and roles as a hostile exporter might write them, audited with
 * every shipped rule and inspected as `bundle inspect` does.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

/* The clean sample's members, copied into the scratch bundle once. */
static void copy_members(void)
{
    static const char *const members[] = {"environment.json", "lane_graph_state.json", "policy_audit.json",
                                          "replay_audit.json", "spec_validation.json", "trace.jsonl"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
        char *relative = rb_xasprintf("corpora/byteor/bundles/clean/%s", members[i]);
        char *source = fuzz_source_path(relative);
        unsigned char *data;
        size_t len;
        rb_error err;
        if (rb_read_file(source, (size_t)1 << 24, &data, &len, &err))
            abort();
        char *name = rb_xasprintf("bundle/%s", members[i]);
        free(fuzz_file(name, data, len));
        free(name);
        free(data);
        free(source);
        free(relative);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool copied;
    if (!copied)
        copy_members();
    copied = true;
    char *manifest = fuzz_file("bundle/manifest.json", data, size);
    char *bundle = rb_xstrndup(manifest, strlen(manifest) - strlen("/manifest.json"));
    fuzz_audit_path(bundle, false);
    fuzz_inspect_bundle(bundle);
    free(bundle);
    free(manifest);
    return 0;
}
