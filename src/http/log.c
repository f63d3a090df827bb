/* SPDX-License-Identifier: Apache-2.0 */
/* log.c — the JSON line logger (log.h): typed key/values, JSON escaping with UTF-8 repair,
 * one write(2) per line, or one copy into the background writer's buffer (log_ring.c), so
 * lines from several threads never interleave. */
#include "log.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LINE_MAX_BYTES 4096

static atomic_int log_level = -1; /* -1: read TUTELA_LOG_LEVEL at first use */
static atomic_int log_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void tt_log_set_level(enum tt_log_level level)
{
    atomic_store(&log_level, (int)level);
}

void tt_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd);
}

int tt__log_fd(void)
{
    return atomic_load(&log_fd);
}

static int threshold(void)
{
    int l = atomic_load(&log_level);
    if (l >= 0)
        return l;
    l = TT_LOG_INFO;
    const char *env = getenv("TUTELA_LOG_LEVEL");
    for (int i = 0; env && i < 4; i++)
        if (strcasecmp(env, level_names[i]) == 0)
            l = i;
    atomic_store(&log_level, l);
    return l;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int put(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
    if (n >= size - *pos)
        return -1;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
    return 0;
}

int tt__json_str_append(char *buf, size_t size, size_t *pos, const char *s)
{
    size_t p = *pos;
    if (!s)
        s = "";
    if (put(buf, size, &p, "\"", 1) < 0)
        return -1;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        /* a run of plain printable ASCII goes in one copy */
        size_t run = 0;
        while (u[run] >= 0x20 && u[run] < 0x7F && u[run] != '"' && u[run] != '\\')
            run++;
        if (run) {
            if (put(buf, size, &p, (const char *)u, run) < 0)
                return -1;
            u += run;
            continue;
        }
        char esc[8];
        const char *out = esc;
        size_t n;
        if (*u == '"' || *u == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*u;
            n = 2;
            u++;
        } else if (*u < 0x20 || *u == 0x7F) {
            const char *named = *u == '\n' ? "\\n" : *u == '\t' ? "\\t" : *u == '\r' ? "\\r" : NULL;
            if (named) {
                out = named;
                n = 2;
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", *u);
                n = 6;
            }
            u++;
        } else {
            n = utf8_len(u);
            if (n == 0) {
                out = "\\ufffd";
                n = 6;
                u++;
            } else {
                out = (const char *)u;
                u += n;
            }
        }
        if (put(buf, size, &p, out, n) < 0)
            return -1;
    }
    if (put(buf, size, &p, "\"", 1) < 0)
        return -1;
    *pos = p;
    return 0;
}

/* Writes v in decimal into out (at least 21 bytes); returns the length. */
static size_t fmt_u64(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t fmt_i64(char *out, int64_t v)
{
    if (v >= 0)
        return fmt_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + fmt_u64(out + 1, 0 - (uint64_t)v);
}

/* A double with at most 3 decimals, trailing zeros dropped ("1.5", "12", "0.042"); outside
 * +-1e9 as %.6g. Durations in ms are the usual value: no printf on the request path. */
static size_t fmt_dbl(char *out, size_t size, double d)
{
    if (!(d > -1e9 && d < 1e9)) {
        int n = snprintf(out, size, "%.6g", d);
        return n > 0 ? (size_t)n : 0;
    }
    int neg = d < 0;
    uint64_t milli = (uint64_t)((neg ? -d : d) * 1000.0 + 0.5);
    size_t n = 0;
    if (neg && milli)
        out[n++] = '-';
    n += fmt_u64(out + n, milli / 1000);
    unsigned frac = (unsigned)(milli % 1000);
    if (frac) {
        out[n++] = '.';
        out[n++] = (char)('0' + frac / 100);
        if (frac % 100)
            out[n++] = (char)('0' + frac / 10 % 10);
        if (frac % 10)
            out[n++] = (char)('0' + frac % 10);
    }
    return n;
}

static int put_kv(char *buf, size_t size, size_t *pos, const struct tt_log_kv *kv)
{
    size_t p = *pos;
    char num[64];
    if (put(buf, size, &p, ",", 1) < 0 || tt__json_str_append(buf, size, &p, kv->key) < 0 ||
        put(buf, size, &p, ":", 1) < 0)
        return -1;
    int rc = 0;
    switch (kv->type) {
    case TT_LOG_T_STR:
        rc = kv->s ? tt__json_str_append(buf, size, &p, kv->s) : put(buf, size, &p, "null", 4);
        break;
    case TT_LOG_T_INT:
        rc = put(buf, size, &p, num, fmt_i64(num, kv->i));
        break;
    case TT_LOG_T_DBL:
        if (isfinite(kv->d))
            rc = put(buf, size, &p, num, fmt_dbl(num, sizeof num, kv->d));
        else
            rc = put(buf, size, &p, "null", 4);
        break;
    case TT_LOG_T_BOOL:
        rc = kv->i ? put(buf, size, &p, "true", 4) : put(buf, size, &p, "false", 5);
        break;
    default:
        rc = put(buf, size, &p, "null", 4);
        break;
    }
    if (rc < 0)
        return -1;
    *pos = p;
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for now into when[25]: the part up to the seconds is kept per
 * thread and redone only when the second changes. */
static void timestamp(char when[25])
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[20];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        memcpy(cached, tmp, sizeof cached - 1);
        cached[sizeof cached - 1] = '\0';
        cached_sec = ts.tv_sec;
    }
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000L) % 1000;
    memcpy(when, cached, 19);
    when[19] = '.';
    when[20] = (char)('0' + ms / 100);
    when[21] = (char)('0' + ms / 10 % 10);
    when[22] = (char)('0' + ms % 10);
    when[23] = 'Z';
    when[24] = '\0';
}

void tt_log_kv(enum tt_log_level level, const char *msg, const struct tt_log_kv *kvs)
{
    if ((int)level < threshold())
        return;
    if ((int)level < 0 || (int)level > TT_LOG_ERROR)
        level = TT_LOG_ERROR;
    char buf[LINE_MAX_BYTES];
    /* room kept for the truncation marker, the closing brace and the newline */
    const size_t body = sizeof buf - 32;
    size_t pos = 0;
    char when[25];
    timestamp(when);
    put(buf, body, &pos, "{\"ts\":", 6);
    tt__json_str_append(buf, body, &pos, when);
    put(buf, body, &pos, ",\"level\":", 9);
    tt__json_str_append(buf, body, &pos, level_names[level]);
    put(buf, body, &pos, ",\"msg\":", 7);
    if (tt__json_str_append(buf, body, &pos, msg ? msg : "") < 0)
        tt__json_str_append(buf, body, &pos, "(message too long)");
    int truncated = 0;
    for (const struct tt_log_kv *kv = kvs; kv && kv->key; kv++) {
        if (put_kv(buf, body, &pos, kv) < 0) {
            truncated = 1;
            break;
        }
    }
    if (truncated)
        put(buf, sizeof buf, &pos, ",\"truncated\":true", 17);
    put(buf, sizeof buf, &pos, "}\n", 2);
    if (tt__log_ring_put(buf, pos) < 0)
        tt__log_write_all(atomic_load(&log_fd), buf, pos);
}
