/* SPDX-License-Identifier: Apache-2.0 */
/* recipients.c — the recipients area's queries on SQLite (issue 7): registry entries, the
 * disclosure log per subject, government requests. Statement slots 320..383 (store/areas.h).
 * Same behaviour as src/store/postgres/pg_recipients.c. */
#include "sq.h"

#include <string.h>

#include "../recipients_store.h"

enum {
    S_RCPT_PUT = TT_STORE_SLOT_BASE(TT_AREA_RECIPIENTS),
    S_RCPT_UPDATE,
    S_RCPT_GET_ID,
    S_RCPT_GET_KEY,
    S_RCPT_LIST,
    S_DIS_PUT,
    S_DIS_LIST,
    S_GOV_PUT,
    S_GOV_LIST,
    S__END
};
_Static_assert(S__END <= TT_STORE_SLOT_BASE(TT_AREA_RECIPIENTS) + TT_STORE_SLOTS_PER_AREA,
               "recipients statements overflow their range");

#define RCPT_COLS "tenant_id, recipient_id, rkey, status, flagged_at, doc, created_at, updated_at"
#define DIS_COLS                                                                                   \
    "tenant_id, disclosure_id, subject_id, recipient_id, purpose, govreq_id, hidden, doc,"         \
    " created_at"
#define GOV_COLS "tenant_id, govreq_id, hidden, doc, created_at"

struct each {
    tt_rcpt_row_cb rcb;
    tt_disclosure_cb dcb;
    tt_govreq_cb gcb;
    void *cls;
};

static int rcpt_row(sqlite3_stmt *st, void *ctx)
{
    struct each *e = ctx;
    struct tt_rcpt_row r;
    memset(&r, 0, sizeof r);
    tt__sq_col_text(st, 0, r.tenant_id, sizeof r.tenant_id);
    tt__sq_col_text(st, 1, r.id, sizeof r.id);
    tt__sq_col_text(st, 2, r.key, sizeof r.key);
    tt__sq_col_text(st, 3, r.status, sizeof r.status);
    r.flagged_at = sqlite3_column_int64(st, 4);
    r.doc = (const char *)sqlite3_column_text(st, 5);
    r.created_at = sqlite3_column_int64(st, 6);
    r.updated_at = sqlite3_column_int64(st, 7);
    if (!r.doc)
        return -1;
    return e->rcb && e->rcb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs rcpt_put(struct tt_store_conn *c, const struct tt_rcpt_row *r)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, S_RCPT_PUT,
        "INSERT INTO recipients (" RCPT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, r->tenant_id) || tt__sq_bind_text(st, 2, r->id) ||
        tt__sq_bind_text(st, 3, r->key) || tt__sq_bind_text(st, 4, r->status) ||
        tt__sq_bind_int(st, 5, r->flagged_at) || tt__sq_bind_text(st, 6, r->doc) ||
        tt__sq_bind_int(st, 7, r->created_at) || tt__sq_bind_int(st, 8, r->updated_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs rcpt_update(struct tt_store_conn *c, const struct tt_rcpt_row *r)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_RCPT_UPDATE,
                                   "UPDATE recipients SET rkey = ?3, status = ?4, flagged_at = ?5,"
                                   " doc = ?6, updated_at = ?7"
                                   " WHERE tenant_id = ?1 AND recipient_id = ?2",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, r->tenant_id) || tt__sq_bind_text(st, 2, r->id) ||
        tt__sq_bind_text(st, 3, r->key) || tt__sq_bind_text(st, 4, r->status) ||
        tt__sq_bind_int(st, 5, r->flagged_at) || tt__sq_bind_text(st, 6, r->doc) ||
        tt__sq_bind_int(st, 7, r->updated_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs rcpt_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           const char *key, tt_rcpt_row_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        id ? tt__sq_stmt(q, S_RCPT_GET_ID,
                         "SELECT " RCPT_COLS
                         " FROM recipients WHERE tenant_id = ? AND recipient_id = ?",
                         &qs)
           : tt__sq_stmt(q, S_RCPT_GET_KEY,
                         "SELECT " RCPT_COLS " FROM recipients WHERE tenant_id = ? AND rkey = ?",
                         &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id ? id : key))
        return tt__sq_bind_failed(q, st);
    struct each e = {.rcb = cb, .cls = cls};
    return tt__sq_one(q, st, rcpt_row, &e);
}

static enum tt_qs rcpt_list(struct tt_store_conn *c, const char *tenant_id, tt_rcpt_row_cb cb,
                            void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, S_RCPT_LIST,
                    "SELECT " RCPT_COLS " FROM recipients WHERE tenant_id = ? ORDER BY rkey", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id))
        return tt__sq_bind_failed(q, st);
    struct each e = {.rcb = cb, .cls = cls};
    return tt__sq_each(q, st, rcpt_row, &e);
}

