/* SPDX-License-Identifier: Apache-2.0 */
/* sites.c — the public side of the cookie banner (issue 4; S9.1-S9.7, S4.5, S1.3): the banner
 * configuration built from the policy's cookie catalogue and the message catalogues (cacheable),
 * the record of a visitor's choice (per-IP rate limit, 4 KiB body, evidence sealed: user agent,
 * page and a keyed hash of the IP, never the IP), and the Global Privacy Control declaration. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../http/i18n.h"
#include "common.h"
#include "consent_int.h"
#include "handlers.h"
#include "spec.h"

#define BODY_MAX 4096
#define PAGE_MAX 512
#define RL_BUCKETS 1024
#define RL_WINDOW_S 60
#define RL_MAX 600 /* choices per IP and minute: a browser records one per click */

/* The banner's texts (web/i18n/banner.<lang>.json). */
static const char *const banner_keys[] = {
    "banner.title",
    "banner.intro",
    "banner.accept_all",
    "banner.refuse_all",
    "banner.choose",
    "banner.settings_title",
    "banner.settings_intro",
    "banner.save",
    "banner.close",
    "banner.always_on",
    "banner.on_accept",
    "banner.cookies",
    "banner.none",
    "banner.first_party",
    "banner.third_party",
    "banner.session",
    "banner.day",
    "banner.days",
    "banner.gpc",
    "banner.saved",
    "banner.settings_link",
};

/* A catalogue text, or fallback when the catalogues lack the key. */
static const char *text_or(const char *lang, const char *key, const char *fallback)
{
    const char *t = tt_i18n(lang, key);
    return strcmp(t, key) == 0 && fallback ? fallback : t;
}

static int tenant_exists(struct tt_app *app, const char *id, struct tt_resp *resp)
{
    if (!tt__api_id_ok(id, "ten_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "tenant_id", "no such site");
    struct tt_tenant t;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    enum tt_qs qs = tt_store_ops_of(c)->tenant_get(c, id, &t);
    tt_store_release(c);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, "tenant_id", "no such site");
    return qs < 0 ? tt__api_store_err(resp, qs) : 0;
}

int tt_api_site_banner(struct tt_req *req, struct tt_resp *resp)
{
    const char *tenant = tt_req_param(req, "tenant_id");
    int rc = tenant_exists(req->app, tenant, resp);
    if (rc < 0)
        return rc;
    char lang[TT_I18N_LANG_MAX];
    tt_i18n_pick(tt_req_query(req, "lang"), tt_req_header(req, "Accept-Language"), lang);
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    const struct tt_policy *p = ref->policy;
    char notice[TT_CONSENT_SHORT_MAX];
    tt__consent_notice_in_effect(req->app, p->notice_version, tt_now(&req->app->clock), notice);
    json_t *cats = json_array(), *cookies = json_array(), *texts = json_object(),
           *langs = json_array();
    char key[160];
    for (size_t i = 0; cats && i < p->n_cookie_categories; i++) {
        const struct tt_cookie_category *cc = &p->cookie_categories[i];
        snprintf(key, sizeof key, "banner.category.%s.name", cc->key);
        const char *name = text_or(lang, key, cc->name);
        snprintf(key, sizeof key, "banner.category.%s.description", cc->key);
        const char *desc = text_or(lang, key, cc->description);
        snprintf(key, sizeof key, "banner.category.%s.consequence", cc->key);
        const char *cons = text_or(lang, key, "");
        json_array_append_new(cats, json_pack("{s:s, s:b, s:s, s:s, s:s}", "key", cc->key,
                                              "always_on", cc->always_on, "name", name,
                                              "description", desc, "consequence", cons));
    }
    for (size_t i = 0; cookies && i < p->n_cookies; i++) {
        const struct tt_cookie *ck = &p->cookies[i];
        json_array_append_new(
            cookies, json_pack("{s:s, s:s, s:b, s:s, s:b, s:o, s:s}", "name", ck->name, "provider",
                               ck->provider ? ck->provider : "", "first_party", ck->first_party,
                               "category", ck->category, "session", ck->session, "lifetime_days",
                               ck->session ? json_null() : json_integer(ck->lifetime_days),
                               "purpose", ck->purpose ? ck->purpose : ""));
    }
    for (size_t i = 0; texts && i < sizeof banner_keys / sizeof banner_keys[0]; i++)
        json_object_set_new(texts, banner_keys[i], json_string(tt_i18n(lang, banner_keys[i])));
    static const char *const known[] = {"en", "fr"};
    for (size_t i = 0; langs && i < 2; i++)
        if (tt_i18n_supported(known[i]) || strcmp(known[i], "en") == 0)
            json_array_append_new(langs, json_string(known[i]));
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o}", "tenant", tenant, "notice_version",
                  notice, "banner_version", p->version ? p->version : "", "languages", langs,
                  "language", lang, "categories", cats, "cookies", cookies, "texts", texts);
    tt_app_policy_release(ref);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "public, max-age=60");
    return tt_reply(resp, 200, body);
}

