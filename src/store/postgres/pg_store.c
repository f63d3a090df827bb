/* SPDX-License-Identifier: Apache-2.0 */
/* pg_store.c — the PostgreSQL backend's pool and plumbing (issue 9): open with bounded retry,
 * a fixed pool of libpq connections (mutex + condvar), statements prepared by name on first use,
 * SQLSTATE → query status, lost connections reset before reuse, cursor-backed streams, and the
 * transaction ops. The query families live in pg_tenants.c, pg_subjects.c, pg_records.c and
 * pg_audit.c; the schema in pg_migrate.c. */
#include "pg_internal.h"
#include "pg_batched.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../core/error.h"
#include "../../core/mono.h"

#define PG_FETCH_ROWS 10000
#define PG_DEFAULT_CONNECT_TIMEOUT 10
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

/* ---- parameters and results ---- */

void tt__pg_arg_text(struct pg_args *a, const char *s)
{
    a->values[a->n] = s;
    a->lengths[a->n] = 0;
    a->formats[a->n] = 0;
    a->n++;
}

void tt__pg_arg_int(struct pg_args *a, int64_t v)
{
    a->ints[a->n] = htobe64((uint64_t)v);
    a->values[a->n] = (const char *)&a->ints[a->n];
    a->lengths[a->n] = 8;
    a->formats[a->n] = 1;
    a->n++;
}

void tt__pg_arg_bytes(struct pg_args *a, const uint8_t *p, size_t len)
{
    /* a zero-length value is an empty BYTEA, not NULL; only a NULL pointer is SQL NULL */
    a->values[a->n] = p ? (const char *)p : NULL;
    a->lengths[a->n] = (int)len;
    a->formats[a->n] = 1;
    a->n++;
}

int64_t tt__pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
        return 0;
    uint64_t v;
    memcpy(&v, PQgetvalue(r, row, col), sizeof v);
    return (int64_t)be64toh(v);
}

int tt__pg_text(const PGresult *r, int row, int col, char *dst, size_t size)
{
    size_t len = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
    if (len >= size)
        return -1;
    memcpy(dst, PQgetvalue(r, row, col), len);
    dst[len] = '\0';
    return 0;
}

const uint8_t *tt__pg_bytes(const PGresult *r, int row, int col, size_t *len)
{
    if (PQgetisnull(r, row, col)) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)PQgetlength(r, row, col);
    return (const uint8_t *)PQgetvalue(r, row, col);
}

/* ---- status mapping and connection health ---- */

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* libraries don't log; NOTICEs (e.g. "already exists, skipping") are noise */
}

static void forget_session(struct pg_conn *c)
{
    memset(c->prepared, 0, sizeof c->prepared);
    c->in_txn = 0;
}

/* A lost connection is re-established only between transactions: the work of a transaction
 * that lost its connection is gone, and its caller must see a failure and retry. */
int tt__pg_usable(struct pg_conn *c)
{
    c->ahead.valid = 0; /* before any statement and at acquisition (pg_states_ahead.c) */
    if (PQstatus(c->pq) == CONNECTION_OK)
        return 1;
    if (c->in_txn)
        return 0;
    PQreset(c->pq);
    forget_session(c);
    if (PQstatus(c->pq) != CONNECTION_OK)
        return 0;
    PQsetNoticeProcessor(c->pq, quiet_notices, NULL);
    return 1;
}

