/* SPDX-License-Identifier: Apache-2.0 */
/* preferences.c — the preference centre (issue 4; S3.3, S3.4, S4.6, S9.6, S8.2): per subject,
 * newsletter, product information, marketing email and SMS, email tracking, survey invitations,
 * saved payment methods and auto top-up, each mapped to a policy purpose. Over the API (GET/PUT
 * /v1/subjects/{id}/preferences) and on a small page a customer can link to (GET/POST /p/{token},
 * signed expiring link, the form bound to it by a CSRF token). Each change is a ledger event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../http/i18n.h"
#include "common.h"
#include "consent_int.h"
#include "handlers.h"
#include "spec.h"

#define FORM_MAX 4096

struct prefs {
    struct tt_purpose_state rows[64];
    size_t n;
};

static int prefs_cb(void *cls, const struct tt_purpose_state *ps)
{
    struct prefs *p = cls;
    if (p->n < sizeof p->rows / sizeof p->rows[0])
        p->rows[p->n++] = *ps;
    return 0;
}

static const struct tt_purpose_state *prefs_find(const struct prefs *p, const char *purpose)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->rows[i].purpose, purpose) == 0)
            return &p->rows[i];
    return NULL;
}

/* Loads the subject (404/410) and its purpose states. */
static int load(struct tt_app *app, const char *tenant_id, const char *id, const char *field,
                struct tt_subject *s, struct prefs *p, struct tt_resp *resp)
{
    struct tt_store_conn *c = tt_store_acquire(app->store);
    int rc = tt__api_subject_load(c, tenant_id, id, field, s, resp);
    enum tt_qs qs = TT_QS_ONE;
    p->n = 0;
    if (rc == 0)
        qs = tt_store_ops_of(c)->purpose_state_list(c, s->tenant_id, s->id, prefs_cb, p);
    tt_store_release(c);
    if (rc < 0)
        return rc;
    return qs < 0 ? tt__api_store_err(resp, qs) : 0;
}

static json_t *prefs_json(const struct tt_policy *policy, const struct prefs *p)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < tt_consent_n_features; i++) {
        const struct tt_purpose *pu = tt_policy_purpose(policy, tt_consent_features[i].purpose);
        if (pu)
            json_object_set_new(o, tt_consent_features[i].key,
                                json_boolean(tt_consent_state_enabled(pu, prefs_find(p, pu->key))));
    }
    return o;
}

int tt_api_preferences_get(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_subject s;
    struct prefs *p = malloc(sizeof *p);
    if (!p)
        return tt__api_nomem(resp);
    int rc = load(req->app, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, p, resp);
    if (rc < 0) {
        free(p);
        return rc;
    }
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    json_t *body =
        json_pack("{s:s, s:o}", "subject_id", s.id, "preferences", prefs_json(ref->policy, p));
    tt_app_policy_release(ref);
    free(p);
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}

/* Applies wanted[i] (-1 = unchanged, 0 off, 1 on) for every feature whose state differs: one
 * ledger event each, all committed together or none (a failed save changes nothing), method and
 * actor as given. Returns 0 or a problem. */
static int apply(struct tt_app *app, const struct tt_policy *policy, const struct tt_subject *s,
                 const struct prefs *p, const int *wanted, const char *method, const char *actor,
                 const char *notice, const char *ua, const char *ip, struct tt_resp *resp)
{
    struct tt_consent_change ch[16];
    size_t n = 0;
    for (size_t i = 0; i < tt_consent_n_features && n < sizeof ch / sizeof ch[0]; i++) {
        const struct tt_purpose *pu = tt_policy_purpose(policy, tt_consent_features[i].purpose);
        if (!pu || wanted[i] < 0)
            continue;
        if (tt_consent_state_enabled(pu, prefs_find(p, pu->key)) == wanted[i])
            continue;
        ch[n++] = (struct tt_consent_change){pu, "feature", tt_consent_features[i].key,
                                             wanted[i] ? TT_CONSENT_GRANT : TT_CONSENT_WITHDRAW};
    }
    return tt_consent_record_changes(app, s, ch, n, method, notice, actor, NULL, ua, ip, resp,
                                     NULL);
}

