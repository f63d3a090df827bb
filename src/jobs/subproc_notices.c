/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_notices.c — the job "subscriptions.notices" (S12.1, S1.6, S15.1; issue 7): reads the
 * notice versions (notices.yaml beside the policy, or TUTELA_NOTICES) at every pass, so a policy
 * load or reload with a new version is seen at the next pass; every version flagged
 * "substantially affects rights" (substantial: true) whose effective date is still ahead and
 * that was not announced yet is announced to every account of every customer tenant through the
 * outbox (English and French in one message), and the announcement is recorded in the same
 * transaction: exactly once, whatever the number of nodes (lease, then a unique row). A version
 * whose flag is "auto" is announced when tutela's diff (api/notices_diff.h) of the policy first
 * seen under an earlier notice version against the policy in force (whose notice version it is)
 * says the change is substantial; so the job records, at every pass, the policy file's text
 * under its notice version (the first text seen for each version is kept). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/accounts_int.h"
#include "../api/notices_diff.h"
#include "../api/subproc_int.h"
#include "../core/error.h"
#include "../core/file_read.h"
#include "../http/i18n.h"
#include "../http/log.h"
#include "../store/accounts_store.h"
#include "jobs.h"
#include "outbox.h"

#define PLATFORM "ten_platform"
#define PAGE 200
#define POLICY_TEXT_MAX (16u << 20) /* bytes: what the policy loader takes */

struct ann_ctx {
    struct tt_app *app;
    const struct tt_notice_version *v;
    tt_time now;
    struct tt_store_conn *c;
    char subject[TT_OUTBOX_SUBJECT_MAX];
    char body[4096];
    int64_t sent;
    enum tt_qs qs;
    char after[TT_ID_MAX];
    int page_n;
};

static void text_for(struct ann_ctx *x, const char *lang, char *out, size_t size)
{
    char day[16], path[160], link[TT_SUBS_LINK_MAX];
    time_t t = (time_t)x->v->effective;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(path, sizeof path, "/v1/public/%s/notice?format=html&lang=%s", PLATFORM, lang);
    tt__subs_link(path, link);
    size_t n = strlen(out);
    snprintf(out + n, size - n, "%s\n\n%s: %s\n%s: %s\n%s: %s\n\n%s\n%s\n\n",
             tt_i18n(lang, "subprocessors.notice.intro"),
             tt_i18n(lang, "subprocessors.notice.version"), x->v->version,
             tt_i18n(lang, "subprocessors.notice.effective"), day,
             tt_i18n(lang, "subprocessors.notice.summary"), x->v->summary ? x->v->summary : "",
             tt_i18n(lang, "subprocessors.notice.read"), link);
}

static int account_cb(void *cls, const struct tt_account *a)
{
    struct ann_ctx *x = cls;
    snprintf(x->after, sizeof x->after, "%s", a->id);
    x->page_n++;
    if (a->status != TT_ACCOUNT_ACTIVE)
        return 0;
    char to[TT_IDENT_MAX];
    if (tt__acc_email_open(x->app->master, a, to) != 0)
        return 0; /* unreadable: counted out, never guessed */
    struct tt_outbox_msg msg = {
        .channel = TT_OUTBOX_EMAIL, .to = to, .subject = x->subject, .body = x->body};
    snprintf(msg.tenant_id, sizeof msg.tenant_id, "%s", a->tenant_id);
    snprintf(msg.kind, sizeof msg.kind, "notice.version");
    snprintf(msg.ref, sizeof msg.ref, "%s", a->id);
    x->qs = tt_outbox_enqueue(x->c, x->app->master, x->now, &msg, NULL);
    sodium_memzero(to, sizeof to);
    if (x->qs < 0)
        return 1;
    x->sent++;
    return 0;
}

static int tenant_cb(void *cls, const struct tt_tenant *t)
{
    struct ann_ctx *x = cls;
    if (t->kind != TT_TENANT_CUSTOMER)
        return 0;
    x->after[0] = '\0';
    do {
        struct tt_page page = {.limit = PAGE};
        snprintf(page.after_id, sizeof page.after_id, "%s", x->after);
        x->page_n = 0;
        enum tt_qs qs =
            tt_store_ops_of(x->c)->accounts->account_list(x->c, t->id, &page, account_cb, x);
        if (qs < 0 && x->qs >= 0)
            x->qs = qs;
    } while (x->qs >= 0 && x->page_n == PAGE);
    return x->qs < 0;
}

static enum tt_qs announce_txn(struct tt_store_conn *c, void *cls)
{
    struct ann_ctx *x = cls;
    const struct tt_subscriptions_store_ops *ops = tt_store_ops_of(c)->subscriptions;
    x->c = c;
    x->sent = 0;
    x->qs = TT_QS_ONE;
    enum tt_qs qs = ops->announce_get(c, PLATFORM, x->v->version, NULL, NULL);
    if (qs != TT_QS_NONE)
        return qs < 0 ? qs : TT_QS_NONE; /* announced already */
    qs = tt_store_ops_of(c)->tenant_list(c, tenant_cb, x);
    if (qs < 0 || x->qs < 0)
        return qs < 0 ? qs : x->qs;
    qs = ops->announce_put(c, PLATFORM, x->v->version, x->sent, x->now);
    return qs == TT_QS_NONE ? TT_QS_SOFT : qs; /* another node was first: look again */
}

