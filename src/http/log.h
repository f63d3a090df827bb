/* SPDX-License-Identifier: Apache-2.0 */
/* log.h — one JSON object per line on stderr (DESIGN.md: logs), usable by every module:
 *   tt_log(TT_LOG_INFO, "request", TT_LOG_S("route", pattern), TT_LOG_I("status", 200));
 * Keys and values are typed (no format strings); strings are JSON-escaped (invalid UTF-8 becomes
 * U+FFFD). Never pass a personal value, secret or key. Thread safe: a line is never split or
 * interleaved — one write(2), or one copy into the background writer's buffer while a server
 * runs (tt_log_background). */
#ifndef TT_HTTP_LOG_H
#define TT_HTTP_LOG_H

#include <stddef.h>
#include <stdint.h>

enum tt_log_level { TT_LOG_DEBUG = 0, TT_LOG_INFO = 1, TT_LOG_WARN = 2, TT_LOG_ERROR = 3 };

enum tt_log_type { TT_LOG_T_END = 0, TT_LOG_T_STR, TT_LOG_T_INT, TT_LOG_T_DBL, TT_LOG_T_BOOL };

struct tt_log_kv {
    const char *key; /* NULL ends the list */
    enum tt_log_type type;
    const char *s; /* TT_LOG_T_STR; NULL renders as null */
    int64_t i;     /* TT_LOG_T_INT, TT_LOG_T_BOOL */
    double d;      /* TT_LOG_T_DBL: at most 3 decimals (%.6g beyond +-1e9; non-finite: null) */
};

#define TT_LOG_S(k, v) ((struct tt_log_kv){.key = (k), .type = TT_LOG_T_STR, .s = (v)})
#define TT_LOG_I(k, v) ((struct tt_log_kv){.key = (k), .type = TT_LOG_T_INT, .i = (int64_t)(v)})
#define TT_LOG_D(k, v) ((struct tt_log_kv){.key = (k), .type = TT_LOG_T_DBL, .d = (double)(v)})
#define TT_LOG_B(k, v) ((struct tt_log_kv){.key = (k), .type = TT_LOG_T_BOOL, .i = !!(v)})
#define TT_LOG_END ((struct tt_log_kv){.key = NULL})

/* tt_log(level, msg, kv...): writes {"ts":"…","level":"…","msg":"…",kv…} when level is at or
 * above the threshold. Lines longer than 4 KiB are cut at a value boundary ("truncated":true). */
#define tt_log(level, ...) tt__log_expand((level), __VA_ARGS__, TT_LOG_END)
#define tt__log_expand(level, msg, ...)                                                            \
    tt_log_kv((level), (msg), (const struct tt_log_kv[]){__VA_ARGS__})

void tt_log_kv(enum tt_log_level level, const char *msg, const struct tt_log_kv *kvs);

/* Threshold (default TT_LOG_INFO, or TUTELA_LOG_LEVEL=debug|info|warn|error at first use). */
void tt_log_set_level(enum tt_log_level level);
/* Where lines go (default 2, stderr); tests point it at a pipe or file. */
void tt_log_set_fd(int fd);

/* tt_log_background(1): from now on lines are queued and written by a background thread, in
 * order, about a millisecond later (a busy server's request threads then make no write(2) per
 * line); tt_log_background(0) undoes one such call and, at the last one, writes what is queued
 * and stops the thread. The server holds it while it runs (tt_server_start / tt_server_stop).
 * Returns 0, or -1 when no thread could start (lines are then written directly). */
int tt_log_background(int on);
/* Returns once every line logged before the call is written (at once without the background
 * writer). Also runs at exit. */
void tt_log_flush(void);

/* Internal to the logger (log.c, log_ring.c): the current fd; the background queue (0 when the
 * line was queued, -1 when no writer runs); a write(2) loop over EINTR and short writes. */
int tt__log_fd(void);
int tt__log_ring_put(const char *line, size_t n);
void tt__log_write_all(int fd, const char *p, size_t n);

/* Appends s as a JSON string (with quotes) to buf[*pos..size), never overrunning; returns 0, or
 * -1 when it did not fit (*pos unchanged then). Shared by the log and the metrics renderer. */
int tt__json_str_append(char *buf, size_t size, size_t *pos, const char *s);

#endif
