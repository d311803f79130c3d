/*
 * timeutil.c — RFC 3339 times and durations (timeutil.h).
 *
 * Calendar arithmetic is done by hand on purpose: timegm() depends on the
 * process time zone database and strptime() does not take offsets or
 * fractions portably; days_from_civil() is Howard Hinnant's algorithm.
 */
#include "timeutil.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p into *out. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool rb_time_parse(const char *s, int64_t *us)
{
    const char *p = s;
    int year, mon, day, hour, min, sec;
    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
        !digits(&p, 2, &day))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min) || *p++ != ':' ||
        !digits(&p, 2, &sec))
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 ||
        min > 59 || sec > 60)
        return false;
    int64_t frac_us = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        int64_t scale = 100000;
        for (; isdigit((unsigned char)*p); p++) {
            frac_us += (*p - '0') * scale;
            scale /= 10;
        }
    }
    int64_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = sign * (oh * 60 + om);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    if (sec == 60) /* a leap second reads as the next second's start */
        sec = 59, frac_us = RB_US_PER_SEC - 1;
    int64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec -
                   offset_min * 60;
    *us = secs * RB_US_PER_SEC + frac_us;
    return true;
}

bool rb_time_from_json(const json_t *v, int64_t *us)
{
    if (json_is_string(v))
        return rb_time_parse(json_string_value(v), us);
    if (json_is_integer(v)) {
        json_int_t ms = json_integer_value(v);
        if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000)
            return false;
        *us = (int64_t)ms * 1000;
        return true;
    }
    if (json_is_real(v)) {
        double ms = json_real_value(v);
        if (!isfinite(ms) || fabs(ms) > 9e15)
            return false;
        *us = (int64_t)llround(ms * 1000.0);
        return true;
    }
    return false;
}

bool rb_duration_parse(const char *s, int64_t *us)
{
    static const struct {
        const char *name;
        int64_t us;
    } units[] = {
        {"us", 1},
        {"ms", 1000},
        {"s", RB_US_PER_SEC},
        {"m", 60 * RB_US_PER_SEC},
        {"h", 3600 * RB_US_PER_SEC},
        {"d", 86400 * RB_US_PER_SEC},
        {"w", 7 * 86400 * RB_US_PER_SEC},
    };
    const char *p = s;
    int64_t total = 0;
    if (!*p)
        return false;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return false;
        int64_t n = 0;
        for (; isdigit((unsigned char)*p); p++) {
            if (n > INT64_MAX / 10 - 10)
                return false;
            n = n * 10 + (*p - '0');
        }
        size_t best = 0;
        int64_t unit = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t len = strlen(units[i].name);
            if (len > best && strncmp(p, units[i].name, len) == 0) {
                best = len;
                unit = units[i].us;
            }
        }
        if (!best || n > INT64_MAX / unit || total > INT64_MAX - n * unit)
            return false;
        total += n * unit;
        p += best;
    }
    *us = total;
    return true;
}

void rb_time_format(int64_t us, char *out, size_t size)
{
    int64_t secs = us / RB_US_PER_SEC, frac = us % RB_US_PER_SEC;
    if (frac < 0)
        frac += RB_US_PER_SEC, secs -= 1;
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0)
        rem += 86400, days -= 1;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(out, size, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", y, m, d,
                     (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60));
    if (n < 0 || (size_t)n >= size)
        return;
    if (frac % 1000 == 0 && frac)
        snprintf(out + n, size - (size_t)n, ".%03dZ", (int)(frac / 1000));
    else if (frac)
        snprintf(out + n, size - (size_t)n, ".%06dZ", (int)frac);
    else
        snprintf(out + n, size - (size_t)n, "Z");
}

void rb_duration_format(int64_t us, char *out, size_t size)
{
    static const struct {
        const char *name;
        int64_t us;
    } units[] = {
        {"d", 86400 * RB_US_PER_SEC}, {"h", 3600 * RB_US_PER_SEC}, {"m", 60 * RB_US_PER_SEC},
        {"s", RB_US_PER_SEC},         {"ms", 1000},                {"us", 1},
    };
    size_t n = 0;
    if (us < 0 && size > 1)
        out[n++] = '-', us = -us;
    out[n] = '\0';
    if (us == 0) {
        snprintf(out + n, size - n, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0] && us; i++) {
        if (us >= units[i].us) {
            int w = snprintf(out + n, size - n, "%" PRId64 "%s", us / units[i].us, units[i].name);
            if (w < 0 || (size_t)w >= size - n)
                return;
            n += (size_t)w;
            us %= units[i].us;
        }
    }
}
