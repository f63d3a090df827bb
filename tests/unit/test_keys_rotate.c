/* SPDX-License-Identifier: Apache-2.0 */
/* test_keys_rotate.c — `tutela keys rotate` against a real SQLite store: every live subject key
 * is re-wrapped under the new master key (the old one no longer opens them), records are not
 * rewritten and still open, an interrupted run resumes, a run stopped after installing the new
 * key finishes, and damaged keys stop the run without changing anything (issue 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/vault.h"
#include "store/store.h"
#include "../support/tt_tmp.h"

#define N_SUBJECTS 7

struct fixture {
    char dir[64];
    char key_path[128];
    char url[160];
    struct tt_store *store;
    struct tt_store_conn *conn;
    char old_id[TT_ID_MAX];
    /* the data keys as created: rotation must keep them, only their wrapping changes */
    struct {
        char tenant[TT_ID_MAX], subject[TT_ID_MAX];
        enum tt_key_class cls;
        uint8_t key[TT_KEY_BYTES];
    } keys[2 * N_SUBJECTS];
    int n_keys;
    uint8_t sealed[64];
    size_t sealed_len;
};

static const char *const tenants[] = {"ten_a", "ten_b"};

static void must(enum tt_qs qs)
{
    assert_int_equal(qs, TT_QS_ONE);
}

static void put_key(struct fixture *f, const struct tt_master *m, const char *tenant,
                    const char *subject, enum tt_key_class cls, int destroyed)
{
    const struct tt_store_ops *ops = tt_store_ops_of(f->conn);
    struct tt_subject_key k = {0};
    snprintf(k.tenant_id, sizeof k.tenant_id, "%s", tenant);
    snprintf(k.subject_id, sizeof k.subject_id, "%s", subject);
    k.key_class = cls;
    snprintf(k.master_key_id, sizeof k.master_key_id, "%s", m->id);
    k.created_at = 1000;
    uint8_t key[TT_KEY_BYTES];
    tt_vault_key_new(key);
    char ad[TT_KEY_AD_MAX];
    tt_vault_key_ad(tenant, subject, cls, ad);
    assert_int_equal(tt_vault_wrap(m, key, ad, k.wrapped), 0);
    k.wrapped_len = TT_WRAPPED_BYTES;
    must(ops->subject_key_put(f->conn, &k));
    if (destroyed) {
        k.destroyed_at = 2000;
        memset(k.wrapped, 0, sizeof k.wrapped);
        must(ops->subject_key_put(f->conn, &k));
        return;
    }
    int i = f->n_keys++;
    snprintf(f->keys[i].tenant, sizeof f->keys[i].tenant, "%s", tenant);
    snprintf(f->keys[i].subject, sizeof f->keys[i].subject, "%s", subject);
    f->keys[i].cls = cls;
    memcpy(f->keys[i].key, key, sizeof key);
}

