/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_changes.c — the job "subscriptions.changes" (S14.1, issue 7): for each tenant, compares
 * the public sub-processor list with the snapshot its subscribers were last told about; on a
 * difference it queues one notice per confirmed subscriber through the outbox — an email in the
 * subscriber's language with List-Unsubscribe headers (RFC 8058), or a JSON webhook signed with
 * the subscriber's secret — and stores the new snapshot in the same transaction (compare-and-set
 * on the old digest), so each change is told exactly once even with several nodes; delivery,
 * retries and the console's view of failures are the outbox's. Pending and unsubscribed
 * subscribers get nothing. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/common.h"
#include "../api/subproc_int.h"
#include "../core/error.h"
#include "../http/i18n.h"
#include "../http/log.h"
#include "jobs.h"
#include "outbox.h"

#define MAX_TENANTS 10000
#define BODY_MAX (64 * 1024)

struct change_ctx {
    struct tt_app *app;
    struct tt_tenant t;
    tt_time now;
    const struct tt_policy *policy;
    json_t *changes; /* the difference (webhook payload form) */
    int64_t sent;
    int failed; /* a subscriber's sealed data did not open */
};

/* ---- the difference as JSON and as text ---- */

static int add_change(void *cls, enum tt_subproc_change kind, const struct tt_subproc *before,
                      const struct tt_subproc *after, unsigned fields)
{
    struct change_ctx *x = cls;
    static const char *const names[] = {"added", "removed", "changed"};
    json_t *o =
        json_pack("{s:s, s:s}", "change", names[kind], "key", after ? after->key : before->key);
    if (!o)
        return 1;
    if (before)
        json_object_set_new(o, "before", tt__subproc_entry_json(before, x->policy));
    if (after)
        json_object_set_new(o, "after", tt__subproc_entry_json(after, x->policy));
    if (kind == TT_SUBPROC_CHANGED) {
        json_t *f = json_array();
        for (unsigned b = 1; f && tt_subproc_field_name(b); b <<= 1)
            if (fields & b)
                json_array_append_new(f, json_string(tt_subproc_field_name(b)));
        json_object_set_new(o, "fields", f);
    }
    return json_array_append_new(x->changes, o) != 0;
}

/* Appends to buf (size bytes), never overrunning; a full buffer keeps what fitted. */
static void add(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t size, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The email body in lang: one line per change, then the list and unsubscribe links. */
static void email_body(const struct change_ctx *x, const char *lang, const char *unsub, char *out,
                       size_t size)
{
    char list[TT_SUBS_LINK_MAX], path[160];
    snprintf(path, sizeof path, "/web/subprocessors/?tenant=%s&lang=%s", x->t.id, lang);
    tt__subs_link(path, list);
    out[0] = '\0';
    add(out, size, "%s\n\n", tt_i18n(lang, "subprocessors.change.intro"));
    size_t i;
    json_t *o;
    json_array_foreach(x->changes, i, o)
    {
        const char *kind = jstr(o, "change");
        const json_t *e = json_object_get(o, strcmp(kind, "removed") == 0 ? "before" : "after");
        char key[64];
        snprintf(key, sizeof key, "subprocessors.change.%s", kind);
        add(out, size, "- %s: %s (%s, %s)", tt_i18n(lang, key), jstr(e, "name"), jstr(e, "country"),
            jstr(e, "transfer_mechanism"));
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(o, "fields"), j, v)
        {
            add(out, size, "%s%s", j ? ", " : " — ", json_string_value(v));
        }
        add(out, size, "\n");
    }
    add(out, size, "\n%s\n%s\n\n%s\n%s\n", tt_i18n(lang, "subprocessors.change.list"), list,
        tt_i18n(lang, "subprocessors.change.unsubscribe"), unsub);
}

/* ---- one subscriber ---- */

static int notify_cb(void *cls, const struct tt_subscriber *s);

struct notify {
    struct change_ctx *x;
    struct tt_store_conn *c;
    enum tt_qs qs;
};

