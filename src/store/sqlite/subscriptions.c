/* SPDX-License-Identifier: Apache-2.0 */
/* subscriptions.c — the subscriptions area's queries on SQLite (issue 7 part B): subscribers of
 * the public sub-processor list, the change job's snapshot, notice announcements. Statement
 * slots 448..511 (store/areas.h). Same behaviour as src/store/postgres/pg_subscriptions.c. */
#include "sq.h"

#include <string.h>

#include "../subscriptions_store.h"

enum {
    S_SUB_PUT = TT_STORE_SLOT_BASE(TT_AREA_SUBSCRIPTIONS),
    S_SUB_UPDATE,
    S_SUB_BY_ID,
    S_SUB_BY_BLIND,
    S_SUB_BY_CONFIRM,
    S_SUB_BY_UNSUB,
    S_SUB_LIST,
    S_SNAP_GET,
    S_SNAP_INSERT,
    S_SNAP_UPDATE,
    S_ANN_PUT,
    S_ANN_GET,
    S_PTEXT_PUT,
    S_PTEXT_PRIOR,
    S__END
};
_Static_assert(S__END <= TT_STORE_SLOT_BASE(TT_AREA_SUBSCRIPTIONS) + TT_STORE_SLOTS_PER_AREA,
               "subscriptions statements overflow their range");

#define SUB_COLS                                                                                   \
    "tenant_id, subscriber_id, kind, status, lang, blind, confirm_hash, unsub_hash, to_enc,"       \
    " secret_enc, confirm_expires_at, created_at, confirmed_at, updated_at"
#define SUB_FROM " FROM sub_subscribers WHERE tenant_id = ?1 AND "

struct each {
    tt_subscriber_cb cb;
    tt_subs_snapshot_cb scb;
    void *cls;
};

static int sub_row(sqlite3_stmt *st, void *ctx)
{
    struct each *e = ctx;
    struct tt_subscriber s;
    memset(&s, 0, sizeof s);
    tt__sq_col_text(st, 0, s.tenant_id, sizeof s.tenant_id);
    tt__sq_col_text(st, 1, s.id, sizeof s.id);
    tt__sq_col_text(st, 2, s.kind, sizeof s.kind);
    tt__sq_col_text(st, 3, s.status, sizeof s.status);
    tt__sq_col_text(st, 4, s.lang, sizeof s.lang);
    tt__sq_col_text(st, 5, s.blind, sizeof s.blind);
    tt__sq_col_text(st, 6, s.confirm_hash, sizeof s.confirm_hash);
    tt__sq_col_text(st, 7, s.unsub_hash, sizeof s.unsub_hash);
    s.to_enc = sqlite3_column_blob(st, 8);
    s.to_enc_len = s.to_enc ? (size_t)sqlite3_column_bytes(st, 8) : 0;
    s.secret_enc = sqlite3_column_blob(st, 9);
    s.secret_enc_len = s.secret_enc ? (size_t)sqlite3_column_bytes(st, 9) : 0;
    s.confirm_expires_at = sqlite3_column_int64(st, 10);
    s.created_at = sqlite3_column_int64(st, 11);
    s.confirmed_at = sqlite3_column_int64(st, 12);
    s.updated_at = sqlite3_column_int64(st, 13);
    return e->cb && e->cb(e->cls, &s) ? 1 : 0;
}

/* Binds ?1..?14 in SUB_COLS order. */
static int bind_sub(sqlite3_stmt *st, const struct tt_subscriber *s)
{
    return tt__sq_bind_text(st, 1, s->tenant_id) || tt__sq_bind_text(st, 2, s->id) ||
           tt__sq_bind_text(st, 3, s->kind) || tt__sq_bind_text(st, 4, s->status) ||
           tt__sq_bind_text(st, 5, s->lang) || tt__sq_bind_text(st, 6, s->blind) ||
           tt__sq_bind_text(st, 7, s->confirm_hash) || tt__sq_bind_text(st, 8, s->unsub_hash) ||
           tt__sq_bind_blob(st, 9, s->to_enc, s->to_enc_len) ||
           tt__sq_bind_blob(st, 10, s->secret_enc, s->secret_enc_len) ||
           tt__sq_bind_int(st, 11, s->confirm_expires_at) ||
           tt__sq_bind_int(st, 12, s->created_at) || tt__sq_bind_int(st, 13, s->confirmed_at) ||
           tt__sq_bind_int(st, 14, s->updated_at);
}

