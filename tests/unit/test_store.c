/* SPDX-License-Identifier: Apache-2.0 */
/* test_store.c — the store contract (store.h), backend-agnostic: every op round-trips, pages,
 * statuses (NONE for not found / duplicate / missing parent), transactions roll back and retry,
 * tenants are isolated, migrations are idempotent, concurrent writers all succeed. Runs against
 * TUTELA_TEST_DB when set (e.g. a PostgreSQL URL), else a fresh SQLite file per test. Every test
 * works in tenants of its own, so a shared database is fine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "../support/tt_tmp.h"

struct fx {
    struct tt_store *s;
    struct tt_store_conn *c;
    const struct tt_store_ops *ops;
    char dir[256]; /* temp dir of the SQLite file ("" with TUTELA_TEST_DB) */
    char url[320];
    char tenant[TT_ID_MAX];
    char other[TT_ID_MAX];
};

static unsigned counter;

/* unique per process and test, so runs against a shared database never collide */
static void uniq(char *buf, size_t size, const char *prefix)
{
    snprintf(buf, size, "%s%ld_%lx_%u", prefix, (long)getpid(), (unsigned long)time(NULL),
             ++counter);
}

static int open_store(struct fx *f, int pool)
{
    char err[256] = "";
    int rc = tt_store_open(f->url, pool, 1, &f->s, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open failed: %s\n", err);
    return rc;
}

static struct tt_tenant mk_tenant(const char *id)
{
    struct tt_tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", id);
    snprintf(t.name, sizeof t.name, "Tenant %s", id);
    t.kind = TT_TENANT_CUSTOMER;
    t.created_at = 1764000000;
    return t;
}

static struct tt_subject mk_subject(const char *tenant, const char *id)
{
    struct tt_subject s;
    memset(&s, 0, sizeof s);
    snprintf(s.tenant_id, sizeof s.tenant_id, "%s", tenant);
    snprintf(s.id, sizeof s.id, "%s", id);
    s.kind = TT_SUBJECT_END_USER;
    snprintf(s.jurisdiction, sizeof s.jurisdiction, "US-CA");
    s.has_birth_date = 1;
    s.is_child = 0;
    s.contract_active = 1;
    s.restricted = 0;
    s.retention_until = 1900000000;
    s.contract_ended_at = 0;
    s.created_at = 1764000001;
    s.updated_at = 1764000002;
    s.erased_at = 0;
    return s;
}

static void assert_subject_equal(const struct tt_subject *a, const struct tt_subject *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->tenant_id, b->tenant_id);
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->jurisdiction, b->jurisdiction);
    assert_int_equal(a->has_birth_date, b->has_birth_date);
    assert_int_equal(a->is_child, b->is_child);
    assert_int_equal(a->contract_active, b->contract_active);
    assert_int_equal(a->restricted, b->restricted);
    assert_int_equal(a->retention_until, b->retention_until);
    assert_int_equal(a->contract_ended_at, b->contract_ended_at);
    assert_int_equal(a->created_at, b->created_at);
    assert_int_equal(a->updated_at, b->updated_at);
    assert_int_equal(a->erased_at, b->erased_at);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tt_test_store_url("tt_store_", f->dir, sizeof f->dir, f->url, sizeof f->url),
                     0);
    assert_int_equal(open_store(f, 4), 0);
    f->c = tt_store_acquire(f->s);
    f->ops = tt_store_ops_of(f->c);
    uniq(f->tenant, sizeof f->tenant, "ten_a");
    uniq(f->other, sizeof f->other, "ten_b");
    struct tt_tenant t = mk_tenant(f->tenant);
    assert_int_equal(f->ops->tenant_put(f->c, &t), TT_QS_ONE);
    t = mk_tenant(f->other);
    assert_int_equal(f->ops->tenant_put(f->c, &t), TT_QS_ONE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tt_store_release(f->c);
    tt_store_close(f->s);
    if (f->dir[0])
        assert_int_equal(tt_tmp_rmtree(f->dir), 0);
    free(f);
    return 0;
}

/* ---- tenants and API keys ---- */

struct seen {
    int n;
    int stop_at; /* stop after this many (0 = never) */
    char first[TT_ID_MAX];
    char last[TT_ID_MAX];
    int ordered;        /* every id greater than the one before */
    const char *tenant; /* count only this tenant's rows */
};

static void see(struct seen *w, const char *tenant, const char *id)
{
    if (w->tenant && strcmp(w->tenant, tenant) != 0)
        return;
    if (w->n == 0) {
        snprintf(w->first, sizeof w->first, "%s", id);
        w->ordered = 1;
    } else if (strcmp(id, w->last) <= 0) {
        w->ordered = 0;
    }
    snprintf(w->last, sizeof w->last, "%s", id);
    w->n++;
}

static int tenant_cb(void *cls, const struct tt_tenant *t)
{
    struct seen *w = cls;
    if (strncmp(t->id, "ten_a", 5) == 0 || strncmp(t->id, "ten_b", 5) == 0)
        see(w, t->id, t->id);
    return 0;
}

static void tenant_round_trip(void **state)
{
    struct fx *f = *state;
    struct tt_tenant got;
    assert_int_equal(f->ops->tenant_get(f->c, f->tenant, &got), TT_QS_ONE);
    assert_string_equal(got.id, f->tenant);
    assert_string_equal(got.name, mk_tenant(f->tenant).name);
    assert_int_equal(got.kind, TT_TENANT_CUSTOMER);
    assert_int_equal(got.created_at, 1764000000);

    /* duplicate put is NONE and keeps the first row */
    struct tt_tenant dup = mk_tenant(f->tenant);
    snprintf(dup.name, sizeof dup.name, "Impostor");
    assert_int_equal(f->ops->tenant_put(f->c, &dup), TT_QS_NONE);
    assert_int_equal(f->ops->tenant_get(f->c, f->tenant, &got), TT_QS_ONE);
    assert_string_equal(got.name, mk_tenant(f->tenant).name);

    /* not found is NONE and leaves the out-parameter alone */
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(f->ops->tenant_get(f->c, "ten_missing", &got), TT_QS_NONE);
    assert_int_equal((unsigned char)got.id[0], 0x5a);

    struct seen w = {0};
    assert_true(f->ops->tenant_list(f->c, tenant_cb, &w) >= 2);
    assert_true(w.n >= 2);
    assert_true(w.ordered);
}

