/* SPDX-License-Identifier: Apache-2.0 */
/* outbox.c — queueing a message (outbox.h): the recipient, subject, body, extra headers and
 * webhook secret are sealed together (XChaCha20-Poly1305 under a key derived from the master key,
 * bound to "tenant/message id") and written in the caller's transaction; and opening them again
 * for delivery. */
#include "outbox_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

/* crypto_kdf context of the outbox key: 8 bytes, distinct from vault.c's */
static const char KDF_OUTBOX[crypto_kdf_CONTEXTBYTES + 1] = "ttoutbx1";

static int outbox_key(const struct tt_master *m, uint8_t key[TT_KEY_BYTES])
{
    return crypto_kdf_derive_from_key(key, TT_KEY_BYTES, 1, KDF_OUTBOX, m->key) == 0 ? 0 : -1;
}

static void payload_ad(const char *tenant_id, const char *id, char ad[2 * TT_ID_MAX + 2])
{
    size_t t = strnlen(tenant_id, TT_ID_MAX - 1), i = strnlen(id, TT_ID_MAX - 1);
    memcpy(ad, tenant_id, t);
    ad[t] = '/';
    memcpy(ad + t + 1, id, i);
    ad[t + 1 + i] = '\0';
}

int tt_outbox_headers_ok(const char *headers)
{
    if (!headers)
        return 1;
    size_t n = strnlen(headers, TT_OUTBOX_HEADERS_MAX + 1);
    if (n > TT_OUTBOX_HEADERS_MAX)
        return 0;
    const char *p = headers;
    while (*p) {
        const char *colon = NULL;
        size_t name_len = 0;
        for (const char *q = p; *q && *q != ':'; q++)
            name_len++;
        colon = p + name_len;
        if (name_len == 0 || *colon != ':')
            return 0;
        for (const char *q = p; q < colon; q++)
            if (*q <= ' ' || *q > '~')
                return 0;
        const char *q = colon + 1;
        while (*q && *q != '\r' && *q != '\n') {
            if ((unsigned char)*q < ' ' && *q != '\t')
                return 0;
            q++;
        }
        if (q[0] != '\r' || q[1] != '\n')
            return 0;
        p = q + 2;
    }
    return 1;
}

static int str_ok(const char *s, size_t max)
{
    return !s || strnlen(s, max + 1) <= max;
}

static int one_line(const char *s)
{
    return !s || !strpbrk(s, "\r\n");
}

