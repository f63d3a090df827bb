/* SPDX-License-Identifier: Apache-2.0 */
/* inbox.c — reports sent to the privacy, security and legal addresses (S6.2, S10.1, S13.1,
 * S8.1b): the raw message is sealed and kept, routed by its subject into a case, and acted on in
 * the same transaction: a credentials report locks the named account, revokes its sessions and
 * the API keys it created, and queues a notice to it; a children report flags the subject as a
 * child so the retention sweep deletes its data; disputes open a legal case; requests for a
 * right wait for staff triage. Every step audited; a failure stores nothing. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jobs/feed.h"
#include "../core/error.h"
#include "../http/i18n.h"
#include "../jobs/outbox.h"
#include "accounts_int.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "hooks.h"
#include "inbox_int.h"

#define DAY 86400

struct addr_list {
    char norm[8][TT_IDENT_MAX];
    int n;
};

static int collect(void *cls, const char *addr, size_t len)
{
    struct addr_list *l = cls;
    char tmp[TT_IDENT_MAX];
    if (len >= sizeof tmp)
        return 0;
    memcpy(tmp, addr, len);
    tmp[len] = '\0';
    if (tt_ident_email(tmp, l->norm[l->n]) == 0)
        l->n++;
    sodium_memzero(tmp, sizeof tmp);
    return l->n == 8;
}

struct import {
    struct tt_app *app;
    const char *actor;
    struct tt__inbox_parsed *p;
    struct addr_list addrs; /* the sender first, then the body's */
    struct tt_inbox_message m;
    struct tt__inbox_result *r;
    struct tt_subject child; /* flagged, for the hook after commit */
    int has_child;
};

struct key_scan {
    const char *account_id;
    char ids[16][TT_ID_MAX];
    int n;
};

static int key_created(void *cls, const struct tt_audit_event *e)
{
    struct key_scan *k = cls;
    if (k->n < 16 && strcmp(e->action, "key.create") == 0 && strcmp(e->actor, k->account_id) == 0)
        snprintf(k->ids[k->n++], TT_ID_MAX, "%s", e->target);
    return 0;
}

/* S6.2: lock, revoke sessions and the keys the account made, notify it. */
static enum tt_qs secure_account(struct tt_store_conn *c, struct import *x, tt_time now)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    const struct tt_accounts_store_ops *ao = ops->accounts;
    struct tt_account a;
    enum tt_qs qs = TT_QS_NONE;
    char blind[TT_HASH_HEX];
    for (int i = 0; i < x->addrs.n && qs == TT_QS_NONE; i++) {
        tt__acc_email_blind(x->app->master, x->addrs.norm[i], blind);
        qs = ao->account_find(c, blind, &a);
    }
    if (qs <= 0)
        return qs; /* nobody named: the case stays open for staff */
    snprintf(x->r->kase.account_id, TT_ID_MAX, "%s", a.id);
    a.status = TT_ACCOUNT_LOCKED;
    a.updated_at = now;
    if ((qs = ao->account_update(c, &a)) <= 0)
        goto out;
    if ((qs = ao->session_revoke_account(c, a.tenant_id, a.id, now)) < 0)
        goto out;
    x->r->sessions_revoked = (int)qs;
    struct key_scan ks = {.account_id = a.id};
    if ((qs = ops->audit_scan(c, a.tenant_id, 0, 0, key_created, &ks)) < 0)
        goto out;
    for (int i = 0; i < ks.n; i++) {
        qs = ops->api_key_revoke(c, a.tenant_id, ks.ids[i], now);
        if (qs < 0)
            goto out;
        if (qs == TT_QS_ONE && x->r->n_revoked_keys < 16)
            snprintf(x->r->revoked_keys[x->r->n_revoked_keys++], TT_ID_MAX, "%s", ks.ids[i]);
    }
    x->r->keys_revoked = x->r->n_revoked_keys;
    x->r->notified = 0;
    char to[TT_IDENT_MAX];
    if (tt__acc_email_open(x->app->master, &a, to) == 0) {
        /* S6.2: the owner hears at once, in English and French (message catalogues) */
        char subject[256], body[2048];
        snprintf(subject, sizeof subject, "%s / %s", tt_i18n("en", "email.lockout.subject"),
                 tt_i18n("fr", "email.lockout.subject"));
        snprintf(body, sizeof body, "%s\n\n%s\n", tt_i18n("en", "email.lockout.body"),
                 tt_i18n("fr", "email.lockout.body"));
        struct tt_outbox_msg msg = {
            .channel = TT_OUTBOX_EMAIL, .to = to, .subject = subject, .body = body};
        snprintf(msg.tenant_id, sizeof msg.tenant_id, "%s", a.tenant_id);
        snprintf(msg.kind, sizeof msg.kind, "security.lockout");
        snprintf(msg.ref, sizeof msg.ref, "%s", a.id);
        qs = tt_outbox_enqueue(c, x->app->master, now, &msg, NULL);
        sodium_memzero(to, sizeof to);
        if (qs < 0)
            goto out;
        x->r->notified = qs > 0;
    }
    json_t *d = json_pack("{s:s, s:s, s:i, s:i, s:b}", "case", x->r->kase.id, "reason",
                          "credentials report", "sessions_revoked", x->r->sessions_revoked,
                          "keys_revoked", x->r->keys_revoked, "notified", x->r->notified);
    if (!d) {
        qs = TT_QS_HARD;
        goto out;
    }
    qs = tt_audit_emit(c, a.tenant_id, now, x->actor, "account.lock", a.id, d);
    for (int i = 0; qs > 0 && i < x->r->n_revoked_keys; i++)
        qs = tt_audit_emit(c, a.tenant_id, now, x->actor, "key.revoke", x->r->revoked_keys[i], d);
    json_decref(d);
