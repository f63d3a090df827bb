/* SPDX-License-Identifier: Apache-2.0 */
/* outbox.h — messages tutela sends (email by SMTP, webhooks by HTTP, SMS through a configured
 * HTTP gateway), written inside the transaction of the change that causes them, then delivered by
 * the outbox job with retries and exponential backoff that survive restarts, under a lease so no
 * message goes out twice when several nodes run (issue 9). Recipient addresses and bodies are
 * personal data: they are sealed at rest under a key derived from the master key and wiped from
 * the store once delivered; a message given up keeps its sealed payload for TUTELA_OUTBOX_KEEP_S
 * (default 7 days) so an operator can retry it, then the outbox.prune job wipes it (the delivery
 * record keeps only ids, status, attempts and times). */
#ifndef TT_JOBS_OUTBOX_H
#define TT_JOBS_OUTBOX_H

#include <stddef.h>

#include "../core/types.h"
#include "../core/vault.h"
#include "../store/store.h"

enum tt_outbox_channel {
    TT_OUTBOX_EMAIL = 0,   /* to = an email address; SMTP via libcurl */
    TT_OUTBOX_WEBHOOK = 1, /* to = an http(s) URL; signed per Standard Webhooks */
    TT_OUTBOX_SMS = 2,     /* to = an E.164 number; posted to the configured SMS gateway */
};

struct tt_outbox_msg {
    char tenant_id[TT_ID_MAX];
    char kind[TT_KEY_MAX]; /* what it is, for metrics and the console: "request.code",
                              "subprocessor.change", "security.lockout", … (no PII) */
    enum tt_outbox_channel channel;
    const char *to;      /* address, URL or number */
    const char *subject; /* email subject (may be NULL for other channels) */
    const char *body;    /* text body, or the JSON payload of a webhook */
    const char *headers; /* extra email headers, "Name: value\r\n" lines, or NULL
                            (List-Unsubscribe and List-Unsubscribe-Post go here) */
    const char *secret;  /* webhook signing secret (whsec_…), or NULL */
    char ref[TT_ID_MAX]; /* the object it is about (req_…, sub_…), for the console */
};

/* Queues msg inside the caller's transaction on connection c: it goes out only if that
 * transaction commits. Writes the new message id ("msg_…") into id_out when non-NULL.
 * Returns the store status (TT_QS_ONE on success; TT_QS_SOFT: retry the transaction). */
enum tt_qs tt_outbox_enqueue(struct tt_store_conn *c, const struct tt_master *m, tt_time now,
                             const struct tt_outbox_msg *msg, char id_out[TT_ID_MAX]);

/* Size caps of a message (enqueue refuses larger ones with TT_QS_HARD). */
#define TT_OUTBOX_TO_MAX 2048
#define TT_OUTBOX_SUBJECT_MAX 998
#define TT_OUTBOX_BODY_MAX (256 * 1024)
#define TT_OUTBOX_HEADERS_MAX 4096
#define TT_OUTBOX_SECRET_MAX 256

/* 1 when headers (NULL allowed) is a run of "Name: value\r\n" lines with printable ASCII names,
 * no bare CR or LF, within TT_OUTBOX_HEADERS_MAX; else 0. */
int tt_outbox_headers_ok(const char *headers);

#endif