static void api_key_round_trip_and_revoke(void **state)
{
    struct fx *f = *state;
    struct tt_api_key k;
    memset(&k, 0, sizeof k);
    uniq(k.id, sizeof k.id, "key_");
    snprintf(k.tenant_id, sizeof k.tenant_id, "%s", f->tenant);
    k.role = TT_ROLE_DPO;
    memset(k.hash_hex, 'a', TT_HASH_HEX - 1);
    k.created_at = 1764000100;
    assert_int_equal(f->ops->api_key_put(f->c, &k), TT_QS_ONE);
    assert_int_equal(f->ops->api_key_put(f->c, &k), TT_QS_NONE);

    struct tt_api_key got;
    assert_int_equal(f->ops->api_key_get(f->c, k.id, &got), TT_QS_ONE);
    assert_string_equal(got.tenant_id, f->tenant);
    assert_int_equal(got.role, TT_ROLE_DPO);
    assert_string_equal(got.hash_hex, k.hash_hex);
    assert_int_equal(got.created_at, 1764000100);
    assert_int_equal(got.revoked_at, 0);

    /* another tenant cannot revoke it */
    assert_int_equal(f->ops->api_key_revoke(f->c, f->other, k.id, 1764000200), TT_QS_NONE);
    assert_int_equal(f->ops->api_key_revoke(f->c, f->tenant, k.id, 1764000200), TT_QS_ONE);
    /* the first revocation stands */
    assert_int_equal(f->ops->api_key_revoke(f->c, f->tenant, k.id, 1764000300), TT_QS_NONE);
    assert_int_equal(f->ops->api_key_get(f->c, k.id, &got), TT_QS_ONE);
    assert_int_equal(got.revoked_at, 1764000200);

    assert_int_equal(f->ops->api_key_get(f->c, "key_missing", &got), TT_QS_NONE);
    /* a key of a tenant that does not exist */
    struct tt_api_key orphan = k;
    uniq(orphan.id, sizeof orphan.id, "key_");
    snprintf(orphan.tenant_id, sizeof orphan.tenant_id, "ten_missing");
    assert_int_equal(f->ops->api_key_put(f->c, &orphan), TT_QS_NONE);
    assert_int_equal(f->ops->api_key_get(f->c, orphan.id, &got), TT_QS_NONE);
}

/* ---- subjects ---- */

static int subject_cb(void *cls, const struct tt_subject *s)
{
    struct seen *w = cls;
    see(w, s->tenant_id, s->id);
    return w->stop_at && w->n >= w->stop_at;
}

static void subject_round_trip_and_update(void **state)
{
    struct fx *f = *state;
    struct tt_subject s = mk_subject(f->tenant, "sub_one");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    struct tt_subject got;
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_one", &got), TT_QS_ONE);
    assert_subject_equal(&got, &s);

    /* duplicate put is NONE and leaves the first row */
    struct tt_subject dup = s;
    dup.kind = TT_SUBJECT_VISITOR;
    assert_int_equal(f->ops->subject_put(f->c, &dup), TT_QS_NONE);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_one", &got), TT_QS_ONE);
    assert_int_equal(got.kind, TT_SUBJECT_END_USER);

    /* update changes every field but the keys and created_at */
    struct tt_subject up = s;
    up.kind = TT_SUBJECT_CUSTOMER;
    snprintf(up.jurisdiction, sizeof up.jurisdiction, "NL");
    up.has_birth_date = 0;
    up.is_child = 1;
    up.contract_active = 0;
    up.restricted = 1;
    up.retention_until = 1950000000;
    up.contract_ended_at = 1764000500;
    up.updated_at = 1764000600;
    up.erased_at = 1764000700;
    up.created_at = 42;
    assert_int_equal(f->ops->subject_update(f->c, &up), TT_QS_ONE);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_one", &got), TT_QS_ONE);
    up.created_at = s.created_at;
    assert_subject_equal(&got, &up);

    struct tt_subject ghost = mk_subject(f->tenant, "sub_ghost");
    assert_int_equal(f->ops->subject_update(f->c, &ghost), TT_QS_NONE);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_ghost", &got), TT_QS_NONE);

    /* a subject of a tenant that does not exist */
    struct tt_subject orphan = mk_subject("ten_missing", "sub_orphan");
    assert_int_equal(f->ops->subject_put(f->c, &orphan), TT_QS_NONE);

    int64_t n = -1;
    assert_int_equal(f->ops->subject_count(f->c, f->tenant, &n), TT_QS_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(f->ops->subject_count(f->c, "ten_missing", &n), TT_QS_ONE);
    assert_int_equal(n, 0);
}

static void subject_pages_follow_id_order(void **state)
{
    struct fx *f = *state;
    for (int i = 24; i >= 0; i--) {
        char id[TT_ID_MAX];
        snprintf(id, sizeof id, "sub_%03d", i);
        struct tt_subject s = mk_subject(f->tenant, id);
        assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    }
    struct tt_subject s = mk_subject(f->other, "sub_000x");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);

    struct tt_page page = {"", 10};
    int expect[] = {10, 10, 5, 0};
    const char *firsts[] = {"sub_000", "sub_010", "sub_020"};
    for (int p = 0; p < 4; p++) {
        struct seen w = {0};
        assert_int_equal(f->ops->subject_list(f->c, f->tenant, &page, subject_cb, &w), expect[p]);
        assert_int_equal(w.n, expect[p]);
        if (w.n) {
            assert_true(w.ordered);
            assert_string_equal(w.first, firsts[p]);
            snprintf(page.after_id, sizeof page.after_id, "%s", w.last);
        }
    }
    /* early stop: the query returns what it saw */
    struct tt_page first = {"", 10};
    struct seen w = {.stop_at = 3};
    assert_int_equal(f->ops->subject_list(f->c, f->tenant, &first, subject_cb, &w), 3);
    assert_int_equal(w.n, 3);

    /* the scan sees every subject of every tenant, in (tenant_id, id) order */
    struct seen all = {.tenant = f->tenant};
    assert_true(f->ops->subject_scan(f->c, subject_cb, &all) >= 26);
    assert_int_equal(all.n, 25);
    assert_true(all.ordered);
    struct seen stop = {.stop_at = 2};
    assert_int_equal(f->ops->subject_scan(f->c, subject_cb, &stop), 2);
}

/* ---- identities ---- */

struct ident_seen {
    int n;
    char last_id[TT_ID_MAX];
    uint8_t value[64];
    size_t value_len;
    const char *tenant;
};

static int ident_cb(void *cls, const struct tt_identity *i)
{
    struct ident_seen *w = cls;
    if (w->tenant && strcmp(w->tenant, i->tenant_id) != 0)
        return 0;
    w->n++;
    snprintf(w->last_id, sizeof w->last_id, "%s", i->id);
    w->value_len = i->value_enc_len < sizeof w->value ? i->value_enc_len : sizeof w->value;
    if (w->value_len)
        memcpy(w->value, i->value_enc, w->value_len);
    return 0;
}

