/* SPDX-License-Identifier: Apache-2.0 */
/* cases.c — the cases reports open (S6.2, S10.1, S13.1, S8.1b): staff list them by state, read
 * one, and move it along (state, owner, due date, note), each change audited with what changed
 * (never the note's text: it may name people). */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "accounts_int.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "inbox_int.h"
#include "spec.h"

static const char *const states[] = {"open", "triage", "in_progress", "closed", NULL};

static int state_ok(const char *s)
{
    for (int i = 0; states[i]; i++)
        if (strcmp(s, states[i]) == 0)
            return 1;
    return 0;
}

json_t *tt__case_json(const struct tt_case *k)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s*, s:s, s:s*, s:s*, s:s, s:s, s:o, s:o, s:o, s:o}", "id", k->id, "kind",
        k->kind, "state", k->state, "owner", k->owner[0] ? k->owner : NULL, "message_id",
        k->message_id, "account", k->account_id[0] ? k->account_id : NULL, "subject",
        k->subject_id[0] ? k->subject_id : NULL, "note", k->note, "created_by", k->created_by,
        "due_at", tt__api_time(k->due_at), "created_at", tt__api_time(k->created_at), "updated_at",
        tt__api_time(k->updated_at), "closed_at", tt__api_time(k->closed_at));
}

struct list_ctx {
    json_t *items;
    char last[TT_ID_MAX];
};

static int list_row(void *cls, const struct tt_case *k)
{
    struct list_ctx *l = cls;
    snprintf(l->last, sizeof l->last, "%s", k->id);
    json_t *j = tt__case_json(k);
    return j ? json_array_append_new(l->items, j) : 1;
}

int tt_api_case_list(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_page page;
    int rc = tt__api_page(req, &page, resp);
    if (rc < 0)
        return rc;
    const char *state = tt_req_query(req, "state");
    if (state && !state_ok(state))
        return tt_problem(resp, TT_E_BAD_PARAM, "state",
                          "'state' must be open, triage, in_progress or closed");
    struct list_ctx l = {json_array(), ""};
    if (!l.items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs =
        ao ? ao->case_list(c, req->auth.tenant_id, state, &page, list_row, &l) : TT_QS_SOFT;
    tt_store_release(c);
    if (qs < 0) {
        json_decref(l.items);
        return tt__api_store_err(resp, qs);
    }
    json_t *body = json_pack("{s:o, s:o}", "items", l.items, "next",
                             (int)qs == page.limit ? json_string(l.last) : json_null());
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

static int load(struct tt_req *req, struct tt_resp *resp, struct tt_case *k)
{
    const char *id = tt_req_param(req, "id");
    if (!tt__api_id_ok(id, "cas_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such case");
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao ? ao->case_get(c, req->auth.tenant_id, id, k) : TT_QS_SOFT;
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such case in this tenant");
    return 0;
}

int tt_api_case_get(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_case k;
    int rc = load(req, resp, &k);
    if (rc < 0)
        return rc;
    json_t *body = tt__case_json(&k);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

struct patch {
    struct tt_case k;
    const char *actor;
    json_t *detail;
};

static enum tt_qs patch_txn(struct tt_store_conn *c, void *cls)
{
    struct patch *x = cls;
    enum tt_qs qs = tt__acc_ops(c)->case_update(c, &x->k);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = tt_audit_emit(c, x->k.tenant_id, x->k.updated_at, x->actor, "case.update", x->k.id,
                       x->detail);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_case_update(struct tt_req *req, struct tt_resp *resp)
{
    const char *state = NULL, *owner = NULL, *due = NULL, *note = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("state", &state, 0),
        tt_spec_key("owner", &owner, 0),
        tt_spec_key("due_at", &due, 0),
        tt_spec_string_max("note", &note, TT_CASE_NOTE_MAX - 1, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (!state && !owner && !due && !note)
        return tt_problem(resp, TT_E_MISSING_FIELD, "state",
                          "give at least one of state, owner, due_at, note");
    if (state && !state_ok(state))
        return tt_problem(resp, TT_E_BAD_FIELD, "state",
                          "'state' must be open, triage, in_progress or closed");
    if (owner && *owner && !tt__api_id_ok(owner, "acc_") && !tt__api_id_ok(owner, "key_"))
        return tt_problem(resp, TT_E_BAD_FIELD, "owner", "'owner' must be an account or key id");
    tt_time due_at = 0;
    if (due && tt_time_parse(due, &due_at) < 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "due_at", "'due_at' must be an RFC 3339 time");
    struct patch x = {.actor = req->auth.key_id};
    if ((rc = load(req, resp, &x.k)) < 0)
        return rc;
    if (strcmp(x.k.state, "closed") == 0 && (!state || strcmp(state, "closed") == 0))
        return tt_problem(resp, TT_E_INVALID_STATE, "state", "the case is closed");
    x.detail = json_object();
    if (!x.detail)
        return tt__api_nomem(resp);
    tt_time now = tt_now(&req->app->clock);
    if (state) {
        json_object_set_new(x.detail, "state_from", json_string(x.k.state));
        json_object_set_new(x.detail, "state", json_string(state));
        snprintf(x.k.state, sizeof x.k.state, "%s", state);
        x.k.closed_at = strcmp(state, "closed") == 0 ? now : 0;
    }
    if (owner) {
        json_object_set_new(x.detail, "owner", json_string(owner));
        snprintf(x.k.owner, sizeof x.k.owner, "%s", owner);
    }
    if (due) {
        json_object_set_new(x.detail, "due_at", json_string(due));
        x.k.due_at = due_at;
    }
    if (note) {
        json_object_set_new(x.detail, "note_changed", json_true());
        snprintf(x.k.note, sizeof x.k.note, "%s", note);
    }
    x.k.updated_at = now;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, patch_txn, &x);
    tt_store_release(c);
    json_decref(x.detail);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    json_t *body = tt__case_json(&x.k);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
