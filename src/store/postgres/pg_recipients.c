/* SPDX-License-Identifier: Apache-2.0 */
/* pg_recipients.c — the recipients area's queries on PostgreSQL (issue 7): registry entries, the
 * disclosure log per subject, government requests. Statement slots 320..383 (store/areas.h).
 * Same behaviour as src/store/sqlite/recipients.c. */
#include "pg_internal.h"

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

static const struct pg_stmt ST[] = {
    {S_RCPT_PUT, "tt_rcp_put", "ttttitii",
     "INSERT INTO recipients (" RCPT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
     " ON CONFLICT DO NOTHING",
     NULL},
    {S_RCPT_UPDATE, "tt_rcp_update", "ttttiti",
     "UPDATE recipients SET rkey = $3, status = $4, flagged_at = $5, doc = $6, updated_at = $7"
     " WHERE tenant_id = $1 AND recipient_id = $2",
     NULL},
    {S_RCPT_GET_ID, "tt_rcp_get_id", "tt",
     "SELECT " RCPT_COLS " FROM recipients WHERE tenant_id = $1 AND recipient_id = $2", NULL},
    {S_RCPT_GET_KEY, "tt_rcp_get_key", "tt",
     "SELECT " RCPT_COLS " FROM recipients WHERE tenant_id = $1 AND rkey = $2", NULL},
    {S_RCPT_LIST, "tt_rcp_list", "t",
     "SELECT " RCPT_COLS " FROM recipients WHERE tenant_id = $1 ORDER BY rkey", NULL},
    {S_DIS_PUT, "tt_rcp_dis_put", "ttttttiti",
     "INSERT INTO disclosures (" DIS_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
     " ON CONFLICT DO NOTHING",
     NULL},
    {S_DIS_LIST, "tt_rcp_dis_list", "tti",
     "SELECT " DIS_COLS " FROM disclosures WHERE tenant_id = $1 AND subject_id = $2"
     " AND (hidden = 0 OR $3 = 1) ORDER BY created_at DESC, disclosure_id DESC",
     NULL},
    {S_GOV_PUT, "tt_rcp_gov_put", "ttiti",
     "INSERT INTO gov_requests (" GOV_COLS ") VALUES ($1, $2, $3, $4, $5)"
     " ON CONFLICT DO NOTHING",
     NULL},
    {S_GOV_LIST, "tt_rcp_gov_list", "t",
     "SELECT " GOV_COLS " FROM gov_requests WHERE tenant_id = $1"
     " ORDER BY created_at DESC, govreq_id DESC",
     NULL},
};

static const struct pg_stmt *st_of(int id)
{
    return &ST[id - TT_STORE_SLOT_BASE(TT_AREA_RECIPIENTS)];
}

static struct pg_conn *P(struct tt_store_conn *c)
{
    return pg_conn_of(c);
}

struct each {
    tt_rcpt_row_cb rcb;
    tt_disclosure_cb dcb;
    tt_govreq_cb gcb;
    void *cls;
};

static int rcpt_row(void *cls, const PGresult *res, int row)
{
    struct each *e = cls;
    struct tt_rcpt_row r;
    memset(&r, 0, sizeof r);
    if (tt__pg_text(res, row, 0, r.tenant_id, sizeof r.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, r.id, sizeof r.id) < 0 ||
        tt__pg_text(res, row, 2, r.key, sizeof r.key) < 0 ||
        tt__pg_text(res, row, 3, r.status, sizeof r.status) < 0)
        return -1;
    r.flagged_at = tt__pg_int(res, row, 4);
    r.doc = PQgetvalue(res, row, 5); /* libpq NUL-terminates every value */
    r.created_at = tt__pg_int(res, row, 6);
    r.updated_at = tt__pg_int(res, row, 7);
    return e->rcb && e->rcb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs rcpt_put(struct tt_store_conn *c, const struct tt_rcpt_row *r)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, r->tenant_id);
    tt__pg_arg_text(&a, r->id);
    tt__pg_arg_text(&a, r->key);
    tt__pg_arg_text(&a, r->status);
    tt__pg_arg_int(&a, r->flagged_at);
    tt__pg_arg_text(&a, r->doc);
    tt__pg_arg_int(&a, r->created_at);
    tt__pg_arg_int(&a, r->updated_at);
    return tt__pg_exec_one(P(c), st_of(S_RCPT_PUT), &a);
}

static enum tt_qs rcpt_update(struct tt_store_conn *c, const struct tt_rcpt_row *r)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, r->tenant_id);
    tt__pg_arg_text(&a, r->id);
    tt__pg_arg_text(&a, r->key);
    tt__pg_arg_text(&a, r->status);
    tt__pg_arg_int(&a, r->flagged_at);
    tt__pg_arg_text(&a, r->doc);
    tt__pg_arg_int(&a, r->updated_at);
    return tt__pg_exec_one(P(c), st_of(S_RCPT_UPDATE), &a);
}

