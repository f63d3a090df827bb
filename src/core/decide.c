/* SPDX-License-Identifier: Apache-2.0 */
/* decide.c — the decision rules (S1.1, S2.1, S4.3, S4.4, S5.1, S7, S8.2, S8.3, S10.1) over the
 * policy and the index, plus the per-policy view that makes them fast: hash maps from keys to
 * policy ordinals and bit sets of what each purpose/service may use, compiled once per policy
 * by tt_index_attach_policy. Without a view the same rules run over the policy's arrays. */
#include "decide.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *const reason_names[TT_REASON__COUNT] = {
    "unknown_purpose", "no_legal_basis",  "consent_missing",        "consent_withdrawn",
    "objection",       "restricted",      "retention_expired",      "child",
    "erased",          "sale_prohibited", "recipient_not_approved", "transfer_without_safeguards",
    "unknown_subject",
};

const char *tt_reason_name(enum tt_reason r)
{
    return ((unsigned)r < TT_REASON__COUNT) ? reason_names[r] : "unknown";
}

int tt_reason_parse(const char *name)
{
    for (int i = 0; name && i < TT_REASON__COUNT; i++)
        if (strcmp(reason_names[i], name) == 0)
            return i;
    return -1;
}

unsigned tt_reason_names(uint32_t reasons, const char *names[TT_REASON__COUNT])
{
    unsigned n = 0;
    for (int i = 0; i < TT_REASON__COUNT; i++)
        if (reasons & TT_REASON_BIT(i))
            names[n++] = reason_names[i];
    return n;
}

const char *tt_decision_basis_name(int basis)
{
    return tt_basis_name((enum tt_basis)basis);
}

/* ---- the compiled view -------------------------------------------------------------------- */

struct smap_ent {
    uint64_t h;
    const char *key; /* NULL = empty */
    uint32_t ord;
};

struct smap {
    struct smap_ent *tab;
    uint32_t mask;
};

struct vpurpose {
    uint8_t basis_eea, basis_other, marketing, sale, exempt;
    int cat_any;
    uint64_t *cats;             /* bit set over category ordinals */
    _Atomic int_least16_t slot; /* cached index slot; -1 = not yet known */
};

struct vservice {
    int purposes_any, cat_any;
    uint64_t purposes; /* by purpose ordinal */
    uint64_t *cats;
};

struct vrecipient {
    int approved, eea, mechanism;
    int purposes_any;
    uint64_t purposes;
};

struct view {
    struct smap purposes, categories, services, recipients;
    struct vpurpose *vp;
    struct vservice *vs;
    struct vrecipient *vr;
    size_t n_purposes, n_services, cat_words;
    _Atomic uint8_t eea[TT_INDEX_JURIS_MAX]; /* per jurisdiction id: 0 unknown, 1 no, 2 yes */
};

static uint64_t hash_str(const char *s)
{
    uint64_t a, b;
    tt__index_hash(s, strlen(s), &a, &b);
    return a;
}

static int smap_init(struct smap *m, size_t n)
{
    uint32_t cap = 8;
    while (cap < n * 2 + 1)
        cap <<= 1;
    m->tab = calloc(cap, sizeof *m->tab);
    m->mask = cap - 1;
    return m->tab ? 0 : -TT_E_NOMEM;
}

/* The map keeps its own copy of key: a view outlives the policy it was compiled from. */
static int smap_put(struct smap *m, const char *key, uint32_t ord)
{
    uint64_t h = hash_str(key);
    uint32_t i = (uint32_t)h & m->mask;
    while (m->tab[i].key)
        i = (i + 1) & m->mask;
    char *copy = strdup(key);
    if (!copy)
        return -TT_E_NOMEM;
    m->tab[i] = (struct smap_ent){.h = h, .key = copy, .ord = ord};
    return 0;
}

static void smap_free(struct smap *m)
{
    for (uint32_t i = 0; m->tab && i <= m->mask; i++)
        free((char *)m->tab[i].key);
    free(m->tab);
}

static int smap_get(const struct smap *m, const char *key)
{
    uint64_t h = hash_str(key);
    for (uint32_t i = (uint32_t)h & m->mask;; i = (i + 1) & m->mask) {
        const struct smap_ent *e = &m->tab[i];
        if (!e->key)
            return -1;
        if (e->h == h && strcmp(e->key, key) == 0)
            return (int)e->ord;
    }
}

