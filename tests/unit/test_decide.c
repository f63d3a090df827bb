/* SPDX-License-Identifier: Apache-2.0 */
/* test_decide.c — the decision rules, driven by data: tests/data/decisions/policy.json (a small
 * policy pack), subjects.json (index state) and cases.json (request -> allow, basis, reasons).
 * A new case needs no code. Every case runs through the compiled policy view and through the
 * plain policy arrays, one at a time and in batches (tt_decide_batch must agree with tt_decide).
 * Also: reason names, moved purpose bits, no allocation per decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdatomic.h>

#include "core/clock.h"
#include "core/decide.h"
#include "core/error.h"
#include "core/index.h"

/* ---- allocation counting (not under sanitizers, which own malloc) ------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

static atomic_long n_allocs;

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
void *malloc(size_t n)
{
    atomic_fetch_add(&n_allocs, 1);
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
    atomic_fetch_add(&n_allocs, 1);
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
    atomic_fetch_add(&n_allocs, 1);
    return __libc_realloc(p, n);
}
#endif

/* ---- the policy pack from policy.json ----------------------------------------------------- */

static json_t *load_json(const char *name)
{
    char path[512];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/tests/data/decisions/%s", root ? root : ".", name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j)
        fail_msg("%s:%d: %s", path, e.line, e.text);
    return j;
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char **strlist(json_t *a)
{
    size_t n = json_array_size(a);
    const char **l = calloc(n + 1, sizeof *l);
    for (size_t i = 0; i < n; i++)
        l[i] = json_string_value(json_array_get(a, i));
    return l;
}

static enum tt_basis basis(const char *s)
{
    enum tt_basis b = TT_BASIS_NONE;
    if (strcmp(s, "none") != 0) /* the parser refuses "none": a policy must name a basis */
        assert_int_equal(tt_basis_parse(s, &b), 0);
    return b;
}

/* Builds a tt_policy over the JSON (which must outlive it). bit_shift moves every purpose bit,
 * as a reload of a reordered policy would. */
static struct tt_policy *policy_from(json_t *j, unsigned bit_shift, uint8_t digest_byte)
{
    struct tt_policy *p = calloc(1, sizeof *p);
    p->id = "test";
    p->version = str(j, "version");
    memset(p->digest, digest_byte, sizeof p->digest);
    json_t *a = json_object_get(j, "eea");
    p->eea_countries = strlist(a);
    p->n_eea_countries = json_array_size(a);
    a = json_object_get(j, "categories");
    struct tt_category *cats = calloc(json_array_size(a), sizeof *cats);
    for (size_t i = 0; i < json_array_size(a); i++)
        cats[i].key = json_string_value(json_array_get(a, i));
    p->categories = cats;
    p->n_categories = json_array_size(a);
    a = json_object_get(j, "purposes");
    struct tt_purpose *pu = calloc(json_array_size(a), sizeof *pu);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        pu[i].key = str(o, "key");
        pu[i].bit = ((unsigned)json_integer_value(json_object_get(o, "bit")) + bit_shift) % 64;
        pu[i].basis_eea = basis(str(o, "basis_eea"));
        pu[i].basis_other = basis(str(o, "basis_other"));
        pu[i].marketing = json_is_true(json_object_get(o, "marketing"));
        pu[i].sale = json_is_true(json_object_get(o, "sale"));
        pu[i].restriction_exempt = json_is_true(json_object_get(o, "restriction_exempt"));
        pu[i].categories = strlist(json_object_get(o, "categories"));
    }
    p->purposes = pu;
    p->n_purposes = json_array_size(a);
    a = json_object_get(j, "services");
    struct tt_service *sv = calloc(json_array_size(a), sizeof *sv);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        sv[i].key = str(o, "key");
        sv[i].categories = strlist(json_object_get(o, "categories"));
        sv[i].purposes = strlist(json_object_get(o, "purposes"));
    }
    p->services = sv;
    p->n_services = json_array_size(a);
    a = json_object_get(j, "recipients");
    struct tt_recipient *rc = calloc(json_array_size(a), sizeof *rc);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        rc[i].key = str(o, "key");
        rc[i].country = str(o, "country");
        rc[i].approved = json_is_true(json_object_get(o, "approved"));
        rc[i].transfer_mechanism = str(o, "transfer_mechanism");
        rc[i].purposes = strlist(json_object_get(o, "purposes"));
    }
    p->recipients = rc;
    p->n_recipients = json_array_size(a);
    return p;
}

