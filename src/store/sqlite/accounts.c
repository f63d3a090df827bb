/* SPDX-License-Identifier: Apache-2.0 */
/* accounts.c — the accounts area's queries on SQLite (issue 8): accounts, recovery codes,
 * sessions, inbox messages and cases. Statement slots 384..447 (store/areas.h). */
#include "sq.h"

#include <string.h>

#include "../accounts_store.h"

enum {
    ST_ACC_PUT = TT_STORE_SLOT_BASE(TT_AREA_ACCOUNTS),
    ST_ACC_GET,
    ST_ACC_FIND,
    ST_ACC_UPDATE,
    ST_ACC_LIST,
    ST_REC_PUT,
    ST_REC_USE,
    ST_REC_CLEAR,
    ST_SES_PUT,
    ST_SES_GET,
    ST_SES_TOUCH,
    ST_SES_REVOKE,
    ST_SES_REVOKE_ACC,
    ST_SES_LIST,
    ST_SES_PURGE,
    ST_INBOX_PUT,
    ST_CASE_PUT,
    ST_CASE_GET,
    ST_CASE_UPDATE,
    ST_CASE_LIST,
    ST_CASE_LIST_STATE,
    ST__END
};
_Static_assert(ST__END <= TT_STORE_SLOT_BASE(TT_AREA_ACCOUNTS) + TT_STORE_SLOTS_PER_AREA,
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

/* Copies a BLOB column of at most max bytes; -1 when larger. */
static int col_blob(sqlite3_stmt *st, int i, uint8_t *buf, size_t max, size_t *len)
{
    int n = sqlite3_column_bytes(st, i);
    const void *p = sqlite3_column_blob(st, i);
    if (n < 0 || (size_t)n > max)
        return -1;
    if (n > 0 && p)
        memcpy(buf, p, (size_t)n);
    *len = (size_t)n;
    return 0;
}

/* ---- accounts ---- */

static int account_row(sqlite3_stmt *st, void *ctx)
{
    struct tt_account *a = ctx;
    memset(a, 0, sizeof *a);
    tt__sq_col_text(st, 0, a->tenant_id, sizeof a->tenant_id);
    tt__sq_col_text(st, 1, a->id, sizeof a->id);
    tt__sq_col_text(st, 2, a->email_blind, sizeof a->email_blind);
    if (col_blob(st, 3, a->email_enc, sizeof a->email_enc, &a->email_enc_len) < 0)
        return -1;
    a->role = (enum tt_role)sqlite3_column_int64(st, 4);
    a->status = (enum tt_account_status)sqlite3_column_int64(st, 5);
    tt__sq_col_text(st, 6, a->pw_hash, sizeof a->pw_hash);
    a->totp_enabled = sqlite3_column_int64(st, 7) != 0;
    if (col_blob(st, 8, a->totp_enc, sizeof a->totp_enc, &a->totp_enc_len) < 0)
        return -1;
    a->totp_last_step = sqlite3_column_int64(st, 9);
    a->created_at = sqlite3_column_int64(st, 10);
    a->updated_at = sqlite3_column_int64(st, 11);
    return 0;
}

static enum tt_qs account_put(struct tt_store_conn *c, const struct tt_account *a)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_ACC_PUT,
                                   "INSERT INTO accounts (" ACC_COLS ") VALUES (?1, ?2, ?3, ?4,"
                                   " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, a->tenant_id) || tt__sq_bind_text(st, 2, a->id) ||
        tt__sq_bind_text(st, 3, a->email_blind) ||
        tt__sq_bind_blob(st, 4, a->email_enc, a->email_enc_len) ||
        tt__sq_bind_int(st, 5, a->role) || tt__sq_bind_int(st, 6, a->status) ||
        tt__sq_bind_text(st, 7, a->pw_hash) || tt__sq_bind_int(st, 8, a->totp_enabled != 0) ||
        tt__sq_bind_blob(st, 9, a->totp_enc, a->totp_enc_len) ||
        tt__sq_bind_int(st, 10, a->totp_last_step) || tt__sq_bind_int(st, 11, a->created_at) ||
        tt__sq_bind_int(st, 12, a->updated_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs account_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_account *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_ACC_GET, "SELECT " ACC_COLS " FROM accounts WHERE tenant_id = ?1 AND account_id = ?2",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id))
        return tt__sq_bind_failed(q, st);
    struct tt_account a;
    qs = tt__sq_one(q, st, account_row, &a);
    if (qs == TT_QS_ONE)
        *out = a;
    return qs;
}

