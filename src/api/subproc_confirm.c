/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_confirm.c — the public links of a sub-processor list subscription (S14.1): the
 * confirm link of the double opt-in (works once, within 48 hours), RFC 8058 one-click
 * unsubscribe (GET shows one button, POST with the body exactly List-Unsubscribe=One-Click
 * unsubscribes), and DELETE of a webhook subscription by its token. Unsubscribing wipes the
 * sealed address, URL and secret at once; only the id and times stay (audit). A bad, used or
 * expired token changes nothing. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../http/i18n.h"
#include "audit.h"
#include "common.h"
#include "consent_int.h"
#include "handlers_subprocessors.h"
#include "subproc_int.h"

#define ONE_CLICK "List-Unsubscribe=One-Click"

static int page(struct tt_req *req, struct tt_resp *resp, int status, const char *title_key,
                const char *text_key, int form)
{
    char lang[TT_I18N_LANG_MAX];
    tt_i18n_pick(tt_req_query(req, "lang"), tt_req_header(req, "Accept-Language"), lang);
    struct tt_html h = {0};
    tt_html_begin(&h, lang, tt_i18n(lang, title_key));
    tt_html_raw(&h, "<p>");
    tt_html_text(&h, tt_i18n(lang, text_key));
    tt_html_raw(&h, "</p>\n");
    if (form) {
        /* what a mail client posts (RFC 8058), to the same URL */
        tt_html_raw(&h, "<form method=\"post\" enctype=\"application/x-www-form-urlencoded\">"
                        "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                        "<button type=\"submit\">");
        tt_html_text(&h, tt_i18n(lang, "subprocessors.unsubscribe.button"));
        tt_html_raw(&h, "</button></form>\n");
    }
    tt_html_end(&h);
    return tt_html_reply(&h, resp, status);
}

struct tok_ctx {
    struct tt_app *app;
    const char *tenant_id;
    enum tt_subs_by by;
    const char *kind; /* the kind the token must belong to */
    char hash[TT_HASH_HEX];
    tt_time now;
    const char *action; /* confirm | unsubscribe */
    /* out */
    int outcome; /* 0 done, 1 unknown token, 2 expired */
    char id[TT_ID_MAX];
};

static enum tt_qs token_txn(struct tt_store_conn *c, void *cls)
{
    struct tok_ctx *x = cls;
    const struct tt_subscriptions_store_ops *ops = tt_store_ops_of(c)->subscriptions;
    x->outcome = 1;
    struct tt__subs_held h = {0};
    enum tt_qs qs = ops->sub_find(c, x->tenant_id, x->by, x->hash, tt__subs_hold_cb, &h);
    if (qs < 0)
        return qs;
    if (!h.found || strcmp(h.s.kind, x->kind) != 0 || strcmp(h.s.status, "unsubscribed") == 0)
        return TT_QS_ONE;
    struct tt_subscriber *s = &h.s;
    snprintf(x->id, sizeof x->id, "%s", s->id);
    int confirm = strcmp(x->action, "confirm") == 0;
    if (confirm) {
        if (x->now >= s->confirm_expires_at) {
            x->outcome = 2;
            return TT_QS_ONE;
        }
        snprintf(s->status, sizeof s->status, "confirmed");
        s->confirmed_at = x->now;
    } else {
        /* nothing personal stays: address, URL and secret wiped, blind index released */
        snprintf(s->status, sizeof s->status, "unsubscribed");
        snprintf(s->blind, sizeof s->blind, "gone:%s", s->id);
        s->unsub_hash[0] = '\0';
        s->to_enc = s->secret_enc = NULL;
        s->to_enc_len = s->secret_enc_len = 0;
    }
    s->confirm_hash[0] = '\0'; /* a confirm link works once */
    s->confirm_expires_at = 0;
    s->updated_at = x->now;
    qs = ops->sub_update(c, s);
    sodium_memzero(&h, sizeof h);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    x->outcome = 0;
    return tt_audit_emit(c, x->tenant_id, x->now, "public",
                         confirm ? "subprocessors.confirm" : "subprocessors.unsubscribe", x->id,
                         NULL);
}