static void identity_round_trip_through_blind_index(void **state)
{
    struct fx *f = *state;
    struct tt_subject s = mk_subject(f->tenant, "sub_id");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    static const uint8_t sealed[] = {1, 2, 3, 0, 5, 6, 7, 8, 9};
    struct tt_identity i;
    memset(&i, 0, sizeof i);
    snprintf(i.id, sizeof i.id, "idn_1");
    snprintf(i.tenant_id, sizeof i.tenant_id, "%s", f->tenant);
    snprintf(i.subject_id, sizeof i.subject_id, "sub_id");
    i.type = TT_IDENT_EMAIL;
    memset(i.blind_hex, 'b', TT_HASH_HEX - 1);
    i.value_enc = sealed;
    i.value_enc_len = sizeof sealed;
    i.created_at = 1764000010;
    assert_int_equal(f->ops->identity_put(f->c, &i), TT_QS_ONE);

    struct tt_identity got;
    assert_int_equal(f->ops->identity_find(f->c, f->tenant, TT_IDENT_EMAIL, i.blind_hex, &got),
                     TT_QS_ONE);
    assert_string_equal(got.id, "idn_1");
    assert_string_equal(got.subject_id, "sub_id");
    assert_int_equal(got.type, TT_IDENT_EMAIL);
    assert_int_equal(got.created_at, 1764000010);
    /* same hash, other type or other tenant: not found */
    assert_int_equal(f->ops->identity_find(f->c, f->tenant, TT_IDENT_PHONE, i.blind_hex, &got),
                     TT_QS_NONE);
    assert_int_equal(f->ops->identity_find(f->c, f->other, TT_IDENT_EMAIL, i.blind_hex, &got),
                     TT_QS_NONE);

    /* the same (tenant, type, blind) twice is NONE, even under another id */
    struct tt_identity dup = i;
    snprintf(dup.id, sizeof dup.id, "idn_2");
    assert_int_equal(f->ops->identity_put(f->c, &dup), TT_QS_NONE);
    /* a subject that does not exist */
    struct tt_identity orphan = i;
    snprintf(orphan.id, sizeof orphan.id, "idn_3");
    snprintf(orphan.subject_id, sizeof orphan.subject_id, "sub_missing");
    orphan.type = TT_IDENT_PHONE;
    assert_int_equal(f->ops->identity_put(f->c, &orphan), TT_QS_NONE);

    struct ident_seen w = {0};
    assert_int_equal(f->ops->identity_list(f->c, f->tenant, "sub_id", ident_cb, &w), 1);
    assert_string_equal(w.last_id, "idn_1");
    assert_int_equal(w.value_len, sizeof sealed);
    assert_memory_equal(w.value, sealed, sizeof sealed);

    struct ident_seen all = {.tenant = f->tenant};
    assert_true(f->ops->identity_scan(f->c, ident_cb, &all) >= 1);
    assert_int_equal(all.n, 1);
    assert_memory_equal(all.value, sealed, sizeof sealed);
}

/* ---- records ---- */

struct rec_seen {
    int n;
    char first[TT_ID_MAX];
    char last[TT_ID_MAX];
    struct tt_record r; /* text fields of the last row */
    uint8_t value[32];
    size_t value_len;
};

static int rec_cb(void *cls, const struct tt_record *r)
{
    struct rec_seen *w = cls;
    if (w->n++ == 0)
        snprintf(w->first, sizeof w->first, "%s", r->id);
    snprintf(w->last, sizeof w->last, "%s", r->id);
    w->r = *r;
    w->value_len = r->value_enc_len < sizeof w->value ? r->value_enc_len : sizeof w->value;
    if (w->value_len)
        memcpy(w->value, r->value_enc, w->value_len);
    w->r.value_enc = NULL;
    return 0;
}

static struct tt_record mk_record(const char *tenant, const char *subject, const char *id)
{
    static const uint8_t sealed[] = {0xde, 0xad, 0xbe, 0xef};
    struct tt_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.tenant_id, sizeof r.tenant_id, "%s", tenant);
    snprintf(r.subject_id, sizeof r.subject_id, "%s", subject);
    snprintf(r.service, sizeof r.service, "sms");
    snprintf(r.data_category, sizeof r.data_category, "user.contact.phone_number");
    snprintf(r.purpose, sizeof r.purpose, "essential.service");
    r.legal_basis = TT_BASIS_CONTRACT;
    snprintf(r.source, sizeof r.source, "direct");
    r.collected_at = 1764000020;
    r.retention_until = 1900000000;
    r.value_enc = sealed;
    r.value_enc_len = sizeof sealed;
    r.created_at = 1764000021;
    return r;
}

static void record_round_trip_and_pages(void **state)
{
    struct fx *f = *state;
    struct tt_subject s = mk_subject(f->tenant, "sub_r");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    for (int i = 0; i < 7; i++) {
        char id[TT_ID_MAX];
        snprintf(id, sizeof id, "rec_%02d", i);
        struct tt_record r = mk_record(f->tenant, "sub_r", id);
        assert_int_equal(f->ops->record_put(f->c, &r), TT_QS_ONE);
    }
    struct tt_record dup = mk_record(f->tenant, "sub_r", "rec_00");
    snprintf(dup.service, sizeof dup.service, "voice");
    assert_int_equal(f->ops->record_put(f->c, &dup), TT_QS_NONE);
    struct tt_record orphan = mk_record(f->tenant, "sub_missing", "rec_x");
    assert_int_equal(f->ops->record_put(f->c, &orphan), TT_QS_NONE);

    struct tt_page page = {"", 3};
    struct rec_seen w = {0};
    assert_int_equal(f->ops->record_list(f->c, f->tenant, "sub_r", &page, rec_cb, &w), 3);
    assert_string_equal(w.first, "rec_00");
    assert_string_equal(w.last, "rec_02");
    struct tt_record want = mk_record(f->tenant, "sub_r", "rec_02");
    assert_memory_equal(w.value, want.value_enc, want.value_enc_len);
    assert_int_equal(w.value_len, want.value_enc_len);
    assert_string_equal(w.r.id, want.id);
    assert_string_equal(w.r.tenant_id, want.tenant_id);
    assert_string_equal(w.r.subject_id, want.subject_id);
    assert_string_equal(w.r.service, want.service);
    assert_string_equal(w.r.data_category, want.data_category);
    assert_string_equal(w.r.purpose, want.purpose);
    assert_int_equal(w.r.legal_basis, want.legal_basis);
    assert_string_equal(w.r.source, want.source);
    assert_int_equal(w.r.collected_at, want.collected_at);
    assert_int_equal(w.r.retention_until, want.retention_until);
    assert_int_equal(w.r.created_at, want.created_at);

    snprintf(page.after_id, sizeof page.after_id, "rec_05");
    struct rec_seen tail = {0};
    assert_int_equal(f->ops->record_list(f->c, f->tenant, "sub_r", &page, rec_cb, &tail), 1);
    assert_string_equal(tail.first, "rec_06");
    /* the first row stayed */
    struct rec_seen first = {0};
    struct tt_page one = {"", 1};
    assert_int_equal(f->ops->record_list(f->c, f->tenant, "sub_r", &one, rec_cb, &first), 1);
    assert_string_equal(first.r.service, "sms");

    int64_t n = -1;
    assert_int_equal(f->ops->record_count(f->c, f->tenant, &n), TT_QS_ONE);
    assert_int_equal(n, 7);
    assert_int_equal(f->ops->record_count(f->c, f->other, &n), TT_QS_ONE);
    assert_int_equal(n, 0);
}

/* ---- purpose state ---- */

struct ps_seen {
    int n;
    struct tt_purpose_state last;
    const char *tenant;
};

static int ps_cb(void *cls, const struct tt_purpose_state *ps)
{
    struct ps_seen *w = cls;
    if (w->tenant && strcmp(w->tenant, ps->tenant_id) != 0)
        return 0;
    w->n++;
    w->last = *ps;
    return 0;
}