static enum tt_qs notify_one(struct change_ctx *x, struct tt_store_conn *c,
                             const struct tt__subs_held *h)
{
    const struct tt_subscriber *s = &h->s;
    const struct tt_master *m = x->app->master;
    char *to = sodium_malloc(TT_SUBPROC_URL_MAX + 1);
    char *secret = sodium_malloc(TT_SUBS_SECRET_MAX);
    char *body = sodium_malloc(BODY_MAX);
    enum tt_qs qs = TT_QS_HARD;
    if (!to || !secret || !body)
        goto out;
    if (tt__subs_open(m, s->tenant_id, s->id, "to", s->to_enc, s->to_enc_len, to,
                      TT_SUBPROC_URL_MAX + 1) != 0) {
        x->failed++;
        qs = TT_QS_ONE; /* unreadable (another master key?): skipped, counted, logged once */
        goto out;
    }
    char token[TT_SUBS_TOKEN_MAX], path[192], unsub[TT_SUBS_LINK_MAX];
    tt__subs_token_unsub(m, s->tenant_id, s->id, token);
    struct tt_outbox_msg msg = {.to = to, .body = body};
    snprintf(msg.tenant_id, sizeof msg.tenant_id, "%s", s->tenant_id);
    snprintf(msg.kind, sizeof msg.kind, "subprocessor.change");
    snprintf(msg.ref, sizeof msg.ref, "%s", s->id);
    char subject[TT_OUTBOX_SUBJECT_MAX], headers[1024];
    if (strcmp(s->kind, "webhook") == 0) {
        if (tt__subs_open(m, s->tenant_id, s->id, "secret", s->secret_enc, s->secret_enc_len,
                          secret, TT_SUBS_SECRET_MAX) != 0) {
            x->failed++;
            qs = TT_QS_ONE;
            goto out;
        }
        snprintf(path, sizeof path, "/v1/public/%s/subprocessors", s->tenant_id);
        tt__subs_link(path, unsub);
        json_t *p = json_pack("{s:s, s:s, s:s, s:o, s:O, s:s}", "type", "subprocessors.changed",
                              "tenant", s->tenant_id, "subscription", s->id, "at",
                              tt__api_time(x->now), "changes", x->changes, "list_url", unsub);
        char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
        json_decref(p);
        if (!text || strlen(text) >= BODY_MAX) {
            free(text);
            goto out;
        }
        snprintf(body, BODY_MAX, "%s", text);
        free(text);
        msg.channel = TT_OUTBOX_WEBHOOK;
        msg.secret = secret;
    } else {
        snprintf(path, sizeof path, "/v1/public/%s/subprocessors/unsubscribe/%s?lang=%s",
                 s->tenant_id, token, s->lang);
        tt__subs_link(path, unsub);
        email_body(x, s->lang, unsub, body, BODY_MAX);
        snprintf(subject, sizeof subject, "%s %s", tt_i18n(s->lang, "subprocessors.change.subject"),
                 x->t.name);
        snprintf(headers, sizeof headers,
                 "List-Unsubscribe: <%s>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                 unsub);
        msg.channel = TT_OUTBOX_EMAIL;
        msg.subject = subject;
        msg.headers = headers;
    }
    sodium_memzero(token, sizeof token);
    qs = tt_outbox_enqueue(c, m, x->now, &msg, NULL);
    if (qs > 0)
        x->sent++;
out:
    sodium_free(to);
    sodium_free(secret);
    sodium_free(body);
    return qs;
}

static int notify_cb(void *cls, const struct tt_subscriber *s)
{
    struct notify *n = cls;
    struct tt__subs_held *h = sodium_malloc(sizeof *h);
    if (!h) {
        n->qs = TT_QS_HARD;
        return 1;
    }
    memset(h, 0, sizeof *h);
    tt__subs_hold_cb(h, s);
    n->qs = notify_one(n->x, n->c, h);
    sodium_free(h);
    return n->qs < 0;
}

/* ---- one tenant ---- */

struct snap {
    char digest[TT_HASH_HEX];
    char *doc;
};

static int snap_cb(void *cls, const struct tt_subs_snapshot *s)
{
    struct snap *x = cls;
    snprintf(x->digest, sizeof x->digest, "%s", s->digest);
    x->doc = strdup(s->doc);
    return 0;
}

static enum tt_qs tenant_txn(struct tt_store_conn *c, void *cls)
{
    struct change_ctx *x = cls;
    const struct tt_subscriptions_store_ops *ops = tt_store_ops_of(c)->subscriptions;
    x->sent = 0;
    x->failed = 0;
    json_decref(x->changes);
    x->changes = json_array();
    if (!x->changes)
        return TT_QS_HARD;
    struct tt_subproc *now_l = NULL, *old_l = NULL;
    size_t now_n = 0, old_n = 0;
    struct snap old = {{0}, NULL};
    char *doc = NULL;
    enum tt_qs qs = tt__subproc_collect(c, x->t.id, &now_l, &now_n);
    if (qs >= 0)
        qs = ops->snap_get(c, x->t.id, snap_cb, &old);
    if (qs < 0)
        goto out;
    if (qs == TT_QS_NONE) { /* the first read or subscription seeds the registry from the policy
                               and takes the first snapshot (tt__subproc_prepare); a snapshot
                               taken here first would be of a registry not yet seeded */
        qs = TT_QS_ONE;
        goto out;
    }
    struct tt_subs_snapshot s = {.updated_at = x->now};
    snprintf(s.tenant_id, sizeof s.tenant_id, "%s", x->t.id);
    doc = tt__subproc_snapshot_doc(now_l, now_n, s.digest);
    if (!doc || (qs == TT_QS_ONE && !old.doc)) {
        qs = TT_QS_HARD;
        goto out;
    }
    s.doc = doc;
    if (qs == TT_QS_ONE && strcmp(old.digest, s.digest) == 0)
        goto out; /* nothing changed */
    if (qs == TT_QS_ONE) {
        if (tt__subproc_snapshot_parse(old.doc, &old_l, &old_n) != 0) {
            qs = TT_QS_HARD;
            goto out;
        }
        if (tt_subproc_diff(old_l, old_n, now_l, now_n, add_change, x) < 0) {
            qs = TT_QS_HARD;
            goto out;
        }
        if (json_array_size(x->changes) > 0) {
            struct notify n = {x, c, TT_QS_ONE};
            qs = ops->sub_list(c, x->t.id, "confirmed", notify_cb, &n);
            if (qs >= 0 && n.qs < 0)
                qs = n.qs;
            if (qs < 0)
                goto out;
        }
    }
    qs = ops->snap_put(c, &s, old.doc ? old.digest : NULL);
    if (qs == TT_QS_NONE)
        qs = TT_QS_SOFT; /* another writer moved it: look again */
out:
    free(now_l);
    free(old_l);
    free(old.doc);
    free(doc);
    return qs;
}

struct tenants {
    struct tt_tenant *t;
    size_t n, cap;
};

static int tenant_cb(void *cls, const struct tt_tenant *t)
{
    struct tenants *ts = cls;
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        if (cap > MAX_TENANTS)
            return 1;
        struct tt_tenant *p = realloc(ts->t, cap * sizeof *p);
        if (!p)
            return 1;
        ts->t = p;
        ts->cap = cap;
    }
    ts->t[ts->n++] = *t;
    return 0;
}

int tt_job_subscriptions_changes(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    struct tenants ts = {0};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    enum tt_qs qs = tt_store_ops_of(c)->tenant_list(c, tenant_cb, &ts);
    int rc = qs < 0 ? -TT_E_STORE : 0;
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    int64_t sent = 0;
    for (size_t i = 0; rc == 0 && i < ts.n; i++) {
        struct change_ctx x = {.app = app, .t = ts.t[i], .now = now, .policy = ref->policy};
        qs = tt_store_txn(c, tenant_txn, &x);
        json_decref(x.changes);
        if (qs < 0)
            rc = -TT_E_STORE;
        sent += x.sent;
        if (x.failed)
            tt_log(TT_LOG_WARN, "sub-processor notices skipped: sealed data did not open",
                   TT_LOG_S("tenant", ts.t[i].id), TT_LOG_I("subscribers", x.failed));
    }
    tt_app_policy_release(ref);
    tt_store_release(c);
    free(ts.t);
    tt_jobs_note(sent);
    return rc;
}