static enum tt_qs sub_put(struct tt_store_conn *c, const struct tt_subscriber *s)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_SUB_PUT,
                                   "INSERT INTO sub_subscribers (" SUB_COLS ") VALUES (?1, ?2, ?3,"
                                   " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                                   &qs);
    if (!st)
        return qs;
    if (bind_sub(st, s))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs sub_update(struct tt_store_conn *c, const struct tt_subscriber *s)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, S_SUB_UPDATE,
        "UPDATE sub_subscribers SET kind = ?3, status = ?4, lang = ?5, blind = ?6,"
        " confirm_hash = ?7, unsub_hash = ?8, to_enc = ?9, secret_enc = ?10,"
        " confirm_expires_at = ?11, created_at = ?12, confirmed_at = ?13, updated_at = ?14"
        " WHERE tenant_id = ?1 AND subscriber_id = ?2",
        &qs);
    if (!st)
        return qs;
    if (bind_sub(st, s))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs sub_find(struct tt_store_conn *c, const char *tenant_id, enum tt_subs_by by,
                           const char *value, tt_subscriber_cb cb, void *cls)
{
    static const char *const sql[] = {
        "SELECT " SUB_COLS SUB_FROM "subscriber_id = ?2",
        "SELECT " SUB_COLS SUB_FROM "blind = ?2",
        "SELECT " SUB_COLS SUB_FROM "confirm_hash = ?2 AND confirm_hash <> ''",
        "SELECT " SUB_COLS SUB_FROM "unsub_hash = ?2 AND unsub_hash <> ''",
    };
    if ((int)by < 0 || by > TT_SUBS_BY_UNSUB)
        return TT_QS_HARD;
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_SUB_BY_ID + (int)by, sql[by], &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, value))
        return tt__sq_bind_failed(q, st);
    struct each e = {.cb = cb, .cls = cls};
    return tt__sq_one(q, st, sub_row, &e);
}

static enum tt_qs sub_list(struct tt_store_conn *c, const char *tenant_id, const char *status,
                           tt_subscriber_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, S_SUB_LIST, "SELECT " SUB_COLS SUB_FROM "status = ?2 ORDER BY subscriber_id", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, status))
        return tt__sq_bind_failed(q, st);
    struct each e = {.cb = cb, .cls = cls};
    return tt__sq_each(q, st, sub_row, &e);
}

static int snap_row(sqlite3_stmt *st, void *ctx)
{
    struct each *e = ctx;
    struct tt_subs_snapshot s;
    memset(&s, 0, sizeof s);
    tt__sq_col_text(st, 0, s.tenant_id, sizeof s.tenant_id);
    tt__sq_col_text(st, 1, s.digest, sizeof s.digest);
    s.doc = (const char *)sqlite3_column_text(st, 2);
    s.updated_at = sqlite3_column_int64(st, 3);
    if (!s.doc)
        return -1;
    return e->scb && e->scb(e->cls, &s) ? 1 : 0;
}

static enum tt_qs snap_get(struct tt_store_conn *c, const char *tenant_id, tt_subs_snapshot_cb cb,
                           void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_SNAP_GET,
                                   "SELECT tenant_id, digest, doc, updated_at FROM sub_snapshots"
                                   " WHERE tenant_id = ?1",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id))
        return tt__sq_bind_failed(q, st);
    struct each e = {.scb = cb, .cls = cls};
    return tt__sq_one(q, st, snap_row, &e);
}