static struct tt_purpose_state mk_ps(const char *tenant, const char *subject, const char *purpose)
{
    struct tt_purpose_state ps;
    memset(&ps, 0, sizeof ps);
    snprintf(ps.tenant_id, sizeof ps.tenant_id, "%s", tenant);
    snprintf(ps.subject_id, sizeof ps.subject_id, "%s", subject);
    snprintf(ps.purpose, sizeof ps.purpose, "%s", purpose);
    ps.consent = TT_CONSENT_GIVEN;
    ps.updated_at = 1764000030;
    return ps;
}

static void purpose_state_is_an_upsert(void **state)
{
    struct fx *f = *state;
    struct tt_subject s = mk_subject(f->tenant, "sub_p");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    struct tt_purpose_state ps = mk_ps(f->tenant, "sub_p", "marketing.advertising");
    assert_int_equal(f->ops->purpose_state_put(f->c, &ps), TT_QS_ONE);
    /* S7.3: withdrawal replaces the state, it does not add a row */
    ps.consent = TT_CONSENT_WITHDRAWN;
    ps.objection = 1;
    ps.updated_at = 1764000040;
    assert_int_equal(f->ops->purpose_state_put(f->c, &ps), TT_QS_ONE);
    struct tt_purpose_state other = mk_ps(f->tenant, "sub_p", "analytics");
    assert_int_equal(f->ops->purpose_state_put(f->c, &other), TT_QS_ONE);

    struct ps_seen w = {0};
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, "sub_p", ps_cb, &w), 2);
    /* ordered by purpose: marketing last */
    assert_string_equal(w.last.tenant_id, ps.tenant_id);
    assert_string_equal(w.last.subject_id, ps.subject_id);
    assert_string_equal(w.last.purpose, ps.purpose);
    assert_int_equal(w.last.consent, TT_CONSENT_WITHDRAWN);
    assert_int_equal(w.last.objection, 1);
    assert_int_equal(w.last.updated_at, 1764000040);

    struct tt_purpose_state orphan = mk_ps(f->tenant, "sub_missing", "analytics");
    assert_int_equal(f->ops->purpose_state_put(f->c, &orphan), TT_QS_NONE);

    struct ps_seen all = {.tenant = f->tenant};
    assert_true(f->ops->purpose_state_scan(f->c, ps_cb, &all) >= 2);
    assert_int_equal(all.n, 2);
}

struct many_seen {
    int n;
    char rows[8][TT_ID_MAX + TT_KEY_MAX];
};

static int many_cb(void *cls, const struct tt_purpose_state *ps)
{
    struct many_seen *w = cls;
    if (w->n < 8)
        snprintf(w->rows[w->n], sizeof w->rows[0], "%s/%s", ps->subject_id, ps->purpose);
    w->n++;
    return 0;
}

/* issue 9: the change feed's follower reads the states of a page's subjects in one read: each
 * subject's rows together in purpose order; a subject without states, or unknown, adds none;
 * no subject reads nothing */
static void purpose_states_of_many_subjects_in_one_read(void **state)
{
    struct fx *f = *state;
    const char *subs[] = {"sub_m1", "sub_m2", "sub_m3"};
    for (int i = 0; i < 3; i++) {
        struct tt_subject s = mk_subject(f->tenant, subs[i]);
        assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    }
    const char *puts[][2] = {
        {"sub_m1", "marketing.advertising"}, {"sub_m3", "analytics"}, {"sub_m1", "analytics"}};
    for (int i = 0; i < 3; i++) {
        struct tt_purpose_state ps = mk_ps(f->tenant, puts[i][0], puts[i][1]);
        assert_int_equal(f->ops->purpose_state_put(f->c, &ps), TT_QS_ONE);
    }
    const char *ids[] = {"sub_m3", "sub_missing", "sub_m1", "sub_m2"};
    struct many_seen w = {0};
    assert_int_equal(f->ops->purpose_state_list_many(f->c, f->tenant, ids, 4, many_cb, &w),
                     TT_QS_ONE);
    assert_int_equal(w.n, 3);
    int m1 = strcmp(w.rows[0], "sub_m1/analytics") == 0 ? 0 : 1; /* subjects in either order */
    assert_string_equal(w.rows[m1], "sub_m1/analytics");
    assert_string_equal(w.rows[m1 + 1], "sub_m1/marketing.advertising");
    assert_string_equal(w.rows[m1 == 0 ? 2 : 0], "sub_m3/analytics");

    struct many_seen none = {0};
    const char *empty[] = {"sub_m2", "sub_missing"};
    assert_int_equal(f->ops->purpose_state_list_many(f->c, f->tenant, empty, 2, many_cb, &none),
                     TT_QS_NONE);
    assert_int_equal(f->ops->purpose_state_list_many(f->c, f->tenant, ids, 0, many_cb, &none),
                     TT_QS_NONE);
    assert_int_equal(f->ops->purpose_state_list_many(f->c, "ten_other", ids, 4, many_cb, &none),
                     TT_QS_NONE); /* another tenant's ids are not this tenant's subjects */
    assert_int_equal(none.n, 0);
}

/* Puts ps (answered `want`), then reads the subject's one state back: consent and objection. */
static void put_then_read(struct fx *f, const struct tt_purpose_state *ps, enum tt_qs want,
                          enum tt_consent_state consent, int objection)
{
    assert_int_equal(f->ops->purpose_state_put(f->c, ps), want);
    struct ps_seen w = {0};
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, ps->subject_id, ps_cb, &w), 1);
    assert_int_equal(w.last.consent, consent);
    assert_int_equal(w.last.objection, objection);
}

/* issue 9: a one-field put (a consent event's, tt_purpose_state.changes) writes both fields when
 * the row is new, then only its own field, keeping the other as stored whatever the copy it was
 * made from said; it is refused for an erased subject, whose row stays as it was; a whole-row put
 * still replaces both */
static void purpose_state_one_field_puts_keep_the_other(void **state)
{
    struct fx *f = *state;
    struct tt_subject s = mk_subject(f->tenant, "sub_f");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    struct tt_purpose_state ps = mk_ps(f->tenant, "sub_f", "marketing.advertising");
    ps.objection = 1;
    ps.changes = TT_PS_CONSENT;
    put_then_read(f, &ps, TT_QS_ONE, TT_CONSENT_GIVEN, 1);
    ps.consent = TT_CONSENT_WITHDRAWN; /* from a copy that missed the objection */
    ps.objection = 0;
    put_then_read(f, &ps, TT_QS_ONE, TT_CONSENT_WITHDRAWN, 1);
    ps.changes = TT_PS_OBJECTION; /* from a copy that missed the withdrawal */
    ps.consent = TT_CONSENT_GIVEN;
    put_then_read(f, &ps, TT_QS_ONE, TT_CONSENT_WITHDRAWN, 0);
    ps.changes = TT_PS_WHOLE;
    ps.objection = 1;
    put_then_read(f, &ps, TT_QS_ONE, TT_CONSENT_GIVEN, 1);

    struct tt_subject up = s;
    up.erased_at = 1764000700;
    assert_int_equal(f->ops->subject_update(f->c, &up), TT_QS_ONE);
    ps.changes = TT_PS_CONSENT;
    ps.consent = TT_CONSENT_WITHDRAWN;
    put_then_read(f, &ps, TT_QS_NONE, TT_CONSENT_GIVEN, 1);
    struct tt_purpose_state fresh = mk_ps(f->tenant, "sub_f", "analytics");
    fresh.changes = TT_PS_OBJECTION;
    put_then_read(f, &fresh, TT_QS_NONE, TT_CONSENT_GIVEN, 1); /* no second row either */
}