static void policy_drop(struct tt_policy *p)
{
    free((void *)p->eea_countries);
    free((void *)p->categories);
    for (size_t i = 0; i < p->n_purposes; i++)
        free((void *)p->purposes[i].categories);
    free((void *)p->purposes);
    for (size_t i = 0; i < p->n_services; i++) {
        free((void *)p->services[i].categories);
        free((void *)p->services[i].purposes);
    }
    free((void *)p->services);
    for (size_t i = 0; i < p->n_recipients; i++)
        free((void *)p->recipients[i].purposes);
    free((void *)p->recipients);
    free(p);
}

/* ---- the index from subjects.json --------------------------------------------------------- */

static tt_time at(const char *s)
{
    tt_time t = 0;
    assert_int_equal(tt_time_parse(s, &t), 0);
    return t;
}

static struct tt_index *index_from(json_t *j)
{
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(j, "subjects"), i, o)
    {
        const char *ten = str(o, "tenant"), *id = str(o, "id");
        struct tt_index_subject s = {
            .tenant_id = ten,
            .subject_id = id,
            .kind = (int)json_integer_value(json_object_get(o, "kind")),
            .jurisdiction = str(o, "jurisdiction"),
            .is_child = json_is_true(json_object_get(o, "is_child")),
            .restricted = json_is_true(json_object_get(o, "restricted")),
            .contract_active = json_is_true(json_object_get(o, "contract_active")),
            .erased = json_is_true(json_object_get(o, "erased")),
            .retention_until = str(o, "retention_until") ? at(str(o, "retention_until")) : 0,
        };
        assert_int_equal(tt_index_upsert(ix, &s), 0);
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(o, "purposes"), k, v)
        {
            const char *c = json_string_value(v);
            int consent = strcmp(c, "given") == 0       ? TUTELA_CONSENT_GIVEN
                          : strcmp(c, "withdrawn") == 0 ? TUTELA_CONSENT_WITHDRAWN
                                                        : TUTELA_CONSENT_NONE;
            assert_int_equal(tt_index_set_purpose(ix, ten, id, k, consent, 0), 0);
        }
        size_t n;
        json_array_foreach(json_object_get(o, "objections"), n, v)
        {
            const char *k2 = json_string_value(v);
            json_t *c = json_object_get(json_object_get(o, "purposes"), k2);
            int consent = c && strcmp(json_string_value(c), "given") == 0 ? TUTELA_CONSENT_GIVEN
                                                                          : TUTELA_CONSENT_NONE;
            assert_int_equal(tt_index_set_purpose(ix, ten, id, k2, consent, 1), 0);
        }
        json_array_foreach(json_object_get(o, "identities"), n, v)
        {
            assert_int_equal(tt_index_add_identity(
                                 ix, ten, id, (int)json_integer_value(json_object_get(v, "type")),
                                 str(v, "blind")),
                             0);
        }
    }
    return ix;
}

/* ---- running the cases -------------------------------------------------------------------- */

struct fixture {
    json_t *policy_json, *subjects_json, *cases_json;
    struct tt_policy *policy;
    tt_time now;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->policy_json = load_json("policy.json");
    f->subjects_json = load_json("subjects.json");
    f->cases_json = load_json("cases.json");
    f->policy = policy_from(f->policy_json, 0, 1);
    f->now = at(str(f->subjects_json, "now"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    policy_drop(f->policy);
    json_decref(f->policy_json);
    json_decref(f->subjects_json);
    json_decref(f->cases_json);
    free(f);
    return 0;
}

static struct tt_decision_request request_of(json_t *c)
{
    json_t *idn = json_object_get(c, "identifier");
    struct tt_decision_request r = {
        .tenant_id = str(c, "tenant") ? str(c, "tenant") : "ten_a",
        .subject_id = str(c, "subject"),
        .ident_type = idn ? (int)json_integer_value(json_object_get(idn, "type")) : 0,
        .ident_blind_hex = idn ? str(idn, "blind") : NULL,
        .purpose = str(c, "purpose"),
        .data_category = str(c, "data_category"),
        .service = str(c, "service"),
        .recipient = str(c, "recipient"),
    };
    return r;
}

/* Runs every case against (policy, ix); returns the number of mismatches (printed). */
static int run_cases(struct fixture *f, const struct tt_policy *p, struct tt_index *ix,
                     const char *label)
{
    int bad = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(f->cases_json, "cases"), i, c)
    {
        struct tt_decision_request r = request_of(c);
        struct tt_decision d;
        assert_int_equal(tt_decide(p, ix, f->now, &r, &d), 0);
        const char *names[TT_REASON__COUNT];
        unsigned n = tt_reason_names(d.reasons, names);
        char got[512] = "", want[512] = "";
        for (unsigned k = 0; k < n; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? "," : "", names[k]);
        size_t k;
        json_t *w;
        json_array_foreach(json_object_get(c, "reasons"), k, w)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", k ? "," : "",
                     json_string_value(w));
        int allow = json_is_true(json_object_get(c, "allow"));
        if (d.allow != allow || strcmp(got, want) != 0 ||
            strcmp(tt_decision_basis_name(d.legal_basis), str(c, "basis")) != 0 ||
            strcmp(d.policy_version, "test.1") != 0) {
            printf("%s: case '%s': got allow=%d basis=%s reasons=[%s], want allow=%d basis=%s "
                   "reasons=[%s]\n",
                   label, str(c, "name"), d.allow, tt_decision_basis_name(d.legal_basis), got,
                   allow, str(c, "basis"), want);
            bad++;
        }
    }
    return bad;
}

