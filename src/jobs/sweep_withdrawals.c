/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_withdrawals.c — S7.3: a withdrawal or unsubscribe ends the retention of what a rule
 * `ends_on_withdrawal` keeps. One subject's ends are recomputed set-based when it withdraws
 * (tt_retention_withdrawn), and the retention.sweep job picks up, tenant by tenant, the
 * withdrawals committed since its last pass (a time cursor kept in the settings), so the sweep
 * that follows deletes what they ended. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/audit.h"
#include "../core/error.h"
#include "../store/retention_store.h"
#include "sweep.h"

#define WD_PAGE 1000

struct wd_txn {
    const struct tt_policy *p;
    const char *tenant_id, *subject_id, *actor;
    tt_time now;
    int64_t changed;
};

static enum tt_qs wd_write(struct tt_store_conn *c, void *cls)
{
    struct wd_txn *x = cls;
    x->changed = 0;
    enum tt_qs qs =
        tt_retention_recompute_subject(c, x->p, x->tenant_id, x->subject_id, &x->changed);
    if (qs < 0 || x->changed == 0)
        return qs < 0 ? qs : TT_QS_ONE;
    qs = tt_store_ops_of(c)->retention->subject_horizon(c, x->tenant_id, x->subject_id, x->now);
    if (qs < 0)
        return qs;
    json_t *d = json_pack("{s:I}", "records_recomputed", (json_int_t)x->changed);
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->tenant_id, x->now, x->actor ? x->actor : "system",
                       "retention.withdrawal", x->subject_id, d);
    json_decref(d);
    return qs;
}

int tt_retention_withdrawn(struct tt_store *s, const struct tt_policy *p, const char *tenant_id,
                           const char *subject_id, tt_time now, const char *actor, int64_t *changed)
{
    if (!s || !p || !tenant_id || !subject_id || !*subject_id)
        return -TT_E_BAD_PARAM;
    struct wd_txn x = {p, tenant_id, subject_id, actor, now, 0};
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_txn(c, wd_write, &x);
    tt_store_release(c);
    if (qs < 0)
        return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    if (changed)
        *changed = x.changed;
    return 0;
}

struct wd_page {
    struct tt_store *s;
    const struct tt_sweep_opts *o;
    const char *tenant_id;
    tt_time last;
    int64_t moved;
    int rc;
};

static int wd_subject(void *cls, const char *subject_id, tt_time at)
{
    struct wd_page *w = cls;
    int64_t n = 0;
    w->rc = tt_retention_withdrawn(w->s, w->o->policy, w->tenant_id, subject_id, w->o->now,
                                   w->o->actor, &n);
    w->moved += n;
    w->last = at;
    return w->rc != 0;
}

/* The subjects of one tenant that withdrew since its cursor, page by page; the cursor moves to
 * the latest withdrawal handled (a withdrawal at that very second is looked at again: harmless). */
static int tenant_withdrawals(struct tt_store *s, const struct tt_sweep_opts *o,
                              const char *tenant_id, int64_t *moved)
{
    char key[TT_ID_MAX + 40], val[32] = "";
    snprintf(key, sizeof key, "retention.withdrawals_at.%s", tenant_id);
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_ops_of(c)->setting_get(c, key, val, sizeof val);
    tt_store_release(c);
    if (qs < 0)
        return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    struct wd_page w = {.s = s, .o = o, .tenant_id = tenant_id, .last = strtoll(val, NULL, 10)};
    for (;;) {
        tt_time since = w.last;
        c = tt_store_acquire(s);
        qs = tt_store_ops_of(c)->retention->withdrawals_since(c, tenant_id, since, WD_PAGE,
                                                              wd_subject, &w);
        tt_store_release(c);
        if (w.rc)
            return w.rc;
        if (qs < 0)
            return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
        if (w.last != since || qs > 0) {
            snprintf(val, sizeof val, "%" PRId64, (int64_t)w.last);
            c = tt_store_acquire(s);
            enum tt_qs put = tt_store_ops_of(c)->setting_put(c, key, val);
            tt_store_release(c);
            if (put < 0)
                return put == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
        }
        /* a short page, or a full one that did not move the cursor (all at one second): done */
        if ((int)qs < WD_PAGE || w.last == since)
            break;
    }
    *moved += w.moved;
    return 0;
}

int tt_retention_withdrawals(struct tt_store *s, const struct tt_sweep_opts *o, int64_t *changed)
{
    if (!s || !o || !o->policy)
        return -TT_E_BAD_PARAM;
    struct tt_sweep_tenants ts = {0};
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_ops_of(c)->tenant_list(c, tt__sweep_tenant_collect, &ts);
    tt_store_release(c);
    int rc = qs < 0 ? (qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE) : 0;
    int64_t moved = 0;
    for (size_t i = 0; rc == 0 && i < ts.n; i++)
        if (!o->tenant_id || strcmp(o->tenant_id, ts.ids[i]) == 0)
            rc = tenant_withdrawals(s, o, ts.ids[i], &moved);
    free(ts.ids);
    if (changed)
        *changed = moved;
    return rc;
}