/* ---- subject keys ---- */

struct key_seen {
    int n;
    char subjects[8][TT_ID_MAX];
    int classes[8];
    const char *tenant;
};

static int key_cb(void *cls, const struct tt_subject_key *k)
{
    struct key_seen *w = cls;
    if (w->tenant && strcmp(w->tenant, k->tenant_id) != 0)
        return 0;
    if (w->n < 8) {
        snprintf(w->subjects[w->n], TT_ID_MAX, "%s", k->subject_id);
        w->classes[w->n] = (int)k->key_class;
    }
    w->n++;
    return 0;
}

static struct tt_subject_key mk_key(const char *tenant, const char *subject, enum tt_key_class kc)
{
    struct tt_subject_key k;
    memset(&k, 0, sizeof k);
    snprintf(k.tenant_id, sizeof k.tenant_id, "%s", tenant);
    snprintf(k.subject_id, sizeof k.subject_id, "%s", subject);
    k.key_class = kc;
    snprintf(k.master_key_id, sizeof k.master_key_id, "mk_1");
    for (size_t i = 0; i < sizeof k.wrapped; i++)
        k.wrapped[i] = (uint8_t)(i * 7 + (size_t)kc);
    k.wrapped_len = sizeof k.wrapped;
    k.created_at = 1764000050;
    return k;
}

/* A subject's purpose states listed just after the subject on one connection are what a list
 * alone would answer (PostgreSQL reads them along with the subject, pg_states_ahead.c): a write
 * of the same connection between is seen, another subject's list is its own, and a connection
 * released and taken again reads anew what another connection wrote meanwhile (issue 9). */
static void purpose_states_after_the_subject_stay_current(void **state)
{
    struct fx *f = *state;
    struct tt_subject s = mk_subject(f->tenant, "sub_sa"), t = mk_subject(f->tenant, "sub_sb");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    assert_int_equal(f->ops->subject_put(f->c, &t), TT_QS_ONE);
    struct tt_purpose_state ps = mk_ps(f->tenant, "sub_sa", "marketing.advertising");
    assert_int_equal(f->ops->purpose_state_put(f->c, &ps), TT_QS_ONE);
    struct tt_subject got;
    struct ps_seen w = {0};
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_sa", &got), TT_QS_ONE);
    assert_subject_equal(&got, &s);
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, "sub_sa", ps_cb, &w), 1);
    assert_string_equal(w.last.purpose, "marketing.advertising");
    assert_string_equal(w.last.subject_id, "sub_sa");
    assert_int_equal(w.last.consent, TT_CONSENT_GIVEN);
    assert_int_equal(w.last.updated_at, 1764000030);

    /* a write of this connection between the two reads */
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_sa", &got), TT_QS_ONE);
    ps.consent = TT_CONSENT_WITHDRAWN;
    ps.updated_at = 1764000050;
    assert_int_equal(f->ops->purpose_state_put(f->c, &ps), TT_QS_ONE);
    memset(&w, 0, sizeof w);
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, "sub_sa", ps_cb, &w), 1);
    assert_int_equal(w.last.consent, TT_CONSENT_WITHDRAWN);
    assert_int_equal(w.last.updated_at, 1764000050);

    /* another subject's list after this one's read; a subject without states */
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_sa", &got), TT_QS_ONE);
    memset(&w, 0, sizeof w);
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, "sub_sb", ps_cb, &w), 0);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_sb", &got), TT_QS_ONE);
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, "sub_sb", ps_cb, &w), 0);

    /* released after the read; another connection writes; the first, taken again, lists */
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_sa", &got), TT_QS_ONE);
    tt_store_release(f->c);
    f->c = tt_store_acquire(f->s);
    struct tt_store_conn *c2 = tt_store_acquire(f->s);
    struct tt_purpose_state more = mk_ps(f->tenant, "sub_sa", "analytics");
    assert_int_equal(tt_store_ops_of(c2)->purpose_state_put(c2, &more), TT_QS_ONE);
    tt_store_release(c2);
    memset(&w, 0, sizeof w);
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, "sub_sa", ps_cb, &w), 2);
    assert_string_equal(w.last.purpose, "marketing.advertising"); /* in purpose order */
    assert_int_equal(w.last.consent, TT_CONSENT_WITHDRAWN);
}

static void subject_key_create_destroy_and_scan(void **state)
{
    struct fx *f = *state;
    const char *subs[] = {"sub_k1", "sub_k2", "sub_k3"};
    for (int i = 0; i < 3; i++) {
        struct tt_subject s = mk_subject(f->tenant, subs[i]);
        assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
        struct tt_subject_key k = mk_key(f->tenant, subs[i], TT_KEYCLASS_MAIN);
        assert_int_equal(f->ops->subject_key_put(f->c, &k), TT_QS_ONE);
        k = mk_key(f->tenant, subs[i], TT_KEYCLASS_CONSENT);
        assert_int_equal(f->ops->subject_key_put(f->c, &k), TT_QS_ONE);
    }
    struct tt_subject_key want = mk_key(f->tenant, "sub_k1", TT_KEYCLASS_MAIN);
    struct tt_subject_key got;
    assert_int_equal(f->ops->subject_key_get(f->c, f->tenant, "sub_k1", TT_KEYCLASS_MAIN, &got),
                     TT_QS_ONE);
    assert_string_equal(got.tenant_id, want.tenant_id);
    assert_string_equal(got.subject_id, want.subject_id);
    assert_int_equal(got.key_class, want.key_class);
    assert_string_equal(got.master_key_id, want.master_key_id);
    assert_int_equal(got.wrapped_len, want.wrapped_len);
    assert_memory_equal(got.wrapped, want.wrapped, sizeof want.wrapped);
    assert_int_equal(got.created_at, want.created_at);
    assert_int_equal(got.destroyed_at, 0);

    /* a second live key never replaces the first: data may be sealed under it */
    struct tt_subject_key again = want;
    memset(again.wrapped, 0xff, sizeof again.wrapped);
    assert_int_equal(f->ops->subject_key_put(f->c, &again), TT_QS_NONE);
    assert_int_equal(f->ops->subject_key_get(f->c, f->tenant, "sub_k1", TT_KEYCLASS_MAIN, &got),
                     TT_QS_ONE);
    assert_memory_equal(got.wrapped, want.wrapped, sizeof want.wrapped);

    /* crypto-shredding: the wrapped key is gone, the row says when */
    struct tt_subject_key dead = want;
    memset(dead.wrapped, 0, sizeof dead.wrapped);
    dead.wrapped_len = 0;
    dead.destroyed_at = 1764000099;
    assert_int_equal(f->ops->subject_key_put(f->c, &dead), TT_QS_ONE);
    assert_int_equal(f->ops->subject_key_get(f->c, f->tenant, "sub_k1", TT_KEYCLASS_MAIN, &got),
                     TT_QS_ONE);
    assert_int_equal(got.destroyed_at, 1764000099);
    assert_int_equal(got.wrapped_len, 0);
    uint8_t zero[sizeof got.wrapped] = {0};
    assert_memory_equal(got.wrapped, zero, sizeof zero);
    /* and cannot come back */
    assert_int_equal(f->ops->subject_key_put(f->c, &want), TT_QS_NONE);
    /* the consent-proof key of the same subject survives (S7.5) */
    assert_int_equal(f->ops->subject_key_get(f->c, f->tenant, "sub_k1", TT_KEYCLASS_CONSENT, &got),
                     TT_QS_ONE);
    assert_int_equal(got.destroyed_at, 0);
    assert_int_equal(got.wrapped_len, sizeof got.wrapped);

    assert_int_equal(f->ops->subject_key_get(f->c, f->other, "sub_k1", TT_KEYCLASS_CONSENT, &got),
                     TT_QS_NONE);
    struct tt_subject_key orphan = mk_key(f->tenant, "sub_missing", TT_KEYCLASS_MAIN);
    assert_int_equal(f->ops->subject_key_put(f->c, &orphan), TT_QS_NONE);

    /* pages of whole subjects: two subjects, then the third */
    struct key_seen w = {0};
    assert_int_equal(f->ops->subject_key_scan(f->c, f->tenant, "", 2, key_cb, &w), 4);
    assert_string_equal(w.subjects[0], "sub_k1");
    assert_int_equal(w.classes[0], TT_KEYCLASS_MAIN);
    assert_int_equal(w.classes[1], TT_KEYCLASS_CONSENT);
    assert_string_equal(w.subjects[3], "sub_k2");
    struct key_seen w2 = {.tenant = f->tenant};
    assert_true(f->ops->subject_key_scan(f->c, f->tenant, "sub_k2", 2, key_cb, &w2) >= 2);
    assert_int_equal(w2.n, 2);
    assert_string_equal(w2.subjects[0], "sub_k3");
}

