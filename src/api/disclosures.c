/* SPDX-License-Identifier: Apache-2.0 */
/* disclosures.c — the sharing gate (issue 7; S4.3, S4.4, S4.8, S5.1, S5.2): POST /v1/disclosures
 * records that data of one subject, a batch of subjects or a whole data flow (no subject) goes to
 * a registry recipient for a purpose, and refuses — recording nothing — unless the recipient
 * passes every rule of core/transfer (approved, vetted, a DPA or a legal basis, outside the EEA a
 * mechanism in force and a TIA, not flagged, the purpose not a sale and received by it) and the
 * decision engine allows each subject's data for that purpose. A disclosure to an authority is
 * made only under a government request (S4.8), whose gag flag hides it from the subject's own
 * views; the audit event always names it. GET /v1/subjects/{id}/disclosures lists a subject's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decide.h"
#include "../core/error.h"
#include "audit.h"
#include "common.h"
#include "handlers_recipients.h"
#include "recipients_int.h"
#include "spec.h"

#define DISCLOSURE_BATCH_MAX 1000u
#define AUDIT_SUBJECTS 200 /* subject ids per audit event: 200 x 29 bytes stays well in 16 KiB */

struct dis_req {
    const char *purpose, *flow, *govreq;
    const json_t *categories;
    const char **subjects;
    size_t n_subjects;
    int batch; /* subjects given as a list */
    struct tt_rcpt r;
    int hidden;
    int bases[DISCLOSURE_BATCH_MAX]; /* the decision's basis per subject */
};

/* ---- the gate ---- */

struct gate_ctx {
    const struct tt_policy *p;
    const struct dis_req *d;
    tt_time now;
    uint32_t why;
};

static int gate_cb(void *cls, const struct tt_adequacy *a)
{
    struct gate_ctx *g = cls;
    size_t n = json_array_size(g->d->categories);
    for (size_t i = 0; i == 0 || i < n; i++) {
        uint32_t why = 0;
        const char *cat = n ? json_string_value(json_array_get(g->d->categories, i)) : NULL;
        tt_transfer_check(&g->d->r, g->p, a, g->d->purpose, cat, g->now, &why);
        g->why |= why;
    }
    return 0;
}

static const char *gate_field(uint32_t why)
{
    if (why & ((1u << TT_GATE_UNKNOWN_PURPOSE) | (1u << TT_GATE_SALE) | (1u << TT_GATE_PURPOSE)))
        return "purpose";
    if (why & (1u << TT_GATE_CATEGORY))
        return "data_categories";
    return "recipient";
}

/* Every subject's data for the purpose (and each category), through the decision engine. */
static int decide_all(struct tt_policy_ref *ref, const char *tenant_id, struct dis_req *d,
                      tt_time now, struct tt_resp *resp)
{
    size_t n = json_array_size(d->categories);
    for (size_t s = 0; s < d->n_subjects; s++) {
        char field[64];
        if (d->batch)
            snprintf(field, sizeof field, "subjects/%zu", s);
        else
            snprintf(field, sizeof field, "subject");
        for (size_t i = 0; i == 0 || i < n; i++) {
            struct tt_decision_request q = {
                .tenant_id = tenant_id,
                .subject_id = d->subjects[s],
                .purpose = d->purpose,
                .data_category = n ? json_string_value(json_array_get(d->categories, i)) : NULL,
            };
            struct tt_decision out;
            int lookup = TT_INDEX_NONE;
            if (tt_decide_ex(ref->policy, ref->index, now, &q, &out, &lookup) < 0)
                return tt_problem(resp, TT_E_INTERNAL, field, "the decision engine failed");
            if (lookup != TT_INDEX_FOUND)
                return tt_problem(resp, TT_E_NOT_FOUND, field, "no such subject in this tenant");
            if (!out.allow) {
                const char *names[TT_REASON__COUNT];
                unsigned k = tt_reason_names(out.reasons, names);
                return tt_problem(resp, TT_E_DECISION_DENIED, field,
                                  "the decision engine refuses this subject's data for '%s': %s",
                                  d->purpose, k ? names[0] : "denied");
            }
            d->bases[s] = out.legal_basis;
        }
    }
    return 0;
}

/* ---- parsing ---- */

