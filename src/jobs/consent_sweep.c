/* SPDX-License-Identifier: Apache-2.0 */
/* consent_sweep.c — the job that ends consent proofs after their 5 years (S7.5): per tenant, the
 * chain's oldest events past expires_at are removed in bounded batches, each batch one
 * transaction with its audit event, and the chain's floor moves to the last removed event so the
 * rest still verifies (`tutela consent verify`). An erased subject's CONSENT key, kept only to
 * open the evidence of its proofs (S8.2), is destroyed in the batch that removes its last proof:
 * nothing outlives its rule. A live subject keeps its key (destroyed keys are never revived).
 * Idempotent: a rerun finds nothing due. */
#include <sodium.h>
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
    int64_t keys_destroyed;
    char (*subjects)[TT_ID_MAX]; /* subjects of the events due (BATCH slots) */
    size_t n_subjects;
};

/* The events the store's sweep will remove: the oldest, up to BATCH, stopping at the first one
 * still kept (consent_store.h). */
static int due_cb(void *cls, const struct tt_consent_event *e)
{
    struct sweep_ctx *x = cls;
    if (e->expires_at > x->now || x->n_subjects == BATCH)
        return 1;
    memcpy(x->subjects[x->n_subjects++], e->subject_id, TT_ID_MAX);
    return 0;
}

static int first_cb(void *cls, const struct tt_consent_event *e)
{
    (void)e;
    *(int *)cls = 1;
    return 1;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* S7.5, S8.2: an erased subject whose last proof is gone loses its CONSENT key. */
static enum tt_qs end_key_if_last(struct tt_store_conn *c, struct sweep_ctx *x, const char *id)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_subject s;
    enum tt_qs qs = ops->subject_get(c, x->tenant_id, id, &s);
    if (qs <= 0 || s.erased_at == 0)
        return qs < 0 ? qs : TT_QS_NONE;
    int left = 0;
    qs = ops->consent->list_subject(c, x->tenant_id, id, first_cb, &left);
    if (qs < 0 || left)
        return qs < 0 ? qs : TT_QS_NONE;
    struct tt_subject_key k;
    qs = ops->subject_key_get(c, x->tenant_id, id, TT_KEYCLASS_CONSENT, &k);
    if (qs <= 0 || k.destroyed_at != 0)
        return qs < 0 ? qs : TT_QS_NONE;
    k.destroyed_at = x->now;
    sodium_memzero(k.wrapped, sizeof k.wrapped);
    qs = ops->subject_key_put(c, &k);
    sodium_memzero(&k, sizeof k);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    x->keys_destroyed++;
    return TT_QS_ONE;
}

static enum tt_qs sweep_txn(struct tt_store_conn *c, void *cls)
{
    struct sweep_ctx *x = cls;
    const struct tt_consent_store_ops *ops = tt_store_ops_of(c)->consent;
    struct tt_consent_head h;
    x->removed = 0;
    x->keys_destroyed = 0;
    x->n_subjects = 0;
    enum tt_qs qs = ops->head(c, x->tenant_id, &h); /* takes the chain's lock */
    if (qs <= 0)
        return qs;
    qs = ops->scan(c, x->tenant_id, due_cb, x);
    if (qs < 0)
        return qs;
    qs = ops->sweep(c, x->tenant_id, x->now, BATCH, &x->removed);
    if (qs <= 0)
        return qs;
    qsort(x->subjects, x->n_subjects, sizeof x->subjects[0], cmp_id);
    for (size_t i = 0; i < x->n_subjects; i++) {
        const char *id = x->subjects[i];
        if (!id[0] || (i > 0 && strcmp(id, x->subjects[i - 1]) == 0))
            continue; /* an anonymous visitor's event, or a subject seen already */
        qs = end_key_if_last(c, x, id);
        if (qs < 0)
            return qs;
    }
    json_t *d = json_pack("{s:I, s:I}", "removed", (json_int_t)x->removed, "keys_destroyed",
                          (json_int_t)x->keys_destroyed);
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
    char(*subjects)[TT_ID_MAX] = malloc(BATCH * sizeof *subjects);
    if (!subjects)
        return -TT_E_NOMEM;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    enum tt_qs qs = tt_store_ops_of(c)->consent->head_list(c, head_cb, &t);
    int rc = qs < 0 ? -TT_E_STORE : 0;
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        for (int b = 0; b < BATCHES_PER_PASS; b++) {
            struct sweep_ctx x = {t.ids[i], now, 0, 0, subjects, 0};
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
    free(subjects);
    free(t.ids);
    return rc;
}