/* ---- audit ledger ---- */

static struct tt_audit_event mk_event(const char *tenant, int64_t seq, const uint8_t prev[32],
                                      tt_time at)
{
    struct tt_audit_event e;
    memset(&e, 0, sizeof e);
    e.seq = seq;
    snprintf(e.tenant_id, sizeof e.tenant_id, "%s", tenant);
    e.at = at;
    snprintf(e.actor, sizeof e.actor, "system");
    snprintf(e.action, sizeof e.action, "subject.create");
    snprintf(e.target, sizeof e.target, "sub_%lld", (long long)seq);
    e.detail_json = "{\"fields\":[\"kind\"]}";
    if (prev)
        memcpy(e.prev_hash, prev, 32);
    for (int i = 0; i < 32; i++)
        e.hash[i] = (uint8_t)(seq * 31 + i + tenant[4]);
    return e;
}

struct audit_seen {
    int n;
    int64_t seqs[8];
    int linked; /* each prev_hash equals the hash before it */
    uint8_t last_hash[32];
    char detail[64];
    const char *tenant;
};

static int audit_cb(void *cls, const struct tt_audit_event *e)
{
    struct audit_seen *w = cls;
    if (w->tenant && strcmp(w->tenant, e->tenant_id) != 0)
        return 0;
    if (w->n == 0)
        w->linked = 1;
    else if (memcmp(e->prev_hash, w->last_hash, 32) != 0)
        w->linked = 0;
    memcpy(w->last_hash, e->hash, 32);
    if (w->n < 8)
        w->seqs[w->n] = e->seq;
    snprintf(w->detail, sizeof w->detail, "%s", e->detail_json ? e->detail_json : "(null)");
    w->n++;
    return 0;
}

static void audit_chain_appends_in_order(void **state)
{
    struct fx *f = *state;
    struct tt_audit_event last;
    assert_int_equal(f->ops->audit_last(f->c, f->tenant, &last), TT_QS_NONE);

    struct tt_audit_event e1 = mk_event(f->tenant, 1, NULL, 1000);
    assert_int_equal(f->ops->audit_append(f->c, &e1), TT_QS_ONE);
    assert_int_equal(f->ops->audit_last(f->c, f->tenant, &last), TT_QS_ONE);
    assert_int_equal(last.seq, 1);
    assert_memory_equal(last.hash, e1.hash, 32);
    assert_string_equal(last.action, "subject.create");

    struct tt_audit_event e2 = mk_event(f->tenant, 2, e1.hash, 2000);
    e2.detail_json = NULL;
    assert_int_equal(f->ops->audit_append(f->c, &e2), TT_QS_ONE);
    struct tt_audit_event e3 = mk_event(f->tenant, 3, e2.hash, 3000);
    assert_int_equal(f->ops->audit_append(f->c, &e3), TT_QS_ONE);

    /* a fork (seq taken), a gap, or a wrong prev_hash is refused with nothing written */
    struct tt_audit_event fork = mk_event(f->tenant, 3, e2.hash, 3500);
    assert_int_equal(f->ops->audit_append(f->c, &fork), TT_QS_NONE);
    struct tt_audit_event gap = mk_event(f->tenant, 5, e3.hash, 3600);
    assert_int_equal(f->ops->audit_append(f->c, &gap), TT_QS_NONE);
    struct tt_audit_event bad = mk_event(f->tenant, 4, e1.hash, 3700);
    assert_int_equal(f->ops->audit_append(f->c, &bad), TT_QS_NONE);
    assert_int_equal(f->ops->audit_last(f->c, f->tenant, &last), TT_QS_ONE);
    assert_int_equal(last.seq, 3);
    assert_memory_equal(last.hash, e3.hash, 32);

    struct tt_audit_event o1 = mk_event(f->other, 1, NULL, 1500);
    assert_int_equal(f->ops->audit_append(f->c, &o1), TT_QS_ONE);

    struct audit_seen w = {0};
    assert_int_equal(f->ops->audit_scan(f->c, f->tenant, 0, 0, audit_cb, &w), 3);
    assert_true(w.linked);
    assert_int_equal(w.seqs[0], 1);
    assert_int_equal(w.seqs[2], 3);
    assert_string_equal(w.detail, e3.detail_json);
    struct audit_seen range = {0};
    assert_int_equal(f->ops->audit_scan(f->c, f->tenant, 1500, 2000, audit_cb, &range), 1);
    assert_int_equal(range.seqs[0], 2);
    assert_string_equal(range.detail, "(null)");
    struct audit_seen from = {0};
    assert_int_equal(f->ops->audit_scan(f->c, f->tenant, 2000, 0, audit_cb, &from), 2);
    struct audit_seen all = {.tenant = f->other};
    assert_true(f->ops->audit_scan(f->c, NULL, 0, 0, audit_cb, &all) >= 4);
    assert_int_equal(all.n, 1);
}

