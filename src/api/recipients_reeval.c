/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_reeval.c — flags the registry entries whose adequacy decision lapsed (S5.2), one
 * transaction per tenant, each flag audited. */
#include "recipients_reeval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/rcpt_state.h"
#include "audit.h"
#include "recipients_doc.h"

/* A growing array of n items of size bytes in *items: room for one more, or 0 when memory ran
 * out (the array is kept). */
static int room(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 1;
    size_t want = *cap ? 2 * *cap : 32;
    void *p = realloc(*items, want * size);
    if (!p)
        return 0;
    *items = p;
    *cap = want;
    return 1;
}

struct tenants {
    char (*ids)[TT_ID_MAX];
    size_t n, cap;
    int failed;
};

static int tenant_cb(void *cls, const struct tt_tenant *t)
{
    struct tenants *ts = cls;
    void *items = ts->ids;
    ts->failed = !room(&items, &ts->cap, ts->n, sizeof *ts->ids);
    ts->ids = items;
    if (!ts->failed)
        snprintf(ts->ids[ts->n++], TT_ID_MAX, "%s", t->id);
    return ts->failed;
}

struct rows {
    struct tt_rcpt *r;
    size_t n, cap;
    int failed;
};

static int row_cb(void *cls, const struct tt_rcpt_row *row)
{
    struct rows *rs = cls;
    void *items = rs->r;
    rs->failed = !room(&items, &rs->cap, rs->n, sizeof *rs->r);
    rs->r = items;
    if (!rs->failed)
        rs->failed = tt__rcpt_from_row(row, &rs->r[rs->n]) != 0;
    if (!rs->failed)
        rs->n++;
    return rs->failed;
}

enum tt_qs tt__rcpt_load_all(struct tt_store_conn *c, const char *tenant_id, struct tt_rcpt **out,
                             size_t *n)
{
    struct rows rs = {0};
    enum tt_qs qs = tt_store_ops_of(c)->recipients->rcpt_list(c, tenant_id, row_cb, &rs);
    if (qs >= 0 && rs.failed)
        qs = TT_QS_HARD;
    if (qs < 0) {
        free(rs.r);
        rs.r = NULL;
        rs.n = 0;
    }
    *out = rs.r;
    *n = rs.n;
    return qs;
}

struct reeval_txn {
    const struct tt_adequacy *a;
    const char *tenant_id, *actor;
    tt_time now;
    int64_t flagged;
};

static enum tt_qs reeval_txn(struct tt_store_conn *c, void *cls)
{
    struct reeval_txn *x = cls;
    const struct tt_recipients_store_ops *ops = tt_store_ops_of(c)->recipients;
    struct tt_rcpt *all = NULL;
    size_t n = 0;
    x->flagged = 0;
    enum tt_qs qs = tt__rcpt_load_all(c, x->tenant_id, &all, &n);
    for (size_t i = 0; qs >= 0 && i < n; i++) {
        struct tt_rcpt *r = &all[i];
        if (!tt_rcpt_reevaluate(r, x->a, x->now))
            continue;
        struct tt_rcpt_row row;
        char *doc = NULL;
        if (tt__rcpt_to_row(r, &row, &doc) != 0) {
            qs = TT_QS_HARD;
            break;
        }
        qs = ops->rcpt_update(c, &row);
        free(doc);
        if (qs == TT_QS_NONE)
            qs = TT_QS_HARD;
        if (qs < 0)
            break;
        json_t *d = json_pack("{s:s, s:s, s:s}", "key", r->key, "reason", r->flag_reason, "status",
                              tt_rcpt_status_name(r->status));
        qs = d ? tt_audit_emit(c, x->tenant_id, x->now, x->actor, "recipient.flag", r->id, d)
               : TT_QS_HARD;
        json_decref(d);
        x->flagged++;
    }
    free(all);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_rcpt_reevaluate_all(struct tt_store *s, const struct tt_adequacy *a, const char *tenant_id,
                           tt_time now, const char *actor, int64_t *flagged)
{
    struct tenants ts = {0};
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = TT_QS_ONE;
    if (tenant_id) {
        struct tt_tenant t;
        memset(&t, 0, sizeof t);
        snprintf(t.id, sizeof t.id, "%s", tenant_id);
        tenant_cb(&ts, &t);
    } else {
        qs = tt_store_ops_of(c)->tenant_list(c, tenant_cb, &ts);
    }
    int64_t total = 0;
    for (size_t i = 0; qs >= 0 && !ts.failed && i < ts.n; i++) {
        struct reeval_txn x = {a, ts.ids[i], actor, now, 0};
        qs = tt_store_txn(c, reeval_txn, &x);
        if (qs >= 0)
            total += x.flagged;
    }
    tt_store_release(c);
    free(ts.ids);
    if (flagged)
        *flagged = total;
    if (ts.failed)
        return -TT_E_NOMEM;
    if (qs < 0)
        return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    return 0;
}
