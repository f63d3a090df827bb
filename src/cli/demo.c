/* SPDX-License-Identifier: Apache-2.0 */
/* demo.c — `tutela demo seed`: synthetic tenants, subjects, identities and message records over
 * the policy's own service data map (S3.5), so any company's policy gets fitting demo data. */
#include "demo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../core/error.h"
#include "../core/ident.h"
#include "../core/retention.h"
#include "cli.h"

#define BATCH 500 /* subjects or records per transaction */

static const char *const first_names[] = {"Anna",  "Bram", "Chloé", "Daan",  "Emma", "Finn",
                                          "Greta", "Hugo", "Iris",  "Jules", "Lena", "Mats",
                                          "Noor",  "Otto", "Priya", "Quinn", "Rosa", "Sven"};
static const char *const last_names[] = {"de Vries", "Jansen", "Bakker", "Visser",   "Smit",
                                         "Meijer",   "Dubois", "Müller", "Rossi",    "Tan",
                                         "García",   "Nowak",  "Okafor", "Lindqvist"};
static const char *const companies[] = {
    "Acme Retail",      "Blue Harbour Bank", "Cyclo Mobility", "Delta Health Clinics",
    "Evergreen Energy", "Fjord Logistics",   "Gala Events",    "Helix Games"};
static const char *const juris[] = {"NL", "NL",    "NL", "DE", "FR", "BE",
                                    "GB", "US-CA", "SG", "AU", "CO", "CN"};
static const char *const country_codes[] = {"31", "31", "31", "49", "33", "32",
                                            "44", "1",  "65", "61", "57", "86"};
static const char *const carriers[] = {"KPN",     "Vodafone", "T-Mobile", "Orange",
                                       "Singtel", "Telstra",  "Claro",    "AT&T"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)
{
    /* splitmix64: good enough for synthetic data, reproducible by seed */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t pick(struct rng *r, size_t n)
{
    return (size_t)(next(r) % n);
}

/* A (service, category, purpose) triple the policy allows, for message traffic. */
struct use {
    const struct tt_service *service;
    const char *category;
    const struct tt_purpose *purpose;
    const struct tt_retention *rule;
};

static size_t collect_uses(const struct tt_policy *p, struct use *uses, size_t max)
{
    size_t n = 0;
    for (size_t s = 0; s < p->n_services && n < max; s++) {
        const struct tt_service *sv = &p->services[s];
        const struct tt_retention *rule =
            sv->retention ? tt_policy_retention(p, sv->retention) : NULL;
        if (!rule || !sv->categories || !sv->purposes)
            continue;
        for (size_t c = 0; sv->categories[c] && n < max; c++) {
            for (size_t u = 0; sv->purposes[u]; u++) {
                const struct tt_purpose *pu = tt_policy_purpose(p, sv->purposes[u]);
                if (!pu || pu->sale || !tt_policy_purpose_allows_category(pu, sv->categories[c]))
                    continue;
                const struct tt_retention *r =
                    tt_retention_rule_for(p, sv->key, sv->categories[c], pu->key);
                uses[n++] = (struct use){sv, sv->categories[c], pu, r ? r : rule};
                break;
            }
        }
    }
    return n;
}

struct batch {
    const struct tt_policy *policy;
    const struct tt_master *master;
    struct rng *rng;
    tt_time now;
    const char *tenant_id;
    int64_t count;            /* subjects to create in this batch */
    int64_t msgs_per_subject; /* records per subject */
    int64_t msgs_extra;       /* the first msgs_extra subjects get one more */
    const struct use *uses;
    size_t n_uses;
    enum tt_subject_kind kind;
    int64_t serial;           /* running number for unique synthetic identifiers */
    struct tt_demo_stats got; /* what this batch wrote (counted only when committed) */
};

static enum tt_qs put_sealed_identity(struct tt_store_conn *c, const struct batch *b,
                                      const struct tt_subject *s, const uint8_t key[32],
                                      enum tt_identity_type type, const char *raw, const char *cc,
                                      struct tt_demo_stats *got)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    char norm[TT_IDENT_MAX];
    if (tt_ident_normalise(type, raw, cc, norm) != 0)
        return TT_QS_NONE; /* a synthetic value the rules refuse is simply not added */
    struct tt_identity id = {0};
    tt_id_new("idn_", id.id);
    snprintf(id.tenant_id, sizeof id.tenant_id, "%s", s->tenant_id);
    snprintf(id.subject_id, sizeof id.subject_id, "%s", s->id);
    id.type = type;
    tt_vault_blind(b->master, s->tenant_id, type, norm, id.blind_hex);
    size_t len = strlen(norm);
    uint8_t sealed[TT_IDENT_MAX + TT_SEAL_OVERHEAD];
    char ad[3 * TT_ID_MAX];
    snprintf(ad, sizeof ad, "%s/%s/%s", s->tenant_id, s->id, id.id);
    tt_vault_seal(key, (const uint8_t *)norm, len, ad, sealed);
    id.value_enc = sealed;
    id.value_enc_len = len + TT_SEAL_OVERHEAD;
    id.created_at = b->now;
    enum tt_qs qs = ops->identity_put(c, &id);
    if (qs == TT_QS_ONE)
        got->identities++;
    return qs < 0 ? qs : TT_QS_ONE;
}

