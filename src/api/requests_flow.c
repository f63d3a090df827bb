/* SPDX-License-Identifier: Apache-2.0 */
/* requests_flow.c — the workflow plumbing of rights requests (requests_int.h): a transition
 * writes the row, the timeline step and the audit event together; per-class subject keys. */
#include <sodium.h>
#include <string.h>

#include "../core/error.h"
#include "../core/vault.h"
#include "audit.h"
#include "common.h"
#include "requests_int.h"

static enum tt_qs step(struct tt_store_conn *c, const struct tt_request *r, const char *event,
                       enum tt_rq_state from, const char *actor, const char *reason, tt_time now)
{
    const struct tt_requests_store_ops *ops = tt_store_ops_of(c)->requests;
    struct tt_request_event ev = {.at = now, .from_state = from, .to_state = r->state};
    tt__api_copy(ev.tenant_id, sizeof ev.tenant_id, r->tenant_id);
    tt__api_copy(ev.request_id, sizeof ev.request_id, r->id);
    tt__api_copy(ev.actor, sizeof ev.actor, actor);
    tt__api_copy(ev.event, sizeof ev.event, event);
    if (reason)
        snprintf(ev.reason, sizeof ev.reason, "%s", reason);
    enum tt_qs qs = ops->event_put(c, &ev);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    char action[TT_KEY_MAX];
    snprintf(action, sizeof action, "request.%s", event);
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s, s:b}", "request", r->id, "type",
                               tt_rq_type_name(r->type), "from", tt_rq_state_name(from), "to",
                               tt_rq_state_name(r->state), "reason_given", reason && *reason);
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, r->tenant_id, now, actor, action, r->subject_id, detail);
    json_decref(detail);
    return qs < 0 ? qs : TT_QS_ONE;
}

enum tt_qs tt__rq_transition(struct tt_store_conn *c, struct tt_request *r, enum tt_rq_event e,
                             const char *actor, const char *reason, tt_time now)
{
    enum tt_rq_state next, from = r->state;
    if (tt_rq_next(from, e, &next) < 0)
        return TT_QS_NONE;
    r->state = next;
    r->updated_at = now;
    if (tt_rq_state_terminal(next))
        r->completed_at = now;
    enum tt_qs qs = tt_store_ops_of(c)->requests->update(c, r);
    if (qs <= 0) {
        r->state = from;
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    return step(c, r, tt_rq_event_name(e), from, actor, reason, now);
}

enum tt_qs tt__rq_note(struct tt_store_conn *c, const struct tt_request *r, const char *event,
                       const char *actor, const char *reason, tt_time now)
{
    return step(c, r, event, r->state, actor, reason, now);
}

enum tt_qs tt__rq_class_key(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                            const char *subject_id, enum tt_key_class kc, tt_time now,
                            uint8_t key[32])
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    char ad[TT_KEY_AD_MAX];
    tt_vault_key_ad(tenant_id, subject_id, kc, ad);
    struct tt_subject_key k;
    enum tt_qs qs = ops->subject_key_get(c, tenant_id, subject_id, kc, &k);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_ONE) {
        if (k.destroyed_at != 0)
            return TT_QS_NONE;
        int rc = k.wrapped_len == TT_WRAPPED_BYTES
                     ? tt_vault_unwrap(app->master, k.wrapped, ad, key)
                     : -1;
        sodium_memzero(k.wrapped, sizeof k.wrapped);
        return rc < 0 ? TT_QS_HARD : TT_QS_ONE;
    }
    memset(&k, 0, sizeof k);
    tt__api_copy(k.tenant_id, sizeof k.tenant_id, tenant_id);
    tt__api_copy(k.subject_id, sizeof k.subject_id, subject_id);
    k.key_class = kc;
    tt__api_copy(k.master_key_id, sizeof k.master_key_id, app->master->id);
    tt_vault_key_new(key);
    tt_vault_wrap(app->master, key, ad, k.wrapped);
    k.wrapped_len = TT_WRAPPED_BYTES;
    k.created_at = now;
    qs = ops->subject_key_put(c, &k);
    sodium_memzero(k.wrapped, sizeof k.wrapped);
    if (qs <= 0) {
        sodium_memzero(key, 32);
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    return TT_QS_ONE;
}

int tt__rq_backend_ok(struct tt_app *app, struct tt_resp *resp)
{
    struct tt_store_conn *c = tt_store_acquire(app->store);
    int ok = tt_store_ops_of(c)->requests != NULL;
    tt_store_release(c);
    return ok ? 0
              : tt_problem(resp, TT_E_UNAVAILABLE, "",
                           "rights requests are not available on the %s store yet",
                           tt_store_backend(app->store));
}