static enum tt_qs account_find(struct tt_store_conn *c, const char *email_blind,
                               struct tt_account *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_ACC_FIND,
                                   "SELECT " ACC_COLS " FROM accounts WHERE email_blind = ?1"
                                   " ORDER BY tenant_id, account_id LIMIT 1",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, email_blind))
        return tt__sq_bind_failed(q, st);
    struct tt_account a;
    qs = tt__sq_one(q, st, account_row, &a);
    if (qs == TT_QS_ONE)
        *out = a;
    return qs;
}

static enum tt_qs account_update(struct tt_store_conn *c, const struct tt_account *a)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, ST_ACC_UPDATE,
                    "UPDATE accounts SET role = ?3, status = ?4, pw_hash = ?5, totp_enabled = ?6,"
                    " totp_enc = ?7, totp_last_step = ?8, updated_at = ?9"
                    " WHERE tenant_id = ?1 AND account_id = ?2",
                    &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, a->tenant_id) || tt__sq_bind_text(st, 2, a->id) ||
        tt__sq_bind_int(st, 3, a->role) || tt__sq_bind_int(st, 4, a->status) ||
        tt__sq_bind_text(st, 5, a->pw_hash) || tt__sq_bind_int(st, 6, a->totp_enabled != 0) ||
        tt__sq_bind_blob(st, 7, a->totp_enc, a->totp_enc_len) ||
        tt__sq_bind_int(st, 8, a->totp_last_step) || tt__sq_bind_int(st, 9, a->updated_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct acc_each {
    tt_account_cb cb;
    void *cls;
};

static int account_each_row(sqlite3_stmt *st, void *ctx)
{
    struct acc_each *e = ctx;
    struct tt_account a;
    if (account_row(st, &a) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &a) ? 1 : 0;
}

static enum tt_qs account_list(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_account_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_ACC_LIST,
                                   "SELECT " ACC_COLS " FROM accounts WHERE tenant_id = ?1"
                                   " AND account_id > ?2 ORDER BY account_id LIMIT ?3",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, page->after_id) ||
        tt__sq_bind_int(st, 3, tt__sq_page_limit(page->limit)))
        return tt__sq_bind_failed(q, st);
    struct acc_each e = {cb, cls};
    return tt__sq_each(q, st, account_each_row, &e);
}

/* ---- recovery codes ---- */

static enum tt_qs recovery_put(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *code_hash, tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_REC_PUT,
                                   "INSERT INTO account_recovery_codes (tenant_id, account_id,"
                                   " code_hash, created_at, used_at) VALUES (?1, ?2, ?3, ?4, 0)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, account_id) ||
        tt__sq_bind_text(st, 3, code_hash) || tt__sq_bind_int(st, 4, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs recovery_use(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *code_hash, tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_REC_USE,
                                   "UPDATE account_recovery_codes SET used_at = ?4"
                                   " WHERE tenant_id = ?1 AND account_id = ?2 AND code_hash = ?3"
                                   " AND used_at = 0",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, account_id) ||
        tt__sq_bind_text(st, 3, code_hash) || tt__sq_bind_int(st, 4, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs recovery_clear(struct tt_store_conn *c, const char *tenant_id,
                                 const char *account_id)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_REC_CLEAR,
                                   "DELETE FROM account_recovery_codes WHERE tenant_id = ?1"
                                   " AND account_id = ?2",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, account_id))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    return qs < 0 ? qs : TT_QS_ONE;
}

/* ---- sessions ---- */

static int session_row(sqlite3_stmt *st, void *ctx)
{
    struct tt_session *s = ctx;
    memset(s, 0, sizeof *s);
    tt__sq_col_text(st, 0, s->tenant_id, sizeof s->tenant_id);
    tt__sq_col_text(st, 1, s->id, sizeof s->id);
    tt__sq_col_text(st, 2, s->secret_hash, sizeof s->secret_hash);
    tt__sq_col_text(st, 3, s->account_id, sizeof s->account_id);
    tt__sq_col_text(st, 4, s->key_id, sizeof s->key_id);
    s->role = (enum tt_role)sqlite3_column_int64(st, 5);
    s->created_at = sqlite3_column_int64(st, 6);
    s->last_seen_at = sqlite3_column_int64(st, 7);
    s->expires_at = sqlite3_column_int64(st, 8);
    s->revoked_at = sqlite3_column_int64(st, 9);
    return 0;
}

