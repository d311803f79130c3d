/*
 * fuzz_markdown.c — Markdown drill and parity reports through libcmark-gfm:
 * the tables and sections the report documents hold, every shipped rule
 * over them, then every report format.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"1.0.0-recovery-drill.md", "1.0.0-parity-check.md", "promotion-2026-06.md"};
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    return 0;
}
