/*
 * fuzz_jsonl.c — JSON Lines event logs: the streamed reader, the line
 * scanner, the plan, the `sources:` field maps and every shipped rule over
 * the events, then every report format.  Each line is also held to the
 * scanner's promise (line_scan.h): what it accepts, jansson reads to the
 * same object's top-level members; a line where they disagree aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "input_limits.h"
#include "line_scan.h"

/* Aborts when the scanner accepts a line jansson refuses, or reports a
 * member jansson reads otherwise. */
static void check_scanner(const char *line, size_t n)
{
    static const char *const names[] = {"ts", "type", "seq"};
    rb_scan_value v[3];
    if (!rb_line_scan(line, n, names, 3, v, NULL))
        return;
    json_error_t e;
    json_t *parsed = rb_json_parse(line, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!json_is_object(parsed))
        abort();
    for (size_t i = 0; i < 3; i++) {
        json_t *m = json_object_get(parsed, names[i]);
        if ((v[i].kind == RB_SCAN_ABSENT) != !m ||
            (v[i].kind == RB_SCAN_STRING &&
             (!json_is_string(m) || json_string_length(m) != v[i].len ||
              memcmp(json_string_value(m), v[i].text, v[i].len) != 0)) ||
            (v[i].kind == RB_SCAN_INTEGER && (!json_is_integer(m) || json_integer_value(m) != rb_scan_integer(&v[i]))))
            abort();
    }
    json_decref(parsed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"bus.jsonl", "operator-export.jsonl", "operations.jsonl"};
    const char *line = (const char *)data, *end = line + size;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        check_scanner(line, n);
        line += n + (nl != NULL);
    }
    fuzz_audit_bytes(names, sizeof names / sizeof *names, data, size);
    return 0;
}
