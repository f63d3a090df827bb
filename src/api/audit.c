/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c — the audit trail (S6.3) over the store: appending chained events inside the
 * caller's transaction, verifying every chain against its recorded tail, and the signed
 * JSON-lines export a third party checks with the public key alone (docs/audit.md).
 * Hashing and signing are core/ledger's; this file reads and writes the store. */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../core/error.h"

/* ---- appending ---- */

/* A text field: fits its column and is valid UTF-8 (so any export can carry it as JSON). */
static int text_ok(const char *s, size_t cap, int empty_ok)
{
    if (!s)
        return empty_ok;
    size_t n = strnlen(s, cap);
    if (n >= cap || (n == 0 && !empty_ok))
        return 0;
    json_t *j = json_stringn(s, n);
    if (!j)
        return 0;
    json_decref(j);
    return 1;
}

static void copy_text(char *dst, size_t size, const char *s)
{
    size_t n = s ? strnlen(s, size - 1) : 0;
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The event's text fields are checked by the caller; detail is the serialised JSON. */
static enum tt_qs append(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                         const char *actor, const char *action, const char *target,
                         const char *detail)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_audit_event last, e;
    /* audit_last locks the chain's tail until the transaction ends (store.h) */
    enum tt_qs qs = ops->audit_last(c, tenant_id, &last);
    if (qs < 0)
        return qs;
    memset(&e, 0, sizeof e);
    copy_text(e.tenant_id, sizeof e.tenant_id, tenant_id);
    e.at = at;
    copy_text(e.actor, sizeof e.actor, actor);
    copy_text(e.action, sizeof e.action, action);
    copy_text(e.target, sizeof e.target, target);
    e.detail_json = detail;
    if (tt_ledger_link(qs == TT_QS_ONE ? &last : NULL, &e) != 0)
        return TT_QS_HARD;
    qs = ops->audit_append(c, &e);
    /* NONE: the event no longer follows the tail (a concurrent first event of the chain took
     * seq 1): the transaction must run again on the new tail */
    return qs == TT_QS_NONE ? TT_QS_SOFT : qs;
}

/* The detail as stored and hashed: compact, keys sorted, so the same object always gives the
 * same bytes. NULL on bad input or no memory; free with free(). */
static char *detail_text(const json_t *detail)
{
    if (!detail)
        return strdup("{}");
    if (!json_is_object(detail))
        return NULL;
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    if (text && strlen(text) > TT_LEDGER_DETAIL_MAX) {
        free(text);
        return NULL;
    }
    return text;
}

static int args_ok(const char *tenant_id, const char *actor, const char *action, const char *target)
{
    return text_ok(tenant_id, TT_ID_MAX, 0) && text_ok(actor, TT_ID_MAX, 0) &&
           text_ok(action, TT_KEY_MAX, 0) && text_ok(target, TT_ID_MAX, 1);
}

enum tt_qs tt_audit_emit(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                         const char *actor, const char *action, const char *target,
                         const json_t *detail)
{
    if (!args_ok(tenant_id, actor, action, target))
        return TT_QS_HARD;
    char *text = detail_text(detail);
    if (!text)
        return TT_QS_HARD;
    enum tt_qs qs = append(c, tenant_id, at, actor, action, target, text);
    free(text);
    return qs;
}

enum tt_qs tt_audit_emit_text(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                              const char *actor, const char *action, const char *target,
                              const char *detail_text)
{
    if (!args_ok(tenant_id, actor, action, target) ||
        (detail_text && strnlen(detail_text, TT_LEDGER_DETAIL_MAX + 1) > TT_LEDGER_DETAIL_MAX))
        return TT_QS_HARD;
    return append(c, tenant_id, at, actor, action, target, detail_text ? detail_text : "{}");
}

struct emit_now {
    const char *tenant_id, *actor, *action, *target, *detail;
    tt_time at;
};

static enum tt_qs emit_now_txn(struct tt_store_conn *c, void *cls)
{
    const struct emit_now *x = cls;
    return append(c, x->tenant_id, x->at, x->actor, x->action, x->target, x->detail);
}

static int qs_err(enum tt_qs qs)
{
    if (qs == TT_QS_SOFT)
        return -TT_E_UNAVAILABLE;
    return qs < 0 ? -TT_E_STORE : 0;
}

