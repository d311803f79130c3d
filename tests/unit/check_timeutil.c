/*
 * check_timeutil.c — RFC 3339 times, epoch milliseconds and durations.
 */
#include "unit.h"

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
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us;
        ck_assert_msg(!rb_time_parse(bad[i], &us), "should not parse: '%s'", bad[i]);
    }
}
END_TEST

START_TEST(reads_json_times)
{
    int64_t us;
    json_t *ms = json_integer(1775988480000);
    ck_assert(rb_time_from_json(ms, &us));
    ck_assert_int_eq(us, t("2026-04-12T10:08:00Z"));
    json_decref(ms);
    json_t *real = json_real(1.5);
    ck_assert(rb_time_from_json(real, &us));
    ck_assert_int_eq(us, 1500);
    json_decref(real);
    json_t *s = json_string("2026-04-12T10:08:00Z");
    ck_assert(rb_time_from_json(s, &us));
    json_decref(s);
    ck_assert(!rb_time_from_json(json_true(), &us));
    ck_assert(!rb_time_from_json(NULL, &us));
    json_t *huge = json_integer(INT64_MAX);
    ck_assert(!rb_time_from_json(huge, &us));
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
    tcase_add_test(tc, reads_json_times);
    tcase_add_test(tc, parses_durations);
    tcase_add_test(tc, formats_times_and_durations);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(timeutil_suite)
