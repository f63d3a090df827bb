/* SPDX-License-Identifier: Apache-2.0 */
/* pg_accounts.c — the accounts area's queries on PostgreSQL (issue 8): accounts, recovery codes,
 * sessions, inbox messages and cases. Statement slots 384..447 (store/areas.h). Inserts never
 * raise a constraint error: a duplicate answers NONE and leaves the transaction usable. */
#include "pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../accounts_store.h"

enum {
    S_ACC_PUT = TT_STORE_SLOT_BASE(TT_AREA_ACCOUNTS),
    S_ACC_GET,
    S_ACC_FIND,
    S_ACC_UPDATE,
    S_ACC_LIST,
    S_REC_PUT,
    S_REC_USE,
    S_REC_CLEAR,
    S_SES_PUT,
    S_SES_GET,
    S_SES_TOUCH,
    S_SES_REVOKE,
    S_SES_REVOKE_ACC,
    S_SES_LIST,
    S_SES_PURGE,
    S_INBOX_PUT,
    S_CASE_PUT,
    S_CASE_GET,
    S_CASE_UPDATE,
    S_CASE_LIST,
    S__END
};
_Static_assert(S__END <= TT_STORE_SLOT_BASE(TT_AREA_ACCOUNTS) + TT_STORE_SLOTS_PER_AREA,
               "accounts statements overflow their range");

#define ACC_COLS                                                                                   \
    "tenant_id, account_id, email_blind, email_enc, role, status, pw_hash, totp_enabled,"          \
    " totp_enc, totp_last_step, created_at, updated_at"
#define SES_COLS                                                                                   \
    "tenant_id, session_id, secret_hash, account_id, key_id, role, created_at, last_seen_at,"      \
    " expires_at, revoked_at"
#define CASE_COLS                                                                                  \
    "tenant_id, case_id, kind, state, owner, message_id, account_id, subject_id, created_by,"      \
    " note, due_at, created_at, updated_at, closed_at"

