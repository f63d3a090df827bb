/* SPDX-License-Identifier: Apache-2.0 */
/* store.h — the one store interface, implemented by sqlite/ and postgres/.
 * A store is a pool of connections. A caller acquires a connection, runs queries (inside
 * tt_store_txn for anything that writes more than one row), and releases it. The store knows
 * core's data types but none of its logic.
 *
 * Query status (Taler style): every query returns an enum tt_qs:
 *   TT_QS_HARD  (-2) fatal error: give up, report 500
 *   TT_QS_SOFT  (-1) transient (busy, serialization failure, lost connection): retry the txn
 *   TT_QS_NONE  ( 0) success, no row (not found / nothing changed / uniqueness conflict on put)
 *   TT_QS_ONE   ( 1) success, one row (or more: lists return the count, >= 0)
 * Out-parameters are written only when the status is >= 1 (for gets). Text fields of rows
 * returned through callbacks are valid only during the callback.
 *
 * Thread safety: tt_store_* functions taking a struct tt_store are thread safe; a connection is
 * used by one thread at a time. */
#ifndef TT_STORE_STORE_H
#define TT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/types.h"

enum tt_qs { TT_QS_HARD = -2, TT_QS_SOFT = -1, TT_QS_NONE = 0, TT_QS_ONE = 1 };

struct tt_store;
struct tt_store_conn;
struct tt_requests_store_ops;
struct tt_subscriptions_store_ops;

/* Page through a list: pass after_id "" for the first page. */
struct tt_page {
    char after_id[TT_ID_MAX];
    int limit; /* 1..1000 */
};

typedef int (*tt_subject_cb)(void *cls, const struct tt_subject *s);
typedef int (*tt_identity_cb)(void *cls, const struct tt_identity *i);
typedef int (*tt_record_cb)(void *cls, const struct tt_record *r);
typedef int (*tt_audit_cb)(void *cls, const struct tt_audit_event *e);
typedef int (*tt_tenant_cb)(void *cls, const struct tt_tenant *t);
typedef int (*tt_purpose_state_cb)(void *cls, const struct tt_purpose_state *ps);
typedef int (*tt_key_cb)(void *cls, const struct tt_subject_key *k);
/* Callbacks return 0 to go on, non-zero to stop early (the query then returns what it saw). */

/* The operations every backend provides, split by area. cls is the backend connection. */
struct tt_store_ops {
    const char *name; /* "sqlite", "postgres" */

    /* transactions */
    enum tt_qs (*begin)(struct tt_store_conn *c);
    enum tt_qs (*commit)(struct tt_store_conn *c);
    void (*rollback)(struct tt_store_conn *c);

    /* schema */
    int (*schema_version)(struct tt_store_conn *c); /* applied migrations, or < 0 */

