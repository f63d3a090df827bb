/* SPDX-License-Identifier: Apache-2.0 */
/* pool.c — the SQLite backend's entry point: opens a pool of connections to one database file
 * (each in WAL mode, synchronous=FULL, foreign keys on, 5 s busy timeout, secure_delete so
 * shredded keys leave no bytes in free pages, temporary files and statement journals in memory),
 * hands them out one caller at a time (mutex +
 * condition variable), runs migrations, and publishes the ops table. */
#include "sq.h"
#include "checkpointer.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../core/error.h"

#define SQ_BUSY_TIMEOUT_MS 5000

static const struct tt_store_ops sq_ops = {
    .name = "sqlite",
    .begin = tt__sq_begin,
    .commit = tt__sq_commit,
    .rollback = tt__sq_rollback,
    .schema_version = tt__sq_schema_version,
    .tenant_put = tt__sq_tenant_put,
    .tenant_get = tt__sq_tenant_get,
    .tenant_list = tt__sq_tenant_list,
    .api_key_put = tt__sq_api_key_put,
    .api_key_get = tt__sq_api_key_get,
    .api_key_revoke = tt__sq_api_key_revoke,
    .subject_put = tt__sq_subject_put,
    .subject_update = tt__sq_subject_update,
    .subject_get = tt__sq_subject_get,
    .subject_list = tt__sq_subject_list,
    .subject_scan = tt__sq_subject_scan,
    .subject_count = tt__sq_subject_count,
    .identity_put = tt__sq_identity_put,
    .identity_find = tt__sq_identity_find,
    .identity_list = tt__sq_identity_list,
    .identity_scan = tt__sq_identity_scan,
    .record_put = tt__sq_record_put,
    .record_list = tt__sq_record_list,
    .record_count = tt__sq_record_count,
    .purpose_state_put = tt__sq_purpose_state_put,
    .purpose_state_list = tt__sq_purpose_state_list,
    .purpose_state_list_many = tt__sq_purpose_state_list_many,
    .purpose_state_scan = tt__sq_purpose_state_scan,
    .subject_key_put = tt__sq_subject_key_put,
    .subject_key_get = tt__sq_subject_key_get,
    .subject_key_scan = tt__sq_subject_key_scan,
    .audit_last = tt__sq_audit_last,
    .audit_append = tt__sq_audit_append,
    .audit_scan = tt__sq_audit_scan,
    .setting_get = tt__sq_setting_get,
    .setting_put = tt__sq_setting_put,
    .requests = &tt__sq_requests_ops,
    .retention = &tt__sq_retention_ops,
    .recipients = &tt__sq_recipients_ops,
    .subscriptions = &tt__sq_subscriptions_ops,
    .accounts = &tt__sq_accounts_ops,
    .jobs = &tt__sq_jobs_ops,
    .consent = &tt__sq_consent_ops,
};

static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || !err_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

static int is_memory_path(const char *path)
{
    return strcmp(path, ":memory:") == 0 || strstr(path, "mode=memory") != NULL ||
           strncmp(path, "file::memory:", 13) == 0;
}

/* PRAGMA journal_mode=WAL; returns a SQLite code, *mode gets the mode now in force. */
static int set_wal(sqlite3 *db, char *mode, size_t mode_size)
{
    int rc = SQLITE_BUSY;
    /* changing the mode needs a moment alone with the file: another process opening the same
     * new database at once makes it busy, without calling the busy handler: retried for as
     * long as the busy timeout would wait (20 ms apart) */
    for (int attempt = 0; attempt < SQ_BUSY_TIMEOUT_MS / 20 && (rc & 0xff) == SQLITE_BUSY;
         attempt++) {
        if (attempt > 0) {
            struct timespec ts = {0, 20L * 1000000L};
            nanosleep(&ts, NULL);
        }
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                const unsigned char *m = sqlite3_column_text(st, 0);
                snprintf(mode, mode_size, "%s", m ? (const char *)m : "");
                rc = SQLITE_OK;
            }
        }
        sqlite3_finalize(st);
    }
    return rc;
}

static int conn_open(struct sq_store *s, struct sq_conn *c, char *err, size_t err_size)
{
    c->base.store = &s->base;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_size, "sqlite: cannot open the database: %s",
                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        return -TT_E_STORE;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQ_BUSY_TIMEOUT_MS);
    /* FULL: a commit is acknowledged only once the WAL is on disk; nothing acknowledged is lost */
    rc = sqlite3_exec(c->db,
                      "PRAGMA foreign_keys = ON;"
                      "PRAGMA synchronous = FULL;"
                      "PRAGMA secure_delete = ON;"
                      "PRAGMA temp_store = MEMORY;",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_size, "sqlite: cannot configure the connection: %s",
                sqlite3_errmsg(c->db));
        return -TT_E_STORE;
    }
    char mode[16] = "";
    rc = set_wal(c->db, mode, sizeof mode);
    if (rc != SQLITE_OK) {
        set_err(err, err_size, "sqlite: cannot enable WAL: %s", sqlite3_errmsg(c->db));
        return -TT_E_STORE;
    }
    /* an in-memory database has no WAL, and a read-only one keeps the mode it has */
    if (strcmp(mode, "wal") != 0 && !is_memory_path(s->path) &&
        sqlite3_db_readonly(c->db, "main") != 1) {
        set_err(err, err_size, "sqlite: the database refused WAL mode (journal mode %s)", mode);
        return -TT_E_STORE;
    }
    return 0;
}

