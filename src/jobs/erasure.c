/* SPDX-License-Identifier: Apache-2.0 */
/* erasure.c — the resumable erasure of a subject for a verified erasure request (erasure.h):
 * keep what the law makes us keep (S7.4) and what a legal hold in force covers (S7.6) under the
 * FINANCIAL key, shred the rest, finish the request. */
#include "erasure.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/audit.h"
#include "../api/common.h"
#include "../api/hooks.h"
#include "../api/requests_int.h"
#include "../core/error.h"
#include "../store/retention_store.h"
#include "feed.h"

/* A kept record (S7.4, or held: S7.6) on its way to the FINANCIAL key. */
struct kept {
    char id[TT_ID_MAX];
    char hold[TT_ID_MAX]; /* the hold that keeps it, "" for a legal obligation */
    char service[TT_KEY_MAX];
    char category[TT_KEY_MAX];
    tt_time until;
    uint8_t *sealed;
    size_t len;
};

struct shred_ctx {
    struct tt_app *app;
    struct tt_request r;
    const char *actor;
    tt_time now;
    struct tt_subject s;
    struct kept *kept;
    size_t n_kept, cap;
    struct tt_hold *holds; /* the holds in force that cover this subject */
    size_t n_holds, cap_holds;
    char last[TT_ID_MAX];
    int64_t n_seen; /* records of the subject when what stays was re-sealed */
    int page_n, failed, erased_now;
};

/* Keeps the holds of the tenant in force now that cover this subject (or every subject). */
static int hold_cb(void *cls, const struct tt_hold *h)
{
    struct shred_ctx *x = cls;
    if (h->released_at != 0 || (h->until != 0 && h->until <= x->now) ||
        (h->subject_id[0] && strcmp(h->subject_id, x->s.id) != 0))
        return 0;
    if (x->n_holds == x->cap_holds) {
        size_t cap = x->cap_holds ? 2 * x->cap_holds : 4;
        struct tt_hold *p = realloc(x->holds, cap * sizeof *p);
        if (!p) {
            x->failed = 1;
            return 1;
        }
        x->holds = p;
        x->cap_holds = cap;
    }
    x->holds[x->n_holds++] = *h;
    return 0;
}

/* The first hold in force that covers r (same scope test as the retention sweep), or NULL. */
static const struct tt_hold *held_by(const struct shred_ctx *x, const struct tt_record *r)
{
    for (size_t i = 0; i < x->n_holds; i++) {
        const struct tt_hold *h = &x->holds[i];
        if ((!h->service[0] || strcmp(h->service, r->service) == 0) &&
            (!h->data_category[0] || strcmp(h->data_category, r->data_category) == 0))
            return h;
    }
    return NULL;
}

static int collect_kept(void *cls, const struct tt_record *r)
{
    struct shred_ctx *x = cls;
    tt__api_copy(x->last, sizeof x->last, r->id);
    x->page_n++;
    x->n_seen++;
    const struct tt_hold *h = held_by(x, r);
    if (!h && (r->legal_basis != TT_BASIS_LEGAL_OBLIGATION || r->retention_until <= x->now))
        return 0;
    if (x->n_kept == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        struct kept *k = realloc(x->kept, cap * sizeof *k);
        if (!k) {
            x->failed = 1;
            return 1;
        }
        x->kept = k;
        x->cap = cap;
    }
    struct kept *k = &x->kept[x->n_kept];
    memset(k, 0, sizeof *k);
    tt__api_copy(k->id, sizeof k->id, r->id);
    tt__api_copy(k->hold, sizeof k->hold, h ? h->id : "");
    tt__api_copy(k->service, sizeof k->service, r->service);
    tt__api_copy(k->category, sizeof k->category, r->data_category);
    k->until = h ? h->until : r->retention_until;
    k->sealed = malloc(r->value_enc_len ? r->value_enc_len : 1);
    if (!k->sealed) {
        x->failed = 1;
        return 1;
    }
    memcpy(k->sealed, r->value_enc, r->value_enc_len);
    k->len = r->value_enc_len;
    x->n_kept++;
    return 0;
}