/* ---- per-IP rate limit: a fixed window per bucket of the keyed hash of the address ---- */

static pthread_mutex_t rl_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uint64_t tag;
    tt_time window;
    int count;
} rl[RL_BUCKETS];
static uint8_t rl_key[16];
static int rl_keyed;

static int rate_ok(const char *ip, tt_time now, int *retry_after)
{
    pthread_mutex_lock(&rl_mu);
    if (!rl_keyed) {
        randombytes_buf(rl_key, sizeof rl_key);
        rl_keyed = 1;
    }
    uint64_t tag = 0;
    crypto_shorthash((uint8_t *)&tag, (const uint8_t *)ip, strlen(ip), rl_key);
    size_t b = (size_t)(tag % RL_BUCKETS);
    tt_time window = now - now % RL_WINDOW_S;
    if (rl[b].tag != tag || rl[b].window != window) {
        rl[b].tag = tag;
        rl[b].window = window;
        rl[b].count = 0;
    }
    int ok = ++rl[b].count <= RL_MAX;
    if (!ok)
        *retry_after = (int)(window + RL_WINDOW_S - now);
    pthread_mutex_unlock(&rl_mu);
    return ok;
}

static const char *const choice_keys[] = {"functional", "marketing", "performance", "unclassified"};
static const char *const banner_methods[] = {"accept_all", "refuse_all", "custom", "settings",
                                             "gpc"};

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