static const struct pg_stmt ST[] = {
    {S_ACC_PUT, "tt_acc_put", "tttbiitibiii",
     "INSERT INTO accounts (" ACC_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
     " $12) ON CONFLICT DO NOTHING",
     NULL},
    {S_ACC_GET, "tt_acc_get", "tt",
     "SELECT " ACC_COLS " FROM accounts WHERE tenant_id = $1 AND account_id = $2", NULL},
    {S_ACC_FIND, "tt_acc_find", "t",
     "SELECT " ACC_COLS " FROM accounts WHERE email_blind = $1 ORDER BY tenant_id, account_id"
     " LIMIT 1",
     NULL},
    {S_ACC_UPDATE, "tt_acc_update", "ttiitibii",
     "UPDATE accounts SET role = $3, status = $4, pw_hash = $5, totp_enabled = $6,"
     " totp_enc = $7, totp_last_step = $8, updated_at = $9"
     " WHERE tenant_id = $1 AND account_id = $2",
     NULL},
    {S_ACC_LIST, "tt_acc_list", "tti",
     "SELECT " ACC_COLS " FROM accounts WHERE tenant_id = $1 AND account_id > $2"
     " ORDER BY account_id LIMIT $3",
     NULL},
    {S_REC_PUT, "tt_acc_rec_put", "ttti",
     "INSERT INTO account_recovery_codes (tenant_id, account_id, code_hash, created_at, used_at)"
     " VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
     NULL},
    {S_REC_USE, "tt_acc_rec_use", "ttti",
     "UPDATE account_recovery_codes SET used_at = $4 WHERE tenant_id = $1 AND account_id = $2"
     " AND code_hash = $3 AND used_at = 0",
     NULL},
    {S_REC_CLEAR, "tt_acc_rec_clear", "tt",
     "DELETE FROM account_recovery_codes WHERE tenant_id = $1 AND account_id = $2", NULL},
    {S_SES_PUT, "tt_acc_ses_put", "tttttiiiii",
     "INSERT INTO account_sessions (" SES_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
     " $10) ON CONFLICT DO NOTHING",
     NULL},
    {S_SES_GET, "tt_acc_ses_get", "t",
     "SELECT " SES_COLS " FROM account_sessions WHERE session_id = $1", NULL},
    {S_SES_TOUCH, "tt_acc_ses_touch", "tti",
     "UPDATE account_sessions SET last_seen_at = $3 WHERE tenant_id = $1 AND session_id = $2"
     " AND revoked_at = 0",
     NULL},
    {S_SES_REVOKE, "tt_acc_ses_revoke", "tti",
     "UPDATE account_sessions SET revoked_at = $3 WHERE tenant_id = $1 AND session_id = $2"
     " AND revoked_at = 0",
     NULL},
    {S_SES_REVOKE_ACC, "tt_acc_ses_revoke_acc", "tti",
     "UPDATE account_sessions SET revoked_at = $3 WHERE tenant_id = $1 AND account_id = $2"
     " AND revoked_at = 0",
     NULL},
    {S_SES_LIST, "tt_acc_ses_list", "ttti",
     "SELECT " SES_COLS " FROM account_sessions WHERE tenant_id = $1 AND account_id = $2"
     " AND key_id = $3 AND revoked_at = 0 AND expires_at > $4"
     " ORDER BY created_at DESC, session_id LIMIT 1000",
     NULL},
    {S_SES_PURGE, "tt_acc_ses_purge", "ii",
     "DELETE FROM account_sessions WHERE (tenant_id, session_id) IN (SELECT tenant_id,"
     " session_id FROM account_sessions WHERE (revoked_at > 0 AND revoked_at < $1)"
     " OR expires_at < $1 LIMIT $2)",
     NULL},
    {S_INBOX_PUT, "tt_acc_inbox_put", "tttttiib",
     "INSERT INTO inbox_messages (tenant_id, message_id, route, case_id, created_by, size,"
     " received_at, raw_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
     NULL},
    {S_CASE_PUT, "tt_acc_case_put", "ttttttttttiiii",
     "INSERT INTO cases (" CASE_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
     " $12, $13, $14) ON CONFLICT DO NOTHING",
     NULL},
    {S_CASE_GET, "tt_acc_case_get", "tt",
     "SELECT " CASE_COLS " FROM cases WHERE tenant_id = $1 AND case_id = $2", NULL},
    {S_CASE_UPDATE, "tt_acc_case_update", "tttttiii",
     "UPDATE cases SET state = $3, owner = $4, note = $5, due_at = $6, updated_at = $7,"
     " closed_at = $8 WHERE tenant_id = $1 AND case_id = $2",
     NULL},
    {S_CASE_LIST, "tt_acc_case_list", "ttit",
     "SELECT " CASE_COLS " FROM cases WHERE tenant_id = $1 AND case_id > $2"
     " AND ($4 = '' OR state = $4) ORDER BY case_id LIMIT $3",
     NULL},
};

static const struct pg_stmt *st(int id)
{
    return &ST[id - TT_STORE_SLOT_BASE(TT_AREA_ACCOUNTS)];
}

static int page_limit(int limit)
{
    return limit < 1 ? 1 : limit > 1000 ? 1000 : limit;
}

/* ---- accounts ---- */

static int fill_account(const PGresult *r, int row, struct tt_account *a)
{
    memset(a, 0, sizeof *a);
    size_t n = 0;
    const uint8_t *p;
    if (tt__pg_text(r, row, 0, a->tenant_id, sizeof a->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, a->id, sizeof a->id) < 0 ||
        tt__pg_text(r, row, 2, a->email_blind, sizeof a->email_blind) < 0 ||
        tt__pg_text(r, row, 6, a->pw_hash, sizeof a->pw_hash) < 0)
        return -1;
    p = tt__pg_bytes(r, row, 3, &n);
    if (n > sizeof a->email_enc)
        return -1;
    if (p && n)
        memcpy(a->email_enc, p, n);
    a->email_enc_len = n;
    n = 0;
    p = PQgetisnull(r, row, 8) ? NULL : tt__pg_bytes(r, row, 8, &n);
    if (n > sizeof a->totp_enc)
        return -1;
    if (p && n)
        memcpy(a->totp_enc, p, n);
    a->totp_enc_len = p ? n : 0;
    a->role = (enum tt_role)tt__pg_int(r, row, 4);
    a->status = (enum tt_account_status)tt__pg_int(r, row, 5);
    a->totp_enabled = tt__pg_int(r, row, 7) != 0;
    a->totp_last_step = tt__pg_int(r, row, 9);
    a->created_at = tt__pg_int(r, row, 10);
    a->updated_at = tt__pg_int(r, row, 11);
    return 0;
}

