/* SPDX-License-Identifier: Apache-2.0 */
/* unsubscribe.c — RFC 8058 one-click unsubscribe (issue 4; S3.3: unsubscribing from marketing is
 * always possible; S7.3, S8.2). GET /u/{token} shows a confirmation page with one button (EN/FR);
 * POST /u/{token} with the body exactly "List-Unsubscribe=One-Click" (no auth, no cookies: the
 * signed link names tenant, subject and purpose) withdraws at once, method email_unsubscribe, and
 * the decision index knows before the answer. Forged, altered or expired links record nothing. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../http/i18n.h"
#include "common.h"
#include "consent_int.h"
#include "handlers.h"

#define ONE_CLICK "List-Unsubscribe=One-Click"

static int page(struct tt_req *req, struct tt_resp *resp, int status, const char *title_key,
                const char *text_key, const char *purpose_name, int form)
{
    char lang[TT_I18N_LANG_MAX];
    tt__consent_page_lang(req, lang);
    struct tt_html h = {0};
    tt_html_begin(&h, lang, tt_i18n(lang, title_key));
    tt_html_raw(&h, "<p>");
    tt_html_text(&h, tt_i18n(lang, text_key));
    tt_html_raw(&h, "</p>\n");
    if (purpose_name) {
        tt_html_raw(&h, "<p class=\"purpose\">");
        tt_html_text(&h, purpose_name);
        tt_html_raw(&h, "</p>\n");
    }
    if (form) {
        /* the form posts what a mail client posts (RFC 8058), to the same signed URL */
        tt_html_raw(&h, "<form method=\"post\" enctype=\"application/x-www-form-urlencoded\">"
                        "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                        "<button type=\"submit\">");
        tt_html_text(&h, tt_i18n(lang, "consent.unsubscribe.button"));
        tt_html_raw(&h, "</button></form>\n");
    }
    tt_html_end(&h);
    return tt_html_reply(&h, resp, status);
}

/* The purpose's display name in the page's language (catalogue, else the policy's name). */
static const char *purpose_label(struct tt_req *req, const struct tt_purpose *pu, char *buf,
                                 size_t size)
{
    char lang[TT_I18N_LANG_MAX], key[TT_KEY_MAX + 32];
    tt__consent_page_lang(req, lang);
    snprintf(key, sizeof key, "consent.purpose.%s", pu->key);
    const char *t = tt_i18n(lang, key);
    snprintf(buf, size, "%s", strcmp(t, key) == 0 ? pu->name : t);
    return buf;
}

int tt_api_unsubscribe_page(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_consent_token t;
    int rc = tt__consent_link_check(req, resp, TT_TOKEN_UNSUBSCRIBE, &t);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    const struct tt_purpose *pu = tt_policy_purpose(ref->policy, t.scope);
    char name[TT_NAME_MAX * 2];
    if (pu)
        purpose_label(req, pu, name, sizeof name);
    tt_app_policy_release(ref);
    if (!pu)
        return page(req, resp, 410, "consent.link.expired_title", "consent.link.expired", NULL, 0);
    return page(req, resp, 200, "consent.unsubscribe.title", "consent.unsubscribe.confirm", name,
                1);
}

int tt_api_unsubscribe_post(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_consent_token t;
    int rc = tt__consent_link_check(req, resp, TT_TOKEN_UNSUBSCRIBE, &t);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    /* RFC 8058 3.2: the body is exactly the one-click key and value */
    if (!req->body || req->body_len != strlen(ONE_CLICK) ||
        memcmp(req->body, ONE_CLICK, req->body_len) != 0)
        return page(req, resp, 400, "consent.link.invalid_title", "consent.unsubscribe.bad_body",
                    NULL, 0);
    struct tt_subject s;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_ops_of(c)->subject_get(c, t.tenant_id, t.subject_id, &s);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE || s.erased_at) /* nobody left to write to */
        return page(req, resp, 410, "consent.link.expired_title", "consent.link.gone", NULL, 0);
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    const struct tt_purpose *pu = tt_policy_purpose(ref->policy, t.scope);
    char name[TT_NAME_MAX * 2], nv[TT_CONSENT_SHORT_MAX];
    if (pu) {
        purpose_label(req, pu, name, sizeof name);
        tt__consent_notice_in_effect(req->app, ref->policy->notice_version,
                                     tt_now(&req->app->clock), nv);
        rc =
            tt_consent_record_subject(req->app, &s, pu, "purpose", pu->key, TT_CONSENT_WITHDRAW,
                                      "email_unsubscribe", nv[0] ? nv : "unknown", "link", NULL,
                                      tt_req_header(req, "User-Agent"), req->client_ip, resp, NULL);
    }
    tt_app_policy_release(ref);
    if (!pu)
        return page(req, resp, 410, "consent.link.expired_title", "consent.link.expired", NULL, 0);
    if (rc < 0)
        return rc;
    return page(req, resp, 200, "consent.unsubscribe.done_title", "consent.unsubscribe.done", name,
                0);
}