static int list_has(const char **list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], key) == 0)
            return 1;
    return 0;
}

static int list_empty(const char **list)
{
    return !list || !list[0];
}

static int country_in_eea(const struct tt_policy *p, const char *juris)
{
    /* S5.1 / S2.1: the EEA list holds countries; "US-CA" is judged by "US" */
    size_t n = strcspn(juris, "-");
    if ((n == 2 && strncasecmp(juris, "EU", 2) == 0) ||
        (n == 3 && strncasecmp(juris, "EEA", 3) == 0))
        return 1; /* the policy's default jurisdiction names the area itself */
    for (size_t i = 0; i < p->n_eea_countries; i++) {
        const char *c = p->eea_countries[i];
        if (strlen(c) == n && strncasecmp(c, juris, n) == 0)
            return 1;
    }
    return 0;
}

static int mechanism_ok(const char *m)
{
    return m && *m && strcmp(m, "none") != 0;
}

static void view_free(void *vv)
{
    struct view *v = vv;
    if (!v)
        return;
    smap_free(&v->purposes);
    smap_free(&v->categories);
    smap_free(&v->services);
    smap_free(&v->recipients);
    for (size_t i = 0; v->vp && i < v->n_purposes; i++)
        free(v->vp[i].cats);
    free(v->vp);
    for (size_t i = 0; v->vs && i < v->n_services; i++)
        free(v->vs[i].cats);
    free(v->vs);
    free(v->vr);
    free(v);
}

/* A bit set of the categories in list (NULL when the list is empty: any). */
static int cat_set(const struct view *v, const char **list, int *any, uint64_t **out)
{
    *any = list_empty(list);
    *out = calloc(v->cat_words ? v->cat_words : 1, sizeof(uint64_t));
    if (!*out)
        return -TT_E_NOMEM;
    for (size_t i = 0; list && list[i]; i++) {
        int c = smap_get(&v->categories, list[i]);
        if (c >= 0)
            (*out)[c / 64] |= 1ULL << (c % 64);
    }
    return 0;
}

/* The view copies what it needs from the policy (it may outlive it): it is found again by the
 * policy's pointer and digest, so a later policy at the same address with the same bytes reuses
 * it and any other policy gets a view of its own. */
static int view_new(const struct tt_policy *p, struct tt_index *ix, struct view **out)
{
    struct view *v = calloc(1, sizeof *v);
    if (!v)
        return -TT_E_NOMEM;
    v->n_services = p->n_services;
    v->n_purposes = p->n_purposes > 64 ? 64 : p->n_purposes;
    v->cat_words = (p->n_categories + 63) / 64;
    int rc = -TT_E_NOMEM;
    if (smap_init(&v->purposes, v->n_purposes) || smap_init(&v->categories, p->n_categories) ||
        smap_init(&v->services, p->n_services) || smap_init(&v->recipients, p->n_recipients))
        goto fail;
    v->vp = calloc(v->n_purposes ? v->n_purposes : 1, sizeof *v->vp);
    v->vs = calloc(p->n_services ? p->n_services : 1, sizeof *v->vs);
    v->vr = calloc(p->n_recipients ? p->n_recipients : 1, sizeof *v->vr);
    if (!v->vp || !v->vs || !v->vr)
        goto fail;
    for (size_t i = 0; i < p->n_categories; i++)
        if (smap_put(&v->categories, p->categories[i].key, (uint32_t)i))
            goto fail;
    for (size_t i = 0; i < v->n_purposes; i++) {
        const struct tt_purpose *pu = &p->purposes[i];
        struct vpurpose *vp = &v->vp[i];
        if (smap_put(&v->purposes, pu->key, (uint32_t)i))
            goto fail;
        vp->basis_eea = (uint8_t)pu->basis_eea;
        vp->basis_other = (uint8_t)pu->basis_other;
        vp->marketing = pu->marketing != 0;
        vp->sale = pu->sale != 0;
        vp->exempt = pu->restriction_exempt != 0;
        if ((rc = cat_set(v, pu->categories, &vp->cat_any, &vp->cats)) != 0)
            goto fail;
        rc = -TT_E_NOMEM;
        int slot = ix ? tt_index_purpose_intern(ix, pu->key, (int)pu->bit) : -1;
        atomic_init(&vp->slot, (int_least16_t)(slot >= 0 ? slot : -1));
    }
    for (size_t i = 0; i < p->n_services; i++) {
        const struct tt_service *s = &p->services[i];
        struct vservice *vs = &v->vs[i];
        if (smap_put(&v->services, s->key, (uint32_t)i))
            goto fail;
        vs->purposes_any = list_empty(s->purposes);
        for (size_t k = 0; s->purposes && s->purposes[k]; k++) {
            int o = smap_get(&v->purposes, s->purposes[k]);
            if (o >= 0)
                vs->purposes |= 1ULL << o;
        }
        if ((rc = cat_set(v, s->categories, &vs->cat_any, &vs->cats)) != 0)
            goto fail;
        rc = -TT_E_NOMEM;
    }
    for (size_t i = 0; i < p->n_recipients; i++) {
        const struct tt_recipient *r = &p->recipients[i];
        struct vrecipient *vr = &v->vr[i];
        if (smap_put(&v->recipients, r->key, (uint32_t)i))
            goto fail;
        vr->approved = r->approved != 0;
        vr->eea = r->country && country_in_eea(p, r->country);
        vr->mechanism = mechanism_ok(r->transfer_mechanism);
        vr->purposes_any = list_empty(r->purposes);
        for (size_t k = 0; r->purposes && r->purposes[k]; k++) {
            int o = smap_get(&v->purposes, r->purposes[k]);
            if (o >= 0)
                vr->purposes |= 1ULL << o;
        }
    }
    *out = v;
    return 0;
fail:
    view_free(v);
    return rc ? rc : -TT_E_NOMEM;
}