static enum tt_qs disclosure_put(struct tt_store_conn *c, const struct tt_disclosure_row *d)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, S_DIS_PUT,
        "INSERT INTO disclosures (" DIS_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, d->tenant_id) || tt__sq_bind_text(st, 2, d->id) ||
        tt__sq_bind_text(st, 3, d->subject_id) || tt__sq_bind_text(st, 4, d->recipient_id) ||
        tt__sq_bind_text(st, 5, d->purpose) || tt__sq_bind_text(st, 6, d->govreq_id) ||
        tt__sq_bind_int(st, 7, d->hidden != 0) || tt__sq_bind_text(st, 8, d->doc) ||
        tt__sq_bind_int(st, 9, d->created_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static int dis_row(sqlite3_stmt *st, void *ctx)
{
    struct each *e = ctx;
    struct tt_disclosure_row d;
    memset(&d, 0, sizeof d);
    tt__sq_col_text(st, 0, d.tenant_id, sizeof d.tenant_id);
    tt__sq_col_text(st, 1, d.id, sizeof d.id);
    tt__sq_col_text(st, 2, d.subject_id, sizeof d.subject_id);
    tt__sq_col_text(st, 3, d.recipient_id, sizeof d.recipient_id);
    tt__sq_col_text(st, 4, d.purpose, sizeof d.purpose);
    tt__sq_col_text(st, 5, d.govreq_id, sizeof d.govreq_id);
    d.hidden = sqlite3_column_int64(st, 6) != 0;
    d.doc = (const char *)sqlite3_column_text(st, 7);
    d.created_at = sqlite3_column_int64(st, 8);
    if (!d.doc)
        return -1;
    return e->dcb && e->dcb(e->cls, &d) ? 1 : 0;
}

static enum tt_qs disclosure_list(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, int with_hidden, tt_disclosure_cb cb,
                                  void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_DIS_LIST,
                                   "SELECT " DIS_COLS " FROM disclosures"
                                   " WHERE tenant_id = ?1 AND subject_id = ?2"
                                   " AND (hidden = 0 OR ?3 = 1)"
                                   " ORDER BY created_at DESC, disclosure_id DESC",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id) ||
        tt__sq_bind_int(st, 3, with_hidden != 0))
        return tt__sq_bind_failed(q, st);
    struct each e = {.dcb = cb, .cls = cls};
    return tt__sq_each(q, st, dis_row, &e);
}

static enum tt_qs govreq_put(struct tt_store_conn *c, const struct tt_govreq_row *g)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, S_GOV_PUT, "INSERT INTO gov_requests (" GOV_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, g->tenant_id) || tt__sq_bind_text(st, 2, g->id) ||
        tt__sq_bind_int(st, 3, g->hidden != 0) || tt__sq_bind_text(st, 4, g->doc) ||
        tt__sq_bind_int(st, 5, g->created_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static int gov_row(sqlite3_stmt *st, void *ctx)
{
    struct each *e = ctx;
    struct tt_govreq_row g;
    memset(&g, 0, sizeof g);
    tt__sq_col_text(st, 0, g.tenant_id, sizeof g.tenant_id);
    tt__sq_col_text(st, 1, g.id, sizeof g.id);
    g.hidden = sqlite3_column_int64(st, 2) != 0;
    g.doc = (const char *)sqlite3_column_text(st, 3);
    g.created_at = sqlite3_column_int64(st, 4);
    if (!g.doc)
        return -1;
    return e->gcb && e->gcb(e->cls, &g) ? 1 : 0;
}

static enum tt_qs govreq_list(struct tt_store_conn *c, const char *tenant_id, tt_govreq_cb cb,
                              void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, S_GOV_LIST,
                                   "SELECT " GOV_COLS " FROM gov_requests WHERE tenant_id = ?"
                                   " ORDER BY created_at DESC, govreq_id DESC",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id))
        return tt__sq_bind_failed(q, st);
    struct each e = {.gcb = cb, .cls = cls};
    return tt__sq_each(q, st, gov_row, &e);
}

const struct tt_recipients_store_ops tt__sq_recipients_ops = {
    .rcpt_put = rcpt_put,
    .rcpt_update = rcpt_update,
    .rcpt_get = rcpt_get,
    .rcpt_list = rcpt_list,
    .disclosure_put = disclosure_put,
    .disclosure_list = disclosure_list,
    .govreq_put = govreq_put,
    .govreq_list = govreq_list,
};