static enum tt_qs session_put(struct tt_store_conn *c, const struct tt_session *s)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_SES_PUT,
                                   "INSERT INTO account_sessions (" SES_COLS ") VALUES (?1, ?2,"
                                   " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, s->tenant_id) || tt__sq_bind_text(st, 2, s->id) ||
        tt__sq_bind_text(st, 3, s->secret_hash) || tt__sq_bind_text(st, 4, s->account_id) ||
        tt__sq_bind_text(st, 5, s->key_id) || tt__sq_bind_int(st, 6, s->role) ||
        tt__sq_bind_int(st, 7, s->created_at) || tt__sq_bind_int(st, 8, s->last_seen_at) ||
        tt__sq_bind_int(st, 9, s->expires_at) || tt__sq_bind_int(st, 10, s->revoked_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs session_get(struct tt_store_conn *c, const char *id, struct tt_session *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_SES_GET, "SELECT " SES_COLS " FROM account_sessions WHERE session_id = ?1", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, id))
        return tt__sq_bind_failed(q, st);
    struct tt_session s;
    qs = tt__sq_one(q, st, session_row, &s);
    if (qs == TT_QS_ONE)
        *out = s;
    return qs;
}

static enum tt_qs session_touch(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_SES_TOUCH,
                                   "UPDATE account_sessions SET last_seen_at = ?3"
                                   " WHERE tenant_id = ?1 AND session_id = ?2 AND revoked_at = 0",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id) ||
        tt__sq_bind_int(st, 3, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs session_revoke(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_SES_REVOKE,
                                   "UPDATE account_sessions SET revoked_at = ?3"
                                   " WHERE tenant_id = ?1 AND session_id = ?2 AND revoked_at = 0",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id) ||
        tt__sq_bind_int(st, 3, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs session_revoke_account(struct tt_store_conn *c, const char *tenant_id,
                                         const char *account_id, tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_SES_REVOKE_ACC,
                                   "UPDATE account_sessions SET revoked_at = ?3"
                                   " WHERE tenant_id = ?1 AND account_id = ?2 AND revoked_at = 0",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, account_id) ||
        tt__sq_bind_int(st, 3, at))
        return tt__sq_bind_failed(q, st);
    int rc = sqlite3_step(st);
    int changes = sqlite3_changes(q->db);
    tt__sq_reset(st);
    if (rc != SQLITE_DONE)
        return tt__sq_fail(q, rc);
    return (enum tt_qs)changes;
}

struct ses_each {
    tt_session_cb cb;
    void *cls;
};

static int session_each_row(sqlite3_stmt *st, void *ctx)
{
    struct ses_each *e = ctx;
    struct tt_session s;
    session_row(st, &s);
    return e->cb && e->cb(e->cls, &s) ? 1 : 0;
}

static enum tt_qs session_list(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *key_id, tt_time now,
                               tt_session_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_SES_LIST,
                                   "SELECT " SES_COLS " FROM account_sessions WHERE tenant_id = ?1"
                                   " AND account_id = ?2 AND key_id = ?3 AND revoked_at = 0"
                                   " AND expires_at > ?4 ORDER BY created_at DESC, session_id"
                                   " LIMIT 1000",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, account_id) ||
        tt__sq_bind_text(st, 3, key_id) || tt__sq_bind_int(st, 4, now))
        return tt__sq_bind_failed(q, st);
    struct ses_each e = {cb, cls};
    return tt__sq_each(q, st, session_each_row, &e);
}

static enum tt_qs session_purge(struct tt_store_conn *c, tt_time before, int limit)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_SES_PURGE,
                                   "DELETE FROM account_sessions WHERE rowid IN (SELECT rowid"
                                   " FROM account_sessions WHERE (revoked_at > 0 AND revoked_at"
                                   " < ?1) OR expires_at < ?1 LIMIT ?2)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, before) || tt__sq_bind_int(st, 2, limit))
        return tt__sq_bind_failed(q, st);
    int rc = sqlite3_step(st);
    int changes = sqlite3_changes(q->db);
    tt__sq_reset(st);
    if (rc != SQLITE_DONE)
        return tt__sq_fail(q, rc);
    return (enum tt_qs)changes;
}

/* ---- inbox and cases ---- */

