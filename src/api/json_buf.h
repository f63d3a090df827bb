/* SPDX-License-Identifier: Apache-2.0 */
/* json_buf.h — answers written straight into one buffer, without a JSON tree: the decisions
 * (issue 3) and the consent answers (issue 4). The buffer grows as needed; tt_jbuf_str writes only
 * the values these answers hold — ids, keys, versions, times — that need no escaping: a string
 * that would (a quote, a backslash, a control or non-ASCII byte) fails the writer, and the caller
 * then builds that answer with jansson instead. */
#ifndef TT_API_JSON_BUF_H
#define TT_API_JSON_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"

/* A growing buffer. ok drops to 0 on the first failure (out of memory, or a string that would
 * need escaping) and every later put is then ignored. */
struct tt_jbuf {
    char *p;
    size_t len, cap;
    int ok;
};

/* An empty buffer with room for cap bytes to start with (0: none yet); ok 0 when the room cannot
 * be had. */
void tt_jbuf_init(struct tt_jbuf *b, size_t cap);
/* Makes room for n more bytes at once (so one allocation serves the usual answer). */
void tt_jbuf_reserve(struct tt_jbuf *b, size_t n);
/* Appends the n bytes at s as they are. */
void tt_jbuf_put(struct tt_jbuf *b, const char *s, size_t n);
/* Appends s as is (JSON punctuation and member names the caller writes). */
void tt_jbuf_lit(struct tt_jbuf *b, const char *s);
/* Appends s between quotes; fails when s holds a byte outside printable ASCII, '"' or '\\'. */
void tt_jbuf_str(struct tt_jbuf *b, const char *s);
/* Appends the decimal digits of v. */
void tt_jbuf_int(struct tt_jbuf *b, int64_t v);
/* Hands the JSON to resp (the status given, application/json) and returns 0 when every put
 * succeeded; else frees it and returns 1 (the caller answers otherwise). */
int tt_jbuf_reply(struct tt_jbuf *b, struct tt_resp *resp, int status);

#endif
