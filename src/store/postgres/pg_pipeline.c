/* SPDX-License-Identifier: Apache-2.0 */
/* pg_pipeline.c — speculative pipelining of a transaction's writes (libpq pipeline mode,
 * PostgreSQL 14+), used by group commit (store.h, tt_store_txn_grouped). While a connection is
 * speculative, BEGIN and every write whose caller expects one row (tt__pg_exec_one, audit
 * appends) are sent without waiting and answered "done" at once; the first statement whose
 * result the caller needs, or the COMMIT, sends a sync and reads every pending result in one
 * round trip. If any of them did not do what was assumed (no row, or an error), the call that
 * drained them fails, the transaction is rolled back, and the group runs its functions again
 * without speculation — so a caller never acts on an assumption that was false. Writes sent in
 * their guarded form (tt__pg_defer_guarded) raise an error instead of answering "no row", so
 * when only such writes are pending the COMMIT goes out behind them in the same round trip
 * (tt__pg_commit_pipelined): a false assumption aborts the transaction, COMMIT included. */
#include "pg_internal.h"
#include "pg_batched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tt__pg_check_one(const PGresult *r)
{
    const char *n = PQcmdTuples((PGresult *)r);
    return n[0] && strcmp(n, "0") != 0 ? 0 : -1;
}

static enum tt_qs enter(struct pg_conn *c)
{
    if (!tt__pg_usable(c))
        return TT_QS_SOFT;
    enum tt_qs fq = tt__pg_batched_flush(c); /* rows kept for multi-row writes go first */
    if (fq < 0)
        return fq;
    if (PQpipelineStatus(c->pq) == PQ_PIPELINE_OFF && PQenterPipelineMode(c->pq) != 1)
        return TT_QS_HARD;
    return TT_QS_ONE;
}

static void push(struct pg_conn *c, pg_check_fn check, int prep_id, enum tt_qs on_guard)
{
    c->pending[c->n_pending].check = check;
    c->pending[c->n_pending].prep_id = prep_id;
    c->pending[c->n_pending].on_guard = on_guard;
    c->n_pending++;
}

/* Queues one execution of the statement in prepared-flag slot `slot` (prepared first on this
 * connection if needed) without reading its result. */
static enum tt_qs send_named(struct pg_conn *c, const struct pg_stmt *st, int slot,
                             const char *name, const char *sql, const struct pg_args *a,
                             pg_check_fn check, enum tt_qs on_guard)
{
    int nparams = a ? a->n : 0;
    if ((size_t)nparams != strlen(st->types))
        return TT_QS_HARD;
    if (!c->prepared[slot]) {
        Oid types[PG_MAX_PARAMS];
        if (tt__pg_param_types(st, types) < 0 || !PQsendPrepare(c->pq, name, sql, nparams, types))
            return tt__pg_classify(c, NULL);
        c->prepared[slot] = 1; /* undone by the drain if the server refused it */
        push(c, NULL, slot, TT_QS_ONE);
    }
    if (!PQsendQueryPrepared(c->pq, name, nparams, a ? a->values : NULL, a ? a->lengths : NULL,
                             a ? a->formats : NULL, 1))
        return tt__pg_classify(c, NULL);
    push(c, check, -1, on_guard);
    return TT_QS_ONE;
}

static enum tt_qs send_stmt(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                            pg_check_fn check)
{
    return send_named(c, st, st->id, st->name, st->sql, a, check, TT_QS_ONE);
}

/* Room for what a statement may queue (its prepare and itself), plus a COMMIT and the sync. */
static enum tt_qs make_room(struct pg_conn *c)
{
    if (c->n_pending < PG_PIPE_MAX - 3)
        return TT_QS_ONE;
    enum tt_qs qs = tt__pg_drain(c, NULL, NULL, NULL);
    return qs < 0 ? qs : TT_QS_ONE;
}

enum tt_qs tt__pg_defer(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                        pg_check_fn check)
{
    enum tt_qs qs = make_room(c);
    if (qs >= 0)
        qs = enter(c);
    return qs < 0 ? qs : send_stmt(c, st, a, check);
}

int tt__pg_guardable(const struct pg_stmt *st)
{
    return (strncmp(st->sql, "INSERT ", 7) == 0 || strncmp(st->sql, "UPDATE ", 7) == 0 ||
            strncmp(st->sql, "DELETE ", 7) == 0) &&
           !strstr(st->sql, "RETURNING");
}

enum tt_qs tt__pg_defer_guarded(struct pg_conn *c, const struct pg_stmt *st, const char *guard_sql,
                                const struct pg_args *a, enum tt_qs on_guard)
{
    enum tt_qs qs = make_room(c);
    if (qs >= 0)
        qs = enter(c);
    if (qs < 0)
        return qs;
    char name[96];
    if (snprintf(name, sizeof name, "%s_g", st->name) >= (int)sizeof name)
        return TT_QS_HARD;
    int slot = PG_STMT_MAX + st->id;
    if (guard_sql || c->prepared[slot])
        return send_named(c, st, slot, name, guard_sql, a, NULL, on_guard);
    /* the statement's own rows counted: none (the false assumption) divides by zero */
    static const char head[] = "WITH g AS (", tail[] = " RETURNING 1) SELECT 1 / count(*) FROM g";
    size_t n = sizeof head + strlen(st->sql) + sizeof tail;
    char *sql = malloc(n);
    if (!sql)
        return TT_QS_HARD;
    snprintf(sql, n, "%s%s%s", head, st->sql, tail);
    qs = send_named(c, st, slot, name, sql, a, NULL, on_guard); /* libpq has copied it */
    free(sql);
    return qs;
}