int tt_index_attach_policy(struct tt_index *ix, const struct tt_policy *policy)
{
    if (!ix || !policy)
        return -TT_E_BAD_FIELD;
    if (tt__index_view_find(ix, policy, policy->digest))
        return 0;
    struct view *v;
    int rc = view_new(policy, ix, &v);
    if (rc)
        return rc;
    return tt__index_view_add(ix, policy, policy->digest, v, view_free);
}

/* ---- resolving a request against the policy ----------------------------------------------- */

/* What the rules need to know about the request's purpose and recipient. */
struct facts {
    int purpose_ok; /* S1.1 */
    int found;      /* the purpose exists */
    enum tt_basis basis_eea, basis_other;
    int marketing, sale, exempt;
    int slot; /* index purpose slot, -1 = never recorded */
    int recipient_ok, recipient_eea, recipient_mechanism;
};

static int bit_in(const uint64_t *set, int ord)
{
    return ord >= 0 && (set[ord / 64] >> (ord % 64) & 1);
}

static void resolve_fast(const struct view *v, const struct tt_index *ix,
                         const struct tt_decision_request *req, struct facts *f)
{
    int po = smap_get(&v->purposes, req->purpose);
    if (po < 0)
        return;
    const struct vpurpose *vp = &v->vp[po];
    f->found = 1;
    f->basis_eea = (enum tt_basis)vp->basis_eea;
    f->basis_other = (enum tt_basis)vp->basis_other;
    f->marketing = vp->marketing;
    f->sale = vp->sale;
    f->exempt = vp->exempt;
    f->slot = atomic_load_explicit(&((struct vpurpose *)vp)->slot, memory_order_relaxed);
    if (f->slot < 0) {
        f->slot = tt_index_purpose_slot(ix, req->purpose);
        if (f->slot >= 0)
            atomic_store_explicit(&((struct vpurpose *)vp)->slot, (int_least16_t)f->slot,
                                  memory_order_relaxed);
    }
    int ok = 1, co = -1;
    if (req->data_category) {
        co = smap_get(&v->categories, req->data_category);
        ok = co >= 0 && (vp->cat_any || bit_in(vp->cats, co));
    }
    if (ok && req->service) {
        int so = smap_get(&v->services, req->service);
        const struct vservice *vs = so >= 0 ? &v->vs[so] : NULL;
        ok = vs && (vs->purposes_any || (vs->purposes >> po & 1)) &&
             (co < 0 || vs->cat_any || bit_in(vs->cats, co));
    }
    f->purpose_ok = ok;
    if (req->recipient) {
        int ro = smap_get(&v->recipients, req->recipient);
        if (ro >= 0) {
            const struct vrecipient *vr = &v->vr[ro];
            f->recipient_ok = vr->approved && (vr->purposes_any || (vr->purposes >> po & 1));
            f->recipient_eea = vr->eea;
            f->recipient_mechanism = vr->mechanism;
        } else {
            f->recipient_eea = f->recipient_mechanism = 1; /* unknown: only "not approved" */
        }
    }
}

