/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_subscribe.c — POST /v1/public/{tenant}/subprocessors/subscriptions (S14.1): subscribe
 * to changes of a tenant's sub-processor list without a key. {email}: a pending subscriber and a
 * confirm link sent through the outbox in the same transaction (double opt-in; the answer is the
 * same whether the address was known, pending or confirmed, so it reveals nothing). {webhook_url}:
 * an http(s) URL, confirmed at once (its owner proves control by verifying the signature of what
 * arrives), answered with its whsec_ signing secret and delete token, shown once. Rate-limited
 * per client address and per subscriber; bad input names the field and stores nothing. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/ident.h"
#include "../http/i18n.h"
#include "../jobs/outbox.h"
#include "audit.h"
#include "common.h"
#include "handlers_subprocessors.h"
#include "limiter.h"
#include "spec.h"
#include "subproc_int.h"

/* ---- limits: per client address (TUTELA_SUBS_RATE a minute, default 10) and per subscriber
 * (3 confirm mails a minute); in memory per node ---- */

#define RL_SLOTS 4096

static struct tt_rl_rules ip_rules(void)
{
    const char *v = getenv("TUTELA_SUBS_RATE");
    long per_min = v ? strtol(v, NULL, 10) : 10;
    if (per_min < 1 || per_min > 100000)
        per_min = 10;
    return (struct tt_rl_rules){60, (int)per_min, 1000000, 1, 1};
}

static struct tt_rl_rules who_rules(void)
{
    return (struct tt_rl_rules){60, 3, 1000000, 1, 1};
}

static struct tt_rl_slot ip_slots[RL_SLOTS], who_slots[RL_SLOTS];
static struct tt__limiter rl_ip = TT__LIMITER(ip_slots, ip_rules);
static struct tt__limiter rl_who = TT__LIMITER(who_slots, who_rules);

static int limited(struct tt_resp *resp, int retry_after, const char *field)
{
    resp->retry_after = retry_after;
    return tt_problem(resp, TT_E_RATE_LIMITED, field, "too many subscriptions; retry in %d s",
                      retry_after);
}

/* ---- the transaction ---- */

struct sub_ctx {
    struct tt_app *app;
    char tenant_id[TT_ID_MAX];
    char tenant_name[TT_NAME_MAX];
    const char *kind;                   /* email | webhook */
    char value[TT_SUBPROC_URL_MAX + 1]; /* normalised address or URL; wiped */
    char blind[TT_HASH_HEX];
    char lang[TT_I18N_LANG_MAX];
    tt_time now;
    /* out */
    int conflict; /* a webhook already subscribed */
    char id[TT_ID_MAX];
    char secret[TT_SUBS_SECRET_MAX]; /* webhook signing secret; wiped */
    char token[TT_SUBS_TOKEN_MAX];   /* webhook delete token; wiped */
};

static enum tt_qs send_confirm(struct tt_store_conn *c, struct sub_ctx *x, const char *id)
{
    char token[TT_SUBS_TOKEN_MAX], path[256], link[TT_SUBS_LINK_MAX];
    tt__subs_token_new(token);
    struct tt__subs_held *h = sodium_malloc(sizeof *h);
    if (!h)
        return TT_QS_HARD;
    memset(h, 0, sizeof *h);
    enum tt_qs qs = tt_store_ops_of(c)->subscriptions->sub_find(c, x->tenant_id, TT_SUBS_BY_ID, id,
                                                                tt__subs_hold_cb, h);
    if (qs <= 0 || !h->s.to_enc_len) {
        sodium_free(h);
        return qs < 0 ? qs : TT_QS_HARD;
    }
    struct tt_subscriber s = h->s; /* its sealed address stays as it is */
    tt__subs_token_hash(x->app->master, token, s.confirm_hash);
    s.confirm_expires_at = x->now + TT_SUBS_CONFIRM_TTL_S;
    snprintf(s.lang, sizeof s.lang, "%s", x->lang);
    s.updated_at = x->now;
    qs = tt_store_ops_of(c)->subscriptions->sub_update(c, &s);
    sodium_free(h);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    snprintf(path, sizeof path, "/v1/public/%s/subprocessors/confirm/%s?lang=%s", x->tenant_id,
             token, x->lang);
    tt__subs_link(path, link);
    sodium_memzero(token, sizeof token);
    char subject[TT_OUTBOX_SUBJECT_MAX], body[2048];
    snprintf(subject, sizeof subject, "%s — %s", tt_i18n(x->lang, "subprocessors.confirm.subject"),
             x->tenant_name);
    snprintf(body, sizeof body, "%s\n\n%s\n\n    %s\n\n%s\n",
             tt_i18n(x->lang, "subprocessors.confirm.intro"), x->tenant_name, link,
             tt_i18n(x->lang, "subprocessors.confirm.ignore"));
    struct tt_outbox_msg msg = {
        .channel = TT_OUTBOX_EMAIL, .to = x->value, .subject = subject, .body = body};
    snprintf(msg.tenant_id, sizeof msg.tenant_id, "%s", x->tenant_id);
    snprintf(msg.kind, sizeof msg.kind, "subprocessor.confirm");
    snprintf(msg.ref, sizeof msg.ref, "%s", id);
    qs = tt_outbox_enqueue(c, x->app->master, x->now, &msg, NULL);
    sodium_memzero(body, sizeof body);
    sodium_memzero(link, sizeof link);
    return qs;
}

