/* SPDX-License-Identifier: Apache-2.0 */
/* scheduler.c — the job scheduler of jobs.h: one thread that runs each job of tt_jobs at its
 * interval, each pass under the job's lease in the store (jobs_store.h), so with several nodes
 * on one database a pass runs on one node only and a dead node's lease lapses and is taken over.
 * One JSON log line per pass that did something, tutela_job_runs_total{job,result} per pass;
 * stop wakes the thread through a condition variable and releases this node's leases. */
#include "jobs.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/error.h"
#include "../core/mono.h"
#include "../core/vault.h"
#include "../http/http.h"
#include "../http/log.h"
#include "../store/jobs_store.h"

#define JOBS_MAX 64

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running, stopping;
    struct tt_app *app;
    double next_due[JOBS_MAX];   /* monotonic seconds */
    unsigned interval[JOBS_MAX]; /* seconds between passes: the job's own, or the operator's */
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t node_once = PTHREAD_ONCE_INIT;
static char node_id[TT_ID_MAX];
static _Thread_local int64_t noted;

static void node_init(void)
{
    tt_id_new("node_", node_id);
}

const char *tt_jobs_node_id(void)
{
    pthread_once(&node_once, node_init);
    return node_id;
}

void tt_jobs_note(int64_t items)
{
    noted += items;
}

/* A job named "<area>.…" needs its area of the store: a backend that does not provide the area
 * yet (ops member NULL) never runs it. Areas add their line when their job lands. */
static const struct {
    const char *prefix;
    size_t member; /* offsetof(struct tt_store_ops, <area>) */
} areas[] = {
    {"requests.", offsetof(struct tt_store_ops, requests)},
    {"retention.", offsetof(struct tt_store_ops, retention)},
    {"consent.", offsetof(struct tt_store_ops, consent)},
    {"outbox.", offsetof(struct tt_store_ops, jobs)},
    {"feed.", offsetof(struct tt_store_ops, jobs)},
    {"accounts.", offsetof(struct tt_store_ops, accounts)},
};

static int backend_has_area(const struct tt_store *s, const char *job)
{
    struct tt_store_conn *c = tt_store_acquire((struct tt_store *)s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    tt_store_release(c);
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++) {
        if (strncmp(job, areas[i].prefix, strlen(areas[i].prefix)) == 0) {
            const void *const *p = (const void *const *)((const char *)ops + areas[i].member);
            return *p != NULL;
        }
    }
    return 1;
}

/* TUTELA_JOBS: a comma-separated list of the jobs this node runs (unset or empty: all), so an
 * operator can keep some nodes free of background work. */
static int job_enabled(const char *job)
{
    const char *list = getenv("TUTELA_JOBS");
    if (!list || !*list)
        return 1;
    size_t n = strlen(job);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, job, n) == 0)
            return 1;
        p += len + (end ? 1 : 0);
    }
    return 0;
}

/* TUTELA_JOB_INTERVALS: "job=seconds,…" sets the interval of the jobs named (e.g. a sweep once
 * a day: "retention.sweep=86400"); the others keep their own. Fills S.interval; an entry that
 * names no job, or seconds outside 1..31 days, is refused with the entry in err. */
static int intervals_read(char *err, size_t err_size)
{
    for (size_t i = 0; tt_jobs[i].name && i < JOBS_MAX; i++)
        S.interval[i] = tt_jobs[i].interval_s;
    const char *list = getenv("TUTELA_JOB_INTERVALS");
    for (const char *p = list ? list : ""; *p;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        size_t i = 0;
        while (eq && tt_jobs[i].name && i < JOBS_MAX &&
               !(strlen(tt_jobs[i].name) == (size_t)(eq - p) &&
                 strncmp(tt_jobs[i].name, p, (size_t)(eq - p)) == 0))
            i++;
        char *end = NULL;
        unsigned long secs = eq ? strtoul(eq + 1, &end, 10) : 0;
        if (!eq || !tt_jobs[i].name || i >= JOBS_MAX || end != p + len || end == eq + 1 ||
            secs < 1 || secs > 31ul * 86400) {
            snprintf(err, err_size,
                     "TUTELA_JOB_INTERVALS: \"%.*s\" is not job=seconds with a known job and "
                     "1 to 2678400 seconds",
                     (int)(len > 80 ? 80 : len), p);
            return -TT_E_BAD_FIELD;
        }
        S.interval[i] = (unsigned)secs;
        p += len + (p[len] == ',' ? 1 : 0);
    }
    return 0;
}

