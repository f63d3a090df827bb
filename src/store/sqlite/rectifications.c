/* SPDX-License-Identifier: Apache-2.0 */
/* rectifications.c — rectification history on SQLite (requests_store.h; issue 5, S1.5): the
 * value a record had before it was corrected, sealed, with who and when; read for
 * the export and the DPO, deleted by erasure. Statement slots 192+32.. of the requests area. */
#include "sq.h"

#include <string.h>

#include "../requests_store.h"
#include "rectifications.h"

#define SLOT(n) (TT_STORE_SLOT_BASE(TT_AREA_REQUESTS) + 32 + (n))

enum { RC_RECORD_GET, RC_PUT, RC_LIST, RC_DELETE, RC_IDENTITY_SET, RC__COUNT };
_Static_assert(32 + RC__COUNT <= TT_STORE_SLOTS_PER_AREA, "rectification statements overflow");

#define RC_COLS                                                                                    \
    "tenant_id, rectification_id, subject_id, target_id, field, request_id, actor, at, reason,"    \
    " old_enc"

struct target_each {
    int (*cb)(void *, const struct tt_rct_target *);
    void *cls;
};

static int target_row(sqlite3_stmt *st, void *ctx)
{
    struct target_each *e = ctx;
    struct tt_rct_target t;
    memset(&t, 0, sizeof t);
    tt__sq_col_text(st, 0, t.subject_id, sizeof t.subject_id);
    tt__sq_col_text(st, 1, t.field, sizeof t.field);
    t.value_enc = sqlite3_column_blob(st, 2);
    t.value_enc_len = t.value_enc ? (size_t)sqlite3_column_bytes(st, 2) : 0;
    return e->cb && e->cb(e->cls, &t) ? 1 : 0;
}

enum tt_qs tt__sq_rct_target_get(struct tt_store_conn *c, const char *tenant_id,
                                 const char *target_id,
                                 int (*cb)(void *, const struct tt_rct_target *), void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RC_RECORD_GET),
                                   "SELECT subject_id, data_category, value_enc FROM records"
                                   " WHERE tenant_id = ? AND record_id = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, target_id))
        return tt__sq_bind_failed(q, st);
    struct target_each e = {cb, cls};
    return tt__sq_one(q, st, target_row, &e);
}

enum tt_qs tt__sq_rct_put(struct tt_store_conn *c, const struct tt_rectification *h)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RC_PUT),
                                   "INSERT INTO rectifications (" RC_COLS ", seq)"
                                   " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                                   " COALESCE(MAX(seq), 0) + 1 FROM rectifications"
                                   " WHERE tenant_id = ?1 AND subject_id = ?3",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, h->tenant_id) || tt__sq_bind_text(st, 2, h->id) ||
        tt__sq_bind_text(st, 3, h->subject_id) || tt__sq_bind_text(st, 4, h->target_id) ||
        tt__sq_bind_text(st, 5, h->field) || tt__sq_bind_text(st, 6, h->request_id) ||
        tt__sq_bind_text(st, 7, h->actor) || tt__sq_bind_int(st, 8, h->at) ||
        tt__sq_bind_text(st, 9, h->reason) || tt__sq_bind_blob(st, 10, h->old_enc, h->old_enc_len))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct rct_each {
    int (*cb)(void *, const struct tt_rectification *);
    void *cls;
};

static int rct_row(sqlite3_stmt *st, void *ctx)
{
    struct rct_each *e = ctx;
    struct tt_rectification h;
    memset(&h, 0, sizeof h);
    tt__sq_col_text(st, 0, h.tenant_id, sizeof h.tenant_id);
    tt__sq_col_text(st, 1, h.id, sizeof h.id);
    tt__sq_col_text(st, 2, h.subject_id, sizeof h.subject_id);
    tt__sq_col_text(st, 3, h.target_id, sizeof h.target_id);
    tt__sq_col_text(st, 4, h.field, sizeof h.field);
    tt__sq_col_text(st, 5, h.request_id, sizeof h.request_id);
    tt__sq_col_text(st, 6, h.actor, sizeof h.actor);
    h.at = sqlite3_column_int64(st, 7);
    tt__sq_col_text(st, 8, h.reason, sizeof h.reason);
    h.old_enc = sqlite3_column_blob(st, 9);
    h.old_enc_len = h.old_enc ? (size_t)sqlite3_column_bytes(st, 9) : 0;
    return e->cb && e->cb(e->cls, &h) ? 1 : 0;
}

enum tt_qs tt__sq_rct_list(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                           int (*cb)(void *, const struct tt_rectification *), void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RC_LIST),
                                   "SELECT " RC_COLS " FROM rectifications"
                                   " WHERE tenant_id = ? AND subject_id = ?"
                                   " ORDER BY seq, rectification_id",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    struct rct_each e = {cb, cls};
    return tt__sq_each(q, st, rct_row, &e);
}

enum tt_qs tt__sq_rct_delete_subject(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SLOT(RC_DELETE),
                    "DELETE FROM rectifications WHERE tenant_id = ? AND subject_id = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

enum tt_qs tt__sq_rct_identity_set(struct tt_store_conn *c, const char *tenant_id,
                                   const char *subject_id, const char *identity_id,
                                   const char *blind_hex, const uint8_t *value_enc, size_t len)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RC_IDENTITY_SET),
                                   "UPDATE identities SET blind = ?, value_enc = ?"
                                   " WHERE tenant_id = ? AND identity_id = ? AND subject_id = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, blind_hex) || tt__sq_bind_blob(st, 2, value_enc, len) ||
        tt__sq_bind_text(st, 3, tenant_id) || tt__sq_bind_text(st, 4, identity_id) ||
        tt__sq_bind_text(st, 5, subject_id))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}
