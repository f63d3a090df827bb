/* SPDX-License-Identifier: Apache-2.0 */
/* accounts_create.c — one account into the store (S6.1): the email normalised, blind-indexed
 * and sealed, the password checked against the rules and hashed with Argon2id at the configured
 * cost, the creation audited in the same transaction. Shared by POST /v1/accounts and
 * `tutela accounts create`. */
#include <sodium.h>
#include <string.h>

#include "../core/error.h"
#include "accounts_int.h"
#include "audit.h"

struct create {
    struct tt_account a;
    const char *actor;
    int conflict, no_tenant;
};

static enum tt_qs create_txn(struct tt_store_conn *c, void *cls)
{
    struct create *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->conflict = x->no_tenant = 0;
    struct tt_tenant t;
    enum tt_qs qs = ops->tenant_get(c, x->a.tenant_id, &t);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE) {
        x->no_tenant = 1;
        return TT_QS_NONE;
    }
    struct tt_account other;
    qs = ops->accounts->account_find(c, x->a.email_blind, &other);
    sodium_memzero(&other, sizeof other);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_ONE) {
        x->conflict = 1;
        return TT_QS_NONE;
    }
    if ((qs = ops->accounts->account_put(c, &x->a)) <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *d = json_pack("{s:s}", "role", tt_role_name(x->a.role));
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->a.tenant_id, x->a.created_at, x->actor, "account.create", x->a.id, d);
    json_decref(d);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt__acc_create(struct tt_store *store, const struct tt_master *m, const char *tenant_id,
                   const char *email, const char *password, size_t pw_len, enum tt_role role,
                   const char *actor, tt_time now, struct tt_account *out, const char **field,
                   const char **detail)
{
    char norm[TT_IDENT_MAX];
    *field = "email";
    *detail = "the email address is not valid";
    if (tt__acc_email_norm(email, norm) < 0)
        return -TT_E_BAD_EMAIL;
    enum tt_password_rule rule = tt_password_check(password, pw_len, norm);
    if (rule != TT_PW_OK) {
        sodium_memzero(norm, sizeof norm);
        *field = "password";
        *detail = tt_password_rule_text(rule);
        return -TT_E_WEAK_PASSWORD;
    }
    struct create x;
    memset(&x, 0, sizeof x);
    x.actor = actor;
    tt_id_new("acc_", x.a.id);
    snprintf(x.a.tenant_id, sizeof x.a.tenant_id, "%s", tenant_id);
    x.a.role = role;
    x.a.status = TT_ACCOUNT_ACTIVE;
    x.a.created_at = x.a.updated_at = now;
    tt__acc_email_blind(m, norm, x.a.email_blind);
    int rc = tt__acc_email_seal(m, &x.a, norm);
    sodium_memzero(norm, sizeof norm);
    *field = "";
    *detail = "the account cannot be created";
    if (rc < 0)
        return rc;
    if (tt_password_hash(password, pw_len, tt__acc_pwhash_params(), x.a.pw_hash) < 0)
        return -TT_E_NOMEM;
    struct tt_store_conn *c = tt_store_acquire(store);
    enum tt_qs qs = tt_store_ops_of(c)->accounts ? tt_store_txn(c, create_txn, &x) : TT_QS_SOFT;
    tt_store_release(c);
    if (qs < 0)
        rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    else if (x.no_tenant)
        rc = -TT_E_NOT_FOUND, *field = "tenant", *detail = "no such tenant";
    else if (x.conflict)
        rc = -TT_E_CONFLICT, *field = "email", *detail = "an account with this email exists";
    else
        *out = x.a;
    sodium_memzero(&x, sizeof x);
    return rc;
}