static void resolve_slow(const struct tt_policy *p, const struct tt_index *ix,
                         const struct tt_decision_request *req, struct facts *f)
{
    const struct tt_purpose *pu = NULL;
    for (size_t i = 0; i < p->n_purposes && !pu; i++)
        if (strcmp(p->purposes[i].key, req->purpose) == 0)
            pu = &p->purposes[i];
    if (!pu)
        return;
    f->found = 1;
    f->basis_eea = pu->basis_eea;
    f->basis_other = pu->basis_other;
    f->marketing = pu->marketing != 0;
    f->sale = pu->sale != 0;
    f->exempt = pu->restriction_exempt != 0;
    f->slot = tt_index_purpose_slot(ix, pu->key);
    int ok = 1;
    if (req->data_category) {
        int known = 0;
        for (size_t i = 0; i < p->n_categories && !known; i++)
            known = strcmp(p->categories[i].key, req->data_category) == 0;
        ok = known && (list_empty(pu->categories) || list_has(pu->categories, req->data_category));
    }
    if (ok && req->service) {
        const struct tt_service *s = NULL;
        for (size_t i = 0; i < p->n_services && !s; i++)
            if (strcmp(p->services[i].key, req->service) == 0)
                s = &p->services[i];
        ok = s && (list_empty(s->purposes) || list_has(s->purposes, pu->key)) &&
             (!req->data_category || list_empty(s->categories) ||
              list_has(s->categories, req->data_category));
    }
    f->purpose_ok = ok;
    if (req->recipient) {
        const struct tt_recipient *r = NULL;
        for (size_t i = 0; i < p->n_recipients && !r; i++)
            if (strcmp(p->recipients[i].key, req->recipient) == 0)
                r = &p->recipients[i];
        if (r) {
            f->recipient_ok =
                r->approved && (list_empty(r->purposes) || list_has(r->purposes, pu->key));
            f->recipient_eea = r->country && country_in_eea(p, r->country);
            f->recipient_mechanism = mechanism_ok(r->transfer_mechanism);
        } else {
            f->recipient_eea = f->recipient_mechanism = 1;
        }
    }
}

/* Whether the subject's jurisdiction lies in the EEA; unknown counts as EEA (the stricter
 * bases of the statement's home). */
static int subject_in_eea(const struct tt_policy *p, const struct view *v,
                          const struct tt_index *ix, unsigned juris)
{
    if (juris == 0)
        return 1;
    if (v && juris < TT_INDEX_JURIS_MAX) {
        _Atomic uint8_t *c = (_Atomic uint8_t *)&v->eea[juris];
        uint8_t k = atomic_load_explicit(c, memory_order_relaxed);
        if (k)
            return k == 2;
        int in = country_in_eea(p, tt_index_jurisdiction(ix, juris));
        atomic_store_explicit(c, (uint8_t)(in ? 2 : 1), memory_order_relaxed);
        return in;
    }
    return country_in_eea(p, tt_index_jurisdiction(ix, juris));
}