static int parse(struct tt_req *req, struct dis_req *d, const char **recipient,
                 const json_t **subjects, const char **subject, struct tt_resp *resp)
{
    struct tt_spec spec[] = {
        tt_spec_key("recipient", recipient, 1),
        tt_spec_key("purpose", &d->purpose, 1),
        tt_spec_array("data_categories", &d->categories, TT_RCPT_LIST_MAX, 0),
        tt_spec_key("subject", subject, 0),
        tt_spec_array("subjects", subjects, DISCLOSURE_BATCH_MAX, 0),
        tt_spec_string_max("flow", &d->flow, TT_NAME_MAX - 1, 0),
        tt_spec_key("government_request", &d->govreq, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (*subject && *subjects)
        return tt_problem(resp, TT_E_BAD_FIELD, "subjects",
                          "give 'subject' or 'subjects', not both");
    if (!*subject && !*subjects && !d->flow)
        return tt_problem(resp, TT_E_MISSING_FIELD, "subject",
                          "give 'subject', 'subjects' or, for a whole data flow, 'flow'");
    if (*subjects && json_array_size(*subjects) == 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "subjects", "'subjects' must not be empty");
    size_t n = *subject ? 1 : json_array_size(*subjects);
    d->subjects = calloc(n ? n : 1, sizeof *d->subjects);
    if (!d->subjects)
        return tt__api_nomem(resp);
    for (size_t i = 0; i < n; i++) {
        const char *s = *subject ? *subject : json_string_value(json_array_get(*subjects, i));
        char field[64];
        snprintf(field, sizeof field, *subject ? "subject" : "subjects/%zu", i);
        if (!s || !tt__api_id_ok(s, "sub_"))
            return tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' must be a subject id (sub_…)",
                              field);
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->subjects[j], s) == 0)
                return tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' repeats a subject", field);
        d->subjects[i] = s;
    }
    d->n_subjects = n;
    d->batch = *subjects != NULL;
    return 0;
}

static int check_policy(const struct tt_policy *p, const struct dis_req *d, struct tt_resp *resp)
{
    if (!tt_policy_purpose(p, d->purpose))
        return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "no purpose '%s' in policy %s",
                          d->purpose, p->version);
    size_t i;
    const json_t *v;
    json_array_foreach(d->categories, i, v)
    {
        char field[64];
        snprintf(field, sizeof field, "data_categories/%zu", i);
        const char *k = json_string_value(v);
        if (!k)
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be a string", field);
        if (!tt_policy_category(p, k))
            return tt_problem(resp, TT_E_UNKNOWN_CATEGORY, field,
                              "no data category '%s' in policy %s", k, p->version);
    }
    return 0;
}

/* ---- the write ---- */

struct dis_txn {
    struct dis_req *d;
    const char *tenant_id, *actor;
    tt_time now;
    json_t *items;
    int changed;
};

static json_t *dis_doc(const struct dis_req *d, const char *actor, int basis)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "recipient_key", d->r.key, "recipient_name",
        d->r.name, "recipient_category", d->r.category, "country", d->r.country, "data_categories",
        d->categories ? json_deep_copy(d->categories) : json_array(), "flow",
        d->flow ? d->flow : "", "basis",
        basis >= 0 ? tt_decision_basis_name(basis) : tt_basis_name(d->r.basis), "actor", actor);
}