int tt_audit_emit_now(struct tt_store *s, const char *tenant_id, tt_time at, const char *actor,
                      const char *action, const char *target, const json_t *detail)
{
    if (!args_ok(tenant_id, actor, action, target))
        return -TT_E_BAD_PARAM;
    char *text = detail_text(detail);
    if (!text)
        return detail && !json_is_object(detail) ? -TT_E_BAD_PARAM : -TT_E_NOMEM;
    struct emit_now x = {tenant_id, actor, action, target, text, at};
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_txn(c, emit_now_txn, &x);
    tt_store_release(c);
    free(text);
    return qs_err(qs);
}

/* ---- walking the chains ---- */

struct chain {
    struct tt_ledger_verifier v;
    int64_t lo, hi;                        /* seq span of the export range; 0 = none */
    uint8_t anchor[TT_LEDGER_HASH_BYTES];  /* prev_hash of lo */
    uint8_t hi_hash[TT_LEDGER_HASH_BYTES]; /* hash of hi */
};

struct walk {
    struct chain *chains; /* in the order met */
    size_t n, cap;
    tt_time from, to; /* the export range (0 = open) */
    int oom;
};

static void walk_reset(struct walk *w)
{
    free(w->chains);
    w->chains = NULL;
    w->n = w->cap = 0;
    w->oom = 0;
}

static struct chain *walk_add(struct walk *w, const char *tenant_id)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        struct chain *p = realloc(w->chains, cap * sizeof *p);
        if (!p) {
            w->oom = 1;
            return NULL;
        }
        w->chains = p;
        w->cap = cap;
    }
    struct chain *ch = &w->chains[w->n++];
    memset(ch, 0, sizeof *ch);
    tt_ledger_verifier_init(&ch->v, tenant_id);
    return ch;
}

static int in_range(const struct walk *w, tt_time at)
{
    return (w->from == 0 || at >= w->from) && (w->to == 0 || at <= w->to);
}

static int walk_event(void *cls, const struct tt_audit_event *e)
{
    struct walk *w = cls;
    struct chain *ch = w->n ? &w->chains[w->n - 1] : NULL;
    if (!ch || strcmp(ch->v.tenant_id, e->tenant_id) != 0) {
        ch = walk_add(w, e->tenant_id);
        if (!ch)
            return 1;
    }
    if (tt_ledger_verifier_feed(&ch->v, e) != TT_LEDGER_OK)
        return 0;
    if (in_range(w, e->at)) {
        if (ch->lo == 0) {
            ch->lo = e->seq;
            memcpy(ch->anchor, e->prev_hash, sizeof ch->anchor);
        }
        ch->hi = e->seq;
        memcpy(ch->hi_hash, e->hash, sizeof ch->hi_hash);
    }
    return 0;
}

static int chain_cmp(const void *a, const void *b)
{
    return strcmp(((const struct chain *)a)->v.tenant_id, ((const struct chain *)b)->v.tenant_id);
}

static struct chain *walk_find(struct walk *w, const char *tenant_id)
{
    struct chain key;
    snprintf(key.v.tenant_id, sizeof key.v.tenant_id, "%s", tenant_id);
    return bsearch(&key, w->chains, w->n, sizeof *w->chains, chain_cmp);
}

struct verify_txn {
    struct walk w;
    const char *tenant_id;
    size_t sorted; /* chains[0, sorted) are in tenant order (for walk_find) */
};

/* tenants with no events still have a chain to check: their recorded tail must be absent */
static int add_tenant(void *cls, const struct tt_tenant *t)
{
    struct verify_txn *x = cls;
    struct walk saved = x->w;
    saved.n = x->sorted;
    if (walk_find(&saved, t->id))
        return 0;
    return walk_add(&x->w, t->id) ? 0 : 1;
}

static enum tt_qs verify_txn(struct tt_store_conn *c, void *cls)
{
    struct verify_txn *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    walk_reset(&x->w); /* a retried transaction starts over */
    x->sorted = 0;
    if (x->tenant_id && !walk_add(&x->w, x->tenant_id))
        return TT_QS_HARD;
    enum tt_qs qs = ops->audit_scan(c, x->tenant_id, 0, 0, walk_event, &x->w);
    if (qs < 0 || x->w.oom)
        return qs < 0 ? qs : TT_QS_HARD;
    if (!x->tenant_id) {
        qsort(x->w.chains, x->w.n, sizeof *x->w.chains, chain_cmp);
        x->sorted = x->w.n;
        qs = ops->tenant_list(c, add_tenant, x);
        if (qs < 0 || x->w.oom)
            return qs < 0 ? qs : TT_QS_HARD;
        qsort(x->w.chains, x->w.n, sizeof *x->w.chains, chain_cmp);
    }
    for (size_t i = 0; i < x->w.n; i++) {
        struct tt_ledger_verifier *v = &x->w.chains[i].v;
        struct tt_audit_event head;
        qs = ops->audit_last(c, v->tenant_id, &head);
        if (qs < 0)
            return qs;
        if (qs == TT_QS_NONE && v->seq > 0) {
            /* events but no tail: the tail row (which the head names) is gone */
            memset(&head, 0, sizeof head);
            head.seq = v->seq + 1;
            qs = TT_QS_ONE;
        }
        tt_ledger_verifier_end(v, qs == TT_QS_ONE ? &head : NULL);
    }
    return TT_QS_ONE;
}