static enum tt_qs subscribe_txn(struct tt_store_conn *c, void *cls)
{
    struct sub_ctx *x = cls;
    const struct tt_subscriptions_store_ops *ops = tt_store_ops_of(c)->subscriptions;
    x->conflict = 0;
    enum tt_qs qs = tt__subproc_prepare(x->app, c, x->tenant_id, x->now);
    if (qs < 0)
        return qs;
    struct tt__subs_held *f = sodium_malloc(sizeof *f);
    if (!f)
        return TT_QS_HARD;
    memset(f, 0, sizeof *f);
    qs = ops->sub_find(c, x->tenant_id, TT_SUBS_BY_BLIND, x->blind, tt__subs_hold_cb, f);
    int found = f->found, confirmed = strcmp(f->s.status, "confirmed") == 0;
    snprintf(x->id, sizeof x->id, "%s", f->s.id);
    sodium_free(f);
    if (qs < 0)
        return qs;
    int webhook = strcmp(x->kind, "webhook") == 0;
    if (found && webhook) {
        x->conflict = 1;
        return TT_QS_ONE;
    }
    if (found) /* confirmed: nothing to do, and the answer does not say so; pending: a new link */
        return confirmed ? TT_QS_ONE : send_confirm(c, x, x->id);
    struct tt_subscriber s;
    memset(&s, 0, sizeof s);
    snprintf(s.tenant_id, sizeof s.tenant_id, "%s", x->tenant_id);
    tt_id_new("sbs_", s.id);
    snprintf(x->id, sizeof x->id, "%s", s.id);
    snprintf(s.kind, sizeof s.kind, "%s", x->kind);
    snprintf(s.status, sizeof s.status, "%s", webhook ? "confirmed" : "pending");
    snprintf(s.lang, sizeof s.lang, "%s", x->lang);
    snprintf(s.blind, sizeof s.blind, "%s", x->blind);
    tt__subs_token_unsub(x->app->master, x->tenant_id, s.id, x->token);
    tt__subs_token_hash(x->app->master, x->token, s.unsub_hash);
    uint8_t *to_enc = NULL, *secret_enc = NULL;
    if (tt__subs_seal(x->app->master, s.tenant_id, s.id, "to", x->value, &to_enc, &s.to_enc_len) !=
        0)
        return TT_QS_HARD;
    s.to_enc = to_enc;
    if (webhook) {
        uint8_t raw[24];
        char b64[48];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
        snprintf(x->secret, sizeof x->secret, "whsec_%s", b64);
        sodium_memzero(raw, sizeof raw);
        sodium_memzero(b64, sizeof b64);
        if (tt__subs_seal(x->app->master, s.tenant_id, s.id, "secret", x->secret, &secret_enc,
                          &s.secret_enc_len) != 0) {
            free(to_enc);
            return TT_QS_HARD;
        }
        s.secret_enc = secret_enc;
        s.confirmed_at = x->now;
    }
    s.created_at = s.updated_at = x->now;
    qs = ops->sub_put(c, &s);
    free(to_enc);
    free(secret_enc);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_SOFT : qs; /* a twin insert won: look again */
    json_t *d = json_pack("{s:s}", "kind", x->kind);
    qs = tt_audit_emit(c, x->tenant_id, x->now, "public", "subprocessors.subscribe", s.id, d);
    json_decref(d);
    if (qs < 0 || webhook)
        return qs;
    return send_confirm(c, x, s.id);
}

