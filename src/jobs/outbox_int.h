/* SPDX-License-Identifier: Apache-2.0 */
/* outbox_int.h — private to src/jobs/outbox*.c: the sealed payload of a message, its key
 * (derived from the master key), the transports (SMTP, webhook, SMS gateway over libcurl) and
 * the retry schedule. */
#ifndef TT_JOBS_OUTBOX_INT_H
#define TT_JOBS_OUTBOX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/vault.h"
#include "../store/jobs_store.h"
#include "outbox.h"

/* The opened payload of a message (owned strings; free with tt__outbox_plain_free, which wipes
 * them). Fields absent from the message are NULL. */
struct tt__outbox_plain {
    char *to, *subject, *body, *headers, *secret;
};
void tt__outbox_plain_free(struct tt__outbox_plain *p); /* NULL-safe; wipes */

/* Opens row's payload under m. Returns 0, -TT_E_CRYPTO (another master key, tampered) or
 * -TT_E_NOMEM; p untouched on failure. */
int tt__outbox_open(const struct tt_master *m, const struct tt_outbox_row *row,
                    struct tt__outbox_plain *p);

/* Transport settings, read from the environment once per pass. */
struct tt__outbox_cfg {
    const char *smtp_url;  /* TUTELA_SMTP_URL, e.g. smtp://127.0.0.1:2525 (NULL: no email) */
    const char *smtp_from; /* TUTELA_SMTP_FROM (default tutela@localhost) */
    const char *sms_url;   /* TUTELA_SMS_GATEWAY_URL (NULL: no SMS) */
    long timeout_s;        /* TUTELA_OUTBOX_TIMEOUT_S (default 10) */
    long backoff_s;        /* TUTELA_OUTBOX_BACKOFF_S: first retry delay (default 30) */
    long backoff_cap_s;    /* TUTELA_OUTBOX_BACKOFF_CAP_S (default 6 h) */
    int max_attempts;      /* TUTELA_OUTBOX_MAX_ATTEMPTS (default 10) */
};
void tt__outbox_cfg_load(struct tt__outbox_cfg *cfg);

/* Delay before attempt number attempts + 1 after a failure: backoff_s * 2^(attempts-1), capped,
 * with jitter in [50 %, 100 %], at least 1 s. */
long tt__outbox_backoff(const struct tt__outbox_cfg *cfg, int attempts);

/* A reusable sender (one libcurl handle per transport, so connections stay open across a
 * batch). Not thread safe: one per pass. */
struct tt__outbox_sender;
struct tt__outbox_sender *tt__outbox_sender_new(const struct tt__outbox_cfg *cfg);
void tt__outbox_sender_free(struct tt__outbox_sender *s); /* NULL-safe */

/* Sends one message. Returns 0 when the receiver accepted it, or -1 with a short reason in why
 * ("http 500", "curl 7 …", never an address or a body). now stamps Date and webhook-timestamp. */
int tt__outbox_send(struct tt__outbox_sender *s, const struct tt_outbox_row *row,
                    const struct tt__outbox_plain *p, tt_time now, char *why, size_t why_size);

/* Standard Webhooks signature "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" where key is the
 * base64 after "whsec_" in secret. Returns 0 or -1 (bad secret, or out too small). */
int tt__outbox_sign(const char *secret, const char *id, long long timestamp, const char *body,
                    size_t body_len, char *out, size_t out_size);

#endif
