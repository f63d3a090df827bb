/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_serve.c — `tutela serve`: opens key, policy and store, bootstraps the platform tenant on
 * first start, optionally seeds demo data, builds the decision index, serves the API, reloads the
 * policy on SIGHUP and stops gracefully on SIGTERM/SIGINT. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../api/app.h"
#include "../api/audit.h"
#include "../api/audit_journal.h"
#include "../api/index_load.h"
#include "../core/error.h"
#include "../http/i18n.h"
#include "../http/log.h"
#include "../jobs/erasure.h"
#include "../jobs/feed.h"
#include "../jobs/jobs.h"
#include "../jobs/recipients_job.h"
#include "../jobs/sweep.h"
#include "context.h"
#include "demo.h"
#include "serve_wait.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela serve [--listen HOST:PORT] [--db URL] [--master-key PATH]\n"
                "                    [--policy PATH] [--web-root DIR] [--threads N]\n"
                "                    [--body-max BYTES] [--pool N] [--config FILE] [--demo]\n"
                "  --demo   seed a small demo data set on first start (make run)\n"
                "signals: SIGHUP reloads the policy (a bad file keeps the old one);\n"
                "         SIGTERM/SIGINT stop after in-flight requests finish.\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

/* First start: the platform tenant and its admin key, printed once on stdout. */
static int bootstrap(struct tt_cli_ctx *ctx, tt_time now)
{
    int created = 0;
    int rc = tt_cli_ensure_platform(ctx->store, now, &created);
    if (rc != 0)
        return rc;
    if (!created)
        return 0;
    char token[256];
    if (tt_cli_create_key(ctx->store, "ten_platform", TT_ROLE_ADMIN, now, token, sizeof token) != 0)
        return -TT_E_STORE;
    printf("\ntutela: first start — created the platform tenant (ten_platform) and its admin API\n"
           "key. It is shown this once; keep it:\n\n    %s\n\n",
           token);
    fflush(stdout);
    return 0;
}

static enum tt_qs demo_mark(struct tt_store_conn *c, void *cls)
{
    int *already = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    char v[16];
    enum tt_qs qs = ops->setting_get(c, "demo_seeded", v, sizeof v);
    if (qs != TT_QS_NONE) {
        *already = 1;
        return qs < 0 ? qs : TT_QS_ONE;
    }
    return ops->setting_put(c, "demo_seeded", "1");
}

static int seed_demo_once(struct tt_cli_ctx *ctx, tt_time now)
{
    int already = 0;
    struct tt_store_conn *c = tt_store_acquire(ctx->store);
    enum tt_qs qs = tt_store_txn(c, demo_mark, &already);
    tt_store_release(c);
    if (qs < 0)
        return -TT_E_STORE;
    if (already)
        return 0;
    struct tt_demo_opts opts = {.customers = 3, .end_users = 20, .messages = 300, .seed = 1};
    struct tt_demo_stats st = {0};
    int rc = tt__demo_seed(ctx->store, ctx->policy, ctx->master, now, &opts, &st);
    if (rc == 0)
        tt_log(TT_LOG_INFO, "demo data seeded", TT_LOG_I("tenants", st.tenants),
               TT_LOG_I("subjects", st.subjects), TT_LOG_I("records", st.records));
    return rc;
}

/* Where to look: the pages the web root holds (make run prints them). */
/* With audit_denials = os and the database a file of this machine, denials are answered once
 * written to their journal beside it ("<db>-denials", audit_journal.h); events a killed process
 * left there are chained first. Another process holding the journal: denials wait for their
 * COMMIT as on PostgreSQL. 0, or -1 after saying why. */
static int open_journal(struct tt_cli_ctx *ctx, struct tt_app *app)
{
    char path[4096], err[512] = "";
    if (ctx->cfg.audit_sync || tt_audit_journal_path(ctx->store, path, sizeof path) != 0)
        return 0;
    int rc = tt_audit_journal_open(ctx->store, path, &app->audit_journal, err, sizeof err);
    if (rc == 1)
        tt_log(TT_LOG_INFO, "audit journal held by another process: denials wait for their commit",
               TT_LOG_S("path", path));
    if (rc < 0) {
        fprintf(stderr, "tutela serve: %s\n", err);
        return -1;
    }
    return 0;
}