/* Runs the token's transaction. Returns 0 with x->outcome set, or a negative problem code. */
static int run(struct tt_req *req, struct tt_resp *resp, struct tok_ctx *x)
{
    struct tt_app *app = req->app;
    const char *token = tt_req_param(req, "token");
    x->app = app;
    x->now = tt_now(&app->clock);
    x->outcome = 1;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_tenant t;
    int rc = tt__subproc_tenant(c, tt_req_param(req, "tenant"), &t, resp);
    if (rc == 0 && tt__subs_token_form_ok(token)) {
        x->tenant_id = t.id;
        tt__subs_token_hash(app->master, token, x->hash);
        enum tt_qs qs = tt_store_txn(c, token_txn, x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    return rc;
}

int tt_api_subproc_confirm(struct tt_req *req, struct tt_resp *resp)
{
    struct tok_ctx x = {.by = TT_SUBS_BY_CONFIRM, .kind = "email", .action = "confirm"};
    int rc = run(req, resp, &x);
    if (rc < 0)
        return rc;
    if (x.outcome == 2)
        return page(req, resp, 410, "subprocessors.link.expired_title",
                    "subprocessors.link.expired", 0);
    if (x.outcome == 1)
        return page(req, resp, 400, "subprocessors.link.invalid_title",
                    "subprocessors.link.invalid", 0);
    return page(req, resp, 200, "subprocessors.confirm.done_title", "subprocessors.confirm.done",
                0);
}

/* The unsubscribe page: shows the button while the token is live; changes nothing. */
struct live {
    int found;
};

static int live_cb(void *cls, const struct tt_subscriber *s)
{
    ((struct live *)cls)->found = strcmp(s->kind, "email") == 0;
    return 0;
}

int tt_api_subproc_unsubscribe_page(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const char *token = tt_req_param(req, "token");
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_tenant t;
    struct live l = {0};
    int rc = tt__subproc_tenant(c, tt_req_param(req, "tenant"), &t, resp);
    if (rc == 0 && tt__subs_token_form_ok(token)) {
        char hash[TT_HASH_HEX];
        tt__subs_token_hash(app->master, token, hash);
        enum tt_qs qs = tt_store_ops_of(c)->subscriptions->sub_find(c, t.id, TT_SUBS_BY_UNSUB, hash,
                                                                    live_cb, &l);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    if (rc < 0)
        return rc;
    if (!l.found)
        return page(req, resp, 400, "subprocessors.link.invalid_title",
                    "subprocessors.link.invalid", 0);
    return page(req, resp, 200, "subprocessors.unsubscribe.title",
                "subprocessors.unsubscribe.confirm", 1);
}

int tt_api_subproc_unsubscribe_post(struct tt_req *req, struct tt_resp *resp)
{
    /* RFC 8058 3.2: the body is exactly the one-click key and value */
    if (!req->body || req->body_len != strlen(ONE_CLICK) ||
        memcmp(req->body, ONE_CLICK, req->body_len) != 0)
        return page(req, resp, 400, "subprocessors.link.invalid_title",
                    "subprocessors.unsubscribe.bad_body", 0);
    struct tok_ctx x = {.by = TT_SUBS_BY_UNSUB, .kind = "email", .action = "unsubscribe"};
    int rc = run(req, resp, &x);
    if (rc < 0)
        return rc;
    if (x.outcome != 0)
        return page(req, resp, 400, "subprocessors.link.invalid_title",
                    "subprocessors.link.invalid", 0);
    return page(req, resp, 200, "subprocessors.unsubscribe.done_title",
                "subprocessors.unsubscribe.done", 0);
}

int tt_api_subproc_webhook_delete(struct tt_req *req, struct tt_resp *resp)
{
    struct tok_ctx x = {.by = TT_SUBS_BY_UNSUB, .kind = "webhook", .action = "unsubscribe"};
    int rc = run(req, resp, &x);
    if (rc < 0)
        return rc;
    if (x.outcome != 0)
        return tt_problem(resp, TT_E_BAD_LINK, "token",
                          "no live webhook subscription has this token");
    return tt_reply(
        resp, 200,
        json_pack("{s:s, s:s, s:s}", "id", x.id, "kind", "webhook", "status", "unsubscribed"));
}
