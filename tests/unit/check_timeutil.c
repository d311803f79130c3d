/*
 * check_timeutil.c — RFC 3339 times, the date-times test reports write,
 * epoch numbers read by magnitude or unit, the bounds of the clock, and
 * durations.
 */
#include "unit.h"

#include <inttypes.h>
#include <math.h>

#include "timeutil.h"

static int64_t t(const char *s)
{
    int64_t us = 0;
    ck_assert_msg(rb_time_parse(s, &us), "should parse: %s", s);
    return us;
}

START_TEST(parses_utc_and_offsets)
{
    ck_assert_int_eq(t("1970-01-01T00:00:00Z"), 0);
    ck_assert_int_eq(t("2026-04-12T10:22:00Z"), INT64_C(1775989320) * RB_US_PER_SEC);
    ck_assert_int_eq(t("2026-04-12T12:22:00+02:00"), t("2026-04-12T10:22:00Z"));
    ck_assert_int_eq(t("2026-04-12T05:52:00-04:30"), t("2026-04-12T10:22:00Z"));
    ck_assert_int_eq(t("2026-04-12t10:22:00z"), t("2026-04-12T10:22:00Z"));
    ck_assert_int_eq(t("2026-04-12 10:22:00Z"), t("2026-04-12T10:22:00Z"));
    ck_assert_int_eq(t("1969-12-31T23:59:59Z"), -RB_US_PER_SEC);
}
END_TEST

START_TEST(parses_fractions)
{
    ck_assert_int_eq(t("1970-01-01T00:00:00.5Z"), 500000);
    ck_assert_int_eq(t("1970-01-01T00:00:00.123456789Z"), 123456);
    ck_assert_int_eq(t("1970-01-01T00:00:01.001Z"), 1001000);
}
END_TEST

START_TEST(handles_calendar)
{
    ck_assert_int_eq(t("2024-02-29T00:00:00Z") + 86400 * RB_US_PER_SEC, t("2024-03-01T00:00:00Z"));
    ck_assert_int_eq(t("2000-02-29T00:00:00Z") + 86400 * RB_US_PER_SEC, t("2000-03-01T00:00:00Z"));
    ck_assert_int_eq(t("2026-12-31T23:59:60Z"), t("2027-01-01T00:00:00Z") - 1);
}
END_TEST

START_TEST(rejects_malformed_times)
{
    static const char *const bad[] = {
        "", "2026-04-12", "2026-04-12T10:22:00", "2026-04-12T10:22Z", "2026-4-12T10:22:00Z",
        "2026-04-12T10:22:00+0200", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-04-12T24:00:00Z", "2026-04-12T10:22:00.Z",
        "2026-04-12T10:22:00Zjunk", "yesterday", "2026-04-12T10:22:00+25:00",
        /* the lenient forms of test reports are not RFC 3339 */
        "2026-04-12T10:22:00 UTC", "2026-04-12T10:22:00+02", "Sun, 12 Apr 2026 10:22:00 GMT",
        /* outside the years 0000 to 9999, by its offset */
        "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "2026-04-12T10:22:00+02:001",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us;
        ck_assert_msg(!rb_time_parse(bad[i], &us), "should not parse: '%s'", bad[i]);
    }
}
END_TEST