static enum tt_qs dis_write(struct tt_store_conn *c, void *cls)
{
    struct dis_txn *x = cls;
    struct dis_req *d = x->d;
    json_array_clear(x->items);
    /* the recipient must be as it was when the gate passed */
    struct tt_rcpt now_r;
    enum tt_qs qs = tt__rcpt_load(c, x->tenant_id, d->r.id, NULL, &now_r);
    if (qs <= 0 || now_r.updated_at != d->r.updated_at || now_r.status != d->r.status ||
        now_r.flagged_at != d->r.flagged_at) {
        x->changed = qs >= 0;
        return qs < 0 ? qs : TT_QS_HARD;
    }
    size_t n = d->n_subjects ? d->n_subjects : 1;
    for (size_t i = 0; i < n; i++) {
        struct tt_disclosure_row row;
        memset(&row, 0, sizeof row);
        tt__api_copy(row.tenant_id, sizeof row.tenant_id, x->tenant_id);
        tt_id_new("dis_", row.id);
        tt__api_copy(row.subject_id, sizeof row.subject_id, d->n_subjects ? d->subjects[i] : "");
        tt__api_copy(row.recipient_id, sizeof row.recipient_id, d->r.id);
        tt__api_copy(row.purpose, sizeof row.purpose, d->purpose);
        tt__api_copy(row.govreq_id, sizeof row.govreq_id, d->govreq ? d->govreq : "");
        row.hidden = d->hidden;
        row.created_at = x->now;
        json_t *doc = dis_doc(d, x->actor, d->n_subjects ? d->bases[i] : -1);
        char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        row.doc = text;
        qs = text ? tt_store_ops_of(c)->recipients->disclosure_put(c, &row) : TT_QS_HARD;
        free(text);
        json_t *item = qs == TT_QS_ONE ? tt__dis_json(&row, doc) : NULL;
        json_decref(doc);
        if (qs <= 0 || !item || json_array_append_new(x->items, item) < 0)
            return qs < 0 ? qs : TT_QS_HARD;
    }
    /* the audit names every subject, in events of at most AUDIT_SUBJECTS ids each (an event's
     * detail is small: TT_LEDGER_DETAIL_MAX) */
    for (size_t from = 0; from < n; from += AUDIT_SUBJECTS) {
        size_t to = from + AUDIT_SUBJECTS < n ? from + AUDIT_SUBJECTS : n;
        json_t *ids = json_array();
        for (size_t i = from; ids && i < to; i++)
            if (json_array_append_new(ids, json_string(d->n_subjects ? d->subjects[i] : "")) < 0) {
                json_decref(ids);
                ids = NULL;
            }
        json_t *detail = ids ? json_pack("{s:s, s:s, s:o, s:I, s:I, s:s, s:b, s:s}", "recipient",
                                         d->r.key, "purpose", d->purpose, "subjects", ids,
                                         "disclosures", (json_int_t)n, "first", (json_int_t)from,
                                         "government_request", d->govreq ? d->govreq : "", "hidden",
                                         d->hidden, "flow", d->flow ? d->flow : "")
                             : NULL;
        if (!detail)
            return TT_QS_HARD;
        qs = tt_audit_emit(c, x->tenant_id, x->now, x->actor,
                           d->govreq ? "disclosure.government" : "disclosure.create", d->r.id,
                           detail);
        json_decref(detail);
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

/* The government request named by the body: 0 and d->hidden set, or a problem. */
static int find_govreq(struct tt_store_conn *c, const char *tenant_id, struct dis_req *d,
                       struct tt_resp *resp)
{
    struct tt__govreq g;
    int rc = tt__govreq_find(c, tenant_id, d->govreq, &g, resp);
    if (rc < 0)
        return rc;
    d->hidden = g.hidden;
    return 0;
}

int tt_api_disclosure_create(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    tt_time now = tt_now(&app->clock);
    struct dis_req *d = calloc(1, sizeof *d);
    if (!d)
        return tt__api_nomem(resp);
    const char *recipient = NULL, *subject = NULL;
    const json_t *subjects = NULL;
    int rc = parse(req, d, &recipient, &subjects, &subject, resp);
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    if (rc == 0)
        rc = check_policy(ref->policy, d, resp);
    struct tt_store_conn *c = rc == 0 ? tt_store_acquire(app->store) : NULL;
    if (rc == 0)
        rc = tt__rcpt_find(app, c, req->auth.tenant_id, recipient, "recipient", now, &d->r, resp);
    if (rc == 0 && d->govreq && req->auth.role < TT_ROLE_DPO)
        rc = tt_problem(resp, TT_E_FORBIDDEN, "government_request",
                        "disclosures under a government request are made by the DPO role");
    if (rc == 0 && d->govreq)
        rc = find_govreq(c, req->auth.tenant_id, d, resp);
    if (rc == 0 && d->govreq && d->r.role != TT_RROLE_AUTHORITY)
        rc = tt_problem(resp, TT_E_BAD_FIELD, "government_request",
                        "a government request discloses to an authority of the registry only");
    if (rc == 0 && !d->govreq && d->r.role == TT_RROLE_AUTHORITY)
        rc = tt_problem(resp, TT_E_GOVREQ_REQUIRED, "government_request",
                        "log the government request first and name it here (S4.8)");
    if (rc == 0) {
        struct gate_ctx g = {ref->policy, d, now, 0};
        tt__rcpt_with_adequacy(app, gate_cb, &g);
        if (g.why)
            rc = tt__rcpt_refuse(resp, tt_gate_err(g.why, d->r.status), g.why, gate_field(g.why));
    }
    if (rc == 0)
        rc = decide_all(ref, req->auth.tenant_id, d, now, resp);
    json_t *items = rc == 0 ? json_array() : NULL;
    if (rc == 0 && !items)
        rc = tt__api_nomem(resp);
    if (rc == 0) {
        struct dis_txn x = {d, req->auth.tenant_id, req->auth.key_id, now, items, 0};
        enum tt_qs qs = tt_store_txn(c, dis_write, &x);
        if (x.changed)
            rc = tt_problem(resp, TT_E_CONFLICT, "recipient",
                            "the recipient changed meanwhile; nothing was disclosed");
        else if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    if (c)
        tt_store_release(c);
    tt_app_policy_release(ref);
    free(d->subjects);
    free(d);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    json_t *body =
        json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(items), "items", items);
    return body ? tt_reply(resp, 201, body) : tt__api_nomem(resp);
}

/* ---- reading ---- */

json_t *tt__dis_json(const struct tt_disclosure_row *row, const json_t *doc)
{
    json_t *o = json_deep_copy(doc);
    if (!o)
        return NULL;
    json_object_del(o, "actor");
    if (json_object_set_new(o, "id", json_string(row->id)) < 0 ||
        json_object_set_new(o, "subject",
                            row->subject_id[0] ? json_string(row->subject_id) : json_null()) < 0 ||
        json_object_set_new(o, "recipient", json_string(row->recipient_id)) < 0 ||
        json_object_set_new(o, "purpose", json_string(row->purpose)) < 0 ||
        json_object_set_new(o, "government_request",
                            row->govreq_id[0] ? json_string(row->govreq_id) : json_null()) < 0 ||
        json_object_set_new(o, "hidden", json_boolean(row->hidden)) < 0 ||
        json_object_set_new(o, "created_at", tt__api_time(row->created_at)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

struct dis_list {
    json_t *items;
    int bad;
};

static int dis_row(void *cls, const struct tt_disclosure_row *row)
{
    struct dis_list *l = cls;
    json_t *doc = json_loads(row->doc, 0, NULL);
    json_t *o = json_is_object(doc) ? tt__dis_json(row, doc) : NULL;
    json_decref(doc);
    if (!o || json_array_append_new(l->items, o) < 0)
        l->bad = 1;
    return l->bad;
}

json_t *tt__dis_subject_list(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                             int with_hidden, enum tt_qs *qs)
{
    struct dis_list l = {json_array(), 0};
    *qs = l.items ? tt_store_ops_of(c)->recipients->disclosure_list(c, tenant_id, subject_id,
                                                                    with_hidden, dis_row, &l)
                  : TT_QS_HARD;
    if (*qs >= 0 && l.bad)
        *qs = TT_QS_HARD;
    if (*qs < 0) {
        json_decref(l.items);
        return NULL;
    }
    return l.items;
}

int tt_api_subject_disclosures(struct tt_req *req, struct tt_resp *resp)
{
    const char *all = tt_req_query(req, "include_hidden");
    if (all && strcmp(all, "true") != 0 && strcmp(all, "false") != 0)
        return tt_problem(resp, TT_E_BAD_PARAM, "include_hidden",
                          "'include_hidden' must be true or false");
    int with_hidden = all && strcmp(all, "true") == 0;
    if (with_hidden && req->auth.role < TT_ROLE_DPO) /* S4.8: gagged disclosures, DPO only */
        return tt_problem(resp, TT_E_FORBIDDEN, "include_hidden",
                          "hidden disclosures are shown to the DPO role only");
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    struct tt_subject s;
    int rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    json_t *items = NULL;
    if (rc == 0) {
        enum tt_qs qs;
        items = tt__dis_subject_list(c, req->auth.tenant_id, s.id, with_hidden, &qs);
        if (!items)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    if (rc < 0)
        return rc;
    json_t *body = json_pack("{s:o}", "items", items);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
