/* SPDX-License-Identifier: Apache-2.0 */
/* consent_sweep.c — the job that ends consent proofs after their 5 years (S7.5): per tenant, the
 * chain's oldest events past expires_at are removed in bounded batches, each batch one
 * transaction with its audit event, and the chain's floor moves to the last removed event so the
 * rest still verifies (`tutela consent verify`). Idempotent: a rerun finds nothing due. */
#include <stdlib.h>
#include <string.h>

#include "../api/audit.h"
#include "../core/error.h"
#include "../store/consent_store.h"
#include "jobs.h"

#define BATCH 1000
#define BATCHES_PER_PASS 50

struct tenants {
    char (*ids)[TT_ID_MAX];
    size_t n, cap;
};

static int head_cb(void *cls, const struct tt_consent_head *h)
{
    struct tenants *t = cls;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char(*p)[TT_ID_MAX] = realloc(t->ids, cap * sizeof *p);
        if (!p)
            return 1;
        t->ids = p;
        t->cap = cap;
    }
    memcpy(t->ids[t->n++], h->tenant_id, TT_ID_MAX);
    return 0;
}

struct sweep_ctx {
    const char *tenant_id;
    tt_time now;
    int64_t removed;
};

static enum tt_qs sweep_txn(struct tt_store_conn *c, void *cls)
{
    struct sweep_ctx *x = cls;
    const struct tt_consent_store_ops *ops = tt_store_ops_of(c)->consent;
    struct tt_consent_head h;
    x->removed = 0;
    enum tt_qs qs = ops->head(c, x->tenant_id, &h); /* takes the chain's lock */
    if (qs <= 0)
        return qs;
    qs = ops->sweep(c, x->tenant_id, x->now, BATCH, &x->removed);
    if (qs <= 0)
        return qs;
    json_t *d = json_pack("{s:I}", "removed", (json_int_t)x->removed);
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->tenant_id, x->now, "system", "consent.sweep", "ledger", d);
    json_decref(d);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_job_consent_sweep(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    struct tenants t = {0};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    enum tt_qs qs = tt_store_ops_of(c)->consent->head_list(c, head_cb, &t);
    int rc = qs < 0 ? -TT_E_STORE : 0;
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        for (int b = 0; b < BATCHES_PER_PASS; b++) {
            struct sweep_ctx x = {t.ids[i], now, 0};
            qs = tt_store_txn(c, sweep_txn, &x);
            if (qs < 0) {
                rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
                break;
            }
            if (x.removed < BATCH)
                break;
        }
    }
    tt_store_release(c);
    free(t.ids);
    return rc;
}