/* Every case, repeated in a shuffled order (so the batch's pipeline wraps and tenants, subjects
 * and identifiers alternate), decided in one batch: each answer and lookup must equal
 * tt_decide_ex's for the same request. Also every prefix whose length ends the batch inside,
 * at or just after one of the pipeline's groups of 16 (issue 3). Returns the number of
 * mismatches (printed). */
static int batch_agrees(struct fixture *f, const struct tt_policy *p, struct tt_index *ix,
                        const char *label)
{
    json_t *cases = json_object_get(f->cases_json, "cases");
    size_t nc = json_array_size(cases), n = nc * 7;
    struct tt_decision_request *rs = calloc(n, sizeof *rs);
    struct tt_decision *ds = calloc(n, sizeof *ds);
    int *lk = calloc(n, sizeof *lk);
    for (size_t i = 0; i < n; i++)
        rs[i] = request_of(json_array_get(cases, (i * 31 + i / nc) % nc));
    static const size_t sizes[] = {1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 65, 0};
    int bad = 0;
    for (size_t s = 0; sizes[s] && sizes[s] < n; s++) {
        size_t m = sizes[s];
        memset(lk, 0xff, n * sizeof *lk); /* -1: never a lookup result */
        assert_int_equal(tt_decide_batch_ex(p, ix, f->now, rs, m, ds, lk), 0);
        for (size_t i = 0; i < m; i++) {
            struct tt_decision one;
            int lookup = -1;
            assert_int_equal(tt_decide_ex(p, ix, f->now, &rs[i], &one, &lookup), 0);
            if (one.allow != ds[i].allow || one.reasons != ds[i].reasons || lookup != lk[i]) {
                printf("%s: batch of %zu, item %zu: got allow=%d reasons=%#x lookup=%d\n", label, m,
                       i, ds[i].allow, ds[i].reasons, lk[i]);
                bad++;
            }
        }
    }
    assert_int_equal(tt_decide_batch_ex(p, ix, f->now, rs, n, ds, lk), 0);
    for (size_t i = 0; i < n; i++) {
        struct tt_decision one;
        int lookup = -1;
        assert_int_equal(tt_decide_ex(p, ix, f->now, &rs[i], &one, &lookup), 0);
        if (one.allow != ds[i].allow || one.reasons != ds[i].reasons ||
            one.legal_basis != ds[i].legal_basis || one.policy_version != ds[i].policy_version ||
            lookup != lk[i]) {
            printf("%s: batch item %zu (%s): got allow=%d reasons=%#x lookup=%d, single gives "
                   "allow=%d reasons=%#x lookup=%d\n",
                   label, i, rs[i].subject_id ? rs[i].subject_id : "identifier", ds[i].allow,
                   ds[i].reasons, lk[i], one.allow, one.reasons, lookup);
            bad++;
        }
    }
    free(rs);
    free(ds);
    free(lk);
    return bad;
}

static void cases_hold_with_the_compiled_policy(void **state)
{
    struct fixture *f = *state;
    struct tt_index *ix = index_from(f->subjects_json);
    assert_int_equal(tt_index_attach_policy(ix, f->policy), 0);
    assert_int_equal(tt_index_attach_policy(ix, f->policy), 0); /* idempotent */
    assert_int_equal(run_cases(f, f->policy, ix, "compiled"), 0);
    assert_int_equal(batch_agrees(f, f->policy, ix, "compiled"), 0);
    tt_index_free(ix);
}

static void cases_hold_over_the_plain_policy(void **state)
{
    struct fixture *f = *state;
    struct tt_index *ix = index_from(f->subjects_json);
    assert_int_equal(run_cases(f, f->policy, ix, "plain"), 0);
    assert_int_equal(batch_agrees(f, f->policy, ix, "plain"), 0);
    assert_int_equal(batch_agrees(f, f->policy, NULL, "no index"), 0);
    tt_index_free(ix);
}