struct lease_op {
    const struct tt_job *job;
    tt_time now;
    unsigned interval_s;
    int what; /* 0 take, 1 renew, 2 release */
};

static enum tt_qs lease_txn(struct tt_store_conn *c, void *cls)
{
    const struct lease_op *op = cls;
    const struct tt_jobs_store_ops *jb = tt_store_ops_of(c)->jobs;
    const char *node = tt_jobs_node_id();
    if (op->what == 0)
        return jb->lease_take(c, op->job->name, node, op->now, op->job->lease_s, op->interval_s);
    if (op->what == 1)
        return jb->lease_renew(c, op->job->name, node, op->now, op->job->lease_s);
    return jb->lease_release(c, op->job->name, node);
}

static enum tt_qs lease_do(struct tt_app *app, const struct tt_job *job, tt_time now,
                           unsigned interval_s, int what)
{
    struct lease_op op = {job, now, interval_s, what};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    enum tt_qs qs = tt_store_txn(c, lease_txn, &op);
    tt_store_release(c);
    return qs;
}

/* One pass of job under its lease. Returns the job's result, or -TT_E_CONFLICT when the lease
 * is held elsewhere (or the job is not due), -TT_E_STORE when the store failed. */
static int pass(struct tt_app *app, const struct tt_job *job, tt_time now, unsigned interval_s)
{
    enum tt_qs qs = lease_do(app, job, now, interval_s, 0);
    if (qs < 0)
        return -TT_E_STORE;
    if (qs == TT_QS_NONE)
        return -TT_E_CONFLICT;
    noted = 0;
    double t0 = tt_mono_s();
    int rc = job->fn(app, now, job->cls);
    double ms = (tt_mono_s() - t0) * 1000.0;
    int64_t items = noted;
    /* still ours: keep it another lease_s, so the next pass stays on this node */
    (void)lease_do(app, job, tt_now(&app->clock), 0, 1);
    const char *result = rc == 0 ? "ok" : "error";
    char labels[160];
    snprintf(labels, sizeof labels, "job=\"%s\",result=\"%s\"", job->name, result);
    tt_metrics_counter_add("tutela_job_runs_total", labels, 1);
    if (items > 0) {
        snprintf(labels, sizeof labels, "job=\"%s\"", job->name);
        tt_metrics_counter_add("tutela_job_items_total", labels, (double)items);
    }
    tt_log(rc != 0     ? TT_LOG_WARN
           : items > 0 ? TT_LOG_INFO
                       : TT_LOG_DEBUG,
           "job pass", TT_LOG_S("job", job->name), TT_LOG_S("result", result),
           TT_LOG_I("items", items), TT_LOG_D("ms", ms), TT_LOG_S("node", tt_jobs_node_id()),
           TT_LOG_S("error", rc != 0 ? tt_err_type(-rc) : NULL));
    return rc;
}