static enum tt_qs put_record(struct tt_store_conn *c, const struct batch *b, struct tt_subject *s,
                             const uint8_t key[32], const struct use *u, tt_time collected_at,
                             const char *value, struct tt_demo_stats *got)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_record r = {0};
    tt_id_new("rec_", r.id);
    snprintf(r.tenant_id, sizeof r.tenant_id, "%s", s->tenant_id);
    snprintf(r.subject_id, sizeof r.subject_id, "%s", s->id);
    snprintf(r.service, sizeof r.service, "%s", u->service->key);
    snprintf(r.data_category, sizeof r.data_category, "%s", u->category);
    snprintf(r.purpose, sizeof r.purpose, "%s", u->purpose->key);
    r.legal_basis = tt_policy_basis_for(b->policy, u->purpose, s->jurisdiction);
    snprintf(r.source, sizeof r.source, "%s",
             tt_policy_source(b->policy, "customer_upload") ? "customer_upload" : "direct");
    r.collected_at = collected_at;
    r.retention_until = tt_retention_end(u->rule, s->jurisdiction, collected_at);
    size_t len = strlen(value);
    uint8_t sealed[512 + TT_SEAL_OVERHEAD];
    if (len > 512)
        len = 512;
    char ad[3 * TT_ID_MAX];
    snprintf(ad, sizeof ad, "%s/%s/%s", s->tenant_id, s->id, r.id);
    tt_vault_seal(key, (const uint8_t *)value, len, ad, sealed);
    r.value_enc = sealed;
    r.value_enc_len = len + TT_SEAL_OVERHEAD;
    r.created_at = b->now;
    enum tt_qs qs = ops->record_put(c, &r);
    if (qs < 0)
        return qs;
    got->records++;
    if (r.retention_until > s->retention_until)
        s->retention_until = r.retention_until;
    return TT_QS_ONE;
}