static enum tt_qs rcpt_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           const char *key, tt_rcpt_row_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id ? id : key);
    struct each e = {.rcb = cb, .cls = cls};
    enum tt_qs qs = tt__pg_each(P(c), st_of(id ? S_RCPT_GET_ID : S_RCPT_GET_KEY), &a, rcpt_row, &e);
    return qs > TT_QS_ONE ? TT_QS_ONE : qs;
}

static enum tt_qs rcpt_list(struct tt_store_conn *c, const char *tenant_id, tt_rcpt_row_cb cb,
                            void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    struct each e = {.rcb = cb, .cls = cls};
    return tt__pg_each(P(c), st_of(S_RCPT_LIST), &a, rcpt_row, &e);
}

static enum tt_qs disclosure_put(struct tt_store_conn *c, const struct tt_disclosure_row *d)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, d->tenant_id);
    tt__pg_arg_text(&a, d->id);
    tt__pg_arg_text(&a, d->subject_id);
    tt__pg_arg_text(&a, d->recipient_id);
    tt__pg_arg_text(&a, d->purpose);
    tt__pg_arg_text(&a, d->govreq_id);
    tt__pg_arg_int(&a, d->hidden != 0);
    tt__pg_arg_text(&a, d->doc);
    tt__pg_arg_int(&a, d->created_at);
    return tt__pg_exec_one(P(c), st_of(S_DIS_PUT), &a);
}

static int dis_row(void *cls, const PGresult *res, int row)
{
    struct each *e = cls;
    struct tt_disclosure_row d;
    memset(&d, 0, sizeof d);
    if (tt__pg_text(res, row, 0, d.tenant_id, sizeof d.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, d.id, sizeof d.id) < 0 ||
        tt__pg_text(res, row, 2, d.subject_id, sizeof d.subject_id) < 0 ||
        tt__pg_text(res, row, 3, d.recipient_id, sizeof d.recipient_id) < 0 ||
        tt__pg_text(res, row, 4, d.purpose, sizeof d.purpose) < 0 ||
        tt__pg_text(res, row, 5, d.govreq_id, sizeof d.govreq_id) < 0)
        return -1;
    d.hidden = tt__pg_int(res, row, 6) != 0;
    d.doc = PQgetvalue(res, row, 7);
    d.created_at = tt__pg_int(res, row, 8);
    return e->dcb && e->dcb(e->cls, &d) ? 1 : 0;
}

static enum tt_qs disclosure_list(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, int with_hidden, tt_disclosure_cb cb,
                                  void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    tt__pg_arg_int(&a, with_hidden != 0);
    struct each e = {.dcb = cb, .cls = cls};
    return tt__pg_each(P(c), st_of(S_DIS_LIST), &a, dis_row, &e);
}

static enum tt_qs govreq_put(struct tt_store_conn *c, const struct tt_govreq_row *g)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, g->tenant_id);
    tt__pg_arg_text(&a, g->id);
    tt__pg_arg_int(&a, g->hidden != 0);
    tt__pg_arg_text(&a, g->doc);
    tt__pg_arg_int(&a, g->created_at);
    return tt__pg_exec_one(P(c), st_of(S_GOV_PUT), &a);
}

static int gov_row(void *cls, const PGresult *res, int row)
{
    struct each *e = cls;
    struct tt_govreq_row g;
    memset(&g, 0, sizeof g);
    if (tt__pg_text(res, row, 0, g.tenant_id, sizeof g.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, g.id, sizeof g.id) < 0)
        return -1;
    g.hidden = tt__pg_int(res, row, 2) != 0;
    g.doc = PQgetvalue(res, row, 3);
    g.created_at = tt__pg_int(res, row, 4);
    return e->gcb && e->gcb(e->cls, &g) ? 1 : 0;
}

static enum tt_qs govreq_list(struct tt_store_conn *c, const char *tenant_id, tt_govreq_cb cb,
                              void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    struct each e = {.gcb = cb, .cls = cls};
    return tt__pg_each(P(c), st_of(S_GOV_LIST), &a, gov_row, &e);
}

const struct tt_recipients_store_ops tt__pg_recipients_ops = {
    .rcpt_put = rcpt_put,
    .rcpt_update = rcpt_update,
    .rcpt_get = rcpt_get,
    .rcpt_list = rcpt_list,
    .disclosure_put = disclosure_put,
    .disclosure_list = disclosure_list,
    .govreq_put = govreq_put,
    .govreq_list = govreq_list,
};
