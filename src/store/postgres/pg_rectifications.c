/* SPDX-License-Identifier: Apache-2.0 */
/* pg_rectifications.c — rectification history on PostgreSQL (requests_store.h; issue 5, S1.5):
 * the value a record had before it was corrected, sealed, with who and when; read
 * for the export and the DPO, deleted by erasure. Statement slots 192+32.. of the requests area.
 * Same behaviour as src/store/sqlite/rectifications.c. */
#include "pg_rectifications.h"

#include <string.h>

#define RC_BASE (TT_STORE_SLOT_BASE(TT_AREA_REQUESTS) + 32)

enum { S_RECORD_GET = RC_BASE, S_PUT, S_LIST, S_DELETE, S_IDENTITY_SET, S__END };
_Static_assert(S__END <= TT_STORE_SLOT_BASE(TT_AREA_REQUESTS) + TT_STORE_SLOTS_PER_AREA,
               "rectification statements overflow the requests range");

#define RC_COLS                                                                                    \
    "tenant_id, rectification_id, subject_id, target_id, field, request_id, actor, at, reason,"    \
    " old_enc"

static const struct pg_stmt ST[] = {
    {S_RECORD_GET, "tt_rc_record_get", "tt",
     "SELECT subject_id, data_category, value_enc FROM records"
     " WHERE tenant_id = $1 AND record_id = $2",
     NULL},
    {S_PUT, "tt_rc_put", "tttttttitb",
     "INSERT INTO rectifications (" RC_COLS ", seq)"
     " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE(MAX(seq), 0) + 1"
     " FROM rectifications WHERE tenant_id = $1 AND subject_id = $3",
     NULL},
    {S_LIST, "tt_rc_list", "tt",
     "SELECT " RC_COLS " FROM rectifications WHERE tenant_id = $1 AND subject_id = $2"
     " ORDER BY seq, rectification_id",
     NULL},
    {S_DELETE, "tt_rc_delete", "tt",
     "DELETE FROM rectifications WHERE tenant_id = $1 AND subject_id = $2", NULL},
    {S_IDENTITY_SET, "tt_rc_identity_set", "tbttt",
     "UPDATE identities SET blind = $1, value_enc = $2"
     " WHERE tenant_id = $3 AND identity_id = $4 AND subject_id = $5",
     NULL},
};

static const struct pg_stmt *st_of(int id)
{
    return &ST[id - RC_BASE];
}

struct target_each {
    int (*cb)(void *, const struct tt_rct_target *);
    void *cls;
};

static int target_row(void *cls, const PGresult *res, int row)
{
    struct target_each *e = cls;
    struct tt_rct_target t;
    memset(&t, 0, sizeof t);
    if (tt__pg_text(res, row, 0, t.subject_id, sizeof t.subject_id) < 0 ||
        tt__pg_text(res, row, 1, t.field, sizeof t.field) < 0)
        return -1;
    t.value_enc = tt__pg_bytes(res, row, 2, &t.value_enc_len);
    return e->cb && e->cb(e->cls, &t) ? 1 : 0;
}

enum tt_qs tt__pg_rct_target_get(struct tt_store_conn *c, const char *tenant_id,
                                 const char *target_id,
                                 int (*cb)(void *, const struct tt_rct_target *), void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, target_id);
    struct target_each e = {cb, cls};
    enum tt_qs qs = tt__pg_each(pg_conn_of(c), st_of(S_RECORD_GET), &a, target_row, &e);
    return qs < 0 ? qs : qs > 0 ? TT_QS_ONE : TT_QS_NONE;
}

enum tt_qs tt__pg_rct_put(struct tt_store_conn *c, const struct tt_rectification *h)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, h->tenant_id);
    tt__pg_arg_text(&a, h->id);
    tt__pg_arg_text(&a, h->subject_id);
    tt__pg_arg_text(&a, h->target_id);
    tt__pg_arg_text(&a, h->field);
    tt__pg_arg_text(&a, h->request_id);
    tt__pg_arg_text(&a, h->actor);
    tt__pg_arg_int(&a, h->at);
    tt__pg_arg_text(&a, h->reason);
    tt__pg_arg_bytes(&a, h->old_enc, h->old_enc_len);
    return tt__pg_exec_one(pg_conn_of(c), st_of(S_PUT), &a);
}

struct rct_each {
    int (*cb)(void *, const struct tt_rectification *);
    void *cls;
};

static int rct_row(void *cls, const PGresult *res, int row)
{
    struct rct_each *e = cls;
    struct tt_rectification h;
    memset(&h, 0, sizeof h);
    if (tt__pg_text(res, row, 0, h.tenant_id, sizeof h.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, h.id, sizeof h.id) < 0 ||
        tt__pg_text(res, row, 2, h.subject_id, sizeof h.subject_id) < 0 ||
        tt__pg_text(res, row, 3, h.target_id, sizeof h.target_id) < 0 ||
        tt__pg_text(res, row, 4, h.field, sizeof h.field) < 0 ||
        tt__pg_text(res, row, 5, h.request_id, sizeof h.request_id) < 0 ||
        tt__pg_text(res, row, 6, h.actor, sizeof h.actor) < 0 ||
        tt__pg_text(res, row, 8, h.reason, sizeof h.reason) < 0)
        return -1;
    h.at = tt__pg_int(res, row, 7);
    h.old_enc = tt__pg_bytes(res, row, 9, &h.old_enc_len);
    return e->cb && e->cb(e->cls, &h) ? 1 : 0;
}

enum tt_qs tt__pg_rct_list(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                           int (*cb)(void *, const struct tt_rectification *), void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    struct rct_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), st_of(S_LIST), &a, rct_row, &e);
}

enum tt_qs tt__pg_rct_delete_subject(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    return tt__pg_exec_one(pg_conn_of(c), st_of(S_DELETE), &a);
}

enum tt_qs tt__pg_rct_identity_set(struct tt_store_conn *c, const char *tenant_id,
                                   const char *subject_id, const char *identity_id,
                                   const char *blind_hex, const uint8_t *value_enc, size_t len)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, blind_hex);
    tt__pg_arg_bytes(&a, value_enc, len);
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, identity_id);
    tt__pg_arg_text(&a, subject_id);
    return tt__pg_exec_one(pg_conn_of(c), st_of(S_IDENTITY_SET), &a);
}