    /* tenants and API keys */
    enum tt_qs (*tenant_put)(struct tt_store_conn *c, const struct tt_tenant *t);
    enum tt_qs (*tenant_get)(struct tt_store_conn *c, const char *id, struct tt_tenant *out);
    enum tt_qs (*tenant_list)(struct tt_store_conn *c, tt_tenant_cb cb, void *cls);
    enum tt_qs (*api_key_put)(struct tt_store_conn *c, const struct tt_api_key *k);
    enum tt_qs (*api_key_get)(struct tt_store_conn *c, const char *id, struct tt_api_key *out);
    enum tt_qs (*api_key_revoke)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at);

    /* subjects */
    enum tt_qs (*subject_put)(struct tt_store_conn *c, const struct tt_subject *s);
    enum tt_qs (*subject_update)(struct tt_store_conn *c, const struct tt_subject *s);
    enum tt_qs (*subject_get)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_subject *out);
    enum tt_qs (*subject_list)(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_subject_cb cb, void *cls);
    /* every subject of every tenant, in (tenant_id, id) order: the index rebuild */
    enum tt_qs (*subject_scan)(struct tt_store_conn *c, tt_subject_cb cb, void *cls);
    enum tt_qs (*subject_count)(struct tt_store_conn *c, const char *tenant_id, int64_t *out);

    /* identities (blind index) */
    enum tt_qs (*identity_put)(struct tt_store_conn *c, const struct tt_identity *i);
    enum tt_qs (*identity_find)(struct tt_store_conn *c, const char *tenant_id,
                                enum tt_identity_type type, const char *blind_hex,
                                struct tt_identity *out); /* value_enc not filled */
    enum tt_qs (*identity_list)(struct tt_store_conn *c, const char *tenant_id,
                                const char *subject_id, tt_identity_cb cb, void *cls);
    enum tt_qs (*identity_scan)(struct tt_store_conn *c, tt_identity_cb cb, void *cls);

    /* records */
    enum tt_qs (*record_put)(struct tt_store_conn *c, const struct tt_record *r);
    enum tt_qs (*record_list)(struct tt_store_conn *c, const char *tenant_id,
                              const char *subject_id, const struct tt_page *page, tt_record_cb cb,
                              void *cls);
    enum tt_qs (*record_count)(struct tt_store_conn *c, const char *tenant_id, int64_t *out);

    /* consent / objection state per subject and purpose (upsert by the three keys) */
    enum tt_qs (*purpose_state_put)(struct tt_store_conn *c, const struct tt_purpose_state *ps);
    enum tt_qs (*purpose_state_list)(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id, tt_purpose_state_cb cb, void *cls);
    /* The states of n subjects of one tenant in one read (the change feed's follower, issue 9):
     * each subject's rows together, in purpose order; an id without states gives none. ONE when
     * a row was given, NONE when none (n 0 included). */
    enum tt_qs (*purpose_state_list_many)(struct tt_store_conn *c, const char *tenant_id,
                                          const char *const *subject_ids, size_t n,
                                          tt_purpose_state_cb cb, void *cls);
    enum tt_qs (*purpose_state_scan)(struct tt_store_conn *c, tt_purpose_state_cb cb, void *cls);

    /* per-subject data keys (crypto-shredding) */
    enum tt_qs (*subject_key_put)(struct tt_store_conn *c, const struct tt_subject_key *k);
    enum tt_qs (*subject_key_get)(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, enum tt_key_class cls,
                                  struct tt_subject_key *out);
    enum tt_qs (*subject_key_scan)(struct tt_store_conn *c, const char *after_tenant,
                                   const char *after_subject, int limit, tt_key_cb cb, void *cls);

    /* audit ledger: one hash chain per tenant (append-only; chained by core/ledger).
     * audit_append must run inside a transaction that first calls audit_last for the same
     * tenant, which locks the chain's tail (SQLite: the write lock; PostgreSQL: a row lock on
     * audit_heads) so concurrent writers, even on several nodes, keep the chain linear. */
    enum tt_qs (*audit_last)(struct tt_store_conn *c, const char *tenant_id,
                             struct tt_audit_event *out); /* NONE when the chain is empty */
    enum tt_qs (*audit_append)(struct tt_store_conn *c, const struct tt_audit_event *e);
    /* tenant_id NULL = every tenant, in (tenant_id, seq) order; from/to bound "at" (0 = open) */
    enum tt_qs (*audit_scan)(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                             tt_time to, tt_audit_cb cb, void *cls);

    /* key-value settings (master key id, first-start marker, …) */
    enum tt_qs (*setting_get)(struct tt_store_conn *c, const char *key, char *out, size_t out_size);
    enum tt_qs (*setting_put)(struct tt_store_conn *c, const char *key, const char *value);

    /* capability areas (store/areas.h), each in its own header */
    const struct tt_requests_store_ops *requests;     /* requests_store.h */
    const struct tt_retention_store_ops *retention;   /* retention_store.h (issue 6) */
    const struct tt_recipients_store_ops *recipients; /* recipients_store.h (issue 7) */
    const struct tt_jobs_store_ops *jobs; /* jobs_store.h: leases, outbox, change feed (issue 9) */
    const struct tt_accounts_store_ops *accounts; /* accounts_store.h (issue 8) */
    const struct tt_consent_store_ops *consent;   /* consent_store.h: ledger, opens (issue 4) */
    const struct tt_subscriptions_store_ops *subscriptions; /* subscriptions_store.h (issue 7) */
};

/* Opens a store from a URL: "sqlite:PATH" (or a bare path) or "postgres://…"/"postgresql://…".
 * pool_size connections (>= 1). Applies migrations unless migrate is 0.
 * On failure returns a negative code and writes a reason (no secrets) into err. */
int tt_store_open(const char *url, int pool_size, int migrate, struct tt_store **out, char *err,
                  size_t err_size);
void tt_store_close(struct tt_store *s); /* NULL is a no-op; all connections released first */

/* Runs migrations; returns the schema version reached or a negative code. */
int tt_store_migrate(struct tt_store *s, char *err, size_t err_size);

/* Blocks until a connection is free. Never NULL for an open store. */
struct tt_store_conn *tt_store_acquire(struct tt_store *s);
void tt_store_release(struct tt_store_conn *c); /* NULL is a no-op */