static void free_kept(struct shred_ctx *x)
{
    for (size_t i = 0; i < x->n_kept; i++)
        free(x->kept[i].sealed);
    free(x->kept);
    x->kept = NULL;
    x->n_kept = x->cap = 0;
    free(x->holds);
    x->holds = NULL;
    x->n_holds = x->cap_holds = 0;
}

static int kept_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kept *)a)->id, ((const struct kept *)b)->id);
}

static int is_kept(const struct shred_ctx *x, const char *record_id)
{
    struct kept key;
    tt__api_copy(key.id, sizeof key.id, record_id);
    return x->n_kept && bsearch(&key, x->kept, x->n_kept, sizeof *x->kept, kept_cmp) != NULL;
}

/* Lists what stays: the holds in force over the subject, then every record they or a running
 * legal obligation keep (sorted by id for is_kept). Run on every pass, resumed ones included, so
 * a batch after a crash never deletes a held record. */
static enum tt_qs collect_all(struct tt_store_conn *c, struct shred_ctx *x)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    enum tt_qs qs;
    if (ops->retention) {
        qs = ops->retention->hold_list(c, x->s.tenant_id, x->now, hold_cb, x);
        if (qs < 0)
            return qs;
        if (x->failed)
            return TT_QS_HARD;
    }
    if (x->n_holds == 0) {
        /* no hold: only a running legal obligation keeps a record (S7.4), and the store finds
         * those without reading the subject's other records */
        int64_t total = 0;
        qs = ops->requests->record_kept_list(c, x->s.tenant_id, x->s.id, x->now, collect_kept, x,
                                             &total);
        if (qs < 0)
            return qs;
        if (x->failed)
            return TT_QS_HARD;
        x->n_seen = total;
    } else {
        struct tt_page page = {.after_id = "", .limit = 1000};
        do {
            x->page_n = 0;
            qs = ops->record_list(c, x->s.tenant_id, x->s.id, &page, collect_kept, x);
            if (qs < 0)
                return qs;
            if (x->failed)
                return TT_QS_HARD;
            tt__api_copy(page.after_id, sizeof page.after_id, x->last);
        } while (x->page_n == page.limit);
    }
    if (x->n_kept > 1)
        qsort(x->kept, x->n_kept, sizeof *x->kept, kept_cmp);
    return TT_QS_ONE;
}

static int got_one(void *cls, const struct tt_request *r)
{
    struct tt_request *out = cls;
    *out = *r;
    out->attachment_enc = NULL;
    out->attachment_enc_len = 0;
    out->confirmation_enc = NULL;
    return 0;
}

/* The subject's key of class kc unwrapped into key: ONE, NONE when absent or destroyed. */
static enum tt_qs class_key(struct tt_store_conn *c, struct shred_ctx *x, enum tt_key_class kc,
                            uint8_t key[32])
{
    struct tt_subject_key k;
    enum tt_qs qs = tt_store_ops_of(c)->subject_key_get(c, x->s.tenant_id, x->s.id, kc, &k);
    if (qs <= 0 || k.destroyed_at != 0)
        return qs < 0 ? qs : TT_QS_NONE;
    char ad[TT_KEY_AD_MAX];
    tt_vault_key_ad(x->s.tenant_id, x->s.id, kc, ad);
    int rc = k.wrapped_len == TT_WRAPPED_BYTES ? tt_vault_unwrap(x->app->master, k.wrapped, ad, key)
                                               : -1;
    sodium_memzero(k.wrapped, sizeof k.wrapped);
    return rc < 0 ? TT_QS_HARD : TT_QS_ONE;
}