int tt_api_site_cookie_consent(struct tt_req *req, struct tt_resp *resp)
{
    if (req->body_len > BODY_MAX)
        return tt_problem(resp, TT_E_BODY_TOO_LARGE, NULL, "at most 4 KiB");
    tt_time now = tt_now(&req->app->clock);
    int retry = 0;
    if (!rate_ok(req->client_ip, now, &retry)) {
        resp->retry_after = retry > 0 ? retry : 1;
        return tt_problem(resp, TT_E_RATE_LIMITED, NULL, NULL);
    }
    const char *cookie_id = NULL, *method = NULL, *notice = NULL, *banner = NULL, *lang = NULL,
               *page = NULL;
    const json_t *choices = NULL;
    int gpc = 0;
    struct tt_spec spec[] = {
        tt_spec_string_max("cookie_id", &cookie_id, 64, 1),
        tt_spec_object("choices", &choices, 1),
        tt_spec_key("method", &method, 1),
        tt_spec_string_max("notice_version", &notice, 64, 1),
        tt_spec_string_max("banner_version", &banner, 64, 0),
        tt_spec_string_max("language", &lang, 16, 0),
        tt_spec_string_max("page", &page, PAGE_MAX, 0),
        tt_spec_bool("gpc", &gpc, NULL, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (!tt_consent_cookie_id_ok(cookie_id))
        return tt_problem(resp, TT_E_BAD_FIELD, "cookie_id",
                          "'cookie_id' must be 16-64 of [A-Za-z0-9_-]");
    if (!in_list(method, banner_methods, sizeof banner_methods / sizeof banner_methods[0]))
        return tt_problem(resp, TT_E_BAD_FIELD, "method",
                          "'method' must be accept_all, refuse_all, custom, settings or gpc");
    if (!tt_consent_short_ok(notice))
        return tt_problem(resp, TT_E_BAD_NOTICE_VERSION, "notice_version",
                          "'notice_version' must be 1-31 of [A-Za-z0-9._-]");
    if (banner && !tt_consent_short_ok(banner))
        return tt_problem(resp, TT_E_BAD_FIELD, "banner_version",
                          "'banner_version' must be 1-31 of [A-Za-z0-9._-]");
    if (lang && !tt_consent_short_ok(lang))
        return tt_problem(resp, TT_E_BAD_FIELD, "language", "'language' must be a language tag");
    if (page && (page[0] != '/' || strpbrk(page, "?#") || strstr(page, "//")))
        return tt_problem(resp, TT_E_BAD_FIELD, "page", "'page' must be a path only");
    int on[4] = {0, 0, 0, 0};
    const char *name;
    json_t *val;
    json_object_foreach((json_t *)choices, name, val)
    {
        char field[96];
        snprintf(field, sizeof field, "choices/%.80s", name);
        size_t k = 0;
        while (k < 4 && strcmp(name, choice_keys[k]) != 0)
            k++;
        if (k == 4) /* S9.2: strictly necessary is always on, never a choice */
            return tt_problem(resp, TT_E_UNKNOWN_COOKIE_CATEGORY, field,
                              "choices are functional, performance, marketing, unclassified");
        if (!json_is_boolean(val))
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "a choice is true or false");
        on[k] = json_is_true(val);
    }
    const char *tenant = tt_req_param(req, "tenant_id");
    if ((rc = tenant_exists(req->app, tenant, resp)) < 0)
        return rc;

    struct tt_consent_write w;
    memset(&w, 0, sizeof w);
    int any = on[0] || on[1] || on[2] || on[3];
    tt_consent_event_init(&w.ev, tenant, now, any ? TT_CONSENT_GRANT : TT_CONSENT_WITHDRAW,
                          strcmp(method, "gpc") == 0 ? "gpc" : "banner", notice);
    tt__api_copy(w.ev.cookie_id, sizeof w.ev.cookie_id, cookie_id);
    tt__api_copy(w.ev.target_kind, sizeof w.ev.target_kind, "cookies");
    tt__api_copy(w.ev.target, sizeof w.ev.target, "banner");
    tt__api_copy(w.ev.banner_version, sizeof w.ev.banner_version, banner ? banner : "");
    tt__api_copy(w.ev.language, sizeof w.ev.language, lang ? lang : "");
    snprintf(w.ev.choices, sizeof w.ev.choices, "how=%s;%s=%d;%s=%d;%s=%d;%s=%d;gpc=%d", method,
             choice_keys[0], on[0], choice_keys[1], on[1], choice_keys[2], on[2], choice_keys[3],
             on[3], gpc);
    w.actor = "public";
    uint8_t key[TT_KEY_BYTES], sealed[TT_CONSENT_EVIDENCE_MAX];
    tt_consent_cookie_key(req->app, tenant, key);
    w.ev.evidence_len = tt_consent_seal_evidence(req->app, key, tenant, w.ev.id, page,
                                                 tt_req_header(req, "User-Agent"), req->client_ip,
                                                 sealed, sizeof sealed);
    sodium_memzero(key, sizeof key);
    w.ev.evidence = w.ev.evidence_len ? sealed : NULL;
    struct tt_consent_write *list[1] = {&w};
    rc = tt_consent_submit(req->app->store, list, 1);
    if (rc < 0)
        return tt_problem(resp, -rc, NULL, "the choice was not recorded");
    json_t *body = json_pack("{s:s, s:o}", "id", w.ev.id, "recorded_at", tt__api_time(w.ev.at));
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 201, body);
}

int tt_api_gpc(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    const char *date = ref->policy->effective_date;
    char day[11] = "";
    if (date)
        snprintf(day, sizeof day, "%.10s", date);
    else
        snprintf(day, sizeof day, "%.10s",
                 tt_time_format(tt_now(&req->app->clock), (char[32]){0}, 32));
    tt_app_policy_release(ref);
    json_t *body = json_pack("{s:b, s:s}", "gpc", 1, "lastUpdate", day);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "public, max-age=86400");
    return tt_reply(resp, 200, body);
}