/* Seven subjects over two tenants, each with a MAIN key; two also with a CONSENT key; one with
 * a destroyed FINANCIAL key; one record sealed under the first subject's key. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || tt_vault_init() != 0)
        return -1;
    unsetenv("TUTELA_MASTER_KEY");
    if (!tt_tmpdir("/tmp/tt_rotate_", f->dir, sizeof f->dir))
        return -1;
    snprintf(f->key_path, sizeof f->key_path, "%s/master.key", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s/tutela.db", f->dir);
    char err[256];
    struct tt_master *m = NULL;
    if (tt_vault_master_load(f->key_path, 1, &m, NULL, err, sizeof err) != 0)
        return -1;
    snprintf(f->old_id, sizeof f->old_id, "%s", m->id);
    if (tt_store_open(f->url, 1, 1, &f->store, err, sizeof err) != 0) {
        fprintf(stderr, "store: %s\n", err);
        return -1;
    }
    f->conn = tt_store_acquire(f->store);
    const struct tt_store_ops *ops = tt_store_ops_of(f->conn);
    for (int t = 0; t < 2; t++) {
        struct tt_tenant ten = {0};
        snprintf(ten.id, sizeof ten.id, "%s", tenants[t]);
        snprintf(ten.name, sizeof ten.name, "Tenant %d", t);
        ten.kind = TT_TENANT_CUSTOMER;
        ten.created_at = 1000;
        must(ops->tenant_put(f->conn, &ten));
    }
    for (int i = 0; i < N_SUBJECTS; i++) {
        struct tt_subject s = {0};
        snprintf(s.id, sizeof s.id, "sub_%02d", i);
        snprintf(s.tenant_id, sizeof s.tenant_id, "%s", tenants[i % 2]);
        s.kind = TT_SUBJECT_CUSTOMER;
        snprintf(s.jurisdiction, sizeof s.jurisdiction, "NL");
        s.created_at = s.updated_at = 1000;
        must(ops->subject_put(f->conn, &s));
        put_key(f, m, s.tenant_id, s.id, TT_KEYCLASS_MAIN, 0);
        if (i == 2 || i == 5)
            put_key(f, m, s.tenant_id, s.id, TT_KEYCLASS_CONSENT, 0);
        if (i == 3)
            put_key(f, m, s.tenant_id, s.id, TT_KEYCLASS_FINANCIAL, 1);
    }
    /* a record of sub_00 sealed under its MAIN key (keys[0]) */
    const char *value = "+31612345678";
    f->sealed_len = strlen(value) + TT_SEAL_OVERHEAD;
    if (tt_vault_seal(f->keys[0].key, (const uint8_t *)value, strlen(value), "rec", f->sealed))
        return -1;
    struct tt_record r = {0};
    snprintf(r.id, sizeof r.id, "rec_00");
    snprintf(r.tenant_id, sizeof r.tenant_id, "ten_a");
    snprintf(r.subject_id, sizeof r.subject_id, "sub_00");
    snprintf(r.service, sizeof r.service, "sms");
    snprintf(r.data_category, sizeof r.data_category, "user.contact.phone_number");
    snprintf(r.purpose, sizeof r.purpose, "service.delivery");
    r.legal_basis = TT_BASIS_CONTRACT;
    snprintf(r.source, sizeof r.source, "direct");
    r.collected_at = r.created_at = 1000;
    r.value_enc = f->sealed;
    r.value_enc_len = f->sealed_len;
    must(ops->record_put(f->conn, &r));
    tt_vault_master_free(m);
    /* the rotation opens the store itself */
    tt_store_release(f->conn);
    f->conn = NULL;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tt_store_release(f->conn);
    tt_store_close(f->store);
    int rc = tt_tmp_rmtree(f->dir);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int rotate(struct fixture *f, const char *extra1, const char *extra2, const char *extra3,
                  const char *extra4)
{
    char *argv[12] = {"rotate", "--db", f->url, "--master-key", f->key_path};
    int argc = 5;
    const char *extra[] = {extra1, extra2, extra3, extra4};
    for (int i = 0; i < 4 && extra[i]; i++)
        argv[argc++] = (char *)extra[i];
    return tt__keys_rotate(argc, argv);
}