/* The forms test reports write (timeutil.c lists their producers). */
START_TEST(parses_what_test_reports_write)
{
    static const struct {
        const char *text;
        const char *as; /* the same instant in RFC 3339 */
        bool zoned;
    } good[] = {
        {"2026-04-12T10:22:00Z", "2026-04-12T10:22:00Z", true},          /* go-junit-report */
        {"2026-04-12T12:22:00+02:00", "2026-04-12T10:22:00Z", true},
        {"2026-04-12T10:22:00", "2026-04-12T10:22:00Z", false},          /* Gradle, jest-junit */
        {"2026-04-12T10:22:00.123456", "2026-04-12T10:22:00.123456Z", false}, /* pytest < 8 */
        {"2026-04-12T12:22:00.123456+02:00", "2026-04-12T10:22:00.123456Z", true}, /* pytest 8 */
        {"2026-04-12T10:22:00.345Z", "2026-04-12T10:22:00.345Z", true},  /* Surefire */
        {"2026-04-12T10:22:00+0000", "2026-04-12T10:22:00Z", true},      /* SimpleDateFormat Z */
        {"2026-04-12T10:22:00.000+0000", "2026-04-12T10:22:00Z", true},
        {"2026-04-12T05:52:00-0430", "2026-04-12T10:22:00Z", true},
        {"2026-04-12T12:22:00+02", "2026-04-12T10:22:00Z", true},
        {"2026-04-12T10:22:00 UTC", "2026-04-12T10:22:00Z", true},
        {"2026-04-12T10:22:00UTC", "2026-04-12T10:22:00Z", true},
        {"2026-04-12T10:22:00 GMT", "2026-04-12T10:22:00Z", true},
        {"2026-04-12T10:22:00 Z", "2026-04-12T10:22:00Z", true},
        {"2026-04-12 10:22:00 UTC", "2026-04-12T10:22:00Z", true},       /* Ruby Time#to_s */
        {"2026-04-12 12:22:00 +0200", "2026-04-12T10:22:00Z", true},
        {"2026-04-12 10:22:00", "2026-04-12T10:22:00Z", false},
        {"Sun, 12 Apr 2026 10:22:00 GMT", "2026-04-12T10:22:00Z", true}, /* RFC 2822 */
        {"Sun, 12 Apr 2026 10:22:00 +0000", "2026-04-12T10:22:00Z", true},
        {"Sun, 12 Apr 2026 12:22:00 +0200", "2026-04-12T10:22:00Z", true},
        {"Sun,  12 Apr 2026 06:22:00 EDT", "2026-04-12T10:22:00Z", true},
        {"Sun, 12 Apr 2026 02:22:00 PST", "2026-04-12T10:22:00Z", true},
        {"12 Apr 2026 10:22 UT", "2026-04-12T10:22:00Z", true},
        {"Thu, 2 Apr 2026 10:22:00 -0000", "2026-04-02T10:22:00Z", true},
        {"sun, 12 apr 2026 10:22:00 gmt", "2026-04-12T10:22:00Z", true},
        {"Sun, 12 Apr 2026 23:59:60 +0000", "2026-04-12T23:59:59.999999Z", true},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t us = 0;
        bool zoned = !good[i].zoned;
        ck_assert_msg(rb_time_parse_lenient(good[i].text, &us, &zoned), "should parse: '%s'", good[i].text);
        ck_assert_msg(us == t(good[i].as), "'%s' read as %" PRId64, good[i].text, us);
        ck_assert_msg(zoned == good[i].zoned, "'%s': zoned is %d", good[i].text, zoned);
    }
}
END_TEST

/* Garbage is no time: not midnight, not the epoch. */
START_TEST(refuses_what_is_no_time)
{
    static const char *const bad[] = {
        "", "garbage", "0", "1775989320", "2026-04-12", "2026-04-12T10:22", "2026-04-12T10:22:00 ",
        " 2026-04-12T10:22:00", "2026-04-12T10:22:00  UTC", "2026-04-12T10:22:00 XYZ", "2026-04-12T10:22:00 EST",
        "2026-04-12T10:22:00+25:00", "2026-04-12T10:22:00+2", "2026-04-12T10:22:00+02000",
        "2026-04-12T10:22:00+02:0", "2026-04-12T10:22:00Zjunk", "2026-04-12T10:22:00.", "2026-02-30T10:22:00",
        "2026-4-12T10:22:00", "20260412T102200Z",
        "Mon, 12 Apr 2026 10:22:00 GMT",   /* not the date's day */
        "Sun 12 Apr 2026 10:22:00 GMT",    /* no comma */
        "Sun, 31 Apr 2026 10:22:00 GMT", "Sun, 12 Foo 2026 10:22:00 GMT", "Sun, 12 Apr 26 10:22:00 GMT",
        "Sun, 12 Apr 2026 10:22:00", "Sun, 12 Apr 2026 10:22:00 A", "Sun, 12 Apr 2026 10:22:00 +00:00",
        "Sun, 12 Apr 2026 25:00:00 GMT", "Sun, 12 Apr 2026 10:22:00 GMT junk", "Sun, 123 Apr 2026 10:22:00 GMT",
        "Sun, 12 Apr2026 10:22:00 GMT", "0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 42;
        bool zoned;
        ck_assert_msg(!rb_time_parse_lenient(bad[i], &us, &zoned), "should not parse: '%s'", bad[i]);
        ck_assert_int_eq(us, 42);
    }
}
END_TEST

