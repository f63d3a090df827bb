/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_int.h — shared by the recipients area's handlers (recipients_*.c, disclosures.c,
 * govreqs.c): the editable fields of a registry entry, the first-use seed, loading an entry for a
 * request, and saving a change with its audit event in one transaction. */
#ifndef TT_API_RECIPIENTS_INT_H
#define TT_API_RECIPIENTS_INT_H

#include <jansson.h>

#include "../core/rcpt_state.h"
#include "recipients_doc.h"

/* Reads the editable fields of obj into r (S4.1, S4.2, S5.1): name, category, role, country,
 * dpa_ref, toms, transfer_mechanism, adequacy_key, tia_done, legal_basis, purposes,
 * data_categories, public_listed; and key when creating. creating: name, category, role and
 * country are required; otherwise only the fields present change. Every value is checked
 * against the policy and the adequacy table a (may be NULL); returns 0 or a 400/422 problem
 * naming the field, r then partly written (callers work on a copy). */
int tt__rcpt_parse_fields(const json_t *obj, const struct tt_policy *p, const struct tt_adequacy *a,
                          int creating, struct tt_rcpt *r, struct tt_resp *resp);

/* Seeds the tenant's registry from the policy when it is empty (S4.3: every recipient of the
 * policy's table, the payment providers as independent controllers), in a transaction of its
 * own, audited. Returns 0 or a problem. Called before any use of the registry. */
int tt__rcpt_ensure_seeded(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                           tt_time now, struct tt_resp *resp);

/* Loads the entry named by a path or body value (an id "rcp_…" or a key) after the seed:
 * 0 and out filled, or 404 naming field. */
int tt__rcpt_find(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                  const char *ref, const char *field, tt_time now, struct tt_rcpt *out,
                  struct tt_resp *resp);

/* Writes r (insert when creating, else update) and one audit event (action, actor, detail
 * borrowed, may be NULL: {key, status} is added) in one transaction. Returns 0, 409 when the
 * key exists (insert) or the entry changed meanwhile (update), or a store problem. */
int tt__rcpt_save(struct tt_app *app, struct tt_store_conn *c, const struct tt_rcpt *r,
                  int creating, const char *action, const char *actor, json_t *detail,
                  struct tt_resp *resp);

/* Runs the adequacy table of the current policy into *copy-free callbacks: a thin wrapper of
 * tt__rcpt_with_adequacy for the common "check r against p and a" calls. */
struct tt__rcpt_check {
    const struct tt_policy *p;
    struct tt_rcpt *r;
    const struct tt_rcpt *before; /* edits */
    const json_t *body;           /* field parsing */
    int creating;
    int op; /* TT__RCPT_OP_* */
    int passed;
    const char *notes;
    tt_time at, now;
    uint32_t why;
    int unflagged;
    int rc; /* the core result (0 or negative code) */
    struct tt_resp *resp;
};
enum { TT__RCPT_OP_PARSE, TT__RCPT_OP_APPROVE, TT__RCPT_OP_EDIT };
/* tt__rcpt_with_adequacy callback running x->op; returns x->rc. */
int tt__rcpt_check_cb(void *cls, const struct tt_adequacy *a);

/* Renders a gate or approval refusal (code from tt_gate_err, reasons why) as a problem naming
 * field, its detail listing every reason name. Returns the negative code. */
int tt__rcpt_refuse(struct tt_resp *resp, int code, uint32_t why, const char *field);

/* disclosures.c: a disclosure as JSON (doc: its stored document; new reference or NULL), and a
 * subject's disclosures newest first (with_hidden 0 leaves out gagged ones, S4.8): a new array,
 * or NULL with the store status in *qs. */
json_t *tt__dis_json(const struct tt_disclosure_row *row, const json_t *doc);
json_t *tt__dis_subject_list(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                             int with_hidden, enum tt_qs *qs);

/* govreqs.c: a government request as the gate needs it. */
struct tt__govreq {
    char id[TT_ID_MAX];
    int hidden; /* the law forbids telling the subject (gag) */
};
/* Finds request id of the tenant: 0 and out filled, or 404 naming "government_request". */
int tt__govreq_find(struct tt_store_conn *c, const char *tenant_id, const char *id,
                    struct tt__govreq *out, struct tt_resp *resp);

#endif