enum tt_qs tt__pg_classify(struct pg_conn *c, const PGresult *r)
{
    if (PQstatus(c->pq) != CONNECTION_OK)
        return TT_QS_SOFT;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        return TT_QS_HARD;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return TT_QS_SOFT; /* serialization failure, deadlock: the retry sees the winner */
    if (strncmp(state, "08", 2) == 0)
        return TT_QS_SOFT; /* connection exception */
    if (strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
        return TT_QS_SOFT; /* server shutting down or starting: a reset finds it again */
    if (strcmp(state, "23503") == 0)
        return TT_QS_SOFT; /* the parent our insert checked for went away meanwhile: on retry
                            * the insert's EXISTS guard answers NONE */
    return TT_QS_HARD;
}

int tt__pg_ok_result(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* ---- running statements ---- */

int tt__pg_param_types(const struct pg_stmt *st, Oid types[PG_MAX_PARAMS])
{
    size_t n = strlen(st->types);
    if (n > PG_MAX_PARAMS)
        return -1;
    for (size_t i = 0; i < n; i++)
        types[i] = st->types[i] == 'i' ? OID_INT8 : st->types[i] == 'b' ? OID_BYTEA : OID_TEXT;
    return (int)n;
}

static PGresult *prepare(struct pg_conn *c, const struct pg_stmt *st)
{
    Oid types[PG_MAX_PARAMS];
    int n = tt__pg_param_types(st, types);
    return n < 0 ? NULL : PQprepare(c->pq, st->name, st->sql, n, types);
}

enum tt_qs tt__pg_exec(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                       PGresult **out)
{
    if (!tt__pg_usable(c))
        return TT_QS_SOFT;
    enum tt_qs fq = tt__pg_batched_flush(c); /* rows kept for multi-row writes go first */
    if (fq < 0)
        return fq;
    if (c->n_pending) /* speculative writes before it: one round trip for all */
        return tt__pg_drain(c, st, a, out);
    int nparams = a ? a->n : 0;
    if ((size_t)nparams != strlen(st->types))
        return TT_QS_HARD;
    if (!c->prepared[st->id]) {
        PGresult *r = prepare(c, st);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
            enum tt_qs qs = tt__pg_classify(c, r);
            PQclear(r);
            return qs;
        }
        PQclear(r);
        c->prepared[st->id] = 1;
    }
    PGresult *r = PQexecPrepared(c->pq, st->name, nparams, a ? a->values : NULL,
                                 a ? a->lengths : NULL, a ? a->formats : NULL, 1);
    if (!r || !tt__pg_ok_result(r)) {
        enum tt_qs qs = tt__pg_classify(c, r);
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (state && strcmp(state, "26000") == 0) {
            /* the session lost its prepared statements (DEALLOCATE ALL, a pooler's DISCARD):
             * prepare again on the retry */
            memset(c->prepared, 0, sizeof c->prepared);
            qs = TT_QS_SOFT;
        }
        PQclear(r);
        return qs;
    }
    *out = r;
    return TT_QS_ONE;
}

enum tt_qs tt__pg_exec_one(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a)
{
    if (c->speculative && c->in_txn)
        return tt__pg_guardable(st) ? tt__pg_defer_guarded(c, st, NULL, a, TT_QS_HARD)
                                    : tt__pg_defer(c, st, a, tt__pg_check_one);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(c, st, a, &r);
    if (qs < 0)
        return qs;
    const char *n = PQcmdTuples(r);
    qs = (n[0] && strcmp(n, "0") != 0) ? TT_QS_ONE : TT_QS_NONE;
    PQclear(r);
    return qs;
}

static enum tt_qs count_of(long n)
{
    return (enum tt_qs)(n > 1000000000L ? 1000000000L : n);
}

enum tt_qs tt__pg_each(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                       pg_row_fn fn, void *cls)
{
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(c, st, a, &r);
    if (qs < 0)
        return qs;
    long seen = 0;
    int rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        int rc = fn(cls, r, i);
        if (rc < 0) {
            PQclear(r);
            return TT_QS_HARD;
        }
        seen++;
        if (rc > 0)
            break;
    }
    PQclear(r);
    return count_of(seen);
}

enum tt_qs tt__pg_command(struct pg_conn *c, const char *sql)
{
    if (!tt__pg_usable(c))
        return TT_QS_SOFT;
    enum tt_qs fq = tt__pg_batched_flush(c);
    if (fq < 0)
        return fq;
    if (c->n_pending) {
        enum tt_qs qs = tt__pg_drain(c, NULL, NULL, NULL);
        if (qs < 0)
            return qs;
    }
    PGresult *r = PQexec(c->pq, sql);
    enum tt_qs qs = (r && tt__pg_ok_result(r)) ? TT_QS_ONE : tt__pg_classify(c, r);
    PQclear(r);
    return qs;
}

