/* SPDX-License-Identifier: Apache-2.0 */
/* pg_subscriptions.c — the subscriptions area's queries on PostgreSQL (issue 7 part B):
 * subscribers of the public sub-processor list, the change job's snapshot, notice
 * announcements. Statement slots 448..511 (store/areas.h). Same behaviour as
 * src/store/sqlite/subscriptions.c. */
#include "pg_internal.h"

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
#define SUB_FROM " FROM sub_subscribers WHERE tenant_id = $1 AND "
#define SUB_TYPES "ttttttttbbiiii"

static const struct pg_stmt ST[] = {
    {S_SUB_PUT, "tt_sbs_put", SUB_TYPES,
     "INSERT INTO sub_subscribers (" SUB_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
     " $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING",
     NULL},
    {S_SUB_UPDATE, "tt_sbs_update", SUB_TYPES,
     "UPDATE sub_subscribers SET kind = $3, status = $4, lang = $5, blind = $6,"
     " confirm_hash = $7, unsub_hash = $8, to_enc = $9, secret_enc = $10,"
     " confirm_expires_at = $11, created_at = $12, confirmed_at = $13, updated_at = $14"
     " WHERE tenant_id = $1 AND subscriber_id = $2 AND NOT EXISTS (SELECT 1 FROM"
     " sub_subscribers o WHERE o.tenant_id = $1 AND o.blind = $6 AND o.subscriber_id <> $2)",
     NULL},
    {S_SUB_BY_ID, "tt_sbs_by_id", "tt", "SELECT " SUB_COLS SUB_FROM "subscriber_id = $2", NULL},
    {S_SUB_BY_BLIND, "tt_sbs_by_blind", "tt", "SELECT " SUB_COLS SUB_FROM "blind = $2", NULL},
    {S_SUB_BY_CONFIRM, "tt_sbs_by_confirm", "tt",
     "SELECT " SUB_COLS SUB_FROM "confirm_hash = $2 AND confirm_hash <> ''", NULL},
    {S_SUB_BY_UNSUB, "tt_sbs_by_unsub", "tt",
     "SELECT " SUB_COLS SUB_FROM "unsub_hash = $2 AND unsub_hash <> ''", NULL},
    {S_SUB_LIST, "tt_sbs_list", "tt",
     "SELECT " SUB_COLS SUB_FROM "status = $2 ORDER BY subscriber_id", NULL},
    {S_SNAP_GET, "tt_sbs_snap_get", "t",
     "SELECT tenant_id, digest, doc, updated_at FROM sub_snapshots WHERE tenant_id = $1", NULL},
    {S_SNAP_INSERT, "tt_sbs_snap_insert", "ttti",
     "INSERT INTO sub_snapshots (tenant_id, digest, doc, updated_at) VALUES ($1, $2, $3, $4)"
     " ON CONFLICT DO NOTHING",
     NULL},
    {S_SNAP_UPDATE, "tt_sbs_snap_update", "tttit",
     "UPDATE sub_snapshots SET digest = $2, doc = $3, updated_at = $4"
     " WHERE tenant_id = $1 AND digest = $5",
     NULL},
    {S_ANN_PUT, "tt_sbs_ann_put", "ttii",
     "INSERT INTO sub_announcements (tenant_id, version, accounts, announced_at)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
     NULL},
    {S_ANN_GET, "tt_sbs_ann_get", "tt",
     "SELECT accounts, announced_at FROM sub_announcements WHERE tenant_id = $1 AND version = $2",
     NULL},
    {S_PTEXT_PUT, "tt_sbs_ptext_put", "ttti",
     "INSERT INTO sub_policy_texts (tenant_id, version, text, seen_at) VALUES ($1, $2, $3, $4)"
     " ON CONFLICT DO NOTHING",
     NULL},
    {S_PTEXT_PRIOR, "tt_sbs_ptext_prior", "tt",
     "SELECT version, text, seen_at FROM sub_policy_texts WHERE tenant_id = $1 AND version <> $2"
     " ORDER BY seen_at DESC, version DESC LIMIT 1",
     NULL},
};

