/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c — the two clocks and RFC 3339 / calendar-month helpers. */
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"

tt_time tt_clock_system_now(const struct tt_clock *c)
{
    return (tt_time)time(NULL) + c->offset;
}

tt_time tt_clock_fixed_now(const struct tt_clock *c)
{
    return c->fixed;
}

char *tt_time_format(tt_time t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        if (size)
            buf[0] = '\0';
    }
    return buf;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m /* 1..12 */)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

int tt_time_parse(const char *s, tt_time *out)
{
    if (!s)
        return -TT_E_BAD_FIELD;
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);
    if (len == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -TT_E_BAD_FIELD;
    } else {
        if (len < 20 ||
            sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
            return -TT_E_BAD_FIELD;
    }
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
        return -TT_E_BAD_FIELD;
    long offset = 0;
    if (len != 10) {
        const char *p = s + 19;
        if (*p == '.') { /* fractional seconds are accepted and dropped */
            p++;
            if (*p < '0' || *p > '9')
                return -TT_E_BAD_FIELD;
            while (*p >= '0' && *p <= '9')
                p++;
        }
        if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
            offset = 0;
        } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
                return -TT_E_BAD_FIELD;
            offset = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
        } else {
            return -TT_E_BAD_FIELD;
        }
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (tt_time)timegm(&tm) - offset;
    return 0;
}

tt_time tt_time_add_months(tt_time t, int months)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return t;
    long total = (long)tm.tm_year * 12 + tm.tm_mon + months;
    int year = (int)(total / 12), mon = (int)(total % 12);
    if (mon < 0) {
        mon += 12;
        year--;
    }
    tm.tm_year = year;
    tm.tm_mon = mon;
    int dim = days_in_month(year + 1900, mon + 1);
    if (tm.tm_mday > dim)
        tm.tm_mday = dim;
    return (tt_time)timegm(&tm);
}