/* ---- settings ---- */

static void settings_get_and_put(void **state)
{
    struct fx *f = *state;
    char key[64];
    uniq(key, sizeof key, "test.setting.");
    char out[32] = "untouched";
    assert_int_equal(f->ops->setting_get(f->c, key, out, sizeof out), TT_QS_NONE);
    assert_string_equal(out, "untouched");
    assert_int_equal(f->ops->setting_put(f->c, key, "mk_2026"), TT_QS_ONE);
    assert_int_equal(f->ops->setting_get(f->c, key, out, sizeof out), TT_QS_ONE);
    assert_string_equal(out, "mk_2026");
    assert_int_equal(f->ops->setting_put(f->c, key, "a longer value here"), TT_QS_ONE);
    assert_int_equal(f->ops->setting_get(f->c, key, out, sizeof out), TT_QS_ONE);
    assert_string_equal(out, "a longer value here");
    /* too small a buffer fails and leaves it alone */
    char small[8] = "keep";
    assert_true(f->ops->setting_get(f->c, key, small, sizeof small) < 0);
    assert_string_equal(small, "keep");
}

/* ---- tenant isolation ---- */

static void other_tenant_sees_nothing(void **state)
{
    struct fx *f = *state;
    struct tt_subject s = mk_subject(f->tenant, "sub_iso");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    struct tt_purpose_state ps = mk_ps(f->tenant, "sub_iso", "analytics");
    assert_int_equal(f->ops->purpose_state_put(f->c, &ps), TT_QS_ONE);
    struct tt_record r = mk_record(f->tenant, "sub_iso", "rec_iso");
    assert_int_equal(f->ops->record_put(f->c, &r), TT_QS_ONE);

    struct tt_subject got;
    assert_int_equal(f->ops->subject_get(f->c, f->other, "sub_iso", &got), TT_QS_NONE);
    struct tt_page page = {"", 100};
    struct seen w = {0};
    assert_int_equal(f->ops->subject_list(f->c, f->other, &page, subject_cb, &w), 0);
    struct ps_seen pw = {0};
    assert_int_equal(f->ops->purpose_state_list(f->c, f->other, "sub_iso", ps_cb, &pw), 0);
    struct rec_seen rw = {0};
    assert_int_equal(f->ops->record_list(f->c, f->other, "sub_iso", &page, rec_cb, &rw), 0);
    /* the other tenant cannot update it, nor hang rows off it */
    struct tt_subject up = mk_subject(f->other, "sub_iso");
    up.restricted = 1;
    assert_int_equal(f->ops->subject_update(f->c, &up), TT_QS_NONE);
    struct tt_purpose_state hijack = mk_ps(f->other, "sub_iso", "analytics");
    assert_int_equal(f->ops->purpose_state_put(f->c, &hijack), TT_QS_NONE);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_iso", &got), TT_QS_ONE);
    assert_int_equal(got.restricted, 0);
}

/* ---- transactions ---- */

struct txn_job {
    const char *tenant;
    int calls;
    int soft_times; /* return SOFT this many times before succeeding */
    int fail_after; /* rows to write before returning HARD (-1: never fail) */
    int rows;
    char prefix[16];
};

static enum tt_qs write_rows(struct tt_store_conn *c, void *cls)
{
    struct txn_job *j = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    j->calls++;
    for (int i = 0; i < j->rows; i++) {
        if (j->fail_after >= 0 && i == j->fail_after)
            return TT_QS_HARD;
        char id[TT_ID_MAX];
        snprintf(id, sizeof id, "%s%03d", j->prefix, i);
        struct tt_subject s = mk_subject(j->tenant, id);
        enum tt_qs qs = ops->subject_put(c, &s);
        if (qs != TT_QS_ONE)
            return qs < 0 ? qs : TT_QS_HARD;
        struct tt_purpose_state ps = mk_ps(j->tenant, id, "analytics");
        qs = ops->purpose_state_put(c, &ps);
        if (qs != TT_QS_ONE)
            return qs < 0 ? qs : TT_QS_HARD;
    }
    if (j->calls <= j->soft_times)
        return TT_QS_SOFT;
    return TT_QS_ONE;
}

static int64_t subjects_of(struct fx *f, const char *tenant)
{
    int64_t n = -1;
    assert_int_equal(f->ops->subject_count(f->c, tenant, &n), TT_QS_ONE);
    return n;
}

static void txn_rolls_back_when_the_callback_fails(void **state)
{
    struct fx *f = *state;
    struct txn_job j = {.tenant = f->tenant, .fail_after = 3, .rows = 5, .prefix = "sub_f"};
    assert_int_equal(tt_store_txn(f->c, write_rows, &j), TT_QS_HARD);
    assert_int_equal(j.calls, 1);
    assert_int_equal(subjects_of(f, f->tenant), 0);
    struct tt_subject got;
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_f000", &got), TT_QS_NONE);
    struct ps_seen pw = {0};
    assert_int_equal(f->ops->purpose_state_list(f->c, f->tenant, "sub_f000", ps_cb, &pw), 0);

    /* a constraint failure half-way (duplicate in the same transaction) also undoes it all */
    struct tt_subject pre = mk_subject(f->tenant, "sub_g002");
    assert_int_equal(f->ops->subject_put(f->c, &pre), TT_QS_ONE);
    struct txn_job k = {.tenant = f->tenant, .fail_after = -1, .rows = 5, .prefix = "sub_g"};
    assert_int_equal(tt_store_txn(f->c, write_rows, &k), TT_QS_HARD);
    assert_int_equal(subjects_of(f, f->tenant), 1);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_g000", &got), TT_QS_NONE);

    /* and the connection is fine afterwards */
    struct txn_job ok = {.tenant = f->tenant, .fail_after = -1, .rows = 2, .prefix = "sub_h"};
    assert_int_equal(tt_store_txn(f->c, write_rows, &ok), TT_QS_ONE);
    assert_int_equal(subjects_of(f, f->tenant), 3);
}

static void txn_retries_soft_errors(void **state)
{
    struct fx *f = *state;
    struct txn_job j = {
        .tenant = f->tenant, .soft_times = 2, .fail_after = -1, .rows = 3, .prefix = "sub_s"};
    assert_int_equal(tt_store_txn(f->c, write_rows, &j), TT_QS_ONE);
    assert_int_equal(j.calls, 3);
    /* the two rolled-back attempts left nothing behind: each row exactly once */
    assert_int_equal(subjects_of(f, f->tenant), 3);

    struct txn_job never = {
        .tenant = f->other, .soft_times = 100, .fail_after = -1, .rows = 1, .prefix = "sub_n"};
    assert_int_equal(tt_store_txn(f->c, write_rows, &never), TT_QS_SOFT);
    assert_int_equal(never.calls, 6);
    assert_int_equal(subjects_of(f, f->other), 0);
}