/* The rules, once the request is resolved (f) and the subject looked up (found, st). */
static void apply_rules(const struct tt_policy *policy, const struct view *v,
                        const struct tt_index *index, tt_time now,
                        const struct tt_decision_request *req, const struct facts *fp, int found,
                        const struct tt_index_state *stp, struct tt_decision *out)
{
    const struct facts f = *fp;
    int known = found == TT_INDEX_FOUND;
    struct tt_index_state st = known ? *stp : (struct tt_index_state){0};
    uint32_t r = 0;
    enum tt_basis basis = TT_BASIS_NONE;
    /* S1.1: a recorded purpose, allowed for that category and service */
    if (!f.found || !f.purpose_ok)
        r |= TT_REASON_BIT(TT_REASON_UNKNOWN_PURPOSE);
    if (f.found) {
        /* S2.1: the basis for the subject's jurisdiction decides what is checked */
        int eea = known ? subject_in_eea(policy, v, index, st.juris) : 1;
        basis = eea ? f.basis_eea : f.basis_other;
        uint64_t bit = f.slot >= 0 ? 1ULL << f.slot : 0;
        switch (basis) {
        case TT_BASIS_CONSENT:
            if (known && !(st.given & bit))
                r |= TT_REASON_BIT((st.withdrawn & bit) ? TT_REASON_CONSENT_WITHDRAWN
                                                        : TT_REASON_CONSENT_MISSING);
            break;
        case TT_BASIS_CONTRACT:
            /* S1.4: an end user's data is processed on the customer's instructions, under the
             * customer's contract with the platform (a tenant exists only while it has one) */
            if (known && !(st.flags & TT_IXF_CONTRACT) && st.kind != TT_SUBJECT_END_USER)
                r |= TT_REASON_BIT(TT_REASON_NO_LEGAL_BASIS);
            break;
        case TT_BASIS_LEGAL_OBLIGATION:
            if (f.marketing) /* a legal obligation never covers marketing */
                r |= TT_REASON_BIT(TT_REASON_NO_LEGAL_BASIS);
            break;
        case TT_BASIS_LEGITIMATE_INTEREST:
            if (known && (st.objection & bit)) /* S8.3 */
                r |= TT_REASON_BIT(TT_REASON_OBJECTION);
            break;
        default:
            r |= TT_REASON_BIT(TT_REASON_NO_LEGAL_BASIS);
            break;
        }
    }
    if (known) {
        /* S8.3: a restriction leaves only storage and legal claims */
        if ((st.flags & TT_IXF_RESTRICTED) && !(f.found && f.exempt))
            r |= TT_REASON_BIT(TT_REASON_RESTRICTED);
        /* S7: the retention end is the first second the data is no longer usable */
        if (st.retention_until && now >= st.retention_until)
            r |= TT_REASON_BIT(TT_REASON_RETENTION_EXPIRED);
        if (st.flags & TT_IXF_CHILD) /* S10.1 */
            r |= TT_REASON_BIT(TT_REASON_CHILD);
        if (st.flags & TT_IXF_ERASED)
            r |= TT_REASON_BIT(TT_REASON_ERASED);
    } else {
        r |= TT_REASON_BIT(TT_REASON_UNKNOWN_SUBJECT);
    }
    if (f.sale) /* S4.4: never sold */
        r |= TT_REASON_BIT(TT_REASON_SALE_PROHIBITED);
    if (req->recipient) {
        if (!f.recipient_ok) /* S4.3: vetted and bound by safeguards */
            r |= TT_REASON_BIT(TT_REASON_RECIPIENT_NOT_APPROVED);
        if (!f.recipient_eea && !f.recipient_mechanism) /* S5.1 */
            r |= TT_REASON_BIT(TT_REASON_TRANSFER_WITHOUT_SAFEGUARDS);
    }
    out->allow = r == 0;
    out->legal_basis = (int)basis;
    out->reasons = r;
    out->policy_version = policy->version;
}

int tt_decide_ex(const struct tt_policy *policy, const struct tt_index *index, tt_time now,
                 const struct tt_decision_request *req, struct tt_decision *out, int *lookup)
{
    if (!policy || !req || !req->tenant_id || !req->purpose || !out)
        return -TT_E_BAD_FIELD;
    const struct view *v = index ? tt__index_view_find(index, policy, policy->digest) : NULL;
    struct facts f = {.slot = -1};
    if (v)
        resolve_fast(v, index, req, &f);
    else
        resolve_slow(policy, index, req, &f);

    struct tt_index_state st;
    int found = TT_INDEX_NONE;
    if (index && req->subject_id)
        found = tt_index_get(index, req->tenant_id, req->subject_id, &st);
    else if (index && req->ident_blind_hex)
        found = tt_index_get_by_identity(index, req->tenant_id, req->ident_type,
                                         req->ident_blind_hex, &st);
    if (lookup)
        *lookup = found;
    apply_rules(policy, v, index, now, req, &f, found, &st, out);
    return 0;
}

/* ---- batches ------------------------------------------------------------------------------ */