int tt_api_preferences_put(struct tt_req *req, struct tt_resp *resp)
{
    const json_t *prefs = NULL;
    const char *notice = NULL;
    struct tt_spec spec[] = {
        tt_spec_object("preferences", &prefs, 1),
        tt_spec_string_max("notice_version", &notice, TT_CONSENT_SHORT_MAX - 1, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (notice && !tt_consent_short_ok(notice))
        return tt_problem(resp, TT_E_BAD_NOTICE_VERSION, "notice_version",
                          "'notice_version' must be 1-31 of [A-Za-z0-9._-]");
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    int wanted[16];
    for (size_t i = 0; i < tt_consent_n_features; i++)
        wanted[i] = -1;
    const char *name;
    json_t *val;
    rc = 0;
    json_object_foreach((json_t *)prefs, name, val)
    {
        char field[96];
        snprintf(field, sizeof field, "preferences/%.60s", name);
        const struct tt_consent_feature *f = tt_consent_feature(name);
        if (!f || !tt_policy_purpose(ref->policy, f->purpose)) {
            rc = tt_problem(resp, TT_E_BAD_FIELD, field, "no such preference");
            break;
        }
        if (!json_is_boolean(val)) {
            rc = tt_problem(resp, TT_E_WRONG_TYPE, field, "a preference is true or false");
            break;
        }
        wanted[f - tt_consent_features] = json_is_true(val);
    }
    struct tt_subject s;
    struct prefs *p = rc == 0 ? malloc(sizeof *p) : NULL;
    if (rc == 0 && !p)
        rc = tt__api_nomem(resp);
    if (rc == 0)
        rc = load(req->app, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, p, resp);
    char in_effect[TT_CONSENT_SHORT_MAX];
    tt__consent_notice_in_effect(req->app, ref->policy->notice_version, tt_now(&req->app->clock),
                                 in_effect);
    const char *nv = notice ? notice : in_effect[0] ? in_effect : NULL;
    if (rc == 0)
        rc = apply(req->app, ref->policy, &s, p, wanted, "api", req->auth.key_id,
                   nv ? nv : "unknown", NULL, NULL, resp);
    if (rc == 0)
        rc = load(req->app, req->auth.tenant_id, s.id, "id", &s, p, resp);
    json_t *body = NULL;
    if (rc == 0)
        body =
            json_pack("{s:s, s:o}", "subject_id", s.id, "preferences", prefs_json(ref->policy, p));
    tt_app_policy_release(ref);
    free(p);
    if (rc < 0)
        return rc;
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}

/* ---- the page: GET/POST /p/{token} ---- */

static void feature_text(const char *lang, const char *feature, const char *what,
                         const char *fallback, struct tt_html *h)
{
    char key[128];
    snprintf(key, sizeof key, "preferences.feature.%s.%s", feature, what);
    const char *t = tt_i18n(lang, key);
    tt_html_text(h, strcmp(t, key) == 0 ? fallback : t);
}

/* The page of the link: the form with the subject's current choices; a status line after a
 * save (saved) or an alert naming why a save failed (error: a catalogue key, nothing changed). */
static int render(struct tt_req *req, struct tt_resp *resp, const struct tt_policy *policy,
                  const struct prefs *p, int saved, const char *error, int status)
{
    char lang[TT_I18N_LANG_MAX], csrf[TT_HASH_HEX];
    tt__consent_page_lang(req, lang);
    tt_consent_csrf(req->app->master->token_key, tt_req_param(req, "token"), csrf);
    struct tt_html h = {0};
    tt_html_begin(&h, lang, tt_i18n(lang, "preferences.title"));
    if (error) {
        tt_html_raw(&h, "<p class=\"error\" role=\"alert\" id=\"form-error\">");
        tt_html_text(&h, tt_i18n(lang, error));
        tt_html_raw(&h, "</p>\n");
    } else if (saved) {
        tt_html_raw(&h, "<p class=\"saved\" role=\"status\">");
        tt_html_text(&h, tt_i18n(lang, "preferences.saved"));
        tt_html_raw(&h, "</p>\n");
    }
    tt_html_raw(&h, "<p>");
    tt_html_text(&h, tt_i18n(lang, "preferences.intro"));
    /* posted to the page's own address with its language, so a reload never resubmits (the
     * answer to a save is a redirect back here) */
    tt_html_raw(&h, "</p>\n<form method=\"post\" action=\"?lang=");
    tt_html_text(&h, lang);
    tt_html_raw(&h, error ? "\" aria-describedby=\"form-error\"" : "\"");
    tt_html_raw(&h, " enctype=\"application/x-www-form-urlencoded\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"");
    tt_html_text(&h, csrf);
    tt_html_raw(&h, "\">\n<fieldset><legend>");
    tt_html_text(&h, tt_i18n(lang, "preferences.legend"));
    tt_html_raw(&h, "</legend>\n");
    for (size_t i = 0; i < tt_consent_n_features; i++) {
        const struct tt_consent_feature *f = &tt_consent_features[i];
        const struct tt_purpose *pu = tt_policy_purpose(policy, f->purpose);
        if (!pu)
            continue;
        int on = tt_consent_state_enabled(pu, prefs_find(p, pu->key));
        tt_html_raw(&h, "<div class=\"pref\"><input type=\"checkbox\" name=\"on\" id=\"f-");
        tt_html_text(&h, f->key);
        tt_html_raw(&h, "\" value=\"");
        tt_html_text(&h, f->key);
        tt_html_raw(&h, "\" aria-describedby=\"d-");
        tt_html_text(&h, f->key);
        tt_html_raw(&h, on ? "\" checked>" : "\">");
        tt_html_raw(&h, "<div><label for=\"f-");
        tt_html_text(&h, f->key);
        tt_html_raw(&h, "\"><strong>");
        feature_text(lang, f->key, "name", pu->name, &h);
        tt_html_raw(&h, "</strong></label><span id=\"d-");
        tt_html_text(&h, f->key);
        tt_html_raw(&h, "\">");
        feature_text(lang, f->key, "description", pu->description, &h);
        tt_html_raw(&h, "</span></div></div>\n");
    }
    tt_html_raw(&h, "</fieldset><button type=\"submit\">");
    tt_html_text(&h, tt_i18n(lang, "preferences.save"));
    tt_html_raw(&h, "</button></form>\n<p class=\"note\">");
    tt_html_text(&h, tt_i18n(lang, "preferences.note"));
    tt_html_raw(&h, "</p>\n");
    tt_html_end(&h);
    return tt_html_reply(&h, resp, status);
}

/* A subject behind a genuine link, with its states; 1 after answering an error page. */
static int link_subject(struct tt_req *req, struct tt_resp *resp, struct tt_subject *s,
                        struct prefs *p)
{
    struct tt_consent_token t;
    int rc = tt__consent_link_check(req, resp, TT_TOKEN_PREFERENCES, &t);
    if (rc != 0)
        return rc;
    struct tt_resp inner;
    memset(&inner, 0, sizeof inner);
    rc = load(req->app, t.tenant_id, t.subject_id, "token", s, p, &inner);
    if (rc == 0)
        return 0;
    char lang[TT_I18N_LANG_MAX];
    tt__consent_page_lang(req, lang);
    struct tt_html h = {0};
    tt_html_begin(&h, lang, tt_i18n(lang, "consent.link.expired_title"));
    tt_html_raw(&h, "<p>");
    tt_html_text(&h, tt_i18n(lang, "consent.link.gone"));
    tt_html_raw(&h, "</p>\n");
    tt_html_end(&h);
    rc = tt_html_reply(&h, resp, 410);
    return rc < 0 ? rc : 1;
}

int tt_api_preferences_page(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_subject s;
    struct prefs *p = malloc(sizeof *p);
    if (!p)
        return tt__api_nomem(resp);
    int rc = link_subject(req, resp, &s, p);
    if (rc == 0) {
        const char *saved = tt_req_query(req, "saved");
        struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
        rc = render(req, resp, ref->policy, p, saved && strcmp(saved, "1") == 0, NULL, 200);
        tt_app_policy_release(ref);
    }
    free(p);
    return rc < 0 ? rc : 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes one application/x-www-form-urlencoded component in place ('+' and %XX); -1 if bad. */
static int form_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

/* Reads the form: the boxes checked into wanted (an unchecked box is not sent: off) and whether
 * its CSRF token belongs to this link. -1 when the form is too large. */
static int read_form(struct tt_req *req, int *wanted, int *csrf_ok)
{
    char form[FORM_MAX + 1];
    for (size_t i = 0; i < tt_consent_n_features; i++)
        wanted[i] = 0;
    *csrf_ok = 0;
    if (req->body_len > FORM_MAX)
        return -1;
    if (req->body)
        memcpy(form, req->body, req->body_len);
    form[req->body ? req->body_len : 0] = '\0';
    char *save = NULL;
    for (char *pair = strtok_r(form, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *val = eq + 1;
        if (form_decode(pair) < 0 || form_decode(val) < 0)
            continue;
        if (strcmp(pair, "csrf") == 0)
            *csrf_ok =
                tt_consent_csrf_ok(req->app->master->token_key, tt_req_param(req, "token"), val);
        else if (strcmp(pair, "on") == 0 && tt_consent_feature(val))
            wanted[tt_consent_feature(val) - tt_consent_features] = 1;
    }
    return 0;
}

/* Saves the form, then answers 303 back to the page (?saved=1), so a reload shows the saved state
 * without posting again. A refused or failed save answers the page with an alert saying why and
 * that nothing was changed, in the page's language, and the choices as they are stored. */
int tt_api_preferences_post(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_subject s;
    struct prefs *p = malloc(sizeof *p);
    if (!p)
        return tt__api_nomem(resp);
    int rc = link_subject(req, resp, &s, p);
    if (rc != 0) {
        free(p);
        return rc < 0 ? rc : 0;
    }
    int wanted[16], csrf_ok = 0;
    const char *error = NULL;
    int status = 200;
    if (read_form(req, wanted, &csrf_ok) < 0) {
        error = "preferences.error.form";
        status = 413;
    } else if (!csrf_ok) {
        error = "preferences.error.csrf";
        status = 403;
    }
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    char nv[TT_CONSENT_SHORT_MAX];
    tt__consent_notice_in_effect(req->app, ref->policy->notice_version, tt_now(&req->app->clock),
                                 nv);
    if (!error) {
        struct tt_resp inner;
        memset(&inner, 0, sizeof inner);
        rc =
            apply(req->app, ref->policy, &s, p, wanted, "dashboard", "link", nv[0] ? nv : "unknown",
                  tt_req_header(req, "User-Agent"), req->client_ip, &inner);
        if (rc < 0) {
            error = "preferences.error.failed";
            status = tt_err_status(inner.err ? -inner.err : -rc);
            if (status < 500)
                status = 500;
        }
    }
    if (!error) {
        char lang[TT_I18N_LANG_MAX];
        tt__consent_page_lang(req, lang);
        resp->status = 303;
        snprintf(resp->location, sizeof resp->location, "/p/%s?lang=%s&saved=1",
                 tt_req_param(req, "token"), lang);
        rc = 0;
    } else {
        /* what is stored now (nothing was changed) */
        struct tt_resp inner;
        memset(&inner, 0, sizeof inner);
        if (load(req->app, s.tenant_id, s.id, "token", &s, p, &inner) < 0)
            p->n = 0;
        rc = render(req, resp, ref->policy, p, 0, error, status);
    }
    tt_app_policy_release(ref);
    free(p);
    return rc;
}
