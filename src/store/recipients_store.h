/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_store.h — the recipients area of the store (issue 7; store/areas.h: migrations
 * 500..599, statement slots 320..383): the recipient registry (S4.1-S4.3, S5.2), the disclosure
 * log (who received whose data, why: the access export's "shared with whom"), and government
 * requests (S4.8). Descriptive fields travel as a JSON document (doc) the store does not read;
 * it never holds a personal value. Status conventions as in store.h; rows handed to callbacks
 * (and their doc text) are valid only during the call. Thread safety: per connection. */
#ifndef TT_STORE_RECIPIENTS_STORE_H
#define TT_STORE_RECIPIENTS_STORE_H

#include "store.h"

#define TT_RCPT_STATUS_MAX 16

/* A registry entry: keys and the fields queries filter on; the rest is in doc. */
struct tt_rcpt_row {
    char tenant_id[TT_ID_MAX];
    char id[TT_ID_MAX];              /* "rcp_…" */
    char key[TT_KEY_MAX];            /* unique per tenant */
    char status[TT_RCPT_STATUS_MAX]; /* proposed | vetted | approved | suspended */
    tt_time flagged_at;              /* S5.2: 0 = not flagged */
    const char *doc;                 /* JSON object text; owner: the filler */
    tt_time created_at;
    tt_time updated_at;
};

/* One disclosure of one subject's data (subject_id "" for a whole data flow). */
struct tt_disclosure_row {
    char tenant_id[TT_ID_MAX];
    char id[TT_ID_MAX]; /* "dis_…" */
    char subject_id[TT_ID_MAX];
    char recipient_id[TT_ID_MAX];
    char purpose[TT_KEY_MAX];
    char govreq_id[TT_ID_MAX]; /* "" unless made under a government request */
    int hidden;                /* S4.8: not shown in the subject's own views */
    const char *doc;           /* JSON: categories, flow, basis, actor; no value */
    tt_time created_at;
};

/* A government request (S4.8): authority, legal instrument, what, approved by — in doc. */
struct tt_govreq_row {
    char tenant_id[TT_ID_MAX];
    char id[TT_ID_MAX]; /* "gov_…" */
    int hidden;
    const char *doc;
    tt_time created_at;
};

typedef int (*tt_rcpt_row_cb)(void *cls, const struct tt_rcpt_row *r);
typedef int (*tt_disclosure_cb)(void *cls, const struct tt_disclosure_row *d);
typedef int (*tt_govreq_cb)(void *cls, const struct tt_govreq_row *g);

struct tt_recipients_store_ops {
    /* insert: ONE, or NONE when the id or the key exists in that tenant */
    enum tt_qs (*rcpt_put)(struct tt_store_conn *c, const struct tt_rcpt_row *r);
    /* key, status, flagged_at, doc, updated_at by (tenant_id, id): ONE, or NONE if unknown */
    enum tt_qs (*rcpt_update)(struct tt_store_conn *c, const struct tt_rcpt_row *r);
    /* one entry by id or, when id is NULL, by key: ONE after cb saw it, or NONE */
    enum tt_qs (*rcpt_get)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           const char *key, tt_rcpt_row_cb cb, void *cls);
    /* every entry of the tenant in key order; returns the count */
    enum tt_qs (*rcpt_list)(struct tt_store_conn *c, const char *tenant_id, tt_rcpt_row_cb cb,
                            void *cls);
    enum tt_qs (*disclosure_put)(struct tt_store_conn *c, const struct tt_disclosure_row *d);
    /* a subject's disclosures, newest first; with_hidden 0 leaves out hidden ones (S4.8) */
    enum tt_qs (*disclosure_list)(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, int with_hidden, tt_disclosure_cb cb,
                                  void *cls);
    enum tt_qs (*govreq_put)(struct tt_store_conn *c, const struct tt_govreq_row *g);
    enum tt_qs (*govreq_list)(struct tt_store_conn *c, const char *tenant_id, tt_govreq_cb cb,
                              void *cls);
};

#endif