static enum tt_qs inbox_put(struct tt_store_conn *c, const struct tt_inbox_message *m)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_INBOX_PUT,
                                   "INSERT INTO inbox_messages (tenant_id, message_id, route,"
                                   " case_id, created_by, size, received_at, raw_enc)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, m->tenant_id) || tt__sq_bind_text(st, 2, m->id) ||
        tt__sq_bind_text(st, 3, m->route) || tt__sq_bind_text(st, 4, m->case_id) ||
        tt__sq_bind_text(st, 5, m->created_by) || tt__sq_bind_int(st, 6, m->size) ||
        tt__sq_bind_int(st, 7, m->received_at) ||
        tt__sq_bind_blob(st, 8, m->raw_enc, m->raw_enc_len))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static int case_row(sqlite3_stmt *st, void *ctx)
{
    struct tt_case *k = ctx;
    memset(k, 0, sizeof *k);
    tt__sq_col_text(st, 0, k->tenant_id, sizeof k->tenant_id);
    tt__sq_col_text(st, 1, k->id, sizeof k->id);
    tt__sq_col_text(st, 2, k->kind, sizeof k->kind);
    tt__sq_col_text(st, 3, k->state, sizeof k->state);
    tt__sq_col_text(st, 4, k->owner, sizeof k->owner);
    tt__sq_col_text(st, 5, k->message_id, sizeof k->message_id);
    tt__sq_col_text(st, 6, k->account_id, sizeof k->account_id);
    tt__sq_col_text(st, 7, k->subject_id, sizeof k->subject_id);
    tt__sq_col_text(st, 8, k->created_by, sizeof k->created_by);
    tt__sq_col_text(st, 9, k->note, sizeof k->note);
    k->due_at = sqlite3_column_int64(st, 10);
    k->created_at = sqlite3_column_int64(st, 11);
    k->updated_at = sqlite3_column_int64(st, 12);
    k->closed_at = sqlite3_column_int64(st, 13);
    return 0;
}

static enum tt_qs case_put(struct tt_store_conn *c, const struct tt_case *k)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_CASE_PUT,
                                   "INSERT INTO cases (" CASE_COLS ") VALUES (?1, ?2, ?3, ?4,"
                                   " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, k->tenant_id) || tt__sq_bind_text(st, 2, k->id) ||
        tt__sq_bind_text(st, 3, k->kind) || tt__sq_bind_text(st, 4, k->state) ||
        tt__sq_bind_text(st, 5, k->owner) || tt__sq_bind_text(st, 6, k->message_id) ||
        tt__sq_bind_text(st, 7, k->account_id) || tt__sq_bind_text(st, 8, k->subject_id) ||
        tt__sq_bind_text(st, 9, k->created_by) || tt__sq_bind_text(st, 10, k->note) ||
        tt__sq_bind_int(st, 11, k->due_at) || tt__sq_bind_int(st, 12, k->created_at) ||
        tt__sq_bind_int(st, 13, k->updated_at) || tt__sq_bind_int(st, 14, k->closed_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs case_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           struct tt_case *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, ST_CASE_GET,
                    "SELECT " CASE_COLS " FROM cases WHERE tenant_id = ?1 AND case_id = ?2", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id))
        return tt__sq_bind_failed(q, st);
    struct tt_case k;
    qs = tt__sq_one(q, st, case_row, &k);
    if (qs == TT_QS_ONE)
        *out = k;
    return qs;
}

static enum tt_qs case_update(struct tt_store_conn *c, const struct tt_case *k)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_CASE_UPDATE,
                                   "UPDATE cases SET state = ?3, owner = ?4, note = ?5,"
                                   " due_at = ?6, updated_at = ?7, closed_at = ?8"
                                   " WHERE tenant_id = ?1 AND case_id = ?2",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, k->tenant_id) || tt__sq_bind_text(st, 2, k->id) ||
        tt__sq_bind_text(st, 3, k->state) || tt__sq_bind_text(st, 4, k->owner) ||
        tt__sq_bind_text(st, 5, k->note) || tt__sq_bind_int(st, 6, k->due_at) ||
        tt__sq_bind_int(st, 7, k->updated_at) || tt__sq_bind_int(st, 8, k->closed_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct case_each {
    tt_case_cb cb;
    void *cls;
};

static int case_each_row(sqlite3_stmt *st, void *ctx)
{
    struct case_each *e = ctx;
    struct tt_case k;
    case_row(st, &k);
    return e->cb && e->cb(e->cls, &k) ? 1 : 0;
}

static enum tt_qs case_list(struct tt_store_conn *c, const char *tenant_id, const char *state,
                            const struct tt_page *page, tt_case_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    int by_state = state && *state;
    sqlite3_stmt *st =
        by_state ? tt__sq_stmt(q, ST_CASE_LIST_STATE,
                               "SELECT " CASE_COLS " FROM cases WHERE tenant_id = ?1"
                               " AND case_id > ?2 AND state = ?4 ORDER BY case_id LIMIT ?3",
                               &qs)
                 : tt__sq_stmt(q, ST_CASE_LIST,
                               "SELECT " CASE_COLS " FROM cases WHERE tenant_id = ?1"
                               " AND case_id > ?2 ORDER BY case_id LIMIT ?3",
                               &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, page->after_id) ||
        tt__sq_bind_int(st, 3, tt__sq_page_limit(page->limit)) ||
        (by_state && tt__sq_bind_text(st, 4, state)))
        return tt__sq_bind_failed(q, st);
    struct case_each e = {cb, cls};
    return tt__sq_each(q, st, case_each_row, &e);
}

const struct tt_accounts_store_ops tt__sq_accounts_ops = {
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