out:
    sodium_memzero(&a, sizeof a);
    return qs < 0 ? qs : TT_QS_ONE;
}

/* S10.1: the subject an address of the report names, flagged as a child. */
static enum tt_qs flag_child(struct tt_store_conn *c, struct import *x, tt_time now)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    const char *tenant = x->m.tenant_id;
    struct tt_identity idn;
    enum tt_qs qs = TT_QS_NONE;
    char blind[TT_HASH_HEX];
    /* the body's addresses first (the parent names the child), the sender last */
    for (int i = x->addrs.n - 1; i >= 0 && qs == TT_QS_NONE; i--) {
        tt_vault_blind(x->app->master, tenant, TT_IDENT_EMAIL, x->addrs.norm[i], blind);
        qs = ops->identity_find(c, tenant, TT_IDENT_EMAIL, blind, &idn);
    }
    if (qs <= 0)
        return qs;
    struct tt_subject s;
    if ((qs = ops->subject_get(c, tenant, idn.subject_id, &s)) <= 0)
        return qs;
    if (s.erased_at != 0)
        return TT_QS_NONE;
    s.is_child = 1;
    s.updated_at = now;
    if ((qs = ops->subject_update(c, &s)) <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if ((qs = tt_feed_append(c, tenant, TT_FEED_SUBJECT, s.id)) < 0) /* other nodes (issue 9) */
        return qs;
    snprintf(x->r->kase.subject_id, TT_ID_MAX, "%s", s.id);
    json_t *d = json_pack("{s:s, s:s}", "case", x->r->kase.id, "reason", "children report");
    qs = d ? tt_audit_emit(c, tenant, now, x->actor, "subject.child_flag", s.id, d) : TT_QS_HARD;
    json_decref(d);
    x->child = s;
    x->has_child = qs > 0;
    return qs;
}

static enum tt_qs import_txn(struct tt_store_conn *c, void *cls)
{
    struct import *x = cls;
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    tt_time now = x->m.received_at;
    struct tt_case *k = &x->r->kase;
    k->account_id[0] = k->subject_id[0] = '\0';
    x->r->sessions_revoked = x->r->keys_revoked = x->r->n_revoked_keys = 0;
    x->has_child = 0;
    enum tt_qs qs = TT_QS_ONE;
    if (x->p->route == TT_ROUTE_SECURITY)
        qs = secure_account(c, x, now);
    else if (x->p->route == TT_ROUTE_CHILDREN)
        qs = flag_child(c, x, now);
    if (qs < 0)
        return qs;
    if ((qs = ao->inbox_put(c, &x->m)) <= 0 || (qs = ao->case_put(c, k)) <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *d = json_pack("{s:s, s:s, s:I}", "route", x->m.route, "case", k->id, "size",
                          (json_int_t)x->m.size);
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->m.tenant_id, now, x->actor, "inbox.import", x->m.id, d);
    json_decref(d);
    if (qs < 0)
        return qs;
    d = json_pack("{s:s, s:s, s:s, s:s}", "kind", k->kind, "state", k->state, "account",
                  k->account_id, "subject", k->subject_id);
    qs = d ? tt_audit_emit(c, x->m.tenant_id, now, x->actor, "case.open", k->id, d) : TT_QS_HARD;
    json_decref(d);
    return qs < 0 ? qs : TT_QS_ONE;
}

static void case_plan(enum tt_inbox_route route, tt_time now, struct tt_case *k)
{
    const char *state = "open";
    tt_time due = now + 30 * (tt_time)DAY;
    switch (route) {
    case TT_ROUTE_SECURITY:
        due = now + DAY; /* S6.2: at once; the follow-up within a day */
        break;
    case TT_ROUTE_CHILDREN:
        due = now + 3 * DAY; /* S10.1: as fast as possible */
        break;
    case TT_ROUTE_LEGAL:
        break;
    case TT_ROUTE_RIGHTS:
        state = "triage";
        due = tt_time_add_months(now, 1); /* S8.4: one month from receipt */
        break;
    case TT_ROUTE_OTHER:
        state = "triage";
        break;
    }
    snprintf(k->kind, sizeof k->kind, "%s", tt_inbox_route_name(route));
    snprintf(k->state, sizeof k->state, "%s", state);
    k->due_at = due;
}

