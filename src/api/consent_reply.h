/* SPDX-License-Identifier: Apache-2.0 */
/* consent_reply.h — the consent answers written straight into one buffer (issue 4): a JSON
 * writer for the values these answers hold — ids, keys, versions, times and integers — that
 * needs no escaping. A string that would need one (a quote, a backslash, a control or non-ASCII
 * byte) fails the writer, and the caller then builds that answer with jansson instead. */
#ifndef TT_API_CONSENT_REPLY_H
#define TT_API_CONSENT_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"

/* A buffer of fixed room; every put checks it. ok drops to 0 on the first failure. */
struct tt_jbuf {
    char *p;
    size_t len, cap;
    int ok;
};

/* A buffer of cap bytes (ok 0 when it cannot be had). */
void tt_jbuf_init(struct tt_jbuf *b, size_t cap);
/* Appends s as is (JSON punctuation and member names the caller writes). */
void tt_jbuf_lit(struct tt_jbuf *b, const char *s);
/* Appends s between quotes; fails when s holds a byte outside printable ASCII, '"' or '\\'. */
void tt_jbuf_str(struct tt_jbuf *b, const char *s);
/* Appends the decimal digits of v. */
void tt_jbuf_int(struct tt_jbuf *b, int64_t v);
/* Hands the JSON to resp (201/200 status, application/json) and returns 0 when every put
 * succeeded; else frees it and returns 1 (the caller answers with jansson). */
int tt_jbuf_reply(struct tt_jbuf *b, struct tt_resp *resp, int status);

#endif