/* The batch runs in groups of GROUP requests, as a three-stage pipeline: the requests of group
 * g are hashed, then their slots (or identifier slots) prefetched back to back; group g - 1's
 * subjects' slots are copied and their withdrawal/objection bits prefetched, its identifiers
 * turned into their subjects' keys (whose slots are then prefetched); group g - 2 is decided,
 * its memory arrived. Prefetches go out back to back rather than one per decided request
 * because at 10M subjects the cost is the address translation more than the cache miss (a
 * random line in a 600 MB table, in a VM): a prefetch's page walk holds up the instructions
 * behind it, and walks that start together overlap, walks spread between decisions do not
 * (docs/decisions.md). */
#define GROUP 16
#define RING 64 /* a power of two, at least 3 * GROUP */
/* Resolved request shapes kept for a batch, keyed by the strings' addresses: in-process callers
 * pass the same literal keys over and over, so most requests skip the policy maps. A shape
 * goes in its slot or the next one (a handful of shapes alternating in one slot would miss on
 * every request). */
#define SHAPES 32 /* a power of two */

struct shape {
    const char *purpose, *category, *service, *recipient; /* NULL purpose = empty */
    struct facts f;
};

static unsigned shape_slot(const struct tt_decision_request *r)
{
    uint64_t h = (uint64_t)(uintptr_t)r->purpose ^ (uint64_t)(uintptr_t)r->data_category * 3 ^
                 (uint64_t)(uintptr_t)r->service * 5 ^ (uint64_t)(uintptr_t)r->recipient * 7;
    return (unsigned)((h * 0x9e3779b97f4a7c15ULL) >> 32) & (SHAPES - 1);
}

static int shape_is(const struct shape *c, const struct tt_decision_request *r)
{
    return c->purpose == r->purpose && c->category == r->data_category &&
           c->service == r->service && c->recipient == r->recipient;
}

static void resolve_cached(const struct tt_policy *policy, const struct view *v,
                           const struct tt_index *index, const struct tt_decision_request *r,
                           struct shape *cache, struct facts *f)
{
    unsigned s = shape_slot(r);
    struct shape *c = &cache[s], *c2 = &cache[(s + 1) & (SHAPES - 1)];
    if (shape_is(c, r) || shape_is(c2, r)) {
        *f = shape_is(c, r) ? c->f : c2->f;
        return;
    }
    if (c->purpose && !c2->purpose)
        c = c2;
    *f = (struct facts){.slot = -1};
    if (v)
        resolve_fast(v, index, r, f);
    else
        resolve_slow(policy, index, r, f);
    *c = (struct shape){r->purpose, r->data_category, r->service, r->recipient, *f};
}

enum { BY_NONE, BY_SUBJECT, BY_IDENT, BY_PEEKED /* a subject whose slot is copied */ };

/* One batch's state: its arguments, the shapes seen, and a ring of the requests in flight. */
struct batch {
    const struct tt_policy *policy;
    const struct tt_index *index;
    const struct view *v;
    tt_time now;
    const struct tt_decision_request *reqs;
    struct tt_decision *outs;
    int *lookups;
    const char *tenant; /* the last tenant looked up, and its handle */
    uint32_t th;
    struct shape cache[SHAPES];
    uint64_t key[RING];
    uint32_t tag[RING];
    uint8_t by[RING];
    struct tt__index_peek peek[RING];
};

/* Stage 1 for requests [lo, hi): hash, then prefetch all slots together. */
static void stage_load(struct batch *b, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        size_t k = i % RING;
        const struct tt_decision_request *r = &b->reqs[i];
        b->by[k] = BY_NONE;
        if (b->index && r->subject_id) {
            uint64_t h2;
            tt__index_hash(r->subject_id, strlen(r->subject_id), &b->key[k], &h2);
            b->tag[k] = (uint32_t)h2;
            b->by[k] = BY_SUBJECT;
        } else if (b->index &&
                   (b->key[k] = tt__index_ident_key(r->ident_type, r->ident_blind_hex)) != 0) {
            b->by[k] = BY_IDENT;
        }
    }
    for (size_t i = lo; i < hi; i++) {
        size_t k = i % RING;
        if (b->by[k] == BY_SUBJECT)
            tt__index_prefetch(b->index, b->key[k]);
        else if (b->by[k] == BY_IDENT)
            tt__index_prefetch_ident(b->index, b->key[k]);
    }
}