static void release_rolls_back_an_open_transaction(void **state)
{
    struct fx *f = *state;
    assert_true(f->ops->begin(f->c) >= 0);
    struct tt_subject s = mk_subject(f->tenant, "sub_left_open");
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    tt_store_release(f->c);
    f->c = tt_store_acquire(f->s);
    struct tt_subject got;
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_left_open", &got), TT_QS_NONE);
    /* explicit commit and rollback */
    assert_true(f->ops->begin(f->c) >= 0);
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    f->ops->rollback(f->c);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_left_open", &got), TT_QS_NONE);
    assert_true(f->ops->begin(f->c) >= 0);
    assert_int_equal(f->ops->subject_put(f->c, &s), TT_QS_ONE);
    assert_true(f->ops->commit(f->c) >= 0);
    assert_int_equal(f->ops->subject_get(f->c, f->tenant, "sub_left_open", &got), TT_QS_ONE);
}

/* ---- migrations ---- */

static void migrations_are_idempotent(void **state)
{
    struct fx *f = *state;
    int v = f->ops->schema_version(f->c);
    assert_true(v >= 1);
    char err[256] = "";
    assert_int_equal(tt_store_migrate(f->s, err, sizeof err), v);
    /* close and open again: same version, data still there */
    tt_store_release(f->c);
    tt_store_close(f->s);
    f->s = NULL;
    assert_int_equal(open_store(f, 2), 0);
    f->c = tt_store_acquire(f->s);
    f->ops = tt_store_ops_of(f->c);
    assert_int_equal(f->ops->schema_version(f->c), v);
    struct tt_tenant t;
    assert_int_equal(f->ops->tenant_get(f->c, f->tenant, &t), TT_QS_ONE);
    /* open without migrating sees the same schema */
    struct tt_store *s2 = NULL;
    assert_int_equal(tt_store_open(f->url, 1, 0, &s2, err, sizeof err), 0);
    struct tt_store_conn *c2 = tt_store_acquire(s2);
    assert_int_equal(tt_store_ops_of(c2)->schema_version(c2), v);
    tt_store_release(c2);
    tt_store_close(s2);
}

/* ---- concurrency ---- */

#define WRITERS 4
#define PER_WRITER 40

struct writer {
    struct tt_store *s;
    const char *tenant;
    int id;
    int ok;
};

/* one subject and one audit event per transaction: the chain must stay linear */
static enum tt_qs write_one(struct tt_store_conn *c, void *cls)
{
    struct writer *w = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_audit_event last;
    enum tt_qs qs = ops->audit_last(c, w->tenant, &last);
    if (qs < 0)
        return qs;
    int64_t seq = qs == TT_QS_ONE ? last.seq + 1 : 1;
    char id[TT_ID_MAX];
    snprintf(id, sizeof id, "sub_w%d_%03d", w->id, w->ok);
    struct tt_subject s = mk_subject(w->tenant, id);
    qs = ops->subject_put(c, &s);
    if (qs != TT_QS_ONE)
        return qs < 0 ? qs : TT_QS_HARD;
    struct tt_audit_event e = mk_event(w->tenant, seq, seq > 1 ? last.hash : NULL, 1000 + seq);
    e.hash[0] = (uint8_t)w->id;
    qs = ops->audit_append(c, &e);
    return qs == TT_QS_ONE ? qs : (qs < 0 ? qs : TT_QS_HARD);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int i = 0; i < PER_WRITER; i++) {
        struct tt_store_conn *c = tt_store_acquire(w->s);
        if (tt_store_txn(c, write_one, w) == TT_QS_ONE)
            w->ok++;
        tt_store_release(c);
    }
    return NULL;
}

static void concurrent_writers_all_succeed(void **state)
{
    struct fx *f = *state;
    /* the fixture holds one of the 4 connections: give it back so 4 writers share the pool */
    tt_store_release(f->c);
    f->c = NULL;
    pthread_t th[WRITERS];
    struct writer w[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){.s = f->s, .tenant = f->tenant, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, PER_WRITER);
    }
    f->c = tt_store_acquire(f->s);
    assert_int_equal(subjects_of(f, f->tenant), WRITERS * PER_WRITER);
    struct audit_seen a = {0};
    assert_int_equal(f->ops->audit_scan(f->c, f->tenant, 0, 0, audit_cb, &a), WRITERS * PER_WRITER);
    assert_true(a.linked);
    struct tt_audit_event last;
    assert_int_equal(f->ops->audit_last(f->c, f->tenant, &last), TT_QS_ONE);
    assert_int_equal(last.seq, WRITERS * PER_WRITER);
}

/* ---- URLs (SQLite only: TUTELA_TEST_DB chooses its own) ---- */

static void sqlite_urls_and_bare_paths_open(void **state)
{
    struct fx *f = *state;
    if (f->dir[0] == '\0')
        skip();
    char path[300], url[320], err[256];
    snprintf(path, sizeof path, "%s/t.db", f->dir);
    struct tt_store *s = NULL;
    assert_int_equal(tt_store_open(path, 2, 1, &s, err, sizeof err), 0);
    assert_string_equal(tt_store_backend(s), "sqlite");
    struct tt_store_conn *c = tt_store_acquire(s);
    struct tt_tenant t;
    assert_int_equal(tt_store_ops_of(c)->tenant_get(c, f->tenant, &t), TT_QS_ONE);
    tt_store_release(c);
    tt_store_close(s);
    snprintf(url, sizeof url, "sqlite:%s", path);
    assert_int_equal(tt_store_open(url, 1, 1, &s, err, sizeof err), 0);
    tt_store_close(s);

    /* :memory: cannot be shared by a pool, and says so */
    err[0] = '\0';
    s = NULL;
    assert_true(tt_store_open("sqlite::memory:", 2, 1, &s, err, sizeof err) < 0);
    assert_null(s);
    assert_non_null(strstr(err, "memory"));
    assert_int_equal(tt_store_open(":memory:", 1, 1, &s, err, sizeof err), 0);
    c = tt_store_acquire(s);
    assert_true(tt_store_ops_of(c)->schema_version(c) >= 1);
    tt_store_release(c);
    tt_store_close(s);
    tt_store_close(NULL);
    tt_store_release(NULL);

    assert_true(tt_store_open("sqlite:", 1, 1, &s, err, sizeof err) < 0);
    assert_true(tt_store_open("mysql://x", 1, 1, &s, err, sizeof err) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tenant_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(api_key_round_trip_and_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(subject_round_trip_and_update, setup, teardown),
        cmocka_unit_test_setup_teardown(subject_pages_follow_id_order, setup, teardown),
        cmocka_unit_test_setup_teardown(identity_round_trip_through_blind_index, setup, teardown),
        cmocka_unit_test_setup_teardown(record_round_trip_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(purpose_state_is_an_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(purpose_states_of_many_subjects_in_one_read, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(purpose_state_one_field_puts_keep_the_other, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(purpose_states_after_the_subject_stay_current, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(subject_key_create_destroy_and_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_chain_appends_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(settings_get_and_put, setup, teardown),
        cmocka_unit_test_setup_teardown(other_tenant_sees_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(txn_rolls_back_when_the_callback_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(txn_retries_soft_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(release_rolls_back_an_open_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(migrations_are_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_writers_all_succeed, setup, teardown),
        cmocka_unit_test_setup_teardown(sqlite_urls_and_bare_paths_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