static void report_of(const struct chain *ch, struct tt_audit_chain *r)
{
    memset(r, 0, sizeof *r);
    memcpy(r->tenant_id, ch->v.tenant_id, sizeof r->tenant_id);
    r->events = ch->v.count;
    r->broken = ch->v.broken;
    r->broken_seq = ch->v.broken_seq;
}

int tt_audit_verify(struct tt_store *s, const char *tenant_id, tt_audit_chain_cb cb, void *cls)
{
    if (tenant_id && !text_ok(tenant_id, TT_ID_MAX, 0))
        return -TT_E_BAD_PARAM;
    struct verify_txn x;
    memset(&x, 0, sizeof x);
    x.tenant_id = tenant_id;
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_txn(c, verify_txn, &x);
    tt_store_release(c);
    int rc = x.w.oom ? -TT_E_NOMEM : qs_err(qs);
    for (size_t i = 0; rc == 0 && i < x.w.n; i++) {
        struct tt_audit_chain r;
        report_of(&x.w.chains[i], &r);
        if (cb && cb(cls, &r))
            break;
    }
    walk_reset(&x.w);
    return rc;
}

/* ---- export ---- */

static void hex(char out[2 * TT_LEDGER_HASH_BYTES + 1], const uint8_t *bin, size_t len)
{
    sodium_bin2hex(out, 2 * len + 1, bin, len);
}

