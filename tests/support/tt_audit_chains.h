/* SPDX-License-Identifier: Apache-2.0 */
/* tt_audit_chains.h — a SQLite store file in a test's folder and the verdicts of its audit
 * chains, for the unit tests of what appends to the audit trail (the group commit, the denials'
 * journal). Header only, like tt_tmp.h; include it after <cmocka.h>. */
#ifndef TT_TESTS_SUPPORT_TT_AUDIT_CHAINS_H
#define TT_TESTS_SUPPORT_TT_AUDIT_CHAINS_H

#include <stdint.h>
#include <stdio.h>

#include "api/audit.h"
#include "store/store.h"

/* Opens (creating, migrated) the store "<dir>/<name>.db" with a pool of two connections. */
static inline struct tt_store *tt_test_store_open(const char *dir, const char *name)
{
    char url[160], err[256] = "";
    struct tt_store *s = NULL;
    snprintf(url, sizeof url, "sqlite:%s/%s.db", dir, name);
    assert_int_equal(tt_store_open(url, 2, 1, &s, err, sizeof err), 0);
    return s;
}

/* The first four chains' verdicts of a tt_audit_verify (tt_verdicts_collect as its callback). */
struct tt_verdicts {
    struct tt_audit_chain r[4];
    int n;
};

static inline int tt_verdicts_collect(void *cls, const struct tt_audit_chain *r)
{
    struct tt_verdicts *v = cls;
    if (v->n < 4)
        v->r[v->n++] = *r;
    return 0;
}

/* The tenant's one chain verifies with events events. */
static inline void tt_assert_chain_intact(struct tt_store *s, const char *tenant, int64_t events)
{
    struct tt_verdicts v = {0};
    assert_int_equal(tt_audit_verify(s, tenant, tt_verdicts_collect, &v), 0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.r[0].broken, TT_LEDGER_OK);
    assert_int_equal(v.r[0].events, events);
}

#endif