/* ---- the policy seen under each notice version ---- */

/* The policy file's text when it is the one in force (same digest), else NULL. malloc'd. */
static char *policy_text(const struct tt_app *app, const struct tt_policy *p)
{
    char *text = NULL;
    size_t n = 0;
    if (!app->policy_path || tt_file_read(app->policy_path, POLICY_TEXT_MAX, &text, &n) < 0)
        return NULL;
    uint8_t d[32];
    crypto_generichash(d, sizeof d, (const uint8_t *)text, n, NULL, 0);
    if (sodium_memcmp(d, p->digest, sizeof d) != 0) { /* edited since loaded: not in force */
        free(text);
        text = NULL;
    }
    return text;
}

struct seen {
    struct tt_app *app;
    const struct tt_policy *policy;
    tt_time now;
    char *text; /* in: the current text; out (prior): an earlier version's text */
    int substantial;
};

static enum tt_qs record_txn(struct tt_store_conn *c, void *cls)
{
    struct seen *x = cls;
    enum tt_qs qs = tt_store_ops_of(c)->subscriptions->policy_text_put(
        c, PLATFORM, x->policy->notice_version, x->text, x->now);
    return qs < 0 ? qs : TT_QS_ONE;
}

static int prior_cb(void *cls, const struct tt_subs_policy_text *p)
{
    struct seen *x = cls;
    x->text = strdup(p->text);
    return 0;
}

/* Whether tutela's diff calls the change from the policy of an earlier notice version to the
 * one in force substantial: 1, 0 (or nothing to compare with), or a negative code. */
static int proposed(struct tt_store_conn *c, struct seen *x)
{
    x->text = NULL;
    enum tt_qs qs = tt_store_ops_of(c)->subscriptions->policy_text_prior(
        c, PLATFORM, x->policy->notice_version, prior_cb, x);
    if (qs < 0)
        return -TT_E_STORE;
    if (qs == TT_QS_NONE || !x->text)
        return 0;
    struct tt_policy *old = NULL;
    char err[TT_POLICY_ERR_MAX];
    int rc = tt_policy_load_buffer("earlier policy", x->text, strlen(x->text), &old, err);
    free(x->text);
    x->text = NULL;
    if (rc != 0)
        return 0; /* an earlier text this build cannot read: no proposal */
    json_t *d = tt_notice_diff(old, x->policy);
    rc = d ? json_is_true(json_object_get(d, "substantial")) : -TT_E_NOMEM;
    json_decref(d);
    tt_policy_free(old);
    return rc;
}

int tt_job_subscriptions_notices(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    int rc = 0;
    int64_t total = 0;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    struct seen seen = {.app = app, .policy = ref->policy, .now = now};
    if (ref->policy->notice_version && (seen.text = policy_text(app, ref->policy))) {
        if (tt_store_txn(c, record_txn, &seen) < 0)
            rc = -TT_E_STORE;
        free(seen.text);
        seen.text = NULL;
    }
    struct tt_notices *notices = NULL;
    char err[TT_NOTICE_ERR_MAX];
    if (tt__subs_notices_load(app, &notices, err) != 0) {
        /* no readable notices file: nothing to announce; said once per distinct reason */
        static char last[TT_NOTICE_ERR_MAX];
        if (strcmp(last, err) != 0) {
            snprintf(last, sizeof last, "%s", err);
            tt_log(TT_LOG_WARN, "notice versions not readable", TT_LOG_S("reason", err));
        }
        tt_app_policy_release(ref);
        tt_store_release(c);
        return rc;
    }
    for (size_t i = 0; rc == 0 && i < notices->n_versions; i++) {
        const struct tt_notice_version *v = &notices->versions[i];
        if (v->substantial == 0 || v->effective <= now)
            continue;
        if (v->substantial < 0) {
            /* auto: only the version the policy in force carries can be diffed */
            if (!ref->policy->notice_version || strcmp(v->version, ref->policy->notice_version))
                continue;
            int p = proposed(c, &seen);
            if (p <= 0) {
                rc = p;
                continue;
            }
        }
        struct ann_ctx *x = sodium_malloc(sizeof *x);
        if (!x) {
            rc = -TT_E_NOMEM;
            break;
        }
        memset(x, 0, sizeof *x);
        x->app = app;
        x->v = v;
        x->now = now;
        char day[16];
        time_t t = (time_t)v->effective;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        snprintf(x->subject, sizeof x->subject, "%s %s / %s %s",
                 tt_i18n("en", "subprocessors.notice.subject"), day,
                 tt_i18n("fr", "subprocessors.notice.subject"), day);
        text_for(x, "en", x->body, sizeof x->body);
        text_for(x, "fr", x->body, sizeof x->body);
        enum tt_qs qs = tt_store_txn(c, announce_txn, x);
        if (qs < 0)
            rc = -TT_E_STORE;
        else if (qs == TT_QS_ONE)
            tt_log(TT_LOG_INFO, "notice version announced", TT_LOG_S("version", v->version),
                   TT_LOG_I("accounts", x->sent));
        total += qs == TT_QS_ONE ? x->sent : 0;
        sodium_free(x);
    }
    tt_app_policy_release(ref);
    tt_store_release(c);
    tt_notices_free(notices);
    tt_jobs_note(total);
    return rc;
}
