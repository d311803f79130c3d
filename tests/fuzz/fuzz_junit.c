/*
 * fuzz_junit.c — JUnit XML results through libxml2 (no network, no DTD, no
 * entities): the suites, cases and their events, every shipped rule over
 * them, then every report format.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"smoke-results.xml", "validate.xml"};
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    return 0;
}
