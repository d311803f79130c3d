/*
 * timeutil.h — timestamps and durations as the rule language types them.
 *
 * Times are microseconds since the Unix epoch (UTC), held between
 * 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z (RB_TIME_MIN,
 * RB_TIME_MAX), so that a difference of two times never overflows;
 * durations are microseconds.  Events carry RFC 3339 strings with any
 * offset or epoch numbers (JSON numbers), whose unit is told by their
 * magnitude unless the source says (rbaudit-rules(5), ORDER AND TIME).
 */
#ifndef RB_TIMEUTIL_H
#define RB_TIMEUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RB_US_PER_SEC INT64_C(1000000)
#define RB_TIME_MIN (INT64_C(-62167219200) * RB_US_PER_SEC)      /* 0000-01-01T00:00:00Z */
#define RB_TIME_MAX (INT64_C(253402300800) * RB_US_PER_SEC - 1)  /* 9999-12-31T23:59:59.999999Z */

/* Parses an RFC 3339 date-time ("2026-04-12T10:22:00.5+02:00"); the whole
 * string must match.  Fractions finer than a microsecond are truncated. */
bool rb_time_parse(const char *s, int64_t *us);

/*
 * Parses a date-time as test reports write it (JUnit `timestamp`): RFC 3339,
 * or ISO 8601 with the offset spelled +hhmm or +hh, or "UTC", "GMT" or "Z"
 * after a space, or no zone at all; or an RFC 2822 date ("Sun, 12 Apr 2026
 * 10:22:00 GMT", "+0000", the day name optional).  The whole string must
 * match.  *zoned tells whether it named a zone: one that does not is read
 * as UTC, which the caller should say.
 */
bool rb_time_parse_lenient(const char *s, int64_t *us, bool *zoned);

/* The unit of an epoch number: AUTO reads it by its magnitude. */
typedef enum rb_time_unit {
    RB_TIME_UNIT_AUTO = 0,
    RB_TIME_UNIT_S,
    RB_TIME_UNIT_MS,
    RB_TIME_UNIT_US,
    RB_TIME_UNIT_NS,
} rb_time_unit;

/* The unit named "s", "ms", "us" or "ns"; false for anything else. */
bool rb_time_unit_parse(const char *name, rb_time_unit *unit);

/*
 * An epoch number as a time.  AUTO reads it by its absolute value: seconds
 * below 10^11, milliseconds below 10^14, microseconds below 10^17, else
 * nanoseconds (a negative number is before 1970; a fraction is kept to the
 * microsecond, rounded to the nearest; nanoseconds are floored).  False
 * when the time is outside RB_TIME_MIN..RB_TIME_MAX, or x is not finite.
 */
bool rb_time_from_epoch(int64_t n, rb_time_unit unit, int64_t *us);
bool rb_time_from_epoch_real(double x, rb_time_unit unit, int64_t *us);

/* A timestamp from a JSON value: an RFC 3339 string, or an epoch number in
 * unit (rb_time_from_epoch). */
bool rb_time_from_json(const json_t *v, rb_time_unit unit, int64_t *us);

/* Parses a duration: one or more <number><unit> parts with units us, ms, s,
 * m, h, d, w ("30s", "10m", "1h30m", "14d").  The whole string must match. */
bool rb_duration_parse(const char *s, int64_t *us);

/* Formats a time as RFC 3339 in UTC ("2026-04-12T10:22:00Z", with a
 * fraction only when it is not zero).  out needs 40 bytes. */
void rb_time_format(int64_t us, char *out, size_t size);

/* Formats a duration in the largest exact units ("2h", "1h30m", "0s"). */
void rb_duration_format(int64_t us, char *out, size_t size);

#endif
