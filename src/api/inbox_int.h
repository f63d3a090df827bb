/* SPDX-License-Identifier: Apache-2.0 */
/* inbox_int.h — the inbox's parse step (inbox_parse.c, GMime 3) and the import shared by
 * POST /v1/inbox and `tutela inbox import` (inbox.c). Thread safe (GMime initialised once). */
#ifndef TT_API_INBOX_INT_H
#define TT_API_INBOX_INT_H

#include <stddef.h>

#include "../core/ident.h"
#include "../core/mime_route.h"
#include "../store/accounts_store.h"
#include "app.h"

#define TT_INBOX_MAX (5u << 20) /* bytes of a raw message */
#define TT_INBOX_TEXT_MAX (64u << 10)

struct tt__inbox_parsed {
    char subject[512];       /* decoded (RFC 2047) UTF-8, cut at 511 bytes */
    char from[TT_IDENT_MAX]; /* the sender's address, normalised, or "" */
    char *text;              /* the text body, UTF-8, at most TT_INBOX_TEXT_MAX (malloc'd) */
    size_t text_len;
    enum tt_inbox_route route;
};

/* Parses raw (len bytes, any content) and routes it. Returns 0, or -TT_E_BAD_MESSAGE with *field
 * ("body", "from", "subject") and *detail (static text) set; nothing is allocated on failure.
 * Free with tt__inbox_parsed_free (wipes). */
int tt__inbox_parse(const char *raw, size_t len, struct tt__inbox_parsed *out, const char **field,
                    const char **detail);
void tt__inbox_parsed_free(struct tt__inbox_parsed *p);

/* What an import did. */
struct tt__inbox_result {
    char message_id[TT_ID_MAX];
    struct tt_case kase;
    int sessions_revoked;
    int keys_revoked;
    char revoked_keys[16][TT_ID_MAX]; /* for the server's key cache */
    int n_revoked_keys;
    int notified; /* 1: the owner's notice is queued in the outbox */
};

/* Parses, seals and stores raw into tenant_id's inbox, opens the case and acts on it (S6.2 lock
 * the named account, revoke its sessions and keys, notify; S10.1 flag the subject as a child;
 * S13.1 legal case; S8.1b rights triage), all audited in one transaction. Returns 0 or a
 * negative code with *field / *detail (no personal value). */
int tt__inbox_import(struct tt_app *app, const char *tenant_id, const char *actor, const char *raw,
                     size_t len, struct tt__inbox_result *out, const char **field,
                     const char **detail);

/* A case as JSON (cases.c; new reference, NULL on ENOMEM). */
#include <jansson.h>
json_t *tt__case_json(const struct tt_case *k);

#endif