static void moved_purpose_bits_map_by_key(void **state)
{
    /* an index filled under one policy answers right under a reloaded policy whose purpose bits
     * moved: state is kept by purpose key, not by the policy's bit */
    struct fixture *f = *state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    assert_int_equal(tt_index_attach_policy(ix, f->policy), 0);
    tt_index_free(ix);
    ix = index_from(f->subjects_json);
    assert_int_equal(tt_index_attach_policy(ix, f->policy), 0);
    struct tt_policy *moved = policy_from(f->policy_json, 7, 2);
    assert_int_equal(run_cases(f, moved, ix, "moved, plain"), 0);
    assert_int_equal(tt_index_attach_policy(ix, moved), 0);
    assert_int_equal(run_cases(f, moved, ix, "moved, compiled"), 0);
    assert_int_equal(batch_agrees(f, moved, ix, "moved, compiled"), 0);
    tt_index_free(ix);
    policy_drop(moved);
}

static void a_change_is_visible_to_the_next_decision(void **state)
{
    struct fixture *f = *state;
    struct tt_index *ix = index_from(f->subjects_json);
    assert_int_equal(tt_index_attach_policy(ix, f->policy), 0);
    struct tt_decision_request r = {
        .tenant_id = "ten_a", .subject_id = "sub_eea", .purpose = "mkt"};
    struct tt_decision d;
    assert_int_equal(tt_decide(f->policy, ix, f->now, &r, &d), 0);
    assert_true(d.allow);
    /* S8.2: a withdrawal ends it at once */
    assert_int_equal(
        tt_index_set_purpose(ix, "ten_a", "sub_eea", "mkt", TUTELA_CONSENT_WITHDRAWN, 0), 0);
    assert_int_equal(tt_decide(f->policy, ix, f->now, &r, &d), 0);
    assert_false(d.allow);
    assert_int_equal(d.reasons, TT_REASON_BIT(TT_REASON_CONSENT_WITHDRAWN));
    /* a subject created after the index was built */
    r.subject_id = "sub_new";
    assert_int_equal(tt_decide(f->policy, ix, f->now, &r, &d), 0);
    assert_int_equal(d.reasons, TT_REASON_BIT(TT_REASON_UNKNOWN_SUBJECT));
    struct tt_index_subject s = {
        .tenant_id = "ten_a", .subject_id = "sub_new", .jurisdiction = "NL"};
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(tt_index_set_purpose(ix, "ten_a", "sub_new", "mkt", TUTELA_CONSENT_GIVEN, 0),
                     0);
    assert_int_equal(tt_decide(f->policy, ix, f->now, &r, &d), 0);
    assert_true(d.allow);
    int lookup = -1;
    r.tenant_id = "ten_b";
    assert_int_equal(tt_decide_ex(f->policy, ix, f->now, &r, &d, &lookup), 0);
    assert_int_equal(lookup, TT_INDEX_OTHER_TENANT);
    assert_int_equal(d.reasons, TT_REASON_BIT(TT_REASON_UNKNOWN_SUBJECT));
    tt_index_free(ix);
}

static void decisions_allocate_nothing(void **state)
{
    struct fixture *f = *state;
    struct tt_index *ix = index_from(f->subjects_json);
    assert_int_equal(tt_index_attach_policy(ix, f->policy), 0);
    struct tt_decision_request rs[] = {
        {.tenant_id = "ten_a",
         .subject_id = "sub_eea",
         .purpose = "mkt",
         .data_category = "user.contact.phone_number",
         .service = "sms",
         .recipient = "eu_proc"},
        {.tenant_id = "ten_a", .subject_id = "sub_all", .purpose = "analytics"},
        {.tenant_id = "ten_a", .subject_id = "sub_ca", .purpose = "analytics"},
        {.tenant_id = "ten_x", .subject_id = "sub_none", .purpose = "nope"},
        {.tenant_id = "ten_a",
         .ident_type = 1,
         .ident_blind_hex = "aaaaaaaaaaaaaaaa0000000000000000000000000000000000000000000000a1",
         .purpose = "mkt"},
    };
    struct tt_decision d;
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) /* warm the caches of the view */
        assert_int_equal(tt_decide(f->policy, ix, f->now, &rs[i], &d), 0);
    long before = atomic_load(&n_allocs);
    for (int k = 0; k < 1000; k++)
        for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
            assert_int_equal(tt_decide(f->policy, ix, f->now, &rs[i], &d), 0);
    struct tt_decision ds[sizeof rs / sizeof rs[0]];
    for (int k = 0; k < 1000; k++)
        assert_int_equal(tt_decide_batch(f->policy, ix, f->now, rs, sizeof rs / sizeof rs[0], ds),
                         0);
    long after = atomic_load(&n_allocs);
    if (!COUNT_ALLOCS)
        printf("allocation counting is off under sanitizers\n");
    assert_int_equal(after - before, 0);
    tt_index_free(ix);
}

