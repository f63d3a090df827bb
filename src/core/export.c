/* SPDX-License-Identifier: Apache-2.0 */
/* export.c — CSV cells, JSON strings and times of the export format (export.h). */
#include "export.h"

#include <string.h>

long tt_export_csv_cell(const char *src, size_t len, char *out, size_t size)
{
    int quote = 0, guard = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = src[i];
        if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n')
            quote = 1;
    }
    if (len > 0 && strchr("=+-@\t\r", src[0]))
        guard = 1;
    size_t n = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (n + 1 >= size)                                                                         \
            goto small;                                                                            \
        out[n++] = (ch);                                                                           \
    } while (0)
    if (!out || size == 0)
        return -1;
    if (quote)
        PUT('"');
    if (guard)
        PUT('\'');
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '"')
            PUT('"');
        PUT(src[i]);
    }
    if (quote)
        PUT('"');
#undef PUT
    out[n] = '\0';
    return (long)n;
small:
    out[0] = '\0';
    return -1;
}

long tt_export_json_string(const char *src, size_t len, char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (n + 1 >= size)                                                                         \
            goto small;                                                                            \
        out[n++] = (ch);                                                                           \
    } while (0)
    if (!out || size == 0)
        return -1;
    PUT('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '"' || ch == '\\') {
            PUT('\\');
            PUT((char)ch);
        } else if (ch == '\n' || ch == '\r' || ch == '\t') {
            PUT('\\');
            PUT(ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't');
        } else if (ch < 0x20) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[ch >> 4]);
            PUT(hex[ch & 15]);
        } else {
            PUT((char)ch);
        }
    }
    PUT('"');
#undef PUT
    out[n] = '\0';
    return (long)n;
small:
    out[0] = '\0';
    return -1;
}

/* days since 1970-01-01 to a civil date (H. Hinnant's algorithm) */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *digits(char *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

size_t tt_export_json_time(tt_time t, char out[24])
{
    if (t == 0) {
        memcpy(out, "null", 5);
        return 4;
    }
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    int y, m, d;
    civil(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    char *p = out;
    *p++ = '"';
    p = digits(p, y, 4);
    *p++ = '-';
    p = digits(p, m, 2);
    *p++ = '-';
    p = digits(p, d, 2);
    *p++ = 'T';
    p = digits(p, (int)(secs / 3600), 2);
    *p++ = ':';
    p = digits(p, (int)(secs / 60 % 60), 2);
    *p++ = ':';
    p = digits(p, (int)(secs % 60), 2);
    *p++ = 'Z';
    *p++ = '"';
    *p = '\0';
    return (size_t)(p - out);
}