enum tt_qs tt__pg_stream(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                         pg_row_fn fn, void *cls)
{
    char fetch[96], close_sql[96];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM %s", PG_FETCH_ROWS, st->cursor);
    snprintf(close_sql, sizeof close_sql, "CLOSE %s", st->cursor);
    if (!tt__pg_usable(c))
        return TT_QS_SOFT;
    /* cursors live in a transaction: use the caller's, or one of our own (read-only work) */
    int own = !c->in_txn;
    if (own) {
        enum tt_qs qs = tt__pg_command(c, "BEGIN");
        if (qs < 0)
            return qs;
        c->in_txn = 1;
    }
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(c, st, a, &r);
    if (qs < 0)
        goto fail;
    PQclear(r);
    long seen = 0;
    for (int done = 0; !done;) {
        r = PQexecParams(c->pq, fetch, 0, NULL, NULL, NULL, NULL, 1);
        if (!r || !tt__pg_ok_result(r)) {
            qs = tt__pg_classify(c, r);
            PQclear(r);
            goto fail;
        }
        int rows = PQntuples(r);
        done = rows < PG_FETCH_ROWS;
        for (int i = 0; i < rows; i++) {
            int rc = fn(cls, r, i);
            if (rc < 0) {
                PQclear(r);
                qs = TT_QS_HARD;
                goto fail;
            }
            seen++;
            if (rc > 0) {
                done = 1;
                break;
            }
        }
        PQclear(r);
    }
    qs = tt__pg_command(c, own ? "COMMIT" : close_sql);
    if (qs < 0)
        goto fail;
    if (own)
        c->in_txn = 0;
    return count_of(seen);
fail:
    /* in the caller's transaction the cursor must not outlive the failed call */
    if (PQstatus(c->pq) == CONNECTION_OK)
        PQclear(PQexec(c->pq, own ? "ROLLBACK" : close_sql));
    if (own)
        c->in_txn = 0;
    return qs;
}

/* ---- transactions ---- */

static void pg_rollback(struct tt_store_conn *base);

static enum tt_qs pg_begin(struct tt_store_conn *base)
{
    struct pg_conn *c = pg_conn_of(base);
    if (c->in_txn)
        return TT_QS_HARD; /* transactions do not nest */
    c->audit_tail_valid = 0;
    c->n_consent_pending = 0;
    c->n_consent_assumed = 0;
    tt__pg_audit_txn_begin(c);
    c->feed_written = 0;
    enum tt_qs qs = c->speculative ? tt__pg_defer_sql(c, "BEGIN") : tt__pg_command(c, "BEGIN");
    if (qs < 0)
        return qs;
    c->in_txn = 1;
    if (c->relaxed) { /* its COMMIT returns before the WAL is flushed (the WAL writer does it) */
        static const char relax[] = "SET LOCAL synchronous_commit = off";
        qs = c->speculative ? tt__pg_defer_sql(c, relax) : tt__pg_command(c, relax);
        if (qs < 0) {
            pg_rollback(base); /* the runner does not roll back a failed BEGIN */
            return qs;
        }
    }
    return TT_QS_ONE;
}

/* store_impl.h relax: for the transactions begun from now on (pg_begin) */
static void pg_relax(struct tt_store_conn *base, int on)
{
    pg_conn_of(base)->relaxed = on;
}

