/* SPDX-License-Identifier: Apache-2.0 */
/* txn.c — transactions of the SQLite backend. BEGIN IMMEDIATE takes the write lock up front,
 * so writers serialise at the start (waiting up to the busy timeout) and never deadlock on a
 * read-to-write upgrade; a writer that still finds the lock taken gets TT_QS_SOFT and
 * tt_store_txn retries it. Relaxed commits (store_impl.h relax/flush): NORMAL synchronous for
 * a group commit's relaxed transactions, and the sync of the WAL file that puts them on disk. */
#include "sq.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

enum tt_qs tt__sq_begin(struct tt_store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    q->audit_tail_valid = 0; /* read again under this transaction's lock (audit.c) */
    int rc = tt__sq_exec(q, SQ_BEGIN, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        return TT_QS_ONE;
    enum tt_qs qs = tt__sq_fail(q, rc);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

enum tt_qs tt__sq_commit(struct tt_store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    q->audit_tail_valid = 0;
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
    q->audit_tail_valid = 0;
    /* some errors (I/O, full disk) already rolled the transaction back */
    if (sqlite3_get_autocommit(q->db))
        return;
    (void)tt__sq_exec(q, SQ_ROLLBACK, "ROLLBACK");
}

void tt__sq_relax(struct tt_store_conn *c, int on)
{
    struct sq_conn *q = sq_of(c);
    /* WAL mode, NORMAL: a COMMIT writes its frames to the WAL file (write(2)) but does not sync
     * it; FULL (the connection's setting, pool.c) syncs it before COMMIT returns */
    /* sqlite3_exec: the pragma takes effect when prepared, so it is not a cached statement */
    (void)sqlite3_exec(q->db, on ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL",
                       NULL, NULL, NULL);
}

int tt__sq_flush(struct tt_store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    const char *db = sqlite3_db_filename(q->db, "main");
    const char *wal = db && *db ? sqlite3_filename_wal(db) : NULL;
    if (!wal || !*wal)
        return 0; /* in memory: nothing to put on disk */
    /* fdatasync through any descriptor of the file flushes the file (Linux) */
    int fd = open(wal, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1; /* no WAL file: everything is checkpointed */
    int rc = fdatasync(fd);
    close(fd);
    return rc == 0 ? 0 : -1;
}
