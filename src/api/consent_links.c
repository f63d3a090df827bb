/* SPDX-License-Identifier: Apache-2.0 */
/* consent_links.c — signed links a customer puts in its emails (issue 4; S3.3, S9.6): RFC 8058
 * one-click unsubscribe URLs per subject and purpose, beacon pixels per subject and campaign, and
 * preference-centre pages per subject. Tokens are HMAC'd with the master-derived token key
 * (core/consent.h) and expire; the links carry no personal value. Also the error page a public
 * link answers when its token is forged, altered or expired (nothing is recorded then). */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../http/i18n.h"
#include "common.h"
#include "consent_int.h"
#include "handlers.h"
#include "spec.h"

#define TTL_DAYS_DEFAULT 365
#define TTL_DAYS_MAX 730
#define BASE_URL_MAX 200

/* An absolute base ("https://privacy.example.com") or "" for links relative to tutela. */
static int base_ok(const char *b)
{
    if (!b)
        return 1;
    size_t n = strlen(b);
    if (strncmp(b, "https://", 8) != 0 && strncmp(b, "http://", 7) != 0)
        return 0;
    if (n == 0 || b[n - 1] == '/')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)b[i] <= ' ' || b[i] == '"' || b[i] == '<' || b[i] == '>')
            return 0;
    return 1;
}

static int issue(struct tt_req *req, struct tt_resp *resp, enum tt_consent_token_kind kind)
{
    const char *subject = NULL, *scope = NULL, *base = NULL;
    int64_t ttl = TTL_DAYS_DEFAULT;
    int ttl_given = 0;
    const char *scope_name = kind == TT_TOKEN_UNSUBSCRIBE ? "purpose"
                             : kind == TT_TOKEN_BEACON    ? "campaign"
                                                          : "unused";
    struct tt_spec spec[] = {
        tt_spec_key("subject_id", &subject, 1),
        tt_spec_key(scope_name, &scope, kind != TT_TOKEN_PREFERENCES),
        tt_spec_int("ttl_days", &ttl, &ttl_given, 0),
        tt_spec_string_max("base_url", &base, BASE_URL_MAX, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (kind == TT_TOKEN_PREFERENCES && scope)
        return tt_problem(resp, TT_E_UNKNOWN_FIELD, "unused", "unknown field");
    if (ttl < 1 || ttl > TTL_DAYS_MAX)
        return tt_problem(resp, TT_E_BAD_FIELD, "ttl_days", "'ttl_days' must be 1-730");
    if (!base_ok(base))
        return tt_problem(resp, TT_E_BAD_FIELD, "base_url",
                          "'base_url' must be an http(s) origin without a trailing slash");
    if (kind == TT_TOKEN_UNSUBSCRIBE) {
        struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
        const struct tt_purpose *pu = tt_policy_purpose(ref->policy, scope);
        int ok = pu && (pu->basis_eea == TT_BASIS_CONSENT ||
                        pu->basis_eea == TT_BASIS_LEGITIMATE_INTEREST);
        tt_app_policy_release(ref);
        if (!ok)
            return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose",
                              "no purpose of the policy one can unsubscribe from");
    }
    if (kind == TT_TOKEN_BEACON && !tt_consent_short_ok(scope))
        return tt_problem(resp, TT_E_BAD_FIELD, "campaign",
                          "'campaign' must be 1-31 of [A-Za-z0-9._-]");
    struct tt_subject s;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    rc = tt__api_subject_load(c, req->auth.tenant_id, subject, "subject_id", &s, resp);
    tt_store_release(c);
    if (rc < 0)
        return rc;
    struct tt_consent_token t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    tt__api_copy(t.tenant_id, sizeof t.tenant_id, s.tenant_id);
    tt__api_copy(t.subject_id, sizeof t.subject_id, s.id);
    tt__api_copy(t.scope, sizeof t.scope, scope ? scope : "");
    t.expires_at = tt_now(&req->app->clock) + ttl * 86400;
    char token[TT_TOKEN_MAX], url[TT_TOKEN_MAX + BASE_URL_MAX + 16];
    if (tt_consent_token_sign(req->app->master->token_key, &t, token, sizeof token) < 0)
        return tt_problem(resp, TT_E_BAD_FIELD, scope_name, "the link cannot be signed");
    snprintf(url, sizeof url, "%s/%s/%s%s", base ? base : "",
             kind == TT_TOKEN_UNSUBSCRIBE ? "u"
             : kind == TT_TOKEN_BEACON    ? "v1/b"
                                          : "p",
             token, kind == TT_TOKEN_BEACON ? ".gif" : "");
    json_t *body = json_pack("{s:s, s:s, s:o}", "url", url, "token", token, "expires_at",
                             tt__api_time(t.expires_at));
    if (body && kind == TT_TOKEN_UNSUBSCRIBE) {
        char header[sizeof url + 2];
        snprintf(header, sizeof header, "<%s>", url);
        json_object_set_new(body, "headers",
                            json_pack("{s:s, s:s}", "List-Unsubscribe", header,
                                      "List-Unsubscribe-Post", "List-Unsubscribe=One-Click"));
    }
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 201, body);
}

int tt_api_unsubscribe_link(struct tt_req *req, struct tt_resp *resp)
{
    return issue(req, resp, TT_TOKEN_UNSUBSCRIBE);
}

int tt_api_beacon_link(struct tt_req *req, struct tt_resp *resp)
{
    return issue(req, resp, TT_TOKEN_BEACON);
}

int tt_api_preference_link(struct tt_req *req, struct tt_resp *resp)
{
    return issue(req, resp, TT_TOKEN_PREFERENCES);
}

/* ---- the public side ---- */

void tt__consent_page_lang(const struct tt_req *req, char lang[TT_I18N_LANG_MAX])
{
    tt_i18n_pick(tt_req_query(req, "lang"), tt_req_header(req, "Accept-Language"), lang);
}

int tt__consent_link_check(struct tt_req *req, struct tt_resp *resp,
                           enum tt_consent_token_kind kind, struct tt_consent_token *out)
{
    const char *token = tt_req_param(req, "token");
    int rc = tt_consent_token_verify(req->app->master->token_key, token, kind,
                                     tt_now(&req->app->clock), out);
    if (rc == 0)
        return 0;
    char lang[TT_I18N_LANG_MAX];
    tt__consent_page_lang(req, lang);
    int expired = rc == -TT_E_GONE;
    struct tt_html h = {0};
    tt_html_begin(
        &h, lang,
        tt_i18n(lang, expired ? "consent.link.expired_title" : "consent.link.invalid_title"));
    tt_html_raw(&h, "<p>");
    tt_html_text(&h, tt_i18n(lang, expired ? "consent.link.expired" : "consent.link.invalid"));
    tt_html_raw(&h, "</p>\n");
    tt_html_end(&h);
    rc = tt_html_reply(&h, resp, expired ? 410 : 400);
    return rc < 0 ? rc : 1;
}