/* Stage 2 for [lo, hi), their slots arrived: identifiers to subject keys, whose slots then
 * start loading; subjects' slots copied, and their withdrawal/objection bits start loading.
 * A slot is read once here rather than again while deciding: each read of a line in a page
 * whose translation has left the TLB pays the page walk again. */
static void stage_follow(struct batch *b, size_t lo, size_t hi)
{
    const void *ext[GROUP];
    size_t n_ext = 0;
    for (size_t i = lo; i < hi; i++) {
        size_t k = i % RING;
        if (b->by[k] == BY_IDENT) {
            b->key[k] = tt__index_ident_subject(b->index, b->key[k]);
            if (b->key[k])
                tt__index_prefetch(b->index, b->key[k]);
            else
                b->by[k] = BY_NONE;
        } else if (b->by[k] == BY_SUBJECT) {
            tt__index_peek(b->index, b->key[k], &b->peek[k]);
            b->by[k] = BY_PEEKED;
            if (b->peek[k].ext)
                ext[n_ext++] = b->peek[k].ext;
        }
    }
    for (size_t e = 0; e < n_ext; e++) /* back to back, like the slots */
        __builtin_prefetch(ext[e]);
}

/* Stage 3: decides request i. */
static void stage_decide(struct batch *b, size_t i)
{
    size_t k = i % RING;
    const struct tt_decision_request *r = &b->reqs[i];
    struct facts f;
    resolve_cached(b->policy, b->v, b->index, r, b->cache, &f);
    if (b->by[k] != BY_NONE &&
        (!b->tenant || (r->tenant_id != b->tenant && strcmp(r->tenant_id, b->tenant) != 0))) {
        b->tenant = r->tenant_id;
        b->th = tt__index_tenant(b->index, b->tenant);
    }
    struct tt_index_state st;
    int found = TT_INDEX_NONE;
    if (b->by[k] == BY_PEEKED)
        found = tt__index_peek_get(b->index, b->th, b->key[k], &b->tag[k], &b->peek[k], &st);
    else if (b->by[k] != BY_NONE)
        found = tt__index_get_key(b->index, b->th, b->key[k],
                                  b->by[k] == BY_SUBJECT ? &b->tag[k] : NULL, &st);
    if (b->by[k] == BY_IDENT && found != TT_INDEX_FOUND)
        found = TT_INDEX_NONE; /* the blind index is per tenant: not "another tenant's" */
    if (b->lookups)
        b->lookups[i] = found;
    apply_rules(b->policy, b->v, b->index, b->now, r, &f, found, &st, &b->outs[i]);
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

int tt_decide_batch_ex(const struct tt_policy *policy, const struct tt_index *index, tt_time now,
                       const struct tt_decision_request *reqs, size_t n, struct tt_decision *outs,
                       int *lookups)
{
    if (!policy || (n && (!reqs || !outs)))
        return -TT_E_BAD_FIELD;
    for (size_t i = 0; i < n; i++)
        if (!reqs[i].tenant_id || !reqs[i].purpose)
            return -TT_E_BAD_FIELD;
    struct batch b = {
        .policy = policy,
        .index = index,
        .v = index ? tt__index_view_find(index, policy, policy->digest) : NULL,
        .now = now,
        .reqs = reqs,
        .outs = outs,
        .lookups = lookups,
    };
    unsigned section = index ? tt__index_read_begin(index) : 0;
    for (size_t g = 0; g < n + 2 * GROUP; g += GROUP) {
        if (g < n)
            stage_load(&b, g, min_size(g + GROUP, n));
        if (g >= GROUP && g - GROUP < n)
            stage_follow(&b, g - GROUP, min_size(g, n));
        if (g >= 2 * GROUP)
            for (size_t i = g - 2 * GROUP; i < min_size(g - GROUP, n); i++)
                stage_decide(&b, i);
    }
    if (index)
        tt__index_read_end(index, section);
    return 0;
}

int tt_decide_batch(const struct tt_policy *policy, const struct tt_index *index, int64_t now,
                    const struct tt_decision_request *reqs, size_t n, struct tt_decision *outs)
{
    return tt_decide_batch_ex(policy, index, now, reqs, n, outs, NULL);
}

int tt_decide(const struct tt_policy *policy, const struct tt_index *index, int64_t now,
              const struct tt_decision_request *req, struct tt_decision *out)
{
    return tt_decide_ex(policy, index, now, req, out, NULL);
}