static enum tt_qs pg_commit(struct tt_store_conn *base)
{
    struct pg_conn *c = pg_conn_of(base);
    if (PQstatus(c->pq) != CONNECTION_OK)
        return TT_QS_SOFT;
    enum tt_qs qs = tt__pg_batched_flush(c);
    if (qs < 0)
        return qs;
    if (c->n_pending && tt__pg_guarded_only(c)) {
        qs = tt__pg_commit_pipelined(c); /* writes, their checks and COMMIT: one round trip */
    } else {
        enum tt_qs dq = tt__pg_drain(c, NULL, NULL, NULL); /* every speculative write as assumed */
        if (dq < 0)
            return dq;
        PGresult *r = PQexec(c->pq, "COMMIT");
        if (!r || !tt__pg_ok_result(r))
            qs = tt__pg_classify(c, r);
        else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
            qs = TT_QS_HARD; /* an earlier statement failed: the server rolled it all back */
        else
            qs = TT_QS_ONE;
        PQclear(r);
    }
    if (qs != TT_QS_ONE && PQtransactionStatus(c->pq) != PQTRANS_IDLE)
        return qs; /* still open: the runner's rollback ends it */
    c->in_txn = 0;
    if (qs == TT_QS_ONE) {
        tt__pg_consent_committed(c);
        tt__pg_audit_committed(c);
    }
    tt__pg_feed_txn_end(c, qs == TT_QS_ONE);
    if (qs == TT_QS_ONE && c->audit_tail_valid) { /* pg_audit.c: the tail is committed now */
        c->audit_known = c->audit_tail;
        c->audit_known_valid = 1;
    }
    c->audit_tail_valid = 0;
    return qs;
}

static void pg_rollback(struct tt_store_conn *base)
{
    struct pg_conn *c = pg_conn_of(base);
    tt__pg_discard(c);
    if (PQstatus(c->pq) == CONNECTION_OK && PQtransactionStatus(c->pq) != PQTRANS_IDLE)
        PQclear(PQexec(c->pq, "ROLLBACK"));
    c->in_txn = 0;
    c->audit_tail_valid = 0;
    c->audit_known_valid = 0; /* it may be what failed (pg_audit.c): read it again */
    tt__pg_consent_rolled_back(c);
    tt__pg_audit_rolled_back(c);
    tt__pg_feed_txn_end(c, 0);
}

/* ---- the pool ---- */

static struct tt_store_conn *pg_acquire(struct tt_store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    pthread_mutex_lock(&s->mu);
    while (!s->free_list)
        pthread_cond_wait(&s->cv, &s->mu);
    struct pg_conn *c = s->free_list;
    s->free_list = c->next_free;
    c->next_free = NULL;
    pthread_mutex_unlock(&s->mu);
    /* a connection lost while idle is reset now; if that fails, queries say SOFT */
    tt__pg_usable(c);
    return &c->base;
}