/* Destroys the key row *k (wrapped bytes zeroed, destroyed_at set). */
static enum tt_qs destroy_key(struct tt_store_conn *c, struct tt_subject_key *k, tt_time now)
{
    k->destroyed_at = now;
    memset(k->wrapped, 0, sizeof k->wrapped);
    enum tt_qs qs = tt_store_ops_of(c)->subject_key_put(c, k);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

/* Step 1's key work, constant in size: the MAIN key is re-wrapped as the ERASING key (read only
 * by this job, to re-seal what stays) and MAIN is destroyed, so nothing reads the subject's
 * data any more; step 3 destroys ERASING. */
static enum tt_qs escrow_main(struct tt_store_conn *c, struct shred_ctx *x,
                              struct tt_subject_key *mk)
{
    uint8_t key[32];
    enum tt_qs qs = class_key(c, x, TT_KEYCLASS_MAIN, key);
    if (qs == TT_QS_ONE) {
        struct tt_subject_key e = *mk;
        char ad[TT_KEY_AD_MAX];
        e.key_class = TT_KEYCLASS_ERASING;
        e.created_at = x->now;
        e.destroyed_at = 0;
        tt__api_copy(e.master_key_id, sizeof e.master_key_id, x->app->master->id);
        tt_vault_key_ad(x->s.tenant_id, x->s.id, TT_KEYCLASS_ERASING, ad);
        qs = tt_vault_wrap(x->app->master, key, ad, e.wrapped) < 0 ? TT_QS_HARD : TT_QS_ONE;
        e.wrapped_len = TT_WRAPPED_BYTES;
        if (qs == TT_QS_ONE)
            qs = tt_store_ops_of(c)->subject_key_put(c, &e);
        sodium_memzero(e.wrapped, sizeof e.wrapped);
    }
    sodium_memzero(key, sizeof key);
    if (qs < 0)
        return qs;
    return destroy_key(c, mk, x->now);
}

/* Re-seals the kept records from the ERASING key (MAIN as it was) to FINANCIAL (in place: same
 * length). */
static enum tt_qs reseal_kept(struct tt_store_conn *c, struct shred_ctx *x)
{
    if (!x->n_kept)
        return TT_QS_ONE;
    uint8_t main_key[32], fin[32];
    enum tt_qs qs = class_key(c, x, TT_KEYCLASS_ERASING, main_key);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs; /* kept data and no key to open it */
    qs = tt__rq_class_key(x->app, c, x->s.tenant_id, x->s.id, TT_KEYCLASS_FINANCIAL, x->now, fin);
    for (size_t i = 0; qs == TT_QS_ONE && i < x->n_kept; i++) {
        struct kept *k = &x->kept[i];
        if (k->len < TT_SEAL_OVERHEAD) {
            qs = TT_QS_HARD;
            break;
        }
        char ad[TT_VALUE_AD_MAX];
        tt__api_value_ad(x->s.tenant_id, x->s.id, k->id, ad);
        size_t n = k->len - TT_SEAL_OVERHEAD;
        uint8_t *plain = sodium_malloc(n ? n : 1);
        if (!plain || tt_vault_open(main_key, k->sealed, k->len, ad, plain) < 0 ||
            tt_vault_seal(fin, plain, n, ad, k->sealed) < 0)
            qs = TT_QS_HARD;
        sodium_free(plain);
        if (qs == TT_QS_ONE)
            qs = tt_store_ops_of(c)->requests->record_reseal(c, x->s.tenant_id, k->id, k->sealed,
                                                             k->len);
        if (qs == TT_QS_NONE)
            qs = TT_QS_HARD;
    }
    sodium_memzero(main_key, sizeof main_key);
    sodium_memzero(fin, sizeof fin);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

/* Step 1: what makes the subject unusable, in one transaction whose size does not grow with
 * the subject's records: MAIN key escrowed and destroyed, identities deleted (a handful per
 * subject), subject marked erased, change feed and audit. */
static enum tt_qs shred_txn(struct tt_store_conn *c, void *cls)
{
    struct shred_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->erased_now = 0;
    enum tt_qs qs = ops->subject_get(c, x->r.tenant_id, x->r.subject_id, &x->s);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    struct tt_subject_key mk;
    qs = ops->subject_key_get(c, x->s.tenant_id, x->s.id, TT_KEYCLASS_MAIN, &mk);
    if (qs < 0)
        return qs;
    if (x->s.erased_at != 0 && (qs == TT_QS_NONE || mk.destroyed_at != 0))
        return TT_QS_ONE; /* done before a crash */
    if (qs == TT_QS_ONE && mk.destroyed_at == 0) {
        qs = escrow_main(c, x, &mk);
        if (qs < 0)
            return qs;
    }
    qs = ops->requests->identity_delete_subject(c, x->s.tenant_id, x->s.id);
    if (qs < 0)
        return qs;
    x->s.erased_at = x->now;
    x->s.updated_at = x->now;
    x->s.restricted = 0;
    qs = ops->subject_update(c, &x->s);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    /* other nodes (and a server beside `tutela requests`) see the erasure through the feed */
    qs = tt_feed_append(c, x->s.tenant_id, TT_FEED_SUBJECT, x->s.id);
    if (qs < 0)
        return qs;
    json_t *d = json_pack("{s:s}", "request", x->r.id);
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->s.tenant_id, x->now, x->actor, "subject.erase", x->s.id, d);
    json_decref(d);
    x->erased_now = 1;
    return qs < 0 ? qs : TT_QS_ONE;
}

/* Step 2a, after the subject is unusable: lists what stays (collect_all, on every pass so a
 * batch after a crash never deletes a held record) and, once per erasure, re-seals it under
 * FINANCIAL and keeps with the request how many records the subject had (a run resumed after a
 * crash still tells the requester how many went in all). "records_total" in the request's
 * outcome says the re-seal was done. */
static enum tt_qs keep_txn(struct tt_store_conn *c, void *cls)
{
    struct shred_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    free_kept(x);
    x->failed = 0;
    x->n_seen = 0;
    struct tt_request cur;
    enum tt_qs qs = ops->requests->get(c, x->r.tenant_id, x->r.id, got_one, &cur);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = collect_all(c, x);
    if (qs < 0)
        return qs;
    json_t *o = json_loads(cur.outcome, 0, NULL);
    int resealed = json_is_integer(json_object_get(o, "records_total"));
    json_decref(o);
    if (resealed || tt_rq_state_terminal(cur.state))
        return TT_QS_ONE;
    qs = reseal_kept(c, x);
    if (qs < 0)
        return qs;
    snprintf(cur.outcome, sizeof cur.outcome, "{\"records_total\":%lld}", (long long)x->n_seen);
    cur.updated_at = x->now;
    qs = ops->requests->update(c, &cur);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    x->r = cur;
    return TT_QS_ONE;
}

/* Test-only knobs (documented in erasure.h): records per batch and a pause after each
 * committed batch, so a test can kill the process between two batches deterministically. */
static int batch_size(void)
{
    const char *v = getenv("TUTELA_ERASURE_BATCH");
    long n = v ? strtol(v, NULL, 10) : 0;
    return n >= 1 && n <= TT_ERASURE_BATCH ? (int)n : TT_ERASURE_BATCH;
}

static void batch_pause(void)
{
    const char *v = getenv("TUTELA_ERASURE_PAUSE_MS");
    long ms = v ? strtol(v, NULL, 10) : 0;
    if (ms > 0 && ms <= 10000) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

struct batch_ctx {
    const char *tenant_id, *subject_id;
    tt_time now;
    int limit;
    int64_t deleted;
};

static enum tt_qs batch_txn(struct tt_store_conn *c, void *cls)
{
    struct batch_ctx *b = cls;
    b->deleted = 0;
    return tt_store_ops_of(c)->requests->record_delete_batch(c, b->tenant_id, b->subject_id, b->now,
                                                             b->limit, &b->deleted);
}

/* With records held (S7.6) the store's batch, which knows only legal obligations, cannot be
 * used: the subject's rows are read and those not kept are deleted by their handles. */
struct held_batch_ctx {
    struct shred_ctx *x;
    size_t limit;
    struct tt_row_ref *rows;
    char (*ids)[TT_ID_MAX];
    size_t n;
    int64_t deleted;
};

static int held_row_cb(void *cls, const struct tt_recompute_row *r)
{
    struct held_batch_ctx *b = cls;
    if (b->n == b->limit || is_kept(b->x, r->record_id))
        return 0;
    tt__api_copy(b->ids[b->n], TT_ID_MAX, r->record_id);
    b->rows[b->n].rowid = r->rowid;
    b->rows[b->n].record_id = b->ids[b->n];
    b->n++;
    return 0;
}

static enum tt_qs held_batch_txn(struct tt_store_conn *c, void *cls)
{
    struct held_batch_ctx *b = cls;
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    b->n = 0;
    b->deleted = 0;
    enum tt_qs qs = rs->recompute_subject(c, b->x->s.tenant_id, b->x->s.id, held_row_cb, b);
    if (qs < 0)
        return qs;
    if (b->n == 0)
        return TT_QS_NONE;
    qs = rs->expired_delete(c, b->x->s.tenant_id, b->rows, b->n);
    if (qs < 0)
        return qs;
    b->deleted = (int64_t)qs;
    return TT_QS_ONE;
}

static int delete_held_subject(struct tt_store_conn *c, struct shred_ctx *x, int64_t *deleted)
{
    struct held_batch_ctx b = {.x = x, .limit = (size_t)batch_size()};
    b.rows = calloc(TT_ERASURE_BATCH, sizeof *b.rows);
    b.ids = calloc(TT_ERASURE_BATCH, sizeof *b.ids);
    int rc = b.rows && b.ids ? 0 : -TT_E_NOMEM;
    while (rc == 0) {
        enum tt_qs qs = tt_store_txn(c, held_batch_txn, &b);
        if (qs < 0)
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
        else
            *deleted += b.deleted;
        if (qs == TT_QS_NONE || b.n < b.limit)
            break;
        batch_pause();
    }
    free(b.rows);
    free(b.ids);
    return rc;
}

/* What was kept, grouped by service, category and hold, for the reply (S7.6) */
static int outcome_json(struct shred_ctx *x, int64_t deleted, char *out, size_t size)
{
    json_t *kept = json_array();
    for (size_t i = 0; kept && i < x->n_kept; i++) {
        json_t *hit = NULL;
        size_t j;
        json_t *v;
        json_array_foreach(kept, j, v)
        {
            const char *hold = json_string_value(json_object_get(v, "hold"));
            if (strcmp(json_string_value(json_object_get(v, "service")), x->kept[i].service) == 0 &&
                strcmp(json_string_value(json_object_get(v, "data_category")),
                       x->kept[i].category) == 0 &&
                strcmp(hold ? hold : "", x->kept[i].hold) == 0)
                hit = v;
        }
        int fresh = !hit;
        if (fresh && x->kept[i].hold[0]) /* the hold's id, never its reason text */
            hit = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o}", "service", x->kept[i].service,
                            "data_category", x->kept[i].category, "records", 0, "reason",
                            "legal_hold", "hold", x->kept[i].hold, "requirement", "S7.6",
                            "kept_until", tt__api_time(x->kept[i].until));
        else if (fresh)
            hit = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o}", "service", x->kept[i].service,
                            "data_category", x->kept[i].category, "records", 0, "reason",
                            "legal_obligation", "requirement", "S7.4", "kept_until",
                            tt__api_time(x->kept[i].until));
        if (fresh && (!hit || json_array_append_new(kept, hit) < 0))
            break;
        json_object_set_new(hit, "records",
                            json_integer(json_integer_value(json_object_get(hit, "records")) + 1));
    }
    json_t *o = kept ? json_pack("{s:I, s:o, s:s}", "records_deleted", (json_int_t)deleted, "kept",
                                 kept, "confirmation_kept", "5 years (S7.7)")
                     : NULL;
    char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int ok = txt && strlen(txt) < size;
    if (ok)
        snprintf(out, size, "%s", txt);
    else
        snprintf(out, size, "{\"records_deleted\":%lld,\"kept_records\":%zu}", (long long)deleted,
                 x->n_kept);
    free(txt);
    return 0;
}