static enum tt_qs snap_put(struct tt_store_conn *c, const struct tt_subs_snapshot *s,
                           const char *prev)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        prev ? tt__sq_stmt(q, S_SNAP_UPDATE,
                           "UPDATE sub_snapshots SET digest = ?2, doc = ?3, updated_at = ?4"
                           " WHERE tenant_id = ?1 AND digest = ?5",
                           &qs)
             : tt__sq_stmt(q, S_SNAP_INSERT,
                           "INSERT INTO sub_snapshots (tenant_id, digest, doc, updated_at)"
                           " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                           &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, s->tenant_id) || tt__sq_bind_text(st, 2, s->digest) ||
        tt__sq_bind_text(st, 3, s->doc) || tt__sq_bind_int(st, 4, s->updated_at) ||
        (prev && tt__sq_bind_text(st, 5, prev)))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs announce_put(struct tt_store_conn *c, const char *tenant_id, const char *version,
                               int64_t n, tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_ANN_PUT,
                                   "INSERT INTO sub_announcements (tenant_id, version, accounts,"
                                   " announced_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, version) ||
        tt__sq_bind_int(st, 3, n) || tt__sq_bind_int(st, 4, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct ann {
    tt_time at;
    int64_t n;
};

static int ann_row(sqlite3_stmt *st, void *ctx)
{
    struct ann *a = ctx;
    a->n = sqlite3_column_int64(st, 0);
    a->at = sqlite3_column_int64(st, 1);
    return 0;
}

static enum tt_qs announce_get(struct tt_store_conn *c, const char *tenant_id, const char *version,
                               tt_time *at, int64_t *n)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_ANN_GET,
                                   "SELECT accounts, announced_at FROM sub_announcements"
                                   " WHERE tenant_id = ?1 AND version = ?2",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, version))
        return tt__sq_bind_failed(q, st);
    struct ann a = {0};
    qs = tt__sq_one(q, st, ann_row, &a);
    if (qs == TT_QS_ONE) {
        if (at)
            *at = a.at;
        if (n)
            *n = a.n;
    }
    return qs;
}

static enum tt_qs policy_text_put(struct tt_store_conn *c, const char *tenant_id,
                                  const char *version, const char *text, tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, S_PTEXT_PUT,
                    "INSERT INTO sub_policy_texts (tenant_id, version, text, seen_at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, version) ||
        tt__sq_bind_text(st, 3, text) || tt__sq_bind_int(st, 4, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct ptext {
    tt_subs_policy_text_cb cb;
    void *cls;
};

static int ptext_row(sqlite3_stmt *st, void *ctx)
{
    struct ptext *x = ctx;
    struct tt_subs_policy_text p;
    memset(&p, 0, sizeof p);
    tt__sq_col_text(st, 0, p.version, sizeof p.version);
    p.text = (const char *)sqlite3_column_text(st, 1);
    p.seen_at = sqlite3_column_int64(st, 2);
    if (!p.text)
        return -1;
    return x->cb && x->cb(x->cls, &p) ? 1 : 0;
}

static enum tt_qs policy_text_prior(struct tt_store_conn *c, const char *tenant_id,
                                    const char *version, tt_subs_policy_text_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_PTEXT_PRIOR,
                                   "SELECT version, text, seen_at FROM sub_policy_texts"
                                   " WHERE tenant_id = ?1 AND version <> ?2"
                                   " ORDER BY seen_at DESC, version DESC LIMIT 1",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, version))
        return tt__sq_bind_failed(q, st);
    struct ptext x = {cb, cls};
    return tt__sq_one(q, st, ptext_row, &x);
}

const struct tt_subscriptions_store_ops tt__sq_subscriptions_ops = {
    .sub_put = sub_put,
    .sub_update = sub_update,
    .sub_find = sub_find,
    .sub_list = sub_list,
    .snap_get = snap_get,
    .snap_put = snap_put,
    .announce_put = announce_put,
    .announce_get = announce_get,
    .policy_text_put = policy_text_put,
    .policy_text_prior = policy_text_prior,
};