START_TEST(holds_years_0000_to_9999)
{
    char buf[48];
    ck_assert_int_eq(t("0000-01-01T00:00:00Z"), RB_TIME_MIN);
    ck_assert_int_eq(t("9999-12-31T23:59:59.999999Z"), RB_TIME_MAX);
    ck_assert_int_eq(t("9999-12-31T23:59:60Z"), RB_TIME_MAX);
    rb_time_format(RB_TIME_MIN, buf, sizeof buf);
    ck_assert_str_eq(buf, "0000-01-01T00:00:00Z");
    rb_time_format(RB_TIME_MAX, buf, sizeof buf);
    ck_assert_str_eq(buf, "9999-12-31T23:59:59.999999Z");
}
END_TEST

static int64_t epoch(int64_t n, rb_time_unit unit)
{
    int64_t us = 0;
    ck_assert_msg(rb_time_from_epoch(n, unit, &us), "should read: %" PRId64 " in unit %d", n, unit);
    return us;
}

static void refuses_epoch(int64_t n, rb_time_unit unit)
{
    int64_t us = 42;
    ck_assert_msg(!rb_time_from_epoch(n, unit, &us), "should not read: %" PRId64 " in unit %d", n, unit);
    ck_assert_int_eq(us, 42);
}

START_TEST(reads_epoch_numbers_by_magnitude)
{
    const rb_time_unit a = RB_TIME_UNIT_AUTO;
    int64_t at = t("2026-04-12T10:15:00Z");
    ck_assert_int_eq(epoch(1775988900, a), at);                   /* seconds */
    ck_assert_int_eq(epoch(INT64_C(1775988900000), a), at);       /* milliseconds */
    ck_assert_int_eq(epoch(INT64_C(1775988900000000), a), at);    /* microseconds */
    ck_assert_int_eq(epoch(INT64_C(1775988900000000000), a), at); /* nanoseconds */
    /* each boundary: the number below it is the smaller unit */
    ck_assert_int_eq(epoch(INT64_C(99999999999), a), INT64_C(99999999999) * RB_US_PER_SEC);
    ck_assert_int_eq(epoch(INT64_C(100000000000), a), INT64_C(100000000000) * 1000);
    ck_assert_int_eq(epoch(INT64_C(99999999999999), a), INT64_C(99999999999999) * 1000);
    ck_assert_int_eq(epoch(INT64_C(100000000000000), a), INT64_C(100000000000000));
    ck_assert_int_eq(epoch(INT64_C(99999999999999999), a), INT64_C(99999999999999999));
    ck_assert_int_eq(epoch(INT64_C(100000000000000000), a), INT64_C(100000000000000));
    /* the absolute value decides; a negative number is before 1970 */
    ck_assert_int_eq(epoch(0, a), 0);
    ck_assert_int_eq(epoch(-1, a), -RB_US_PER_SEC);
    ck_assert_int_eq(epoch(INT64_C(-62167219200), a), RB_TIME_MIN);
    refuses_epoch(INT64_C(-62167219201), a);                      /* before the year 0000 */
    refuses_epoch(INT64_C(-99999999999), a);
    ck_assert_int_eq(epoch(INT64_C(-100000000000), a), INT64_C(-100000000000) * 1000);
    ck_assert_int_eq(epoch(INT64_C(-100000000000000000), a), INT64_C(-100000000000000));
    /* nanoseconds are floored to the microsecond, as RFC 3339 fractions are */
    ck_assert_int_eq(epoch(INT64_C(100000000000001999), a), INT64_C(100000000000001));
    ck_assert_int_eq(epoch(INT64_C(-100000000000000001), a), INT64_C(-100000000000001));
    /* the ends of int64_t are nanoseconds, in 1677 and 2262 */
    ck_assert_int_eq(epoch(INT64_MAX, a), INT64_MAX / 1000);
    ck_assert_int_eq(epoch(INT64_MIN, a), INT64_MIN / 1000 - 1);
}
END_TEST