/* Runs a one-row query and fills *out through fill. */
#define GET_ONE(T, fill, stmt, args, out)                                                          \
    do {                                                                                           \
        PGresult *r_ = NULL;                                                                       \
        enum tt_qs qs_ = tt__pg_exec(pg_conn_of(c), st(stmt), &(args), &r_);                       \
        if (qs_ < 0)                                                                               \
            return qs_;                                                                            \
        T v_;                                                                                      \
        qs_ = TT_QS_NONE;                                                                          \
        if (PQntuples(r_) > 0)                                                                     \
            qs_ = fill(r_, 0, &v_) < 0 ? TT_QS_HARD : TT_QS_ONE;                                   \
        PQclear(r_);                                                                               \
        if (qs_ == TT_QS_ONE)                                                                      \
            *(out) = v_;                                                                           \
        return qs_;                                                                                \
    } while (0)

static void account_args(struct pg_args *a, const struct tt_account *x)
{
    tt__pg_arg_text(a, x->tenant_id);
    tt__pg_arg_text(a, x->id);
}

static enum tt_qs account_put(struct tt_store_conn *c, const struct tt_account *x)
{
    struct pg_args a = {0};
    account_args(&a, x);
    tt__pg_arg_text(&a, x->email_blind);
    tt__pg_arg_bytes(&a, x->email_enc, x->email_enc_len);
    tt__pg_arg_int(&a, x->role);
    tt__pg_arg_int(&a, x->status);
    tt__pg_arg_text(&a, x->pw_hash);
    tt__pg_arg_int(&a, x->totp_enabled != 0);
    tt__pg_arg_bytes(&a, x->totp_enc_len ? x->totp_enc : NULL, x->totp_enc_len);
    tt__pg_arg_int(&a, x->totp_last_step);
    tt__pg_arg_int(&a, x->created_at);
    tt__pg_arg_int(&a, x->updated_at);
    return tt__pg_exec_one(pg_conn_of(c), st(S_ACC_PUT), &a);
}

static enum tt_qs account_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_account *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    GET_ONE(struct tt_account, fill_account, S_ACC_GET, a, out);
}

static enum tt_qs account_find(struct tt_store_conn *c, const char *email_blind,
                               struct tt_account *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, email_blind);
    GET_ONE(struct tt_account, fill_account, S_ACC_FIND, a, out);
}

static enum tt_qs account_update(struct tt_store_conn *c, const struct tt_account *x)
{
    struct pg_args a = {0};
    account_args(&a, x);
    tt__pg_arg_int(&a, x->role);
    tt__pg_arg_int(&a, x->status);
    tt__pg_arg_text(&a, x->pw_hash);
    tt__pg_arg_int(&a, x->totp_enabled != 0);
    tt__pg_arg_bytes(&a, x->totp_enc_len ? x->totp_enc : NULL, x->totp_enc_len);
    tt__pg_arg_int(&a, x->totp_last_step);
    tt__pg_arg_int(&a, x->updated_at);
    return tt__pg_exec_one(pg_conn_of(c), st(S_ACC_UPDATE), &a);
}

struct acc_each {
    tt_account_cb cb;
    void *cls;
};

static int account_row(void *cls, const PGresult *r, int row)
{
    struct acc_each *e = cls;
    struct tt_account x;
    if (fill_account(r, row, &x) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

static enum tt_qs account_list(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_account_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, page->after_id);
    tt__pg_arg_int(&a, page_limit(page->limit));
    struct acc_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), st(S_ACC_LIST), &a, account_row, &e);
}

/* ---- recovery codes ---- */

static enum tt_qs recovery(struct tt_store_conn *c, int id, const char *tenant_id,
                           const char *account_id, const char *code_hash, tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, account_id);
    if (code_hash) {
        tt__pg_arg_text(&a, code_hash);
        tt__pg_arg_int(&a, at);
    }
    return tt__pg_exec_one(pg_conn_of(c), st(id), &a);
}

static enum tt_qs recovery_put(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *code_hash, tt_time at)
{
    return recovery(c, S_REC_PUT, tenant_id, account_id, code_hash, at);
}

static enum tt_qs recovery_use(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *code_hash, tt_time at)
{
    return recovery(c, S_REC_USE, tenant_id, account_id, code_hash, at);
}