static void print_pages(const char *web_root, const char *listen)
{
    static const struct {
        const char *file, *what;
    } pages[] = {
        {"demo/index.html", "demo site with the cookie banner"},
        {"dashboard/index.html", "privacy dashboard (account holders)"},
        {"console/index.html", "staff console (requests, retention, recipients)"},
        {"account/index.html", "sign-in, two-factor authentication, sessions"},
        {"subprocessors/index.html", "public list of sub-processors"},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", web_root, pages[i].file);
        if (access(path, R_OK) == 0)
            printf("  http://%s/web/%s  — %s\n", listen, pages[i].file, pages[i].what);
    }
}

/* SIGHUP: load the file again; a bad file keeps the old policy and says why. */
static void reload_policy(struct tt_app *app)
{
    char err[TT_POLICY_ERR_MAX] = "";
    struct tt_policy *p = NULL;
    if (tt_policy_load(app->policy_path, &p, err) != 0) {
        tt_log(TT_LOG_WARN, "policy reload refused; the old policy stays", TT_LOG_S("reason", err));
        return;
    }
    char version[64], digest[65];
    snprintf(version, sizeof version, "%s", p->version);
    sodium_bin2hex(digest, sizeof digest, p->digest, sizeof p->digest);
    /* purpose bits follow the new policy: rebuild the index from the store, holding writers
     * off so no committed change is missed between the load and the swap */
    pthread_rwlock_wrlock(&app->reload_lock);
    struct tt_index *ix = NULL;
    if (tt_index_load(app->store, p, &ix) != 0) {
        pthread_rwlock_unlock(&app->reload_lock);
        tt_log(TT_LOG_ERROR, "policy reload refused: the decision index could not be rebuilt");
        tt_policy_free(p);
        return;
    }
    tt_app_policy_swap(app, p, ix);
    pthread_rwlock_unlock(&app->reload_lock);
    json_t *detail = json_pack("{s:s, s:s}", "version", version, "digest", digest);
    tt_audit_emit_now(app->store, "ten_platform", tt_now(&app->clock), "system", "policy.reload",
                      version, detail);
    json_decref(detail);
    tt_log(TT_LOG_INFO, "policy reloaded", TT_LOG_S("version", version),
           TT_LOG_S("digest", digest));
    tt_retention_policy_reloaded(app, tt_now(&app->clock)); /* issue 6: ends follow the policy */
    /* issue 7: S5.2 re-evaluation of the recipients against the reloaded adequacy list */
    tt_recipients_policy_reloaded(app, tt_now(&app->clock));
}