enum tt_qs tt__pg_defer_sql(struct pg_conn *c, const char *sql)
{
    enum tt_qs qs = enter(c);
    if (qs < 0)
        return qs;
    if (!PQsendQueryParams(c->pq, sql, 0, NULL, NULL, NULL, NULL, 1))
        return tt__pg_classify(c, NULL);
    push(c, NULL, -1, TT_QS_ONE);
    return TT_QS_ONE;
}

/* Reads one statement's result (and the NULL that ends it); the first failure sets *qs. */
static PGresult *take(struct pg_conn *c, const struct pg_pending *p, enum tt_qs *qs)
{
    PGresult *r = PQgetResult(c->pq);
    if (!r) {
        if (*qs >= 0)
            *qs = tt__pg_classify(c, NULL);
        return NULL;
    }
    if (PQresultStatus(r) != PGRES_PIPELINE_SYNC)
        PQclear(PQgetResult(c->pq)); /* the NULL after each statement's result */
    int ok = tt__pg_ok_result(r);
    if (!ok && p->prep_id >= 0)
        c->prepared[p->prep_id] = 0;
    if (*qs >= 0) {
        const char *state = ok ? NULL : PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (!ok && p->on_guard < 0 && state && strcmp(state, PG_GUARD_STATE) == 0)
            *qs = p->on_guard; /* a guarded statement's assumption was false */
        else if (!ok) /* PGRES_PIPELINE_ABORTED follows an earlier error, already counted */
            *qs = tt__pg_classify(c, r);
        else if (p->check) {
            int k = p->check(r); /* an assumption was false: > 0 run the batch again as it is,
                                  * < 0 run its functions again without speculation */
            if (k != 0)
                *qs = k > 0 ? TT_QS_SOFT : TT_QS_HARD;
        }
    }
    return r;
}

enum tt_qs tt__pg_drain(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                        PGresult **out)
{
    enum tt_qs qs = TT_QS_ONE;
    if (PQpipelineStatus(c->pq) == PQ_PIPELINE_OFF) {
        c->n_pending = 0;
        return qs;
    }
    int n = c->n_pending, with = 0;
    if (st) { /* the statement whose result is wanted rides on the same round trip */
        int before = c->n_pending;
        qs = send_stmt(c, st, a, NULL);
        with = c->n_pending - before;
        n = c->n_pending;
    }
    if (qs >= 0 && !PQpipelineSync(c->pq))
        qs = tt__pg_classify(c, NULL);
    PGresult *last = NULL;
    for (int i = 0; i < n && PQstatus(c->pq) == CONNECTION_OK; i++) {
        PGresult *r = take(c, &c->pending[i], &qs);
        if (!r)
            break;
        if (with && i == n - 1)
            last = r;
        else
            PQclear(r);
    }
    c->n_pending = 0;
    if (PQstatus(c->pq) == CONNECTION_OK) {
        PGresult *r;
        while ((r = PQgetResult(c->pq)) != NULL) { /* up to and including the sync */
            ExecStatusType s = PQresultStatus(r);
            PQclear(r);
            if (s == PGRES_PIPELINE_SYNC)
                break;
        }
        if (PQexitPipelineMode(c->pq) != 1 && qs >= 0)
            qs = TT_QS_HARD;
    }
    if (qs < 0 || !out) {
        PQclear(last);
        return qs < 0 ? qs : TT_QS_ONE;
    }
    *out = last;
    return TT_QS_ONE;
}

static int committed(const PGresult *r)
{
    /* "ROLLBACK": the server had already given the transaction up */
    return strcmp(PQcmdStatus((PGresult *)r), "COMMIT") == 0 ? 0 : -1;
}

int tt__pg_guarded_only(const struct pg_conn *c)
{
    for (int i = 0; i < c->n_pending; i++)
        if (c->pending[i].check)
            return 0;
    return 1;
}

enum tt_qs tt__pg_commit_pipelined(struct pg_conn *c)
{
    enum tt_qs qs = enter(c);
    if (qs < 0)
        return qs;
    if (!PQsendQueryParams(c->pq, "COMMIT", 0, NULL, NULL, NULL, NULL, 1))
        return tt__pg_classify(c, NULL);
    push(c, committed, -1, TT_QS_ONE);
    return tt__pg_drain(c, NULL, NULL, NULL);
}

void tt__pg_discard(struct pg_conn *c)
{
    tt__pg_batched_drop(c);
    if (c->n_pending == 0 && PQpipelineStatus(c->pq) == PQ_PIPELINE_OFF)
        return;
    tt__pg_drain(c, NULL, NULL, NULL);
    c->n_pending = 0;
}

void tt__pg_speculate(struct tt_store_conn *base, int on)
{
    struct pg_conn *c = pg_conn_of(base);
    if (!on)
        tt__pg_discard(c);
    c->speculative = on;
}