static void a_batch_sees_changes_and_refuses_bad_requests(void **state)
{
    struct fixture *f = *state;
    struct tt_index *ix = index_from(f->subjects_json);
    assert_int_equal(tt_index_attach_policy(ix, f->policy), 0);
    struct tt_decision_request rs[3] = {
        {.tenant_id = "ten_a", .subject_id = "sub_eea", .purpose = "mkt"},
        {.tenant_id = "ten_b", .subject_id = "sub_eea", .purpose = "mkt"},
        {.tenant_id = "ten_a", .subject_id = "sub_nobody", .purpose = "mkt"},
    };
    struct tt_decision ds[3];
    int lk[3];
    assert_int_equal(tt_decide_batch_ex(f->policy, ix, f->now, rs, 3, ds, lk), 0);
    assert_true(ds[0].allow);
    assert_int_equal(lk[0], TT_INDEX_FOUND);
    assert_int_equal(lk[1], TT_INDEX_OTHER_TENANT); /* the HTTP layer answers 404 */
    assert_int_equal(ds[1].reasons, TT_REASON_BIT(TT_REASON_UNKNOWN_SUBJECT));
    assert_int_equal(lk[2], TT_INDEX_NONE); /* a clean refusal */
    assert_int_equal(ds[2].reasons, TT_REASON_BIT(TT_REASON_UNKNOWN_SUBJECT));
    /* S8.2: a withdrawal is seen by the next batch */
    assert_int_equal(
        tt_index_set_purpose(ix, "ten_a", "sub_eea", "mkt", TUTELA_CONSENT_WITHDRAWN, 0), 0);
    assert_int_equal(tt_decide_batch(f->policy, ix, f->now, rs, 1, ds), 0);
    assert_false(ds[0].allow);
    assert_int_equal(ds[0].reasons, TT_REASON_BIT(TT_REASON_CONSENT_WITHDRAWN));
    /* a request without a purpose fails the whole batch before any answer is written */
    rs[2].purpose = NULL;
    memset(ds, 0x5a, sizeof ds);
    assert_true(tt_decide_batch(f->policy, ix, f->now, rs, 3, ds) < 0);
    assert_int_equal(ds[0].reasons, 0x5a5a5a5au);
    assert_true(tt_decide_batch(NULL, ix, f->now, rs, 1, ds) < 0);
    assert_true(tt_decide_batch(f->policy, ix, f->now, NULL, 1, ds) < 0);
    assert_int_equal(tt_decide_batch(f->policy, ix, f->now, NULL, 0, NULL), 0);
    tt_index_free(ix);
}

static void reason_names_are_stable(void **state)
{
    (void)state;
    static const char *const want[] = {"unknown_purpose",
                                       "no_legal_basis",
                                       "consent_missing",
                                       "consent_withdrawn",
                                       "objection",
                                       "restricted",
                                       "retention_expired",
                                       "child",
                                       "erased",
                                       "sale_prohibited",
                                       "recipient_not_approved",
                                       "transfer_without_safeguards",
                                       "unknown_subject"};
    assert_int_equal(sizeof want / sizeof want[0], TT_REASON__COUNT);
    for (int i = 0; i < TT_REASON__COUNT; i++) {
        assert_string_equal(tt_reason_name((enum tt_reason)i), want[i]);
        assert_int_equal(tt_reason_parse(want[i]), i);
    }
    assert_string_equal(tt_reason_name(TT_REASON__COUNT), "unknown");
    assert_int_equal(tt_reason_parse("nope"), -1);
    struct tt_decision d;
    struct tt_decision_request r = {.tenant_id = "t"};
    assert_true(tt_decide(NULL, NULL, 0, &r, &d) < 0);
    assert_true(tt_decide((const struct tt_policy *)&d, NULL, 0, &r, &d) < 0); /* no purpose */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cases_hold_with_the_compiled_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(cases_hold_over_the_plain_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(moved_purpose_bits_map_by_key, setup, teardown),
        cmocka_unit_test_setup_teardown(a_change_is_visible_to_the_next_decision, setup, teardown),
        cmocka_unit_test_setup_teardown(decisions_allocate_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(a_batch_sees_changes_and_refuses_bad_requests, setup,
                                        teardown),
        cmocka_unit_test(reason_names_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