static const struct pg_stmt *st_of(int id)
{
    return &ST[id - TT_STORE_SLOT_BASE(TT_AREA_SUBSCRIPTIONS)];
}

struct each {
    tt_subscriber_cb cb;
    tt_subs_snapshot_cb scb;
    void *cls;
};

static int sub_row(void *cls, const PGresult *res, int row)
{
    struct each *e = cls;
    struct tt_subscriber s;
    memset(&s, 0, sizeof s);
    if (tt__pg_text(res, row, 0, s.tenant_id, sizeof s.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, s.id, sizeof s.id) < 0 ||
        tt__pg_text(res, row, 2, s.kind, sizeof s.kind) < 0 ||
        tt__pg_text(res, row, 3, s.status, sizeof s.status) < 0 ||
        tt__pg_text(res, row, 4, s.lang, sizeof s.lang) < 0 ||
        tt__pg_text(res, row, 5, s.blind, sizeof s.blind) < 0 ||
        tt__pg_text(res, row, 6, s.confirm_hash, sizeof s.confirm_hash) < 0 ||
        tt__pg_text(res, row, 7, s.unsub_hash, sizeof s.unsub_hash) < 0)
        return -1;
    s.to_enc = tt__pg_bytes(res, row, 8, &s.to_enc_len);
    s.secret_enc = tt__pg_bytes(res, row, 9, &s.secret_enc_len);
    s.confirm_expires_at = tt__pg_int(res, row, 10);
    s.created_at = tt__pg_int(res, row, 11);
    s.confirmed_at = tt__pg_int(res, row, 12);
    s.updated_at = tt__pg_int(res, row, 13);
    return e->cb && e->cb(e->cls, &s) ? 1 : 0;
}

static void args_sub(struct pg_args *a, const struct tt_subscriber *s)
{
    tt__pg_arg_text(a, s->tenant_id);
    tt__pg_arg_text(a, s->id);
    tt__pg_arg_text(a, s->kind);
    tt__pg_arg_text(a, s->status);
    tt__pg_arg_text(a, s->lang);
    tt__pg_arg_text(a, s->blind);
    tt__pg_arg_text(a, s->confirm_hash);
    tt__pg_arg_text(a, s->unsub_hash);
    tt__pg_arg_bytes(a, s->to_enc_len ? s->to_enc : NULL, s->to_enc_len);
    tt__pg_arg_bytes(a, s->secret_enc_len ? s->secret_enc : NULL, s->secret_enc_len);
    tt__pg_arg_int(a, s->confirm_expires_at);
    tt__pg_arg_int(a, s->created_at);
    tt__pg_arg_int(a, s->confirmed_at);
    tt__pg_arg_int(a, s->updated_at);
}

static enum tt_qs sub_put(struct tt_store_conn *c, const struct tt_subscriber *s)
{
    struct pg_args a = {0};
    args_sub(&a, s);
    return tt__pg_exec_one(pg_conn_of(c), st_of(S_SUB_PUT), &a);
}

static enum tt_qs sub_update(struct tt_store_conn *c, const struct tt_subscriber *s)
{
    struct pg_args a = {0};
    args_sub(&a, s);
    return tt__pg_exec_one(pg_conn_of(c), st_of(S_SUB_UPDATE), &a);
}

static enum tt_qs sub_find(struct tt_store_conn *c, const char *tenant_id, enum tt_subs_by by,
                           const char *value, tt_subscriber_cb cb, void *cls)
{
    if ((int)by < 0 || by > TT_SUBS_BY_UNSUB)
        return TT_QS_HARD;
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, value);
    struct each e = {.cb = cb, .cls = cls};
    enum tt_qs qs = tt__pg_each(pg_conn_of(c), st_of(S_SUB_BY_ID + (int)by), &a, sub_row, &e);
    return qs > TT_QS_ONE ? TT_QS_ONE : qs;
}

static enum tt_qs sub_list(struct tt_store_conn *c, const char *tenant_id, const char *status,
                           tt_subscriber_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, status);
    struct each e = {.cb = cb, .cls = cls};
    return tt__pg_each(pg_conn_of(c), st_of(S_SUB_LIST), &a, sub_row, &e);
}