START_TEST(reads_epoch_numbers_in_a_unit)
{
    int64_t at = t("2026-04-12T10:15:00Z");
    ck_assert_int_eq(epoch(1775988900, RB_TIME_UNIT_S), at);
    ck_assert_int_eq(epoch(1775988900, RB_TIME_UNIT_MS), INT64_C(1775988900) * 1000); /* 1970-01-21 */
    ck_assert_int_eq(epoch(1775988900, RB_TIME_UNIT_US), 1775988900);
    ck_assert_int_eq(epoch(1775988900, RB_TIME_UNIT_NS), 1775988);
    ck_assert_int_eq(epoch(INT64_C(1775988900000), RB_TIME_UNIT_MS), at);
    /* the last second of 9999 and the first of 0000, and one past each */
    ck_assert_int_eq(epoch(INT64_C(253402300799), RB_TIME_UNIT_S), RB_TIME_MAX - 999999);
    refuses_epoch(INT64_C(253402300800), RB_TIME_UNIT_S);
    ck_assert_int_eq(epoch(INT64_C(-62167219200), RB_TIME_UNIT_S), RB_TIME_MIN);
    refuses_epoch(INT64_C(-62167219201), RB_TIME_UNIT_S);
    refuses_epoch(INT64_C(1775988900000), RB_TIME_UNIT_S); /* the year 58248 */
    /* no unit overflows microseconds */
    refuses_epoch(INT64_MAX, RB_TIME_UNIT_S);
    refuses_epoch(INT64_MIN, RB_TIME_UNIT_S);
    refuses_epoch(INT64_MAX, RB_TIME_UNIT_MS);
    refuses_epoch(INT64_MIN, RB_TIME_UNIT_MS);
    refuses_epoch(INT64_MAX, RB_TIME_UNIT_US);
    refuses_epoch(INT64_MIN, RB_TIME_UNIT_US);
    ck_assert_int_eq(epoch(INT64_MIN, RB_TIME_UNIT_NS), INT64_MIN / 1000 - 1);
    rb_time_unit u = RB_TIME_UNIT_AUTO;
    ck_assert(rb_time_unit_parse("s", &u) && u == RB_TIME_UNIT_S);
    ck_assert(rb_time_unit_parse("ms", &u) && u == RB_TIME_UNIT_MS);
    ck_assert(rb_time_unit_parse("us", &u) && u == RB_TIME_UNIT_US);
    ck_assert(rb_time_unit_parse("ns", &u) && u == RB_TIME_UNIT_NS);
    static const char *const bad[] = {"", "S", "sec", "seconds", "m", "auto", "ms "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!rb_time_unit_parse(bad[i], &u), "should not parse: '%s'", bad[i]);
}
END_TEST

static int64_t real_epoch(double x, rb_time_unit unit)
{
    int64_t us = 0;
    ck_assert_msg(rb_time_from_epoch_real(x, unit, &us), "should read: %.17g", x);
    return us;
}

START_TEST(reads_fractional_epoch_numbers)
{
    const rb_time_unit a = RB_TIME_UNIT_AUTO;
    int64_t at = t("2026-04-12T10:15:00Z");
    ck_assert_int_eq(real_epoch(1775988900.5, a), at + 500000);
    ck_assert_int_eq(real_epoch(1775988900.123, a), at + 123000); /* the nearest microsecond */
    ck_assert_int_eq(real_epoch(1775988900000.25, a), at + 250);
    ck_assert_int_eq(real_epoch(1.7759889e18, a), at);
    ck_assert_int_eq(real_epoch(-0.0, a), 0);
    ck_assert_int_eq(real_epoch(-1.5, a), -1500000);
    ck_assert_int_eq(real_epoch(99999999999.0, a), INT64_C(99999999999) * RB_US_PER_SEC);
    ck_assert_int_eq(real_epoch(100000000000.0, a), INT64_C(100000000000) * 1000);
    ck_assert_int_eq(real_epoch(1775988900.0, RB_TIME_UNIT_MS), INT64_C(1775988900) * 1000);
    static const double bad[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300, 9.3e21};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 42;
        ck_assert_msg(!rb_time_from_epoch_real(bad[i], a, &us), "should not read: %g", bad[i]);
        ck_assert_msg(!rb_time_from_epoch_real(bad[i], RB_TIME_UNIT_NS, &us), "should not read: %g ns", bad[i]);
        ck_assert_int_eq(us, 42);
    }
    int64_t us;
    ck_assert(!rb_time_from_epoch_real(3e11, RB_TIME_UNIT_S, &us));
}
END_TEST