static enum tt_qs recovery_clear(struct tt_store_conn *c, const char *tenant_id,
                                 const char *account_id)
{
    enum tt_qs qs = recovery(c, S_REC_CLEAR, tenant_id, account_id, NULL, 0);
    return qs < 0 ? qs : TT_QS_ONE;
}

/* ---- sessions ---- */

static int fill_session(const PGresult *r, int row, struct tt_session *s)
{
    memset(s, 0, sizeof *s);
    if (tt__pg_text(r, row, 0, s->tenant_id, sizeof s->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, s->id, sizeof s->id) < 0 ||
        tt__pg_text(r, row, 2, s->secret_hash, sizeof s->secret_hash) < 0 ||
        tt__pg_text(r, row, 3, s->account_id, sizeof s->account_id) < 0 ||
        tt__pg_text(r, row, 4, s->key_id, sizeof s->key_id) < 0)
        return -1;
    s->role = (enum tt_role)tt__pg_int(r, row, 5);
    s->created_at = tt__pg_int(r, row, 6);
    s->last_seen_at = tt__pg_int(r, row, 7);
    s->expires_at = tt__pg_int(r, row, 8);
    s->revoked_at = tt__pg_int(r, row, 9);
    return 0;
}

static enum tt_qs session_put(struct tt_store_conn *c, const struct tt_session *s)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, s->tenant_id);
    tt__pg_arg_text(&a, s->id);
    tt__pg_arg_text(&a, s->secret_hash);
    tt__pg_arg_text(&a, s->account_id);
    tt__pg_arg_text(&a, s->key_id);
    tt__pg_arg_int(&a, s->role);
    tt__pg_arg_int(&a, s->created_at);
    tt__pg_arg_int(&a, s->last_seen_at);
    tt__pg_arg_int(&a, s->expires_at);
    tt__pg_arg_int(&a, s->revoked_at);
    return tt__pg_exec_one(pg_conn_of(c), st(S_SES_PUT), &a);
}

static enum tt_qs session_get(struct tt_store_conn *c, const char *id, struct tt_session *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, id);
    GET_ONE(struct tt_session, fill_session, S_SES_GET, a, out);
}

static enum tt_qs session_set(struct tt_store_conn *c, int id, const char *tenant_id,
                              const char *key, tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, key);
    tt__pg_arg_int(&a, at);
    return tt__pg_exec_one(pg_conn_of(c), st(id), &a);
}

static enum tt_qs session_touch(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                tt_time at)
{
    return session_set(c, S_SES_TOUCH, tenant_id, id, at);
}

static enum tt_qs session_revoke(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at)
{
    return session_set(c, S_SES_REVOKE, tenant_id, id, at);
}

static enum tt_qs session_revoke_account(struct tt_store_conn *c, const char *tenant_id,
                                         const char *account_id, tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, account_id);
    tt__pg_arg_int(&a, at);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), st(S_SES_REVOKE_ACC), &a, &r);
    if (qs < 0)
        return qs;
    long n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return (enum tt_qs)n;
}

struct ses_each {
    tt_session_cb cb;
    void *cls;
};

static int session_row(void *cls, const PGresult *r, int row)
{
    struct ses_each *e = cls;
    struct tt_session s;
    if (fill_session(r, row, &s) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &s) ? 1 : 0;
}

static enum tt_qs session_list(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *key_id, tt_time now,
                               tt_session_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, account_id);
    tt__pg_arg_text(&a, key_id);
    tt__pg_arg_int(&a, now);
    struct ses_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), st(S_SES_LIST), &a, session_row, &e);
}

static enum tt_qs session_purge(struct tt_store_conn *c, tt_time before, int limit)
{
    struct pg_args a = {0};
    tt__pg_arg_int(&a, before);
    tt__pg_arg_int(&a, limit);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), st(S_SES_PURGE), &a, &r);
    if (qs < 0)
        return qs;
    long n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return (enum tt_qs)n;
}

/* ---- inbox and cases ---- */

static enum tt_qs inbox_put(struct tt_store_conn *c, const struct tt_inbox_message *m)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, m->tenant_id);
    tt__pg_arg_text(&a, m->id);
    tt__pg_arg_text(&a, m->route);
    tt__pg_arg_text(&a, m->case_id);
    tt__pg_arg_text(&a, m->created_by);
    tt__pg_arg_int(&a, m->size);
    tt__pg_arg_int(&a, m->received_at);
    tt__pg_arg_bytes(&a, m->raw_enc, m->raw_enc_len);
    return tt__pg_exec_one(pg_conn_of(c), st(S_INBOX_PUT), &a);
}

