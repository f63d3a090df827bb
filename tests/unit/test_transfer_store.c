/* SPDX-License-Identifier: Apache-2.0 */
/* test_transfer_store.c — the recipients area of the store (store/recipients_store.h) on SQLite,
 * or on the database of TUTELA_TEST_DB: the registry seeded from the policy on first use with an
 * audit event per entry (S4.3), entries round-trip through their JSON doc, keys are unique per
 * tenant, the disclosure log hides government disclosures from the subject's view (S4.8), and
 * another tenant sees nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "api/recipients_doc.h"
#include "store/recipients_store.h"
#include "../support/tt_tmp.h"

struct fx {
    char dir[256];
    char url[320];
    struct tt_store *s;
    struct tt_store_conn *c;
    struct tt_policy *p;
    char tenant[TT_ID_MAX], other[TT_ID_MAX];
};

static void uniq(char *out, const char *prefix)
{
    char id[TT_ID_MAX];
    tt_id_new("x_", id);
    snprintf(out, TT_ID_MAX, "%s_%.30s", prefix, id + 2);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_true(sodium_init() >= 0);
    assert_int_equal(tt_test_store_url("tt_rcp_", f->dir, sizeof f->dir, f->url, sizeof f->url), 0);
    char err[256];
    assert_int_equal(tt_store_open(f->url, 1, 1, &f->s, err, sizeof err), 0);
    f->c = tt_store_acquire(f->s);
    char path[512], perr[TT_POLICY_ERR_MAX];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/policy/default.yaml", root ? root : ".");
    assert_int_equal(tt_policy_load(path, &f->p, perr), 0);
    uniq(f->tenant, "ten_r");
    uniq(f->other, "ten_o");
    const struct tt_store_ops *ops = tt_store_ops_of(f->c);
    struct tt_tenant t = {.kind = TT_TENANT_CUSTOMER, .created_at = 1};
    snprintf(t.id, sizeof t.id, "%s", f->tenant);
    snprintf(t.name, sizeof t.name, "r");
    assert_int_equal(ops->tenant_put(f->c, &t), TT_QS_ONE);
    snprintf(t.id, sizeof t.id, "%s", f->other);
    assert_int_equal(ops->tenant_put(f->c, &t), TT_QS_ONE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tt_store_release(f->c);
    tt_store_close(f->s);
    tt_policy_free(f->p);
    if (f->dir[0])
        assert_int_equal(tt_tmp_rmtree(f->dir), 0);
    free(f);
    return 0;
}

struct seed_args {
    struct fx *f;
    const char *tenant;
};

static enum tt_qs seed_txn(struct tt_store_conn *c, void *cls)
{
    struct seed_args *a = cls;
    return tt__rcpt_seed(c, a->f->p, a->tenant, 1700000000);
}

static int count_cb(void *cls, const struct tt_rcpt_row *r)
{
    (void)r;
    ++*(int *)cls;
    return 0;
}

static int audit_cb(void *cls, const struct tt_audit_event *e)
{
    if (strcmp(e->action, "recipient.seed") == 0)
        ++*(int *)cls;
    return 0;
}

static void registry_seeded_once_with_audit(void **state)
{
    struct fx *f = *state;
    const struct tt_recipients_store_ops *ops = tt_store_ops_of(f->c)->recipients;
    struct seed_args a = {f, f->tenant};
    assert_int_equal(tt_store_txn(f->c, seed_txn, &a), TT_QS_ONE);
    assert_int_equal(tt_store_txn(f->c, seed_txn, &a), TT_QS_NONE); /* once */
    int n = 0;
    assert_int_equal(ops->rcpt_list(f->c, f->tenant, count_cb, &n), (int)f->p->n_recipients);
    assert_int_equal(n, (int)f->p->n_recipients);
    int audited = 0;
    assert_true(tt_store_ops_of(f->c)->audit_scan(f->c, f->tenant, 0, 0, audit_cb, &audited) >= 0);
    assert_int_equal(audited, (int)f->p->n_recipients);
    n = 0;
    assert_int_equal(ops->rcpt_list(f->c, f->other, count_cb, &n), 0); /* isolation */
    /* S4.3: Stripe is an independent controller with a legal basis, approved */
    struct tt_rcpt r;
    assert_int_equal(tt__rcpt_load(f->c, f->tenant, NULL, "stripe", &r), TT_QS_ONE);
    assert_int_equal(r.role, TT_RROLE_CONTROLLER);
    assert_int_equal(r.status, TT_RSTATUS_APPROVED);
    assert_int_equal(r.basis, TT_BASIS_CONTRACT);
    assert_int_equal(r.mechanism, TT_MECH_SCC);
    assert_int_equal(r.n_purposes, 3);
    struct tt_rcpt again;
    assert_int_equal(tt__rcpt_load(f->c, f->tenant, r.id, NULL, &again), TT_QS_ONE);
    assert_memory_equal(&r, &again, sizeof r);
    assert_int_equal(tt__rcpt_load(f->c, f->other, r.id, NULL, &again), TT_QS_NONE);
    /* an update (suspension, flag) round-trips; a second entry with the same key is refused */
    r.status = TT_RSTATUS_SUSPENDED;
    r.flagged_at = 1700000100;
    snprintf(r.flag_reason, sizeof r.flag_reason, "adequacy_lapsed:us_dpf");
    struct tt_rcpt_row row;
    char *doc = NULL;
    assert_int_equal(tt__rcpt_to_row(&r, &row, &doc), 0);
    assert_int_equal(ops->rcpt_update(f->c, &row), TT_QS_ONE);
    tt_id_new("rcp_", row.id);
    assert_int_equal(ops->rcpt_put(f->c, &row), TT_QS_NONE);
    free(doc);
    assert_int_equal(tt__rcpt_load(f->c, f->tenant, NULL, "stripe", &again), TT_QS_ONE);
    assert_int_equal(again.status, TT_RSTATUS_SUSPENDED);
    assert_string_equal(again.flag_reason, "adequacy_lapsed:us_dpf");
}