static enum tt_qs seed_batch(struct tt_store_conn *c, void *cls)
{
    struct batch *b = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_demo_stats got = {0};
    struct rng rng = *b->rng; /* a retried transaction replays the same data */
    for (int64_t i = 0; i < b->count; i++) {
        int64_t serial = b->serial + i;
        size_t j = pick(&rng, N(juris));
        struct tt_subject s = {0};
        tt_id_new("sub_", s.id);
        snprintf(s.tenant_id, sizeof s.tenant_id, "%s", b->tenant_id);
        s.kind = b->kind;
        snprintf(s.jurisdiction, sizeof s.jurisdiction, "%s", juris[j]);
        s.contract_active = b->kind == TT_SUBJECT_CUSTOMER;
        s.created_at = s.updated_at = b->now - (tt_time)pick(&rng, 86400 * 300);
        enum tt_qs qs = ops->subject_put(c, &s);
        if (qs <= 0)
            return qs < 0 ? qs : TT_QS_HARD;
        got.subjects++;

        uint8_t key[TT_KEY_BYTES];
        tt_vault_key_new(key);
        struct tt_subject_key sk = {0};
        snprintf(sk.tenant_id, sizeof sk.tenant_id, "%s", s.tenant_id);
        snprintf(sk.subject_id, sizeof sk.subject_id, "%s", s.id);
        sk.key_class = TT_KEYCLASS_MAIN;
        snprintf(sk.master_key_id, sizeof sk.master_key_id, "%s", b->master->id);
        char ad[3 * TT_ID_MAX];
        snprintf(ad, sizeof ad, "%s/%s/%d", s.tenant_id, s.id, (int)sk.key_class);
        tt_vault_wrap(b->master, key, ad, sk.wrapped);
        sk.wrapped_len = TT_WRAPPED_BYTES;
        sk.created_at = s.created_at;
        qs = ops->subject_key_put(c, &sk);
        if (qs <= 0) {
            sodium_memzero(key, sizeof key);
            return qs < 0 ? qs : TT_QS_HARD;
        }

        const char *fn = first_names[pick(&rng, N(first_names))];
        const char *ln = last_names[pick(&rng, N(last_names))];
        char email[160], phone[40];
        snprintf(email, sizeof email, "%c.%s%" PRId64 "@example.com", fn[0] | 0x20,
                 (b->kind == TT_SUBJECT_CUSTOMER ? "owner" : "user"), serial);
        snprintf(phone, sizeof phone, "+%s6%08" PRIu64, country_codes[j],
                 (uint64_t)(serial % 100000000));
        qs = put_sealed_identity(c, b, &s, key, TT_IDENT_EMAIL, email, NULL, &got);
        if (qs >= 0 && b->kind == TT_SUBJECT_END_USER)
            qs = put_sealed_identity(c, b, &s, key, TT_IDENT_PHONE, phone, NULL, &got);
        if (qs < 0) {
            sodium_memzero(key, sizeof key);
            return qs;
        }

        int64_t msgs = b->msgs_per_subject + (i < b->msgs_extra ? 1 : 0);
        for (int64_t m = 0; m < msgs && b->n_uses; m++) {
            const struct use *u = &b->uses[pick(&rng, b->n_uses)];
            tt_time at = b->now - (tt_time)pick(&rng, 86400 * 150);
            char value[320];
            snprintf(value, sizeof value,
                     "{\"name\":\"%s %s\",\"to\":\"%s\",\"carrier\":\"%s\",\"service\":\"%s\","
                     "\"duration_s\":%u,\"segments\":%u}",
                     fn, ln, phone, carriers[pick(&rng, N(carriers))], u->service->key,
                     (unsigned)pick(&rng, 600), 1 + (unsigned)pick(&rng, 4));
            qs = put_record(c, b, &s, key, u, at, value, &got);
            if (qs < 0) {
                sodium_memzero(key, sizeof key);
                return qs;
            }
        }
        sodium_memzero(key, sizeof key);
        if (got.records && s.retention_until) {
            s.updated_at = b->now;
            qs = ops->subject_update(c, &s);
            if (qs < 0)
                return qs;
        }
    }
    b->got = got;
    *b->rng = rng;
    return TT_QS_ONE;
}

