/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_public.c — the public reads (no key): a tenant's sub-processor list (S14.1) and the
 * current version of the privacy statement (S12.1, S1.6, S15.1) with the statement rendered
 * from the policy and the tenant's registry, in HTML or Markdown, English or French. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../http/i18n.h"
#include "common.h"
#include "handlers_subprocessors.h"
#include "recipients_doc.h"
#include "subproc_int.h"

struct list_ctx {
    struct tt_app *app;
    const char *tenant_id;
    tt_time now;
    struct tt_subproc *l;
    size_t n;
};

static enum tt_qs list_txn(struct tt_store_conn *c, void *cls)
{
    struct list_ctx *x = cls;
    free(x->l);
    x->l = NULL;
    x->n = 0;
    enum tt_qs qs = tt__subproc_prepare(x->app, c, x->tenant_id, x->now);
    return qs < 0 ? qs : tt__subproc_collect(c, x->tenant_id, &x->l, &x->n);
}

static int snap_seen(void *cls, const struct tt_subs_snapshot *s)
{
    (void)s;
    *(int *)cls = 1;
    return 0;
}

/* Reads the list; only a tenant whose list was never read (no snapshot yet) takes a write
 * transaction (seed and first snapshot), so public reads do not queue behind one another. */
static enum tt_qs load_list(struct tt_store_conn *c, struct list_ctx *x)
{
    int have = 0;
    enum tt_qs qs = tt_store_ops_of(c)->subscriptions->snap_get(c, x->tenant_id, snap_seen, &have);
    if (qs < 0)
        return qs;
    return have ? tt__subproc_collect(c, x->tenant_id, &x->l, &x->n) : tt_store_txn(c, list_txn, x);
}

static json_t *time_of(tt_time t)
{
    return tt__api_time(t);
}

int tt_api_subproc_list(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_tenant t;
    int rc = tt__subproc_tenant(c, tt_req_param(req, "tenant"), &t, resp);
    struct list_ctx x = {.app = app, .tenant_id = t.id, .now = tt_now(&app->clock)};
    if (rc == 0) {
        enum tt_qs qs = load_list(c, &x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    json_t *items = rc == 0 ? json_array() : NULL;
    struct tt_policy_ref *ref = rc == 0 ? tt_app_policy_acquire(app) : NULL;
    for (size_t i = 0; items && i < x.n; i++)
        json_array_append_new(items, tt__subproc_entry_json(&x.l[i], ref->policy));
    tt_app_policy_release(ref);
    free(x.l);
    if (rc < 0)
        return rc;
    char path[128], sub[TT_SUBS_LINK_MAX];
    snprintf(path, sizeof path, "/v1/public/%s/subprocessors/subscriptions", t.id);
    tt__subs_link(path, sub);
    json_t *b = json_pack("{s:s, s:s, s:o, s:o, s:s}", "tenant", t.id, "name", t.name, "items",
                          items, "generated_at", time_of(x.now), "subscribe_url", sub);
    if (!b)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "public, max-age=60");
    return tt_reply(resp, 200, b);
}

/* ---- the notice ---- */

struct rcpts {
    struct tt_rcpt *r;
    size_t n, cap;
    int bad;
};

static int rcpt_cb(void *cls, const struct tt_rcpt_row *row)
{
    struct rcpts *x = cls;
    if (strcmp(row->status, "approved") != 0)
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        struct tt_rcpt *r = realloc(x->r, cap * sizeof *r);
        if (!r) {
            x->bad = 1;
            return 1;
        }
        x->r = r;
        x->cap = cap;
    }
    if (tt__rcpt_from_row(row, &x->r[x->n]) != 0) {
        x->bad = 1;
        return 1;
    }
    x->n++;
    return 0;
}

static const char *text(void *cls, const char *key)
{
    return tt_i18n(cls, key);
}