int tt__inbox_import(struct tt_app *app, const char *tenant_id, const char *actor, const char *raw,
                     size_t len, struct tt__inbox_result *out, const char **field,
                     const char **detail)
{
    *field = "body";
    *detail = "the message is larger than 5 MiB";
    if (len > TT_INBOX_MAX)
        return -TT_E_BODY_TOO_LARGE;
    struct tt__inbox_parsed p;
    int rc = tt__inbox_parse(raw, len, &p, field, detail);
    if (rc < 0)
        return rc;
    *field = "";
    *detail = "the message cannot be stored";
    struct import x = {.app = app, .actor = actor, .p = &p, .r = out};
    memset(out, 0, sizeof *out);
    if (tt_ident_email(p.from, x.addrs.norm[0]) == 0)
        x.addrs.n = 1;
    if (p.text)
        tt_mime_addresses(p.text, p.text_len, 7, collect, &x.addrs);
    tt_time now = tt_now(&app->clock);
    tt_id_new("inb_", x.m.id);
    tt_id_new("cas_", out->kase.id);
    snprintf(x.m.tenant_id, sizeof x.m.tenant_id, "%s", tenant_id);
    snprintf(x.m.route, sizeof x.m.route, "%s", tt_inbox_route_name(p.route));
    snprintf(x.m.case_id, sizeof x.m.case_id, "%s", out->kase.id);
    snprintf(x.m.created_by, sizeof x.m.created_by, "%s", actor);
    x.m.size = (int64_t)len;
    x.m.received_at = now;
    struct tt_case *k = &out->kase;
    snprintf(k->tenant_id, sizeof k->tenant_id, "%s", tenant_id);
    snprintf(k->message_id, sizeof k->message_id, "%s", x.m.id);
    snprintf(k->created_by, sizeof k->created_by, "%s", actor);
    k->created_at = k->updated_at = now;
    case_plan(p.route, now, k);

    uint8_t *sealed = malloc(len + TT_SEAL_OVERHEAD);
    if (!sealed) {
        tt__inbox_parsed_free(&p);
        return -TT_E_NOMEM;
    }
    uint8_t key[TT_KEY_BYTES];
    char ad[3 * TT_ID_MAX];
    tt__acc_key(app->master, key);
    snprintf(ad, sizeof ad, "%s/%s/inbox", tenant_id, x.m.id);
    rc = tt_vault_seal(key, (const uint8_t *)raw, len, ad, sealed) < 0 ? -TT_E_CRYPTO : 0;
    sodium_memzero(key, sizeof key);
    x.m.raw_enc = sealed;
    x.m.raw_enc_len = len + TT_SEAL_OVERHEAD;
    if (rc == 0) {
        struct tt_store_conn *c = tt_store_acquire(app->store);
        enum tt_qs qs = tt__acc_ops(c) ? tt_store_txn(c, import_txn, &x) : TT_QS_SOFT;
        tt_store_release(c);
        if (qs < 0)
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    }
    free(sealed);
    if (rc == 0) {
        snprintf(out->message_id, sizeof out->message_id, "%s", x.m.id);
        if (x.has_child)
            tt_hook_subject_changed(app, &x.child);
        for (int i = 0; i < out->n_revoked_keys; i++)
            tt_server_auth_forget(app->server, out->revoked_keys[i]);
    }
    sodium_memzero(&x.addrs, sizeof x.addrs);
    tt__inbox_parsed_free(&p);
    return rc;
}

int tt_api_inbox_post(struct tt_req *req, struct tt_resp *resp)
{
    if (!req->body || req->body_len == 0)
        return tt_problem(resp, TT_E_MISSING_FIELD, "body",
                          "the body must be a raw RFC 5322 message (message/rfc822)");
    struct tt__inbox_result r;
    const char *field = "", *detail = "";
    int rc = tt__inbox_import(req->app, req->auth.tenant_id, req->auth.key_id, req->body,
                              req->body_len, &r, &field, &detail);
    if (rc < 0)
        return tt_problem(resp, -rc, field, "%s", detail);
    json_t *body =
        json_pack("{s:s, s:s, s:o, s:i, s:i, s:b}", "message_id", r.message_id, "route",
                  r.kase.kind, "case", tt__case_json(&r.kase), "sessions_revoked",
                  r.sessions_revoked, "keys_revoked", r.keys_revoked, "notified", r.notified);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof resp->location, "/v1/cases/%s", r.kase.id);
    return tt_reply(resp, 201, body);
}