struct done_ctx {
    struct shred_ctx *x;
    int64_t deleted;
};

static enum tt_qs done_txn(struct tt_store_conn *c, void *cls)
{
    struct done_ctx *d = cls;
    struct shred_ctx *x = d->x;
    struct tt_request cur;
    enum tt_qs qs = tt_store_ops_of(c)->requests->get(c, x->r.tenant_id, x->r.id, got_one, &cur);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if (tt_rq_state_terminal(cur.state)) {
        x->r = cur;
        return TT_QS_ONE;
    }
    /* what stays is re-sealed and the rest deleted: the escrowed key and the S1.5 history go */
    struct tt_subject_key ek;
    qs = tt_store_ops_of(c)->subject_key_get(c, x->s.tenant_id, x->s.id, TT_KEYCLASS_ERASING, &ek);
    if (qs == TT_QS_ONE && ek.destroyed_at == 0)
        qs = destroy_key(c, &ek, x->now);
    if (qs >= 0)
        qs = tt_store_ops_of(c)->requests->rct_delete_subject(c, x->s.tenant_id, x->s.id);
    if (qs < 0)
        return qs;
    /* the original letter stays as stored (NULL blobs are left alone by update); the
     * confirmation is sealed under the REQUEST key (S7.7) */
    json_t *before = json_loads(cur.outcome, 0, NULL);
    json_t *total = json_object_get(before, "records_total");
    int64_t deleted = json_is_integer(total) && json_integer_value(total) >= (json_int_t)x->n_kept
                          ? (int64_t)json_integer_value(total) - (int64_t)x->n_kept
                          : d->deleted;
    json_decref(before);
    outcome_json(x, deleted, cur.outcome, sizeof cur.outcome);
    uint8_t key[32];
    qs = tt__rq_class_key(x->app, c, cur.tenant_id, cur.subject_id, TT_KEYCLASS_REQUEST, x->now,
                          key);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    size_t n = strlen(cur.outcome);
    uint8_t *sealed = malloc(n + TT_SEAL_OVERHEAD);
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(cur.tenant_id, cur.subject_id, cur.id, ad);
    int rc = sealed ? tt_vault_seal(key, (const uint8_t *)cur.outcome, n, ad, sealed) : -1;
    sodium_memzero(key, sizeof key);
    if (rc < 0) {
        free(sealed);
        return TT_QS_HARD;
    }
    cur.confirmation_enc = sealed;
    cur.confirmation_enc_len = n + TT_SEAL_OVERHEAD;
    qs = tt__rq_transition(c, &cur, x->n_kept ? TT_RQE_PARTIAL : TT_RQE_COMPLETE, x->actor,
                           x->n_kept ? "data under a legal retention obligation or a legal hold "
                                       "kept (S7.6)"
                                     : NULL,
                           x->now);
    free(sealed);
    cur.confirmation_enc = NULL;
    if (qs == TT_QS_ONE)
        x->r = cur;
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

/* Step 1 for request_id: loads and checks it, then shred_txn; the index hook runs at once. */
static int begin(struct tt_store_conn *c, struct shred_ctx *x, const char *tenant_id,
                 const char *request_id)
{
    enum tt_qs qs = tt_store_ops_of(c)->requests->get(c, tenant_id, request_id, got_one, &x->r);
    if (qs < 0)
        return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    if (qs == TT_QS_NONE)
        return -TT_E_NOT_FOUND;
    if (x->r.type != TT_RQ_ERASURE ||
        (x->r.state != TT_RQS_IN_PROGRESS && x->r.state != TT_RQS_EXTENDED))
        return -TT_E_INVALID_STATE;
    qs = tt_store_txn(c, shred_txn, x);
    if (qs < 0)
        return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    if (x->erased_now)
        tt_hook_subject_changed(x->app, &x->s); /* the index sees the erasure at once */
    return 0;
}

int tt_erasure_shred(struct tt_app *app, const char *tenant_id, const char *request_id,
                     const char *actor, tt_time now)
{
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct shred_ctx x = {.app = app, .actor = actor, .now = now};
    int rc = begin(c, &x, tenant_id, request_id);
    free_kept(&x);
    tt_store_release(c);
    return rc;
}

int tt_erasure_run(struct tt_app *app, const char *tenant_id, const char *request_id,
                   const char *actor, tt_time now, struct tt_request *out)
{
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct shred_ctx x = {.app = app, .actor = actor, .now = now};
    int rc = begin(c, &x, tenant_id, request_id);
    enum tt_qs qs = rc == 0 ? tt_store_txn(c, keep_txn, &x) : TT_QS_ONE;
    if (qs < 0)
        rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    int64_t deleted = 0;
    struct batch_ctx b = {tenant_id, x.r.subject_id, now, batch_size(), 0};
    int any_held = 0;
    for (size_t i = 0; i < x.n_kept; i++)
        any_held |= x.kept[i].hold[0] != '\0';
    if (rc == 0 && any_held)
        rc = delete_held_subject(c, &x, &deleted);
    while (rc == 0 && !any_held) {
        qs = tt_store_txn(c, batch_txn, &b);
        if (qs < 0)
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
        deleted += b.deleted;
        if (qs == TT_QS_NONE || b.deleted < b.limit)
            break;
        batch_pause();
    }
    if (rc == 0) {
        struct done_ctx d = {&x, deleted};
        qs = tt_store_txn(c, done_txn, &d);
        if (qs < 0)
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    }
    if (rc == 0 && out)
        *out = x.r;
    free_kept(&x);
    tt_store_release(c);
    return rc;
}

#define RESUME_PAGE 64

struct resume_ctx {
    char tenant[RESUME_PAGE][TT_ID_MAX];
    char id[RESUME_PAGE][TT_ID_MAX];
    int n;
    char last_t[TT_ID_MAX], last_id[TT_ID_MAX]; /* the last open request seen: the cursor */
};

static int resume_cb(void *cls, const struct tt_request *r)
{
    struct resume_ctx *rc = cls;
    tt__api_copy(rc->last_t, sizeof rc->last_t, r->tenant_id);
    tt__api_copy(rc->last_id, sizeof rc->last_id, r->id);
    if (r->type != TT_RQ_ERASURE || (r->state != TT_RQS_IN_PROGRESS && r->state != TT_RQS_EXTENDED))
        return 0;
    tt__api_copy(rc->tenant[rc->n], TT_ID_MAX, r->tenant_id);
    tt__api_copy(rc->id[rc->n], TT_ID_MAX, r->id);
    rc->n++;
    return 0;
}

int tt_erasure_resume_all(struct tt_app *app, tt_time now)
{
    char after_t[TT_ID_MAX] = "", after_id[TT_ID_MAX] = "";
    int resumed = 0;
    struct tt_store_conn *probe = tt_store_acquire(app->store);
    int available = tt_store_ops_of(probe)->requests != NULL;
    tt_store_release(probe);
    if (!available)
        return 0; /* the backend has no requests area: nothing can be unfinished */
    for (;;) {
        struct resume_ctx *rc = calloc(1, sizeof *rc);
        if (!rc)
            return -TT_E_NOMEM;
        struct tt_store_conn *c = tt_store_acquire(app->store);
        enum tt_qs qs = tt_store_ops_of(c)->requests->scan_open(c, after_t, after_id, RESUME_PAGE,
                                                                resume_cb, rc);
        tt_store_release(c);
        if (qs < 0) {
            free(rc);
            return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
        }
        for (int i = 0; i < rc->n; i++) {
            int e = tt_erasure_run(app, rc->tenant[i], rc->id[i], "system", now, NULL);
            if (e < 0) {
                free(rc);
                return e;
            }
            resumed++;
        }
        int more = qs == RESUME_PAGE;
        tt__api_copy(after_t, sizeof after_t, rc->last_t);
        tt__api_copy(after_id, sizeof after_id, rc->last_id);
        free(rc);
        if (!more)
            return resumed;
    }
}