static int snap_row(void *cls, const PGresult *res, int row)
{
    struct each *e = cls;
    struct tt_subs_snapshot s;
    memset(&s, 0, sizeof s);
    if (tt__pg_text(res, row, 0, s.tenant_id, sizeof s.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, s.digest, sizeof s.digest) < 0)
        return -1;
    s.doc = PQgetvalue(res, row, 2);
    s.updated_at = tt__pg_int(res, row, 3);
    return e->scb && e->scb(e->cls, &s) ? 1 : 0;
}

static enum tt_qs snap_get(struct tt_store_conn *c, const char *tenant_id, tt_subs_snapshot_cb cb,
                           void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    struct each e = {.scb = cb, .cls = cls};
    enum tt_qs qs = tt__pg_each(pg_conn_of(c), st_of(S_SNAP_GET), &a, snap_row, &e);
    return qs > TT_QS_ONE ? TT_QS_ONE : qs;
}

static enum tt_qs snap_put(struct tt_store_conn *c, const struct tt_subs_snapshot *s,
                           const char *prev)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, s->tenant_id);
    tt__pg_arg_text(&a, s->digest);
    tt__pg_arg_text(&a, s->doc);
    tt__pg_arg_int(&a, s->updated_at);
    if (prev)
        tt__pg_arg_text(&a, prev);
    return tt__pg_exec_one(pg_conn_of(c), st_of(prev ? S_SNAP_UPDATE : S_SNAP_INSERT), &a);
}

static enum tt_qs announce_put(struct tt_store_conn *c, const char *tenant_id, const char *version,
                               int64_t n, tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, version);
    tt__pg_arg_int(&a, n);
    tt__pg_arg_int(&a, at);
    return tt__pg_exec_one(pg_conn_of(c), st_of(S_ANN_PUT), &a);
}

struct ann {
    tt_time at;
    int64_t n;
};

static int ann_row(void *cls, const PGresult *res, int row)
{
    struct ann *x = cls;
    x->n = tt__pg_int(res, row, 0);
    x->at = tt__pg_int(res, row, 1);
    return 0;
}

static enum tt_qs announce_get(struct tt_store_conn *c, const char *tenant_id, const char *version,
                               tt_time *at, int64_t *n)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, version);
    struct ann x = {0};
    enum tt_qs qs = tt__pg_each(pg_conn_of(c), st_of(S_ANN_GET), &a, ann_row, &x);
    if (qs >= TT_QS_ONE) {
        qs = TT_QS_ONE;
        if (at)
            *at = x.at;
        if (n)
            *n = x.n;
    }
    return qs;
}

static enum tt_qs policy_text_put(struct tt_store_conn *c, const char *tenant_id,
                                  const char *version, const char *text, tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, version);
    tt__pg_arg_text(&a, text);
    tt__pg_arg_int(&a, at);
    return tt__pg_exec_one(pg_conn_of(c), st_of(S_PTEXT_PUT), &a);
}

struct ptext {
    tt_subs_policy_text_cb cb;
    void *cls;
};

static int ptext_row(void *cls, const PGresult *res, int row)
{
    struct ptext *x = cls;
    struct tt_subs_policy_text p;
    memset(&p, 0, sizeof p);
    if (tt__pg_text(res, row, 0, p.version, sizeof p.version) < 0)
        return -1;
    p.text = PQgetvalue(res, row, 1);
    p.seen_at = tt__pg_int(res, row, 2);
    return x->cb && x->cb(x->cls, &p) ? 1 : 0;
}

static enum tt_qs policy_text_prior(struct tt_store_conn *c, const char *tenant_id,
                                    const char *version, tt_subs_policy_text_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, version);
    struct ptext x = {cb, cls};
    enum tt_qs qs = tt__pg_each(pg_conn_of(c), st_of(S_PTEXT_PRIOR), &a, ptext_row, &x);
    return qs > TT_QS_ONE ? TT_QS_ONE : qs;
}

const struct tt_subscriptions_store_ops tt__pg_subscriptions_ops = {
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