static void *loop(void *arg)
{
    struct tt_app *app = arg;
    pthread_mutex_lock(&S.mu);
    while (!S.stopping) {
        double now = tt_mono_s(), wake = now + 60;
        for (size_t i = 0; tt_jobs[i].name && i < JOBS_MAX; i++) {
            if (S.next_due[i] <= now) {
                pthread_mutex_unlock(&S.mu);
                const struct tt_job *job = &tt_jobs[i];
                /* held elsewhere or not due: look again after one interval */
                (void)pass(app, job, tt_now(&app->clock), S.interval[i]);
                pthread_mutex_lock(&S.mu);
                now = tt_mono_s();
                S.next_due[i] = now + (S.interval[i] ? S.interval[i] : 1);
                if (S.stopping)
                    break;
            }
            if (S.next_due[i] < wake)
                wake = S.next_due[i];
        }
        if (S.stopping)
            break;
        struct timespec ts;
        double w = wake > tt_mono_s() ? wake : tt_mono_s();
        ts.tv_sec = (time_t)w;
        ts.tv_nsec = (long)((w - (double)ts.tv_sec) * 1e9);
        int rc = 0;
        while (!S.stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&S.cv, &S.mu, &ts);
    }
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

int tt_jobs_start(struct tt_app *app, char *err, size_t err_size)
{
    pthread_mutex_lock(&S.mu);
    if (S.running) {
        pthread_mutex_unlock(&S.mu);
        snprintf(err, err_size, "the job scheduler is already running");
        return -TT_E_CONFLICT;
    }
    int irc = intervals_read(err, err_size);
    if (irc != 0) {
        pthread_mutex_unlock(&S.mu);
        return irc;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&S.cv, &ca);
    pthread_condattr_destroy(&ca);
    S.app = app;
    S.stopping = 0;
    /* spread first passes a little so nodes started together do not collide on every lease */
    double now = tt_mono_s();
    for (size_t i = 0; i < JOBS_MAX; i++)
        S.next_due[i] = now + (double)(i % 4) * 0.05;
    for (size_t i = 0; tt_jobs[i].name && i < JOBS_MAX; i++) {
        if (!job_enabled(tt_jobs[i].name))
            S.next_due[i] = 1e18; /* not on this node */
        else if (!backend_has_area(app->store, tt_jobs[i].name)) {
            S.next_due[i] = 1e18; /* never */
            tt_log(TT_LOG_WARN, "job not run: this store backend lacks its area",
                   TT_LOG_S("job", tt_jobs[i].name),
                   TT_LOG_S("store", tt_store_backend(app->store)));
        }
    }
    int rc = pthread_create(&S.thread, NULL, loop, app);
    if (rc != 0) {
        pthread_cond_destroy(&S.cv);
        pthread_mutex_unlock(&S.mu);
        snprintf(err, err_size, "cannot start the job scheduler thread: %s", strerror(rc));
        return -TT_E_INTERNAL;
    }
    S.running = 1;
    pthread_mutex_unlock(&S.mu);
    tt_log(TT_LOG_INFO, "job scheduler started", TT_LOG_S("node", tt_jobs_node_id()));
    return 0;
}

void tt_jobs_stop(void)
{
    pthread_mutex_lock(&S.mu);
    if (!S.running) {
        pthread_mutex_unlock(&S.mu);
        return;
    }
    S.stopping = 1;
    pthread_cond_broadcast(&S.cv);
    pthread_mutex_unlock(&S.mu);
    pthread_join(S.thread, NULL);
    /* hand this node's leases on at once instead of letting them lapse */
    for (size_t i = 0; tt_jobs[i].name; i++)
        (void)lease_do(S.app, &tt_jobs[i], 0, 0, 2);
    pthread_mutex_lock(&S.mu);
    pthread_cond_destroy(&S.cv);
    S.running = 0;
    S.app = NULL;
    pthread_mutex_unlock(&S.mu);
}

int tt_jobs_run_once(struct tt_app *app, const char *name, tt_time now)
{
    for (size_t i = 0; tt_jobs[i].name; i++) {
        if (strcmp(tt_jobs[i].name, name) != 0)
            continue;
        if (!backend_has_area(app->store, name))
            return -TT_E_UNAVAILABLE;
        int rc = pass(app, &tt_jobs[i], now, 0);
        if (rc != -TT_E_CONFLICT)
            (void)lease_do(app, &tt_jobs[i], now, 0, 2);
        return rc;
    }
    return -TT_E_NOT_FOUND;
}
