/*
 * timeutil.h — timestamps and durations as the rule language types them.
 *
 * Times are microseconds since the Unix epoch (UTC); durations are
 * microseconds.  Evidence carries either RFC 3339 strings with any offset or
 * epoch milliseconds as JSON numbers (SPEC §3.1).
 */
#ifndef RB_TIMEUTIL_H
#define RB_TIMEUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RB_US_PER_SEC INT64_C(1000000)

/* Parses an RFC 3339 date-time ("2026-04-12T10:22:00.5+02:00"); the whole
 * string must match.  Fractions finer than a microsecond are truncated. */
bool rb_time_parse(const char *s, int64_t *us);

/* A timestamp from a JSON value: an RFC 3339 string, or a number of epoch
 * milliseconds. */
bool rb_time_from_json(const json_t *v, int64_t *us);

/* Parses a duration: one or more <number><unit> parts with units us, ms, s,
 * m, h, d, w ("30s", "10m", "1h30m", "14d").  The whole string must match. */
bool rb_duration_parse(const char *s, int64_t *us);

/* Formats a time as RFC 3339 in UTC ("2026-04-12T10:22:00Z", with a
 * fraction only when it is not zero).  out needs 40 bytes. */
void rb_time_format(int64_t us, char *out, size_t size);

/* Formats a duration in the largest exact units ("2h", "1h30m", "0s"). */
void rb_duration_format(int64_t us, char *out, size_t size);

#endif