static int run_batches(struct tt_store *store, struct batch *b, int64_t total, int64_t msgs_total,
                       struct tt_demo_stats *stats, int progress, const char *label)
{
    int64_t per = total ? msgs_total / total : 0, extra = total ? msgs_total % total : 0;
    struct tt_store_conn *c = tt_store_acquire(store);
    for (int64_t done = 0; done < total;) {
        int64_t n = total - done < BATCH ? total - done : BATCH;
        /* keep batches near BATCH rows when subjects carry many records */
        if (per > 0 && n * (per + 1) > 20 * BATCH)
            n = 20 * BATCH / (per + 1) > 0 ? 20 * BATCH / (per + 1) : 1;
        b->count = n;
        b->msgs_per_subject = per;
        b->msgs_extra = extra > done ? (extra - done < n ? extra - done : n) : 0;
        enum tt_qs qs = tt_store_txn(c, seed_batch, b);
        if (qs < 0) {
            tt_store_release(c);
            return -TT_E_STORE;
        }
        stats->subjects += b->got.subjects;
        stats->identities += b->got.identities;
        stats->records += b->got.records;
        b->serial += n;
        done += n;
        if (progress)
            fprintf(stderr, "\r%s: %" PRId64 "/%" PRId64 " subjects, %" PRId64 " records", label,
                    done, total, stats->records);
    }
    tt_store_release(c);
    return 0;
}

static enum tt_qs put_tenant(struct tt_store_conn *c, void *cls)
{
    const struct tt_tenant *t = cls;
    enum tt_qs qs = tt_store_ops_of(c)->tenant_put(c, t);
    return qs == TT_QS_NONE ? TT_QS_ONE : qs; /* already there: a re-run seeds into it */
}

int tt__demo_seed(struct tt_store *store, const struct tt_policy *policy,
                  const struct tt_master *master, tt_time now, const struct tt_demo_opts *opts,
                  struct tt_demo_stats *stats)
{
    struct use uses[256];
    size_t n_uses = collect_uses(policy, uses, N(uses));
    struct rng rng = {opts->seed ? opts->seed : 0x7475746c61ULL};
    struct tt_demo_stats st = {0};
    int64_t serial_base = (int64_t)(next(&rng) % 1000000) * 1000;
    struct batch b = {.policy = policy,
                      .master = master,
                      .rng = &rng,
                      .now = now,
                      .uses = uses,
                      .n_uses = n_uses,
                      .serial = serial_base};

    /* the platform's own customers (account holders): controller data (S1.4, S3.1) */
    b.tenant_id = "ten_platform";
    b.kind = TT_SUBJECT_CUSTOMER;
    b.n_uses = 0;
    int rc = run_batches(store, &b, opts->customers, 0, &st, opts->progress, "customers");
    if (rc != 0)
        return rc;
    b.n_uses = n_uses;

    /* each customer account is a tenant, controller of its end users (S1.4) */
    int64_t tenants = opts->customers > 0 ? opts->customers : 0;
    int64_t per_tenant_msgs = tenants ? opts->messages / tenants : 0;
    struct tt_store_conn *c = tt_store_acquire(store);
    for (int64_t t = 0; t < tenants; t++) {
        struct tt_tenant tn = {0};
        snprintf(tn.id, sizeof tn.id, "ten_demo%" PRId64, t + 1);
        snprintf(tn.name, sizeof tn.name, "%s%s", companies[t % (int64_t)N(companies)],
                 t >= (int64_t)N(companies) ? " (branch)" : "");
        tn.kind = TT_TENANT_CUSTOMER;
        tn.created_at = now;
        if (tt_store_txn(c, put_tenant, &tn) < 0) {
            tt_store_release(c);
            return -TT_E_STORE;
        }
        st.tenants++;
    }
    tt_store_release(c);
    for (int64_t t = 0; t < tenants; t++) {
        char tid[TT_ID_MAX], label[64];
        snprintf(tid, sizeof tid, "ten_demo%" PRId64, t + 1);
        snprintf(label, sizeof label, "tenant %" PRId64 "/%" PRId64, t + 1, tenants);
        b.tenant_id = tid;
        b.kind = TT_SUBJECT_END_USER;
        int64_t msgs = per_tenant_msgs + (t < opts->messages % tenants ? 1 : 0);
        rc = run_batches(store, &b, opts->end_users, msgs, &st, opts->progress, label);
        if (rc != 0)
            return rc;
    }
    if (opts->progress)
        fputc('\n', stderr);
    *stats = st;
    return 0;
}
