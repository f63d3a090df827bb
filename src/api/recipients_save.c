/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_save.c — the registry's writes: the first-use seed from the policy (S4.3), finding
 * an entry by id or key, and saving a change together with its audit event. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "audit.h"
#include "common.h"
#include "recipients_int.h"

struct seed_txn {
    const struct tt_policy *p;
    const char *tenant_id;
    tt_time now;
};

static enum tt_qs seed_txn(struct tt_store_conn *c, void *cls)
{
    struct seed_txn *x = cls;
    enum tt_qs qs = tt__rcpt_seed(c, x->p, x->tenant_id, x->now);
    return qs == TT_QS_NONE ? TT_QS_ONE : qs;
}

static int any_row(void *cls, const struct tt_rcpt_row *row)
{
    (void)row;
    *(int *)cls = 1;
    return 1;
}

enum tt_qs tt__rcpt_seed_if_empty(struct tt_store_conn *c, const struct tt_policy *p,
                                  const char *tenant_id, tt_time now)
{
    int any = 0;
    enum tt_qs qs = tt_store_ops_of(c)->recipients->rcpt_list(c, tenant_id, any_row, &any);
    if (qs < 0 || any)
        return qs;
    struct seed_txn x = {p, tenant_id, now};
    return tt_store_txn(c, seed_txn, &x);
}

int tt__rcpt_ensure_seeded(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                           tt_time now, struct tt_resp *resp)
{
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    enum tt_qs qs = tt__rcpt_seed_if_empty(c, ref->policy, tenant_id, now);
    tt_app_policy_release(ref);
    return qs < 0 ? tt__api_store_err(resp, qs) : 0;
}

int tt__rcpt_find(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                  const char *ref, const char *field, tt_time now, struct tt_rcpt *out,
                  struct tt_resp *resp)
{
    int rc = tt__rcpt_ensure_seeded(app, c, tenant_id, now, resp);
    if (rc < 0)
        return rc;
    int by_id = ref && strncmp(ref, "rcp_", 4) == 0;
    if (!ref || !*ref || strlen(ref) >= TT_KEY_MAX || (by_id && !tt__api_id_ok(ref, "rcp_")))
        return tt_problem(resp, TT_E_NOT_FOUND, field, "no such recipient in this tenant");
    enum tt_qs qs = tt__rcpt_load(c, tenant_id, by_id ? ref : NULL, by_id ? NULL : ref, out);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, field, "no such recipient in this tenant");
    return 0;
}

struct save_txn {
    const struct tt_rcpt *r;
    int creating;
    const char *action, *actor;
    json_t *detail;
    int conflict;
};

static enum tt_qs save_txn(struct tt_store_conn *c, void *cls)
{
    struct save_txn *x = cls;
    const struct tt_recipients_store_ops *ops = tt_store_ops_of(c)->recipients;
    struct tt_rcpt_row row;
    char *doc = NULL;
    if (tt__rcpt_to_row(x->r, &row, &doc) != 0)
        return TT_QS_HARD;
    enum tt_qs qs = x->creating ? ops->rcpt_put(c, &row) : ops->rcpt_update(c, &row);
    free(doc);
    if (qs == TT_QS_NONE) {
        x->conflict = 1;
        return TT_QS_HARD;
    }
    if (qs < 0)
        return qs;
    return tt_audit_emit(c, x->r->tenant_id, x->r->updated_at, x->actor, x->action, x->r->id,
                         x->detail);
}

int tt__rcpt_save(struct tt_app *app, struct tt_store_conn *c, const struct tt_rcpt *r,
                  int creating, const char *action, const char *actor, json_t *detail,
                  struct tt_resp *resp)
{
    (void)app;
    json_t *d = detail ? json_deep_copy(detail) : json_object();
    if (!d || json_object_set_new(d, "key", json_string(r->key)) < 0 ||
        json_object_set_new(d, "status", json_string(tt_rcpt_status_name(r->status))) < 0) {
        json_decref(d);
        return tt__api_nomem(resp);
    }
    struct save_txn x = {r, creating, action, actor, d, 0};
    enum tt_qs qs = tt_store_txn(c, save_txn, &x);
    json_decref(d);
    if (x.conflict)
        return creating ? tt_problem(resp, TT_E_CONFLICT, "key",
                                     "a recipient with that key exists in this tenant")
                        : tt_problem(resp, TT_E_CONFLICT, "id", "the recipient changed meanwhile");
    return qs < 0 ? tt__api_store_err(resp, qs) : 0;
}