int tt_cmd_serve(int argc, char **argv)
{
    int demo = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0)
            return usage(stdout);
    }
    struct tt_cli_ctx ctx;
    int rc = tt_cli_open(&ctx, "serve", TT_NEED_POLICY | TT_CREATE_MASTER, &argc, argv);
    if (rc != 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--demo") == 0) {
            demo = 1;
        } else {
            fprintf(stderr, "tutela serve: unexpected argument '%s'\n", argv[i]);
            tt_cli_close(&ctx);
            return usage(stderr);
        }
    }
    if (ctx.master_created)
        tt_log(TT_LOG_INFO, "created a new master key", TT_LOG_S("path", ctx.cfg.master_key),
               TT_LOG_S("key_id", ctx.master->id));

    /* Signals are taken by this thread alone: block them before any other thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    static struct tt_app app;
    memset(&app, 0, sizeof app);
    /* listen at once: /healthz answers and /readyz says the store is not open while a database
     * down at start is retried (issue 9) */
    struct tt_server_config scfg = {.listen = ctx.cfg.listen,
                                    .threads = ctx.cfg.threads,
                                    .body_max = ctx.cfg.body_max,
                                    .web_root = ctx.cfg.web_root};
    char err[512] = "";
    struct tt_server *waiting = NULL;
    if (tt_serve_wait_start(&scfg, &app, &waiting, err, sizeof err) != 0) {
        fprintf(stderr, "tutela serve: cannot listen on %s: %s\n", ctx.cfg.listen, err);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    tt_log(TT_LOG_INFO, "listening while the store opens", TT_LOG_S("listen", ctx.cfg.listen),
           TT_LOG_I("port", tt_server_port(waiting)));
    if (tt_cli_open_store(&ctx, "serve") != 0) {
        tt_server_stop(waiting);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    app.store = ctx.store;
    app.master = ctx.master;
    app.clock = (struct tt_clock){.now = tt_clock_system_now, .offset = ctx.cfg.clock_offset};
    app.policy_path = ctx.cfg.policy;
    app.audit_denials_sync = ctx.cfg.audit_sync;
    tt_store_group_set_flush_ms(ctx.store, ctx.cfg.flush_ms);
    tt_time now = tt_now(&app.clock);

    if (bootstrap(&ctx, now) != 0 || (demo && seed_demo_once(&ctx, now) != 0)) {
        fprintf(stderr, "tutela serve: the store failed during first-start set-up\n");
        tt_server_stop(waiting);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    /* pages, banner and notices in the visitor's language (web/i18n/AREA.LANG.json) */
    char ierr[512] = "";
    if (tt_i18n_load(ctx.cfg.web_root, ierr, sizeof ierr) < 0)
        tt_log(TT_LOG_WARN, "message catalogues not loaded; texts fall back to their keys",
               TT_LOG_S("reason", ierr));
    /* the feed cursor is taken before the load, so nothing committed meanwhile is missed */
    int64_t feed_txid = 0, feed_seq = 0;
    if (tt_feed_head(ctx.store, &feed_txid, &feed_seq) != 0) {
        fprintf(stderr, "tutela serve: could not read the change feed from the store\n");
        tt_server_stop(waiting);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    struct tt_index *ix = NULL;
    if (tt_index_load(ctx.store, ctx.policy, &ix) != 0) {
        fprintf(stderr, "tutela serve: could not build the decision index from the store\n");
        tt_server_stop(waiting);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    tt_app_init(&app, ctx.policy, ix);
    ctx.policy = NULL; /* the app owns it now */
    /* an erasure a crash interrupted is finished before anything is served (issue 5): its
     * subject is already unusable, this only deletes what the killed process had not reached */
    int resumed = tt_erasure_resume_all(&app, now);
    if (resumed != 0)
        tt_log(resumed > 0 ? TT_LOG_INFO : TT_LOG_WARN, "interrupted erasures resumed",
               TT_LOG_I("erasures", resumed),
               TT_LOG_S("error", resumed < 0 ? tt_err_type(-resumed) : NULL));

    if (open_journal(&ctx, &app) != 0) {
        tt_server_stop(waiting);
        tt_app_fini(&app);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }

    /* the API takes over the address (the same port when it asked for any free one) */
    char listen[sizeof ctx.cfg.listen + 8];
    tt_serve_wait_listen(ctx.cfg.listen, waiting, listen, sizeof listen);
    tt_server_stop(waiting);
    scfg.listen = listen;
    if (tt_server_start(&scfg, tt_api_routes, &app, &app.server, err, sizeof err) != 0) {
        fprintf(stderr, "tutela serve: cannot listen on %s: %s\n", ctx.cfg.listen, err);
        tt_audit_journal_close(app.audit_journal);
        tt_app_fini(&app);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    /* other nodes' changes reach this node's index; background jobs under leases (issue 9) */
    if (tt_feed_follow_start(&app, feed_txid, feed_seq, err, sizeof err) != 0 ||
        tt_jobs_start(&app, err, sizeof err) != 0) {
        fprintf(stderr, "tutela serve: %s\n", err);
        tt_feed_follow_stop();
        tt_server_stop(app.server);
        app.server = NULL;
        tt_audit_journal_close(app.audit_journal);
        tt_app_fini(&app);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    atomic_store(&app.ready, 1);
    struct tt_policy_ref *ref = tt_app_policy_acquire(&app);
    tt_log(TT_LOG_INFO, "serving", TT_LOG_S("listen", ctx.cfg.listen),
           TT_LOG_I("port", tt_server_port(app.server)),
           TT_LOG_S("store", tt_store_backend(ctx.store)), TT_LOG_S("policy", ref->policy->version),
           TT_LOG_S("master_key_id", ctx.master->id));
    tt_app_policy_release(ref);
    if (isatty(STDOUT_FILENO) || demo) {
        printf("tutela %s is serving on http://%s (API under /v1/, docs at /v1/openapi.json)\n",
               TT_VERSION, ctx.cfg.listen);
        print_pages(ctx.cfg.web_root, ctx.cfg.listen);
        fflush(stdout);
    }

    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload_policy(&app);
            continue;
        }
        break;
    }
    tt_log(TT_LOG_INFO, "stopping: finishing in-flight requests");
    atomic_store(&app.ready, 0);
    tt_jobs_stop();
    tt_feed_follow_stop();
    tt_server_stop(app.server);
    app.server = NULL;
    tt_audit_journal_close(app.audit_journal); /* after the last denial, before the drain */
    app.audit_journal = NULL;
    tt_store_group_drain(ctx.store); /* after the last parked answer (issue 3) */
    tt_app_fini(&app);
    tt_cli_close(&ctx);
    tt_i18n_unload();
    tt_log(TT_LOG_INFO, "stopped");
    return TT_EXIT_OK;
}