static void pg_release(struct tt_store_conn *base)
{
    struct pg_conn *c = pg_conn_of(base);
    struct pg_store *s = (struct pg_store *)base->store;
    if (c->in_txn ||
        (PQstatus(c->pq) == CONNECTION_OK && PQtransactionStatus(c->pq) != PQTRANS_IDLE))
        pg_rollback(base); /* never hand on a connection with a transaction open */
    pthread_mutex_lock(&s->mu);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void pg_close(struct tt_store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    tt__pg_announce_stop(s);
    for (int i = 0; i < s->n_conns; i++) {
        if (s->conns[i].pq)
            PQfinish(s->conns[i].pq);
        free(s->conns[i].audit_detail);
        tt__pg_batched_free(&s->conns[i]);
    }
    free(s->conns);
    if (s->url) /* may hold a password */
        explicit_bzero(s->url, strlen(s->url));
    free(s->url);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int pg_store_migrate(struct tt_store *base, char *err, size_t err_size)
{
    struct tt_store_conn *c = pg_acquire(base);
    int rc = tt__pg_migrate(pg_conn_of(c), err, err_size);
    pg_release(c);
    return rc;
}

/* ---- opening ---- */

/* Replaces every occurrence of secret in msg by "***" so no password reaches a message. */
static void redact(char *msg, size_t size, const char *secret)
{
    size_t slen = secret ? strlen(secret) : 0;
    if (!slen)
        return;
    char out[512];
    size_t o = 0;
    for (const char *p = msg; *p && o + 4 < sizeof out;) {
        if (strncmp(p, secret, slen) == 0) {
            memcpy(out + o, "***", 3);
            o += 3;
            p += slen;
        } else {
            out[o++] = *p++;
        }
    }
    if (o >= size)
        o = size - 1;
    memcpy(msg, out, o);
    msg[o] = '\0';
}

/* One line of libpq's message, without the password in either its raw (URL) or decoded form. */
static void safe_message(char *dst, size_t size, const char *msg, const char *raw_pw,
                         const char *pw)
{
    snprintf(dst, size, "%s", msg ? msg : "unknown error");
    for (char *p = dst; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t n = strlen(dst);
    while (n && dst[n - 1] == ' ')
        dst[--n] = '\0';
    redact(dst, size, raw_pw);
    redact(dst, size, pw);
}

/* The password as written in the URL (percent-encoded or not): postgres://user:PW@host/db. */
static void raw_password(const char *url, char *dst, size_t size)
{
    dst[0] = '\0';
    const char *p = strstr(url, "://");
    if (!p)
        return;
    p += 3;
    const char *at = strchr(p, '@');
    const char *slash = strchr(p, '/');
    if (!at || (slash && slash < at))
        return;
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (!colon)
        return;
    size_t len = (size_t)(at - colon - 1);
    if (len >= size)
        len = size - 1;
    memcpy(dst, colon + 1, len);
    dst[len] = '\0';
}

static int connect_timeout_seconds(int *out)
{
    const char *v = getenv("TUTELA_DB_CONNECT_TIMEOUT");
    if (!v || !*v) {
        *out = PG_DEFAULT_CONNECT_TIMEOUT;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < 0 || n > 3600)
        return -1;
    *out = (int)n;
    return 0;
}

/* Connects, retrying with backoff (0.1 s doubling to 2 s) until the deadline. */
static PGconn *connect_retry(const char *url, double deadline, char *err, size_t err_size,
                             const char *raw_pw, const char *pw)
{
    long delay_ms = 100;
    for (;;) {
        double left = deadline - tt_mono_s();
        char timeout[16];
        snprintf(timeout, sizeof timeout, "%d", left > 2 ? (int)left : 2);
        /* later keywords win: the URL's own connect_timeout, if any, overrides ours */
        const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
        const char *vals[] = {timeout, "tutela", url, NULL};
        PGconn *pq = PQconnectdbParams(keys, vals, 1);
        if (pq && PQstatus(pq) == CONNECTION_OK) {
            PQsetNoticeProcessor(pq, quiet_notices, NULL);
            return pq;
        }
        char why[384];
        safe_message(why, sizeof why, pq ? PQerrorMessage(pq) : "out of memory", raw_pw, pw);
        PQfinish(pq);
        if (tt_mono_s() + (double)delay_ms / 1000.0 > deadline) {
            snprintf(err, err_size, "cannot connect to PostgreSQL: %s", why);
            return NULL;
        }
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
    }
}

int tt__store_postgres_open(const char *url, int pool_size, int migrate, struct tt_store **out,
                            char *err, size_t err_size)
{
    char dummy[8];
    if (!err || !err_size) {
        err = dummy;
        err_size = sizeof dummy;
    }
    int timeout_s = 0;
    if (connect_timeout_seconds(&timeout_s) < 0) {
        snprintf(err, err_size, "TUTELA_DB_CONNECT_TIMEOUT must be whole seconds (0..3600)");
        return -TT_E_BAD_PARAM;
    }
    char raw_pw[128], pw[128] = "";
    raw_password(url, raw_pw, sizeof raw_pw);
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts) {
        char why[384];
        safe_message(why, sizeof why, perr, raw_pw, NULL);
        PQfreemem(perr);
        snprintf(err, err_size, "invalid PostgreSQL URL: %s", why);
        explicit_bzero(raw_pw, sizeof raw_pw);
        return -TT_E_BAD_PARAM;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val)
            snprintf(pw, sizeof pw, "%s", o->val);
    PQconninfoFree(opts);

    int rc = -TT_E_NOMEM;
    struct pg_store *s = calloc(1, sizeof *s);
    if (!s || !(s->conns = calloc((size_t)pool_size, sizeof *s->conns))) {
        free(s);
        snprintf(err, err_size, "out of memory");
        goto out;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->base.ops = &tt__pg_ops;
    s->base.backend = "postgres";
    s->base.close = pg_close;
    s->base.acquire = pg_acquire;
    s->base.release = pg_release;
    s->base.migrate = pg_store_migrate;
    s->base.speculate = tt__pg_speculate;
    s->base.relax = pg_relax;
    s->n_conns = pool_size;
    if (!(s->url = strdup(url))) {
        snprintf(err, err_size, "out of memory");
        pg_close(&s->base);
        rc = -TT_E_NOMEM;
        goto out;
    }

    double deadline = tt_mono_s() + timeout_s;
    for (int i = 0; i < pool_size; i++) {
        struct pg_conn *c = &s->conns[i];
        c->base.store = &s->base;
        c->pq = connect_retry(url, deadline, err, err_size, raw_pw, pw);
        if (!c->pq) {
            pg_close(&s->base);
            rc = -TT_E_UNAVAILABLE;
            goto out;
        }
        c->next_free = s->free_list;
        s->free_list = c;
    }
    if (migrate && tt__pg_migrate(s->free_list, err, err_size) < 0) {
        pg_close(&s->base);
        rc = -TT_E_STORE;
        goto out;
    }
    *out = &s->base;
    rc = 0;
out:
    explicit_bzero(raw_pw, sizeof raw_pw);
    explicit_bzero(pw, sizeof pw);
    return rc;
}

const struct tt_store_ops tt__pg_ops = {
    .name = "postgres",
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .schema_version = tt__pg_schema_version,
    .tenant_put = tt__pg_tenant_put,
    .tenant_get = tt__pg_tenant_get,
    .tenant_list = tt__pg_tenant_list,
    .api_key_put = tt__pg_api_key_put,
    .api_key_get = tt__pg_api_key_get,
    .api_key_revoke = tt__pg_api_key_revoke,
    .subject_put = tt__pg_subject_put,
    .subject_update = tt__pg_subject_update,
    .subject_get = tt__pg_subject_get,
    .subject_list = tt__pg_subject_list,
    .subject_scan = tt__pg_subject_scan,
    .subject_count = tt__pg_subject_count,
    .identity_put = tt__pg_identity_put,
    .identity_find = tt__pg_identity_find,
    .identity_list = tt__pg_identity_list,
    .identity_scan = tt__pg_identity_scan,
    .record_put = tt__pg_record_put,
    .record_list = tt__pg_record_list,
    .record_count = tt__pg_record_count,
    .purpose_state_put = tt__pg_purpose_state_put,
    .purpose_state_list = tt__pg_purpose_state_list,
    .purpose_state_list_many = tt__pg_purpose_state_list_many,
    .purpose_state_scan = tt__pg_purpose_state_scan,
    .subject_key_put = tt__pg_subject_key_put,
    .subject_key_get = tt__pg_subject_key_get,
    .subject_key_scan = tt__pg_subject_key_scan,
    .audit_last = tt__pg_audit_last,
    .audit_append = tt__pg_audit_append,
    .audit_scan = tt__pg_audit_scan,
    .setting_get = tt__pg_setting_get,
    .setting_put = tt__pg_setting_put,
    .jobs = &tt__pg_jobs_ops,
    .retention = &tt__pg_retention_ops,
    .recipients = &tt__pg_recipients_ops,
    .subscriptions = &tt__pg_subscriptions_ops,
    .accounts = &tt__pg_accounts_ops,
    .consent = &tt__pg_consent_ops,
    .requests = &tt__pg_requests_ops,
};