START_TEST(reads_json_times)
{
    int64_t us;
    json_t *ms = json_integer(1775988480000);
    ck_assert(rb_time_from_json(ms, RB_TIME_UNIT_AUTO, &us));
    ck_assert_int_eq(us, t("2026-04-12T10:08:00Z"));
    json_decref(ms);
    json_t *secs = json_integer(1775988480);
    ck_assert(rb_time_from_json(secs, RB_TIME_UNIT_AUTO, &us));
    ck_assert_int_eq(us, t("2026-04-12T10:08:00Z"));
    ck_assert(rb_time_from_json(secs, RB_TIME_UNIT_MS, &us));
    ck_assert_int_eq(us, INT64_C(1775988480) * 1000);
    json_decref(secs);
    /* a small number is seconds now, no longer milliseconds */
    json_t *real = json_real(1.5);
    ck_assert(rb_time_from_json(real, RB_TIME_UNIT_AUTO, &us));
    ck_assert_int_eq(us, 1500000);
    json_decref(real);
    json_t *s = json_string("2026-04-12T10:08:00Z");
    ck_assert(rb_time_from_json(s, RB_TIME_UNIT_S, &us));
    ck_assert_int_eq(us, t("2026-04-12T10:08:00Z"));
    json_decref(s);
    json_t *report = json_string("2026-04-12T10:08:00"); /* an event's ts is RFC 3339 */
    ck_assert(!rb_time_from_json(report, RB_TIME_UNIT_AUTO, &us));
    json_decref(report);
    ck_assert(!rb_time_from_json(json_true(), RB_TIME_UNIT_AUTO, &us));
    ck_assert(!rb_time_from_json(NULL, RB_TIME_UNIT_AUTO, &us));
    json_t *huge = json_integer(INT64_MAX);
    ck_assert(!rb_time_from_json(huge, RB_TIME_UNIT_MS, &us));
    ck_assert(rb_time_from_json(huge, RB_TIME_UNIT_AUTO, &us)); /* nanoseconds: 2262 */
    json_decref(huge);
}
END_TEST

START_TEST(parses_durations)
{
    int64_t us;
    ck_assert(rb_duration_parse("30s", &us));
    ck_assert_int_eq(us, 30 * RB_US_PER_SEC);
    ck_assert(rb_duration_parse("10m", &us));
    ck_assert_int_eq(us, 600 * RB_US_PER_SEC);
    ck_assert(rb_duration_parse("2h", &us));
    ck_assert_int_eq(us, 7200 * RB_US_PER_SEC);
    ck_assert(rb_duration_parse("14d", &us));
    ck_assert_int_eq(us, 14 * 86400 * RB_US_PER_SEC);
    ck_assert(rb_duration_parse("1h30m", &us));
    ck_assert_int_eq(us, 5400 * RB_US_PER_SEC);
    ck_assert(rb_duration_parse("250ms", &us));
    ck_assert_int_eq(us, 250000);
    ck_assert(rb_duration_parse("0s", &us));
    ck_assert_int_eq(us, 0);
    static const char *const bad[] = {"", "10", "h", "10x", "-5m", "1.5h", "10 m", "99999999999999999999d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!rb_duration_parse(bad[i], &us), "should not parse: '%s'", bad[i]);
}
END_TEST

START_TEST(formats_times_and_durations)
{
    char buf[48];
    rb_time_format(t("2026-04-12T12:22:00+02:00"), buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-04-12T10:22:00Z");
    rb_time_format(t("2026-04-12T10:22:00.25Z"), buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-04-12T10:22:00.250Z");
    rb_time_format(t("1969-12-31T23:59:59.000001Z"), buf, sizeof buf);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59.000001Z");
    rb_duration_format(5400 * RB_US_PER_SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "1h30m");
    rb_duration_format(0, buf, sizeof buf);
    ck_assert_str_eq(buf, "0s");
    rb_duration_format(86400 * RB_US_PER_SEC + 1000, buf, sizeof buf);
    ck_assert_str_eq(buf, "1d1ms");
}
END_TEST

static Suite *timeutil_suite(void)
{
    Suite *s = suite_create("timeutil");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_utc_and_offsets);
    tcase_add_test(tc, parses_fractions);
    tcase_add_test(tc, handles_calendar);
    tcase_add_test(tc, rejects_malformed_times);
    tcase_add_test(tc, parses_what_test_reports_write);
    tcase_add_test(tc, refuses_what_is_no_time);
    tcase_add_test(tc, holds_years_0000_to_9999);
    tcase_add_test(tc, reads_epoch_numbers_by_magnitude);
    tcase_add_test(tc, reads_epoch_numbers_in_a_unit);
    tcase_add_test(tc, reads_fractional_epoch_numbers);
    tcase_add_test(tc, reads_json_times);
    tcase_add_test(tc, parses_durations);
    tcase_add_test(tc, formats_times_and_durations);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(timeutil_suite)