static int fill_case(const PGresult *r, int row, struct tt_case *k)
{
    memset(k, 0, sizeof *k);
    if (tt__pg_text(r, row, 0, k->tenant_id, sizeof k->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, k->id, sizeof k->id) < 0 ||
        tt__pg_text(r, row, 2, k->kind, sizeof k->kind) < 0 ||
        tt__pg_text(r, row, 3, k->state, sizeof k->state) < 0 ||
        tt__pg_text(r, row, 4, k->owner, sizeof k->owner) < 0 ||
        tt__pg_text(r, row, 5, k->message_id, sizeof k->message_id) < 0 ||
        tt__pg_text(r, row, 6, k->account_id, sizeof k->account_id) < 0 ||
        tt__pg_text(r, row, 7, k->subject_id, sizeof k->subject_id) < 0 ||
        tt__pg_text(r, row, 8, k->created_by, sizeof k->created_by) < 0 ||
        tt__pg_text(r, row, 9, k->note, sizeof k->note) < 0)
        return -1;
    k->due_at = tt__pg_int(r, row, 10);
    k->created_at = tt__pg_int(r, row, 11);
    k->updated_at = tt__pg_int(r, row, 12);
    k->closed_at = tt__pg_int(r, row, 13);
    return 0;
}

static enum tt_qs case_put(struct tt_store_conn *c, const struct tt_case *k)
{
    struct pg_args a = {0};
    const char *text[] = {k->tenant_id,  k->id,         k->kind,       k->state,      k->owner,
                          k->message_id, k->account_id, k->subject_id, k->created_by, k->note};
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        tt__pg_arg_text(&a, text[i]);
    tt__pg_arg_int(&a, k->due_at);
    tt__pg_arg_int(&a, k->created_at);
    tt__pg_arg_int(&a, k->updated_at);
    tt__pg_arg_int(&a, k->closed_at);
    return tt__pg_exec_one(pg_conn_of(c), st(S_CASE_PUT), &a);
}

static enum tt_qs case_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           struct tt_case *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    GET_ONE(struct tt_case, fill_case, S_CASE_GET, a, out);
}

static enum tt_qs case_update(struct tt_store_conn *c, const struct tt_case *k)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, k->tenant_id);
    tt__pg_arg_text(&a, k->id);
    tt__pg_arg_text(&a, k->state);
    tt__pg_arg_text(&a, k->owner);
    tt__pg_arg_text(&a, k->note);
    tt__pg_arg_int(&a, k->due_at);
    tt__pg_arg_int(&a, k->updated_at);
    tt__pg_arg_int(&a, k->closed_at);
    return tt__pg_exec_one(pg_conn_of(c), st(S_CASE_UPDATE), &a);
}

struct case_each {
    tt_case_cb cb;
    void *cls;
};

static int case_row(void *cls, const PGresult *r, int row)
{
    struct case_each *e = cls;
    struct tt_case k;
    if (fill_case(r, row, &k) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &k) ? 1 : 0;
}

static enum tt_qs case_list(struct tt_store_conn *c, const char *tenant_id, const char *state,
                            const struct tt_page *page, tt_case_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, page->after_id);
    tt__pg_arg_int(&a, page_limit(page->limit));
    tt__pg_arg_text(&a, state ? state : "");
    struct case_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), st(S_CASE_LIST), &a, case_row, &e);
}

const struct tt_accounts_store_ops tt__pg_accounts_ops = {
    .account_put = account_put,
    .account_get = account_get,
    .account_find = account_find,
    .account_update = account_update,
    .account_list = account_list,
    .recovery_put = recovery_put,
    .recovery_use = recovery_use,
    .recovery_clear = recovery_clear,
    .session_put = session_put,
    .session_get = session_get,
    .session_touch = session_touch,
    .session_revoke = session_revoke,
    .session_revoke_account = session_revoke_account,
    .session_list = session_list,
    .session_purge = session_purge,
    .inbox_put = inbox_put,
    .case_put = case_put,
    .case_get = case_get,
    .case_update = case_update,
    .case_list = case_list,
};
