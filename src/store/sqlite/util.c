/* SPDX-License-Identifier: Apache-2.0 */
/* util.c — the SQLite backend's plumbing shared by every query family: result-code to status
 * mapping, the per-connection prepared-statement cache, and bind/column helpers. */
#include "sq.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

enum tt_qs tt__sq_fail(struct sq_conn *c, int rc)
{
    /* SQLite's messages name tables, columns and constraints, never bound values (S6.3) */
    snprintf(c->last_err, sizeof c->last_err, "%s (%d)", sqlite3_errstr(rc), rc);
    if (c->db) {
        const char *m = sqlite3_errmsg(c->db);
        if (m && sqlite3_extended_errcode(c->db) == rc)
            snprintf(c->last_err, sizeof c->last_err, "%s (%d)", m, rc);
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL: /* WAL: another process is recovering; retrying clears it */
        return TT_QS_SOFT;
    case SQLITE_CONSTRAINT:
        return TT_QS_NONE;
    default:
        return TT_QS_HARD;
    }
}

sqlite3_stmt *tt__sq_stmt(struct sq_conn *c, int id, const char *sql, enum tt_qs *qs)
{
    if (c->stmts[id])
        return c->stmts[id];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        enum tt_qs q = tt__sq_fail(c, rc);
        /* a statement that cannot be prepared is never a "no row" */
        *qs = q == TT_QS_NONE ? TT_QS_HARD : q;
        return NULL;
    }
    c->stmts[id] = st;
    return st;
}

void tt__sq_reset(sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

enum tt_qs tt__sq_write(struct sq_conn *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        int changed = sqlite3_changes(c->db);
        tt__sq_reset(st);
        return changed > 0 ? TT_QS_ONE : TT_QS_NONE;
    }
    enum tt_qs qs = tt__sq_fail(c, rc);
    tt__sq_reset(st);
    return qs;
}

int tt__sq_exec(struct sq_conn *c, int id, const char *sql)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(c, id, sql, &qs);
    if (!st)
        return sqlite3_extended_errcode(c->db) ? sqlite3_extended_errcode(c->db) : SQLITE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        rc = SQLITE_OK;
    else
        tt__sq_fail(c, rc);
    tt__sq_reset(st);
    return rc;
}

int tt__sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (!s)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int tt__sq_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

int tt__sq_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
    if (!p || len == 0)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_blob64(st, i, p, (sqlite3_uint64)len, SQLITE_STATIC);
}

void tt__sq_col_text(sqlite3_stmt *st, int i, char *buf, size_t size)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    size_t n = p ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (size == 0)
        return;
    if (n > size - 1)
        n = size - 1;
    if (n)
        memcpy(buf, p, n);
    buf[n] = '\0';
}

int tt__sq_col_fixed(sqlite3_stmt *st, int i, uint8_t *buf, size_t len)
{
    const void *p = sqlite3_column_blob(st, i);
    if ((size_t)sqlite3_column_bytes(st, i) != len || (!p && len))
        return -1;
    if (len)
        memcpy(buf, p, len);
    return 0;
}

int tt__sq_page_limit(int limit)
{
    if (limit < 1)
        return 1;
    return limit > 1000 ? 1000 : limit;
}

enum tt_qs tt__sq_each(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, void *ctx)
{
    int n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < INT_MAX)
            n++;
        int r = row(st, ctx);
        if (r < 0) {
            snprintf(c->last_err, sizeof c->last_err, "malformed row");
            tt__sq_reset(st);
            return TT_QS_HARD;
        }
        if (r > 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        enum tt_qs qs = tt__sq_fail(c, rc);
        tt__sq_reset(st);
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    tt__sq_reset(st);
    return (enum tt_qs)n;
}

enum tt_qs tt__sq_one(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, void *ctx)
{
    int rc = sqlite3_step(st);
    enum tt_qs qs;
    if (rc == SQLITE_ROW) {
        if (row(st, ctx) < 0) {
            snprintf(c->last_err, sizeof c->last_err, "malformed row");
            qs = TT_QS_HARD;
        } else {
            qs = TT_QS_ONE;
        }
    } else if (rc == SQLITE_DONE) {
        qs = TT_QS_NONE;
    } else {
        qs = tt__sq_fail(c, rc);
        if (qs == TT_QS_NONE)
            qs = TT_QS_HARD;
    }
    tt__sq_reset(st);
    return qs;
}

enum tt_qs tt__sq_bind_failed(struct sq_conn *c, sqlite3_stmt *st)
{
    snprintf(c->last_err, sizeof c->last_err, "cannot bind a parameter");
    tt__sq_reset(st);
    return TT_QS_HARD;
}

int tt__sq_int_row(sqlite3_stmt *st, void *ctx)
{
    *(int64_t *)ctx = sqlite3_column_int64(st, 0);
    return 0;
}
