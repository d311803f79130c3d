/*
 * fuzz_sqlite.c — SQLite ledgers through the same read-only, immutable open as
 * `check`: the pack `sources:` queries that map rows to events and the
 * `sql:` rules, then every report format.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"beam-directory.db", "restore-directory.db", "beam-bus.db"};
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    return 0;
}