enum tt_qs tt_outbox_enqueue(struct tt_store_conn *c, const struct tt_master *m, tt_time now,
                             const struct tt_outbox_msg *msg, char id_out[TT_ID_MAX])
{
    /* our callers' own bugs, not client input: refuse rather than send something malformed */
    if (!msg->to || !*msg->to || !msg->body || !str_ok(msg->to, TT_OUTBOX_TO_MAX) ||
        !one_line(msg->to) || !str_ok(msg->subject, TT_OUTBOX_SUBJECT_MAX) ||
        !one_line(msg->subject) || !str_ok(msg->body, TT_OUTBOX_BODY_MAX) ||
        !str_ok(msg->secret, TT_OUTBOX_SECRET_MAX) || !tt_outbox_headers_ok(msg->headers) ||
        msg->channel < TT_OUTBOX_EMAIL || msg->channel > TT_OUTBOX_SMS)
        return TT_QS_HARD;
    struct tt_outbox_row r;
    memset(&r, 0, sizeof r);
    tt_id_new("msg_", r.id);
    memcpy(r.tenant_id, msg->tenant_id, sizeof r.tenant_id);
    r.tenant_id[TT_ID_MAX - 1] = '\0';
    memcpy(r.kind, msg->kind, sizeof r.kind);
    r.kind[TT_KEY_MAX - 1] = '\0';
    memcpy(r.ref, msg->ref, sizeof r.ref);
    r.ref[TT_ID_MAX - 1] = '\0';
    r.channel = (int)msg->channel;
    r.created_at = r.next_at = now;
    memcpy(r.master_key_id, m->id, sizeof r.master_key_id);

    json_t *o = json_pack("{s:s, s:s}", "to", msg->to, "body", msg->body);
    if (!o)
        return TT_QS_HARD;
    if ((msg->subject && json_object_set_new(o, "subject", json_string(msg->subject)) < 0) ||
        (msg->headers && json_object_set_new(o, "headers", json_string(msg->headers)) < 0) ||
        (msg->secret && json_object_set_new(o, "secret", json_string(msg->secret)) < 0)) {
        json_decref(o);
        return TT_QS_HARD;
    }
    char *plain = json_dumps(o, JSON_COMPACT);
    json_decref(o); /* jansson's copies are freed without a wipe: only the sealed form is kept */
    if (!plain)
        return TT_QS_HARD;
    size_t len = strlen(plain);
    uint8_t *sealed = malloc(len + TT_SEAL_OVERHEAD);
    uint8_t key[TT_KEY_BYTES];
    char ad[2 * TT_ID_MAX + 2];
    payload_ad(r.tenant_id, r.id, ad);
    enum tt_qs qs = TT_QS_HARD;
    if (sealed && outbox_key(m, key) == 0 &&
        tt_vault_seal(key, (const uint8_t *)plain, len, ad, sealed) == 0) {
        r.payload_enc = sealed;
        r.payload_enc_len = len + TT_SEAL_OVERHEAD;
        qs = tt_store_ops_of(c)->jobs->outbox_put(c, &r);
        if (qs == TT_QS_NONE)
            qs = TT_QS_HARD; /* a fresh random id never collides */
    }
    sodium_memzero(key, sizeof key);
    sodium_memzero(plain, len);
    free(plain);
    free(sealed);
    if (qs == TT_QS_ONE && id_out)
        memcpy(id_out, r.id, TT_ID_MAX);
    return qs;
}

static char *dup_field(const json_t *o, const char *name, int *bad)
{
    const json_t *v = json_object_get(o, name);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    char *s = strdup(json_string_value(v));
    if (!s)
        *bad = 1;
    return s;
}

void tt__outbox_plain_free(struct tt__outbox_plain *p)
{
    if (!p)
        return;
    char **f[] = {&p->to, &p->subject, &p->body, &p->headers, &p->secret};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (*f[i]) {
            sodium_memzero(*f[i], strlen(*f[i]));
            free(*f[i]);
            *f[i] = NULL;
        }
    }
}

int tt__outbox_open(const struct tt_master *m, const struct tt_outbox_row *row,
                    struct tt__outbox_plain *p)
{
    if (!row->payload_enc || row->payload_enc_len < TT_SEAL_OVERHEAD)
        return -TT_E_CRYPTO;
    size_t len = row->payload_enc_len - TT_SEAL_OVERHEAD;
    char *plain = malloc(len + 1);
    if (!plain)
        return -TT_E_NOMEM;
    uint8_t key[TT_KEY_BYTES];
    char ad[2 * TT_ID_MAX + 2];
    payload_ad(row->tenant_id, row->id, ad);
    int rc = outbox_key(m, key) == 0 && tt_vault_open(key, row->payload_enc, row->payload_enc_len,
                                                      ad, (uint8_t *)plain) == 0
                 ? 0
                 : -TT_E_CRYPTO;
    sodium_memzero(key, sizeof key);
    if (rc < 0) {
        free(plain);
        return rc;
    }
    plain[len] = '\0';
    json_t *o = json_loadb(plain, len, 0, NULL);
    sodium_memzero(plain, len);
    free(plain);
    if (!o)
        return -TT_E_CRYPTO;
    struct tt__outbox_plain out = {0};
    int bad = 0;
    out.to = dup_field(o, "to", &bad);
    out.subject = dup_field(o, "subject", &bad);
    out.body = dup_field(o, "body", &bad);
    out.headers = dup_field(o, "headers", &bad);
    out.secret = dup_field(o, "secret", &bad);
    json_decref(o);
    if (bad || !out.to || !out.body) {
        tt__outbox_plain_free(&out);
        return bad ? -TT_E_NOMEM : -TT_E_CRYPTO;
    }
    *p = out;
    return 0;
}