/* json, html or md from ?format=, else from Accept; -1 when ?format= is something else */
static int format_of(struct tt_req *req)
{
    const char *f = tt_req_query(req, "format");
    if (f)
        return strcmp(f, "json") == 0   ? 0
               : strcmp(f, "html") == 0 ? 1
               : strcmp(f, "md") == 0   ? 2
                                        : -1;
    const char *a = tt_req_header(req, "Accept");
    if (a && strstr(a, "text/markdown"))
        return 2;
    if (a && strstr(a, "text/html") && !strstr(a, "application/json"))
        return 1;
    return 0;
}

static char *render(struct tt_app *app, const char *tenant_id, const struct tt_notices *notices,
                    const char *lang, enum tt_notice_format fmt, size_t *len, enum tt_qs *qs)
{
    struct rcpts rs = {0};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    *qs = tt_store_ops_of(c)->recipients->rcpt_list(c, tenant_id, rcpt_cb, &rs);
    tt_store_release(c);
    if (*qs >= 0 && rs.bad)
        *qs = TT_QS_HARD;
    char *doc = NULL;
    if (*qs >= 0) {
        struct tt_policy_ref *ref = tt_app_policy_acquire(app);
        /* an empty registry renders the policy's own recipient table */
        doc = tt_notice_render(ref->policy, notices, rs.n ? rs.r : NULL, rs.n, "", lang, fmt, text,
                               (void *)lang, len);
        tt_app_policy_release(ref);
    }
    free(rs.r);
    return doc;
}

int tt_api_subproc_notice(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    int fmt = format_of(req);
    if (fmt < 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "format", "'format' must be json, html or md");
    const char *lang_q = tt_req_query(req, "lang");
    if (lang_q && !tt_i18n_supported(lang_q))
        return tt_problem(resp, TT_E_BAD_FIELD, "lang", "'lang' must be en or fr");
    char lang[TT_I18N_LANG_MAX];
    tt_i18n_pick(lang_q, tt_req_header(req, "Accept-Language"), lang);
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_tenant t;
    int rc = tt__subproc_tenant(c, tt_req_param(req, "tenant"), &t, resp);
    tt_store_release(c);
    if (rc < 0)
        return rc;
    struct tt_notices *notices = NULL;
    char err[TT_NOTICE_ERR_MAX];
    if (tt__subs_notices_load(app, &notices, err) != 0)
        return tt_problem(resp, TT_E_UNAVAILABLE, NULL, "the notice versions cannot be read");
    const struct tt_notice_version *v = tt_notices_current(notices, tt_now(&app->clock));
    if (!v) {
        tt_notices_free(notices);
        return tt_problem(resp, TT_E_NOT_FOUND, "version", "no notice version is in effect yet");
    }
    if (fmt == 0) {
        char base[128], html[TT_SUBS_LINK_MAX], md[TT_SUBS_LINK_MAX], path[192];
        snprintf(base, sizeof base, "/v1/public/%s/notice?lang=%s&format=", t.id, lang);
        snprintf(path, sizeof path, "%shtml", base);
        tt__subs_link(path, html);
        snprintf(path, sizeof path, "%smd", base);
        tt__subs_link(path, md);
        json_t *b = json_pack(
            "{s:s, s:s, s:o, s:s, s:b, s:s, s:{s:s, s:s}}", "tenant", t.id, "version", v->version,
            "effective_date", time_of(v->effective), "summary", v->summary ? v->summary : "",
            "substantial", v->substantial == 1, "lang", lang, "statement", "html", html, "md", md);
        if (b && v->substantial < 0)
            json_object_set_new(b, "substantial_proposed_by", json_string("diff"));
        tt_notices_free(notices);
        return b ? tt_reply(resp, 200, b) : tt__api_nomem(resp);
    }
    size_t len = 0;
    enum tt_qs qs = TT_QS_ONE;
    char *doc =
        render(app, t.id, notices, lang, fmt == 1 ? TT_NOTICE_HTML : TT_NOTICE_MD, &len, &qs);
    tt_notices_free(notices);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (!doc)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "public, max-age=60");
    return tt_resp_raw(resp, 200, doc, len,
                       fmt == 1 ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8");
}