/* ---- the handler ---- */

static int parse(struct tt_req *req, struct tt_resp *resp, struct sub_ctx *x)
{
    const char *email = NULL, *url = NULL, *lang = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("email", &email, TT_IDENT_MAX - 1, 0),
        tt_spec_string_max("webhook_url", &url, TT_SUBPROC_URL_MAX, 0),
        tt_spec_key("lang", &lang, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (!email == !url)
        return tt_problem(resp, TT_E_BAD_FIELD, email ? "webhook_url" : "email",
                          "give exactly one of 'email' and 'webhook_url'");
    if (lang && !tt_i18n_supported(lang))
        return tt_problem(resp, TT_E_BAD_FIELD, "lang", "'lang' must be en or fr");
    tt_i18n_pick(lang, tt_req_header(req, "Accept-Language"), x->lang);
    if (email) {
        x->kind = "email";
        if (tt_ident_normalise(TT_IDENT_EMAIL, email, NULL, x->value) != 0)
            return tt_problem(resp, TT_E_BAD_EMAIL, "email", "'email' is not an email address");
    } else {
        x->kind = "webhook";
        if (!tt_subproc_url_ok(url))
            return tt_problem(resp, TT_E_BAD_WEBHOOK_URL, "webhook_url",
                              "'webhook_url' must be an http:// or https:// URL without "
                              "credentials or fragment");
        snprintf(x->value, sizeof x->value, "%s", url);
    }
    return 0;
}

static int reply(struct tt_resp *resp, struct sub_ctx *x)
{
    if (strcmp(x->kind, "email") == 0)
        return tt_reply(resp, 202,
                        json_pack("{s:s, s:s, s:s}", "kind", "email", "status", "pending", "detail",
                                  "if the address can receive mail, a confirm link is "
                                  "on its way; it works once, within 48 hours"));
    char path[256], del[TT_SUBS_LINK_MAX];
    snprintf(path, sizeof path, "/v1/public/%s/subprocessors/subscriptions/%s", x->tenant_id,
             x->token);
    tt__subs_link(path, del);
    json_t *b =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", x->id, "kind", "webhook", "status",
                  "confirmed", "secret", x->secret, "token", x->token, "delete_url", del);
    sodium_memzero(del, sizeof del);
    return b ? tt_reply(resp, 201, b) : tt__api_nomem(resp);
}

int tt_api_subproc_subscribe(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    tt_time now = tt_now(&app->clock);
    int retry = 0;
    if (tt__limiter_attempt(&rl_ip, "ip", req->client_ip, now, &retry) != 0)
        return limited(resp, retry, NULL);
    struct sub_ctx *x = sodium_malloc(sizeof *x);
    if (!x)
        return tt__api_nomem(resp);
    memset(x, 0, sizeof *x);
    x->app = app;
    x->now = now;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_tenant t;
    int rc = tt__subproc_tenant(c, tt_req_param(req, "tenant"), &t, resp);
    if (rc == 0)
        rc = parse(req, resp, x);
    if (rc == 0) {
        snprintf(x->tenant_id, sizeof x->tenant_id, "%s", t.id);
        snprintf(x->tenant_name, sizeof x->tenant_name, "%s", t.name);
        tt__subs_blind(app->master, t.id, x->kind, x->value, x->blind);
        if (tt__limiter_attempt(&rl_who, "who", x->blind, now, &retry) != 0)
            rc = limited(resp, retry, strcmp(x->kind, "email") == 0 ? "email" : "webhook_url");
    }
    if (rc == 0) {
        enum tt_qs qs = tt_store_txn(c, subscribe_txn, x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
        else if (x->conflict)
            rc = tt_problem(resp, TT_E_CONFLICT, "webhook_url",
                            "this webhook URL is already subscribed; delete it with its token "
                            "first");
        else
            rc = reply(resp, x);
    }
    tt_store_release(c);
    sodium_free(x); /* wipes the address, the secret and the token */
    return rc;
}