static int dis_cb(void *cls, const struct tt_disclosure_row *d)
{
    (void)d;
    ++*(int *)cls;
    return 0;
}

static int gov_cb(void *cls, const struct tt_govreq_row *g)
{
    *(int *)cls += g->hidden ? 10 : 1;
    return 0;
}

static void government_disclosures_hidden_from_subject_view(void **state)
{
    struct fx *f = *state;
    const struct tt_recipients_store_ops *ops = tt_store_ops_of(f->c)->recipients;
    struct seed_args a = {f, f->tenant};
    assert_int_equal(tt_store_txn(f->c, seed_txn, &a), TT_QS_ONE);
    struct tt_rcpt cloud, gov;
    assert_int_equal(tt__rcpt_load(f->c, f->tenant, NULL, "example_cloud_eu", &cloud), TT_QS_ONE);
    assert_int_equal(tt__rcpt_load(f->c, f->tenant, NULL, "nl_authorities", &gov), TT_QS_ONE);
    struct tt_govreq_row g = {.hidden = 1, .doc = "{\"authority\":\"court\"}", .created_at = 5};
    snprintf(g.tenant_id, sizeof g.tenant_id, "%s", f->tenant);
    tt_id_new("gov_", g.id);
    assert_int_equal(ops->govreq_put(f->c, &g), TT_QS_ONE);
    struct tt_disclosure_row d = {.doc = "{}", .created_at = 10};
    snprintf(d.tenant_id, sizeof d.tenant_id, "%s", f->tenant);
    snprintf(d.subject_id, sizeof d.subject_id, "sub_x");
    snprintf(d.purpose, sizeof d.purpose, "essential.service");
    snprintf(d.recipient_id, sizeof d.recipient_id, "%s", cloud.id);
    tt_id_new("dis_", d.id);
    assert_int_equal(ops->disclosure_put(f->c, &d), TT_QS_ONE);
    snprintf(d.recipient_id, sizeof d.recipient_id, "%s", gov.id);
    snprintf(d.govreq_id, sizeof d.govreq_id, "%s", g.id);
    snprintf(d.purpose, sizeof d.purpose, "essential.legal_obligation");
    d.hidden = 1;
    tt_id_new("dis_", d.id);
    assert_int_equal(ops->disclosure_put(f->c, &d), TT_QS_ONE);
    /* an unknown recipient is refused by the foreign key: nothing recorded */
    snprintf(d.recipient_id, sizeof d.recipient_id, "rcp_unknown");
    tt_id_new("dis_", d.id);
    assert_true(ops->disclosure_put(f->c, &d) <= TT_QS_NONE);
    int n = 0;
    assert_int_equal(ops->disclosure_list(f->c, f->tenant, "sub_x", 0, dis_cb, &n), 1);
    n = 0;
    assert_int_equal(ops->disclosure_list(f->c, f->tenant, "sub_x", 1, dis_cb, &n), 2);
    n = 0;
    assert_int_equal(ops->disclosure_list(f->c, f->other, "sub_x", 1, dis_cb, &n), 0);
    n = 0;
    assert_int_equal(ops->govreq_list(f->c, f->tenant, gov_cb, &n), 1);
    assert_int_equal(n, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registry_seeded_once_with_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(government_disclosures_hidden_from_subject_view, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