static void conn_close(struct sq_conn *c)
{
    for (int i = 0; i < SQ_STMT_MAX; i++) {
        sqlite3_finalize(c->stmts[i]);
        c->stmts[i] = NULL;
    }
    sqlite3_close(c->db);
    c->db = NULL;
}

static void store_free(struct sq_store *s)
{
    if (!s)
        return;
    if (s->conns) {
        for (int i = 0; i < s->pool_size; i++)
            conn_close(&s->conns[i]);
        free(s->conns);
    }
    tt__sq_ckpt_stop(s->ckpt); /* after the connections its hook serves (checkpointer.h) */
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

static void sq_close(struct tt_store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    pthread_mutex_lock(&s->mu);
    while (s->n_free < s->pool_size)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    store_free(s);
}

static struct tt_store_conn *sq_acquire(struct tt_store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    pthread_mutex_lock(&s->mu);
    while (!s->free_list)
        pthread_cond_wait(&s->cv, &s->mu);
    struct sq_conn *c = s->free_list;
    s->free_list = c->next_free;
    s->n_free--;
    c->next_free = NULL;
    c->in_use = 1;
    pthread_mutex_unlock(&s->mu);
    return &c->base;
}

static void sq_release(struct tt_store_conn *base)
{
    struct sq_conn *c = sq_of(base);
    struct sq_store *s = (struct sq_store *)base->store;
    assert(c->in_use); /* released twice: our own bug */
    /* a caller that left a transaction open must not hand its half-done change to the next */
    tt__sq_rollback(base);
    pthread_mutex_lock(&s->mu);
    c->in_use = 0;
    c->next_free = s->free_list;
    s->free_list = c;
    s->n_free++;
    /* broadcast: close() waits for all, acquirers wait for one */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static int sq_migrate(struct tt_store *base, char *err, size_t err_size)
{
    struct tt_store_conn *c = sq_acquire(base);
    int v = tt__sq_migrate(sq_of(c), err, err_size);
    sq_release(c);
    return v < 0 ? -TT_E_STORE : v;
}

int tt__store_sqlite_open(const char *path, int pool_size, int migrate, struct tt_store **out,
                          char *err, size_t err_size)
{
    if (!path || !*path) {
        set_err(err, err_size, "sqlite: empty database path");
        return -TT_E_BAD_PARAM;
    }
    if (pool_size < 1)
        pool_size = 1;
    if (pool_size > 1 && is_memory_path(path)) {
        set_err(err, err_size,
                "sqlite: an in-memory database cannot be shared by a pool of %d connections "
                "(use a file, or a pool of 1)",
                pool_size);
        return -TT_E_BAD_PARAM;
    }
    if (!sqlite3_threadsafe()) {
        set_err(err, err_size, "sqlite: the SQLite library was built without thread support");
        return -TT_E_STORE;
    }
    struct sq_store *s = calloc(1, sizeof *s);
    if (!s) {
        set_err(err, err_size, "sqlite: out of memory");
        return -TT_E_NOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->base.ops = &sq_ops;
    s->base.backend = "sqlite";
    s->base.close = sq_close;
    s->base.acquire = sq_acquire;
    s->base.relax = tt__sq_relax;
    s->base.flush = tt__sq_flush;
    s->base.release = sq_release;
    s->base.migrate = sq_migrate;
    s->path = strdup(path);
    s->conns = calloc((size_t)pool_size, sizeof *s->conns);
    if (!s->path || !s->conns) {
        store_free(s);
        set_err(err, err_size, "sqlite: out of memory");
        return -TT_E_NOMEM;
    }
    s->pool_size = pool_size;
    if (!is_memory_path(path) && strncmp(path, "file:", 5) != 0)
        s->base.local_path = s->path;
    for (int i = 0; i < pool_size; i++) {
        int rc = conn_open(s, &s->conns[i], err, err_size);
        if (rc < 0) {
            store_free(s);
            return rc;
        }
    }
    if (migrate && tt__sq_migrate(&s->conns[0], err, err_size) < 0) {
        store_free(s);
        return -TT_E_STORE;
    }
    /* WAL checkpoints on a thread of their own, not inside the COMMIT of a writer (issue 4) */
    if (!is_memory_path(path) && tt__sq_ckpt_start(path, &s->ckpt, err, err_size) < 0) {
        store_free(s);
        return -TT_E_STORE;
    }
    for (int i = 0; i < pool_size; i++)
        tt__sq_ckpt_attach(s->ckpt, s->conns[i].db);
    for (int i = pool_size - 1; i >= 0; i--) {
        s->conns[i].next_free = s->free_list;
        s->free_list = &s->conns[i];
    }
    s->n_free = pool_size;
    *out = &s->base;
    return 0;
}
