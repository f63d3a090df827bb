/* SPDX-License-Identifier: Apache-2.0 */
/* govreqs.c — government requests (issue 7, S4.8): POST /v1/government-requests logs a request
 * of an authority with its legal instrument, scope, the data categories disclosed, who approved
 * it and whether the law forbids telling the subject (gag); GET lists them. DPO role. Disclosures
 * made under one name it (disclosures.c) and are hidden from the subject under a gag, never from
 * the audit trail. The texts are case references and legal citations, never a person's data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "audit.h"
#include "common.h"
#include "handlers_recipients.h"
#include "recipients_int.h"
#include "spec.h"

#define GOV_TEXT_MAX 1000

struct find_ctx {
    const char *id;
    struct tt__govreq *out;
    int found;
};

static int find_row(void *cls, const struct tt_govreq_row *g)
{
    struct find_ctx *f = cls;
    if (strcmp(g->id, f->id) != 0)
        return 0;
    tt__api_copy(f->out->id, sizeof f->out->id, g->id);
    f->out->hidden = g->hidden;
    f->found = 1;
    return 1;
}

int tt__govreq_find(struct tt_store_conn *c, const char *tenant_id, const char *id,
                    struct tt__govreq *out, struct tt_resp *resp)
{
    if (!tt__api_id_ok(id, "gov_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "government_request",
                          "no such government request in this tenant");
    struct find_ctx f = {id, out, 0};
    enum tt_qs qs = tt_store_ops_of(c)->recipients->govreq_list(c, tenant_id, find_row, &f);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (!f.found)
        return tt_problem(resp, TT_E_NOT_FOUND, "government_request",
                          "no such government request in this tenant");
    return 0;
}

static json_t *gov_json(const struct tt_govreq_row *g, const json_t *doc)
{
    json_t *o = json_deep_copy(doc);
    if (!o || json_object_set_new(o, "id", json_string(g->id)) < 0 ||
        json_object_set_new(o, "hidden", json_boolean(g->hidden)) < 0 ||
        json_object_set_new(o, "created_at", tt__api_time(g->created_at)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

struct gov_txn {
    const struct tt_govreq_row *g;
    const char *actor, *recipient;
};

static enum tt_qs gov_write(struct tt_store_conn *c, void *cls)
{
    struct gov_txn *x = cls;
    enum tt_qs qs = tt_store_ops_of(c)->recipients->govreq_put(c, x->g);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *d = json_pack("{s:b, s:s}", "gag", x->g->hidden, "recipient", x->recipient);
    qs = d ? tt_audit_emit(c, x->g->tenant_id, x->g->created_at, x->actor, "govreq.create",
                           x->g->id, d)
           : TT_QS_HARD;
    json_decref(d);
    return qs;
}

static int blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return !*s;
}

int tt_api_govreq_create(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const char *authority = NULL, *instrument = NULL, *scope = NULL, *approved_by = NULL,
               *recipient = NULL;
    const json_t *data = NULL;
    int gag = 0, gag_set = 0;
    struct tt_spec spec[] = {
        tt_spec_string_max("authority", &authority, TT_NAME_MAX - 1, 1),
        tt_spec_string_max("legal_instrument", &instrument, GOV_TEXT_MAX, 1),
        tt_spec_string_max("scope", &scope, GOV_TEXT_MAX, 1),
        tt_spec_array("disclosed_data", &data, TT_RCPT_LIST_MAX, 1),
        tt_spec_string_max("approved_by", &approved_by, TT_NAME_MAX - 1, 1),
        tt_spec_bool("gag", &gag, &gag_set, 0),
        tt_spec_key("recipient", &recipient, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    const char *names[] = {"authority", "legal_instrument", "scope", "approved_by"};
    const char *vals[] = {authority, instrument, scope, approved_by};
    for (size_t i = 0; i < 4; i++)
        if (blank(vals[i]))
            return tt_problem(resp, TT_E_BAD_FIELD, names[i], "'%s' must not be blank", names[i]);
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    size_t i;
    const json_t *v;
    json_array_foreach(data, i, v)
    {
        char field[64];
        snprintf(field, sizeof field, "disclosed_data/%zu", i);
        const char *k = json_string_value(v);
        if (!k)
            rc = tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be a string", field);
        else if (!tt_policy_category(ref->policy, k))
            rc = tt_problem(resp, TT_E_UNKNOWN_CATEGORY, field,
                            "no data category '%s' in policy %s", k, ref->policy->version);
        if (rc < 0)
            break;
    }
    tt_app_policy_release(ref);
    if (rc < 0)
        return rc;
    tt_time now = tt_now(&app->clock);
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_rcpt r;
    memset(&r, 0, sizeof r);
    if (recipient) {
        rc = tt__rcpt_find(app, c, req->auth.tenant_id, recipient, "recipient", now, &r, resp);
        if (rc == 0 && r.role != TT_RROLE_AUTHORITY)
            rc = tt_problem(resp, TT_E_BAD_FIELD, "recipient",
                            "'recipient' must be an authority of the registry");
    }
    struct tt_govreq_row g;
    memset(&g, 0, sizeof g);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:O, s:s, s:b, s:s?, s:s}", "authority", authority,
                            "legal_instrument", instrument, "scope", scope, "disclosed_data", data,
                            "approved_by", approved_by, "gag", gag, "recipient",
                            recipient ? r.id : NULL, "created_by", req->auth.key_id);
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (rc == 0 && !text)
        rc = tt__api_nomem(resp);
    if (rc == 0) {
        tt__api_copy(g.tenant_id, sizeof g.tenant_id, req->auth.tenant_id);
        tt_id_new("gov_", g.id);
        g.hidden = gag;
        g.doc = text;
        g.created_at = now;
        struct gov_txn x = {&g, req->auth.key_id, recipient ? r.id : ""};
        enum tt_qs qs = tt_store_txn(c, gov_write, &x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    free(text);
    json_t *body = rc == 0 ? gov_json(&g, doc) : NULL;
    json_decref(doc);
    if (rc < 0)
        return rc;
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof resp->location, "/v1/government-requests/%s", g.id);
    return tt_reply(resp, 201, body);
}

struct gov_list {
    json_t *items;
    int bad;
};

static int list_row(void *cls, const struct tt_govreq_row *g)
{
    struct gov_list *l = cls;
    json_t *doc = json_loads(g->doc, 0, NULL);
    json_t *o = json_is_object(doc) ? gov_json(g, doc) : NULL;
    json_decref(doc);
    if (!o || json_array_append_new(l->items, o) < 0)
        l->bad = 1;
    return l->bad;
}

int tt_api_govreq_list(struct tt_req *req, struct tt_resp *resp)
{
    struct gov_list l = {json_array(), 0};
    if (!l.items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs =
        tt_store_ops_of(c)->recipients->govreq_list(c, req->auth.tenant_id, list_row, &l);
    tt_store_release(c);
    if (qs < 0 || l.bad) {
        json_decref(l.items);
        return tt__api_store_err(resp, qs < 0 ? qs : TT_QS_HARD);
    }
    json_t *body = json_pack("{s:o}", "items", l.items);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
