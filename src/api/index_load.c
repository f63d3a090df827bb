/* SPDX-License-Identifier: Apache-2.0 */
/* index_load.c — fills a new decision index (core/index.h) from the store at start and on a
 * policy reload: streams every subject, identity and purpose state through the store's scans,
 * sized from the tenants' subject counts, then compiles the policy view for fast decisions. */
#include "index_load.h"

#include "../core/error.h"

struct load {
    struct tt_index *ix;
    const struct tt_policy *p;
    int rc;
};

static int on_subject(void *cls, const struct tt_subject *s)
{
    struct load *l = cls;
    int rc = tt_index_put_subject(l->ix, s);
    if (rc == -TT_E_NOMEM) {
        l->rc = rc;
        return 1;
    }
    return 0;
}

static int on_identity(void *cls, const struct tt_identity *i)
{
    struct load *l = cls;
    int rc = tt_index_put_identity(l->ix, i);
    if (rc == -TT_E_NOMEM) {
        l->rc = rc;
        return 1;
    }
    return 0;
}

static int on_purpose_state(void *cls, const struct tt_purpose_state *ps)
{
    struct load *l = cls;
    /* a purpose the policy no longer has cannot be decided: it takes no slot */
    if (tt_index_purpose_slot(l->ix, ps->purpose) < 0)
        return 0;
    int rc = tt_index_put_purpose_state(l->ix, ps);
    if (rc == -TT_E_NOMEM) {
        l->rc = rc;
        return 1;
    }
    return 0;
}

struct count {
    struct tt_store_conn *c;
    const struct tt_store_ops *ops;
    int64_t total;
};

static int on_tenant(void *cls, const struct tt_tenant *t)
{
    struct count *n = cls;
    int64_t k = 0;
    if (n->ops->subject_count(n->c, t->id, &k) >= 0)
        n->total += k;
    return 0;
}

int tt_index_load(struct tt_store *store, const struct tt_policy *p, struct tt_index **out)
{
    if (!store || !p || !out)
        return -TT_E_INTERNAL;
    struct tt_store_conn *c = tt_store_acquire(store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct count n = {.c = c, .ops = ops};
    if (ops->tenant_list(c, on_tenant, &n) < 0) {
        tt_store_release(c);
        return -TT_E_STORE;
    }
    struct load l = {.p = p};
    int rc = tt_index_new(n.total > 0 ? (size_t)n.total : 0, &l.ix);
    if (rc) {
        tt_store_release(c);
        return rc;
    }
    /* the policy's purposes take their own bits as slots before any state is loaded */
    rc = tt_index_attach_policy(l.ix, p);
    if (!rc && ops->subject_scan(c, on_subject, &l) < 0)
        rc = -TT_E_STORE;
    if (!rc && !l.rc && ops->identity_scan(c, on_identity, &l) < 0)
        rc = -TT_E_STORE;
    if (!rc && !l.rc && ops->purpose_state_scan(c, on_purpose_state, &l) < 0)
        rc = -TT_E_STORE;
    tt_store_release(c);
    if (!rc)
        rc = l.rc;
    if (rc) {
        tt_index_free(l.ix);
        return rc;
    }
    *out = l.ix;
    return 0;
}