static struct tt_master *key_at(const char *path)
{
    struct tt_master *m = NULL;
    char err[256];
    assert_int_equal(tt_vault_master_load(path, 0, &m, NULL, err, sizeof err), 0);
    return m;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void sibling(char *out, size_t size, const struct fixture *f, const char *suffix)
{
    snprintf(out, size, "%s%s", f->key_path, suffix);
}

struct tally {
    const char *new_id, *old_id;
    int under_new, under_old, destroyed, other;
};

static int tally_cb(void *cls, const struct tt_subject_key *k)
{
    struct tally *t = cls;
    if (k->destroyed_at)
        t->destroyed++;
    else if (strcmp(k->master_key_id, t->new_id) == 0)
        t->under_new++;
    else if (strcmp(k->master_key_id, t->old_id) == 0)
        t->under_old++;
    else
        t->other++;
    return 0;
}

static struct tally count(struct fixture *f, const char *old_id, const char *new_id)
{
    struct tally t = {.new_id = new_id, .old_id = old_id};
    struct tt_store_conn *c = tt_store_acquire(f->store);
    assert_true(tt_store_ops_of(c)->subject_key_scan(c, "", "", 1000, tally_cb, &t) >= 0);
    tt_store_release(c);
    return t;
}

static void setting(struct fixture *f, char *out, size_t size)
{
    struct tt_store_conn *c = tt_store_acquire(f->store);
    out[0] = '\0';
    assert_true(tt_store_ops_of(c)->setting_get(c, "master_rotation", out, size) >= 0);
    tt_store_release(c);
}

/* Every live key unwraps under `good` to the key it was created with, and not under `bad`. */
static void check_keys(struct fixture *f, const struct tt_master *good, const struct tt_master *bad)
{
    struct tt_store_conn *c = tt_store_acquire(f->store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    for (int i = 0; i < f->n_keys; i++) {
        struct tt_subject_key k;
        must(ops->subject_key_get(c, f->keys[i].tenant, f->keys[i].subject, f->keys[i].cls, &k));
        assert_string_equal(k.master_key_id, good->id);
        char ad[TT_KEY_AD_MAX];
        uint8_t key[TT_KEY_BYTES];
        tt_vault_key_ad(k.tenant_id, k.subject_id, k.key_class, ad);
        assert_int_equal(tt_vault_unwrap(good, k.wrapped, ad, key), 0);
        assert_memory_equal(key, f->keys[i].key, TT_KEY_BYTES);
        if (bad)
            assert_int_equal(tt_vault_unwrap(bad, k.wrapped, ad, key), -TT_E_CRYPTO);
    }
    tt_store_release(c);
}

static int record_cb(void *cls, const struct tt_record *r)
{
    struct fixture *f = cls;
    assert_int_equal(r->value_enc_len, f->sealed_len);
    assert_memory_equal(r->value_enc, f->sealed, f->sealed_len); /* not rewritten */
    uint8_t plain[64];
    assert_int_equal(tt_vault_open(f->keys[0].key, r->value_enc, r->value_enc_len, "rec", plain),
                     0);
    assert_memory_equal(plain, "+31612345678", 12);
    return 0;
}

static void check_record(struct fixture *f)
{
    struct tt_store_conn *c = tt_store_acquire(f->store);
    struct tt_page page = {.after_id = "", .limit = 10};
    assert_int_equal(tt_store_ops_of(c)->record_list(c, "ten_a", "sub_00", &page, record_cb, f), 1);
    tt_store_release(c);
}

static void rotation_rewraps_every_key_and_the_old_key_no_longer_opens(void **state)
{
    struct fixture *f = *state;
    struct tt_master *old = key_at(f->key_path);
    assert_int_equal(rotate(f, "--batch", "2", NULL, NULL), TT_EXIT_OK);

    struct tt_master *now = key_at(f->key_path);
    assert_string_not_equal(now->id, f->old_id);
    struct stat st;
    assert_int_equal(stat(f->key_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char p[256];
    sibling(p, sizeof p, f, ".new");
    assert_false(exists(p));
    sibling(p, sizeof p, f, ".old");
    assert_false(exists(p));

    struct tally t = count(f, f->old_id, now->id);
    assert_int_equal(t.under_new, f->n_keys);
    assert_int_equal(t.under_old, 0);
    assert_int_equal(t.other, 0);
    assert_int_equal(t.destroyed, 1); /* shredded stays shredded */
    check_keys(f, now, old);
    check_record(f);
    char v[128];
    setting(f, v, sizeof v);
    assert_string_equal(v, "");

    /* a second rotation moves on again from the installed key */
    assert_int_equal(rotate(f, "--batch", "1000", NULL, NULL), TT_EXIT_OK);
    struct tt_master *third = key_at(f->key_path);
    assert_string_not_equal(third->id, now->id);
    check_keys(f, third, now);
    tt_vault_master_free(old);
    tt_vault_master_free(now);
    tt_vault_master_free(third);
}

static void interrupted_rotation_resumes_where_it_stopped(void **state)
{
    struct fixture *f = *state;
    struct tt_master *old = key_at(f->key_path);
    /* 7 subjects, one per batch: three batches then stop */
    assert_int_not_equal(rotate(f, "--batch", "1", "--max-batches", "3"), TT_EXIT_OK);

    struct tt_master *cur = key_at(f->key_path);
    assert_string_equal(cur->id, f->old_id); /* not installed yet */
    char p[256];
    sibling(p, sizeof p, f, ".new");
    assert_true(exists(p)); /* the new key is on disk while keys are wrapped under it */
    struct tt_master *pending = key_at(p);
    char v[128], want[128];
    setting(f, v, sizeof v);
    snprintf(want, sizeof want, "%s %s", f->old_id, pending->id);
    assert_string_equal(v, want);
    struct tally t = count(f, f->old_id, pending->id);
    assert_true(t.under_new >= 3 && t.under_new <= 4); /* three subjects, one has 2 keys */
    assert_int_equal(t.under_new + t.under_old, f->n_keys);

    /* a second interrupted run goes further, then one run finishes */
    assert_int_not_equal(rotate(f, "--batch", "1", "--max-batches", "2"), TT_EXIT_OK);
    struct tally t2 = count(f, f->old_id, pending->id);
    assert_true(t2.under_new > t.under_new);
    assert_int_equal(rotate(f, "--batch", "1", NULL, NULL), TT_EXIT_OK);

    struct tt_master *now = key_at(f->key_path);
    assert_string_equal(now->id, pending->id); /* the key of the interrupted run */
    assert_false(exists(p));
    check_keys(f, now, old);
    check_record(f);
    setting(f, v, sizeof v);
    assert_string_equal(v, "");
    tt_vault_master_free(old);
    tt_vault_master_free(cur);
    tt_vault_master_free(pending);
    tt_vault_master_free(now);
}

static void run_stopped_after_install_finishes_with_the_old_key_file(void **state)
{
    struct fixture *f = *state;
    struct tt_master *old = key_at(f->key_path);
    assert_int_equal(rotate(f, NULL, NULL, NULL, NULL), TT_EXIT_OK);
    struct tt_master *now = key_at(f->key_path);
    /* recreate the state of a crash right after PATH.new was renamed to PATH: the setting still
     * names the rotation, PATH.old holds the old key, and one key is still under the old key */
    char p[256], v[160];
    sibling(p, sizeof p, f, ".old");
    char err[256];
    assert_int_equal(tt_vault_master_save(old, p, err, sizeof err), 0);
    f->conn = tt_store_acquire(f->store);
    snprintf(v, sizeof v, "%s %s", old->id, now->id);
    must(tt_store_ops_of(f->conn)->setting_put(f->conn, "master_rotation", v));
    struct tt_subject_key k;
    must(tt_store_ops_of(f->conn)->subject_key_get(f->conn, "ten_b", "sub_05", TT_KEYCLASS_CONSENT,
                                                   &k));
    char ad[TT_KEY_AD_MAX];
    uint8_t key[TT_KEY_BYTES];
    tt_vault_key_ad(k.tenant_id, k.subject_id, k.key_class, ad);
    assert_int_equal(tt_vault_unwrap(now, k.wrapped, ad, key), 0);
    assert_int_equal(tt_vault_wrap(old, key, ad, k.wrapped), 0);
    snprintf(k.master_key_id, sizeof k.master_key_id, "%s", old->id);
    must(tt_store_ops_of(f->conn)->subject_key_put(f->conn, &k));
    tt_store_release(f->conn);
    f->conn = NULL;

    assert_int_equal(rotate(f, NULL, NULL, NULL, NULL), TT_EXIT_OK);
    struct tt_master *after = key_at(f->key_path);
    assert_string_equal(after->id, now->id);
    assert_false(exists(p));
    check_keys(f, now, old);
    setting(f, v, sizeof v);
    assert_string_equal(v, "");
    tt_vault_master_free(old);
    tt_vault_master_free(now);
    tt_vault_master_free(after);
}

static void new_key_file_is_used_and_kept(void **state)
{
    struct fixture *f = *state;
    char given_path[256], err[256];
    snprintf(given_path, sizeof given_path, "%s/given.key", f->dir);
    struct tt_master *given = NULL;
    assert_int_equal(tt_vault_master_load(given_path, 1, &given, NULL, err, sizeof err), 0);
    assert_int_equal(rotate(f, "--new-key", given_path, NULL, NULL), TT_EXIT_OK);
    struct tt_master *now = key_at(f->key_path);
    assert_string_equal(now->id, given->id);
    assert_true(exists(given_path));
    check_keys(f, now, NULL);
    /* the current key cannot be its own successor */
    assert_int_equal(rotate(f, "--new-key", given_path, NULL, NULL), TT_EXIT_USAGE);
    tt_vault_master_free(given);
    tt_vault_master_free(now);
}

static void damaged_key_stops_the_run_and_changes_nothing(void **state)
{
    struct fixture *f = *state;
    f->conn = tt_store_acquire(f->store);
    const struct tt_store_ops *ops = tt_store_ops_of(f->conn);
    struct tt_subject_key k;
    must(ops->subject_key_get(f->conn, "ten_a", "sub_04", TT_KEYCLASS_MAIN, &k));
    /* moved: sub_02's wrapped key copied onto sub_04 (different ad), under a fresh id so the
     * store takes the write */
    struct tt_subject_key moved;
    must(ops->subject_key_get(f->conn, "ten_a", "sub_02", TT_KEYCLASS_MAIN, &moved));
    memcpy(k.wrapped, moved.wrapped, TT_WRAPPED_BYTES);
    struct tt_subject_key tmp = k;
    snprintf(tmp.master_key_id, sizeof tmp.master_key_id, "mk_elsewhere");
    must(ops->subject_key_put(f->conn, &tmp));
    must(ops->subject_key_put(f->conn, &k));
    tt_store_release(f->conn);
    f->conn = NULL;

    /* one batch of everything: it fails as a whole */
    assert_int_equal(rotate(f, "--batch", "1000", NULL, NULL), TT_EXIT_FAIL);
    struct tt_master *cur = key_at(f->key_path);
    assert_string_equal(cur->id, f->old_id);
    char p[256];
    sibling(p, sizeof p, f, ".new");
    struct tt_master *pending = key_at(p);
    struct tally t = count(f, f->old_id, pending->id);
    assert_int_equal(t.under_old, f->n_keys);
    assert_int_equal(t.under_new, 0);
    tt_vault_master_free(cur);
    tt_vault_master_free(pending);
}

static void bad_usage_and_environment_key_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rotate(f, "--batch", "0", NULL, NULL), TT_EXIT_USAGE);
    assert_int_equal(rotate(f, "--batch", "1001", NULL, NULL), TT_EXIT_USAGE);
    assert_int_equal(rotate(f, "--batch", "12x", NULL, NULL), TT_EXIT_USAGE);
    assert_int_equal(rotate(f, "--bogus", NULL, NULL, NULL), TT_EXIT_USAGE);
    char *argv[] = {"rotate", "--db", f->url, "--threads", "x", NULL};
    assert_int_equal(tt__keys_rotate(5, argv), TT_EXIT_USAGE); /* shared flags are checked too */
    setenv("TUTELA_MASTER_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
           1);
    assert_int_equal(rotate(f, NULL, NULL, NULL, NULL), TT_EXIT_USAGE);
    unsetenv("TUTELA_MASTER_KEY");
    /* nothing moved */
    struct tt_master *cur = key_at(f->key_path);
    assert_string_equal(cur->id, f->old_id);
    struct tally t = count(f, f->old_id, "none");
    assert_int_equal(t.under_old, f->n_keys);
    tt_vault_master_free(cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rotation_rewraps_every_key_and_the_old_key_no_longer_opens,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(interrupted_rotation_resumes_where_it_stopped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(run_stopped_after_install_finishes_with_the_old_key_file,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(new_key_file_is_used_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_key_stops_the_run_and_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_usage_and_environment_key_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