const struct tt_store_ops *tt_store_ops_of(struct tt_store_conn *c);
const char *tt_store_backend(const struct tt_store *s);
/* The database's file when the store is a plain file of this machine (SQLite on a path), so
 * files kept beside it share its fate (api/audit_journal.h); NULL otherwise (in memory, a URI,
 * PostgreSQL). */
const char *tt_store_local_path(const struct tt_store *s);

/* Transaction runner: begin, fn(conn, cls), commit. fn returns a tt_qs: on TT_QS_SOFT (from fn
 * or commit) the transaction is rolled back and retried (up to 5 times, with backoff); on
 * TT_QS_HARD it is rolled back and TT_QS_HARD returned. Returns fn's final status. A failed run
 * leaves the store as it was. */
typedef enum tt_qs (*tt_txn_fn)(struct tt_store_conn *c, void *cls);
enum tt_qs tt_store_txn(struct tt_store_conn *c, tt_txn_fn fn, void *cls);
/* The same, with the transaction's writes pipelined where the backend can (PostgreSQL: sent
 * without waiting, assumed to succeed, checked before or with the COMMIT), so a transaction of
 * many writes costs a few round trips. A false assumption rolls back; fn is then run once more
 * without pipelining, which gives its true status — so fn must be safe to run again (as for
 * retries). Same result as tt_store_txn. */
enum tt_qs tt_store_txn_pipelined(struct tt_store_conn *c, tt_txn_fn fn, void *cls);

/* Group commit: runs fn like tt_store_txn, on a connection of the store and on the store's
 * committer thread (started on first use), in a transaction it may share with other callers'
 * functions queued at the same time — one COMMIT (one fsync) for the lot — and returns fn's
 * status only once that transaction committed (or failed). So fn must use only the connection
 * it is given, may be run again (retries), and sees what the batch's earlier functions wrote.
 * When one function fails hard the batch is run again with each function in a transaction of
 * its own, so it alone fails and leaves the store as it was. Thread safe. */
enum tt_qs tt_store_txn_grouped(struct tt_store *s, tt_txn_fn fn, void *cls);
/* The same without waiting: done(done_cls, fn's final status) is called once, on the committer
 * thread, after the COMMIT returned (or the failure); it must not wait for the store's group
 * itself. Returns 0 when queued, or -1 (done is never called) when no committer can run: the
 * caller then uses tt_store_txn_grouped. tt_store_close commits what is queued first. */
typedef void (*tt_txn_done_fn)(void *done_cls, enum tt_qs qs);
int tt_store_txn_grouped_async(struct tt_store *s, tt_txn_fn fn, void *cls, tt_txn_done_fn done,
                               void *done_cls);
/* The same, for a write whose caller accepts OS-level durability before done is called (issue 3:
 * the audit event of a denied decision): a shared transaction whose functions all came this way
 * commits without waiting for the disk — it is written to the OS (SQLite WAL mode: its frames;
 * PostgreSQL: synchronous_commit off), so a killed process loses none of it, and is put on disk
 * within the flush bound (tt_store_group_set_flush_ms; PostgreSQL: 3 x wal_writer_delay);
 * one ordinary function in the transaction makes its COMMIT wait for the disk as usual. */
int tt_store_txn_grouped_async_os(struct tt_store *s, tt_txn_fn fn, void *cls, tt_txn_done_fn done,
                                  void *done_cls);
/* The bound within which a relaxed COMMIT reaches the disk (default 10 ms; 0: at once after it,
 * still off the committer's path). */
void tt_store_group_set_flush_ms(struct tt_store *s, unsigned ms);
/* Returns once every function queued before the call has committed (or failed) and its caller
 * was told (asynchronous callbacks included). */
void tt_store_group_drain(struct tt_store *s);
/* The shared transactions the group commit has run so far, and the functions they carried. */
void tt_store_group_counts(struct tt_store *s, unsigned long *batches, unsigned long *items);
/* Of those, the COMMITs made relaxed and those that waited for the disk, and the flushes that
 * put relaxed ones on disk since. */
void tt_store_group_sync_counts(struct tt_store *s, unsigned long *relaxed, unsigned long *strict,
                                unsigned long *flushes);

/* Backend constructors (used by tt_store_open). */
int tt__store_sqlite_open(const char *path, int pool_size, int migrate, struct tt_store **out,
                          char *err, size_t err_size);
int tt__store_postgres_open(const char *url, int pool_size, int migrate, struct tt_store **out,
                            char *err, size_t err_size);

#endif