/* Sets key to a new value, reporting allocation failure. */
static int set(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

static int emit_line(json_t *o, tt_audit_line_cb cb, void *cls)
{
    if (!o)
        return -TT_E_NOMEM;
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return -TT_E_NOMEM;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return -TT_E_NOMEM;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    int stop = cb(cls, line, n + 1);
    free(line);
    return stop ? -TT_E_INTERNAL : 0;
}

static json_t *event_json(const struct tt_audit_event *e)
{
    char h[2 * TT_LEDGER_HASH_BYTES + 1], p[2 * TT_LEDGER_HASH_BYTES + 1];
    hex(h, e->hash, sizeof e->hash);
    hex(p, e->prev_hash, sizeof e->prev_hash);
    json_t *o = json_object();
    if (!o || set(o, "tenant", json_string(e->tenant_id)) || set(o, "seq", json_integer(e->seq)) ||
        set(o, "at", json_integer(e->at)) || set(o, "actor", json_string(e->actor)) ||
        set(o, "action", json_string(e->action)) || set(o, "target", json_string(e->target)) ||
        set(o, "detail", json_string(e->detail_json ? e->detail_json : "")) ||
        set(o, "prev_hash", json_string(p)) || set(o, "hash", json_string(h))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *checkpoint_json(const struct tt_ledger_checkpoint *cp,
                               const uint8_t sig[TT_LEDGER_SIG_BYTES],
                               const uint8_t pk[TT_LEDGER_PK_BYTES])
{
    char h[2 * TT_LEDGER_HASH_BYTES + 1], k[2 * TT_LEDGER_PK_BYTES + 1];
    char sg[2 * TT_LEDGER_SIG_BYTES + 1];
    hex(h, cp->hash, sizeof cp->hash);
    hex(k, pk, TT_LEDGER_PK_BYTES);
    sodium_bin2hex(sg, sizeof sg, sig, TT_LEDGER_SIG_BYTES);
    json_t *c = json_object(), *o = json_object();
    if (!c || !o || set(c, "tenant", json_string(cp->tenant_id)) ||
        set(c, "seq", json_integer(cp->seq)) || set(c, "hash", json_string(h)) ||
        set(c, "at", json_integer(cp->at)) || set(o, "checkpoint", json_incref(c)) ||
        set(o, "signature", json_string(sg)) || set(o, "public_key", json_string(k))) {
        json_decref(c);
        json_decref(o);
        return NULL;
    }
    json_decref(c);
    return o;
}

struct export_pass {
    struct walk *w;
    size_t cur;                  /* the chain being written */
    struct tt_ledger_verifier v; /* re-checks what is written, from the anchor */
    const struct tt_ledger_signer *signer;
    tt_time now;
    tt_audit_line_cb line_cb;
    void *cls;
    struct tt_audit_export_stats stats;
    int rc;
};

/* The checkpoint over the last line written for ch, once it matches pass one's hash. */
static int write_checkpoint(struct export_pass *x, const struct chain *ch)
{
    if (x->v.broken || x->v.seq != ch->hi ||
        sodium_memcmp(x->v.hash, ch->hi_hash, TT_LEDGER_HASH_BYTES) != 0)
        return -TT_E_UNAVAILABLE;
    struct tt_ledger_checkpoint cp;
    memset(&cp, 0, sizeof cp);
    memcpy(cp.tenant_id, ch->v.tenant_id, sizeof cp.tenant_id);
    cp.seq = ch->hi;
    memcpy(cp.hash, ch->hi_hash, sizeof cp.hash);
    cp.at = x->now;
    uint8_t sig[TT_LEDGER_SIG_BYTES];
    int rc = tt_ledger_checkpoint_sign(x->signer, &cp, sig);
    if (rc < 0)
        return rc;
    rc = emit_line(checkpoint_json(&cp, sig, x->signer->pk), x->line_cb, x->cls);
    if (rc == 0)
        x->stats.chains++;
    return rc;
}

static int export_event(void *cls, const struct tt_audit_event *e)
{
    struct export_pass *x = cls;
    struct walk *w = x->w;
    /* chains come in the same order as in pass one; one appended since is skipped */
    size_t i = x->cur;
    while (i < w->n && strcmp(w->chains[i].v.tenant_id, e->tenant_id) != 0)
        i++;
    if (i == w->n)
        return 0;
    x->cur = i;
    const struct chain *ch = &w->chains[i];
    if (ch->lo == 0 || e->seq < ch->lo || e->seq > ch->hi)
        return 0;
    if (e->seq == ch->lo)
        tt_ledger_verifier_init_at(&x->v, ch->v.tenant_id, ch->lo - 1, ch->anchor);
    if (tt_ledger_verifier_feed(&x->v, e) != TT_LEDGER_OK) {
        x->rc = -TT_E_UNAVAILABLE;
        return 1;
    }
    x->rc = emit_line(event_json(e), x->line_cb, x->cls);
    if (x->rc == 0) {
        x->stats.events++;
        if (e->seq == ch->hi)
            x->rc = write_checkpoint(x, ch);
    }
    return x->rc != 0;
}

int tt_audit_export(struct tt_store *s, const char *tenant_id, tt_time from, tt_time to,
                    const struct tt_ledger_signer *signer, tt_time now, tt_audit_line_cb line_cb,
                    void *cls, struct tt_audit_export_stats *stats, struct tt_audit_chain *broken)
{
    if (tenant_id && !text_ok(tenant_id, TT_ID_MAX, 0))
        return -TT_E_BAD_PARAM;
    struct walk w;
    memset(&w, 0, sizeof w);
    w.from = from;
    w.to = to;
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    /* pass one: verify each chain from seq 1 and find the seq span of the range; no append is
     * blocked meanwhile (pass two re-checks what it writes against these hashes) */
    enum tt_qs qs = ops->audit_scan(c, tenant_id, 0, 0, walk_event, &w);
    int rc = w.oom ? -TT_E_NOMEM : qs_err(qs);
    for (size_t i = 0; rc == 0 && i < w.n; i++) {
        if (w.chains[i].v.broken) {
            if (broken)
                report_of(&w.chains[i], broken);
            rc = -TT_E_CONFLICT;
        }
    }
    struct export_pass x;
    memset(&x, 0, sizeof x);
    if (rc == 0) {
        /* pass two: write the spans, each chain followed by its signed checkpoint */
        x.w = &w;
        x.signer = signer;
        x.now = now;
        x.line_cb = line_cb;
        x.cls = cls;
        qs = ops->audit_scan(c, tenant_id, 0, 0, export_event, &x);
        rc = x.rc ? x.rc : qs_err(qs);
        /* every span written to its end, checkpoint included */
        int64_t spans = 0;
        for (size_t i = 0; i < w.n; i++)
            spans += w.chains[i].lo != 0;
        if (rc == 0 && spans != x.stats.chains)
            rc = -TT_E_UNAVAILABLE;
    }
    tt_store_release(c);
    walk_reset(&w);
    if (rc == 0 && stats)
        *stats = x.stats;
    return rc;
}
