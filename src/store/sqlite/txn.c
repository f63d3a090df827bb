/* SPDX-License-Identifier: Apache-2.0 */
/* txn.c — transactions of the SQLite backend. BEGIN IMMEDIATE takes the write lock up front,
 * so writers serialise at the start (waiting up to the busy timeout) and never deadlock on a
 * read-to-write upgrade; a writer that still finds the lock taken gets TT_QS_SOFT and
 * tt_store_txn retries it. */
#include "sq.h"

enum tt_qs tt__sq_begin(struct tt_store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    int rc = tt__sq_exec(q, SQ_BEGIN, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        return TT_QS_ONE;
    enum tt_qs qs = tt__sq_fail(q, rc);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

enum tt_qs tt__sq_commit(struct tt_store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    int rc = tt__sq_exec(q, SQ_COMMIT, "COMMIT");
    if (rc == SQLITE_OK)
        return TT_QS_ONE;
    /* a deferred constraint refused at commit is a failed change, not "no row" */
    enum tt_qs qs = tt__sq_fail(q, rc);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

void tt__sq_rollback(struct tt_store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    /* some errors (I/O, full disk) already rolled the transaction back */
    if (sqlite3_get_autocommit(q->db))
        return;
    (void)tt__sq_exec(q, SQ_ROLLBACK, "ROLLBACK");
}
