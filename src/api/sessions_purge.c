/* SPDX-License-Identifier: Apache-2.0 */
/* sessions_purge.c — the accounts.sessions_purge job: session rows that ended (signed out,
 * revoked or past their absolute expiry) more than 30 days ago are deleted, 1,000 per
 * transaction, so the table holds live sessions and a month of history, not every sign-in ever
 * (the sign-in itself stays in the audit trail). */
#include "../core/error.h"
#include "../jobs/jobs.h"
#include "accounts_int.h"

#define KEEP_S (30 * 86400)
#define BATCH 1000
#define BATCHES_PER_PASS 20

struct purge {
    tt_time before;
    int n;
};

static enum tt_qs purge_txn(struct tt_store_conn *c, void *cls)
{
    struct purge *p = cls;
    enum tt_qs qs = tt__acc_ops(c)->session_purge(c, p->before, BATCH);
    if (qs < 0)
        return qs;
    p->n = (int)qs;
    return TT_QS_ONE;
}

int tt_job_accounts_sessions_purge(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    struct purge p = {now - KEEP_S, 0};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    if (!tt__acc_ops(c)) {
        tt_store_release(c);
        return -TT_E_UNAVAILABLE;
    }
    int rc = 0;
    for (int i = 0; i < BATCHES_PER_PASS; i++) {
        enum tt_qs qs = tt_store_txn(c, purge_txn, &p);
        if (qs < 0) {
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
            break;
        }
        tt_jobs_note(p.n);
        if (p.n < BATCH)
            break;
    }
    tt_store_release(c);
    return rc;
}
