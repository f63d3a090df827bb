/* SPDX-License-Identifier: Apache-2.0 */
/* sq.h — private to src/store/sqlite/: the backend's store and connection structs, the
 * per-connection prepared-statement cache, status mapping and bind/column helpers, and the
 * query families (one .c file each) that pool.c wires into struct tt_store_ops. */
#ifndef TT_STORE_SQLITE_SQ_H
#define TT_STORE_SQLITE_SQ_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "../areas.h"
#include "../store_impl.h"

/* One slot per SQL statement: each is prepared once per connection, then reset after use. */
enum sq_stmt {
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_SP_BEGIN,
    SQ_SP_RELEASE,
    SQ_SP_ROLLBACK,
    SQ_TENANT_PUT,
    SQ_TENANT_GET,
    SQ_TENANT_LIST,
    SQ_API_KEY_PUT,
    SQ_API_KEY_GET,
    SQ_API_KEY_REVOKE,
    SQ_SUBJECT_PUT,
    SQ_SUBJECT_UPDATE,
    SQ_SUBJECT_GET,
    SQ_SUBJECT_LIST,
    SQ_SUBJECT_SCAN,
    SQ_SUBJECT_COUNT,
    SQ_IDENTITY_PUT,
    SQ_IDENTITY_FIND,
    SQ_IDENTITY_LIST,
    SQ_IDENTITY_SCAN,
    SQ_RECORD_PUT,
    SQ_RECORD_LIST,
    SQ_RECORD_COUNT,
    SQ_PURPOSE_PUT,
    SQ_PURPOSE_LIST,
    SQ_PURPOSE_SCAN,
    SQ_KEY_PUT,
    SQ_KEY_GET,
    SQ_KEY_SCAN,
    SQ_AUDIT_LAST,
    SQ_AUDIT_APPEND,
    SQ_AUDIT_HEAD_PUT,
    SQ_AUDIT_SCAN_TENANT,
    SQ_AUDIT_SCAN_ALL,
    SQ_SETTING_GET,
    SQ_SETTING_PUT,
    SQ_STMT__COUNT
};

/* Slots of every area (store/areas.h): core uses the enum above, other areas their own range. */
#define SQ_STMT_MAX TT_STORE_SLOTS_MAX
_Static_assert(SQ_STMT__COUNT <= TT_STORE_SLOTS_PER_AREA, "core statements overflow their range");

struct sq_conn {
    struct tt_store_conn base; /* first: tt_store_conn * casts to sq_conn * */
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ_STMT_MAX]; /* prepared lazily, finalized at close */
    struct sq_conn *next_free;        /* pool free list link */
    int in_use;                       /* owned by a caller (guarded by the pool mutex) */
    char last_err[256];               /* last SQLite message; never holds a bound value */
    /* audit.c: the chain tail this transaction read or moved (seq 0: empty chain), valid from
     * audit_last until the transaction ends (txn.c), under its write lock */
    struct tt_audit_event audit_tail;
    int audit_tail_valid;
};

struct sq_store {
    struct tt_store base; /* first: tt_store * casts to sq_store * */
    char *path;
    int pool_size;
    struct sq_conn *conns; /* pool_size connections */
    struct sq_conn *free_list;
    int n_free;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when a connection is released */
    /* WAL checkpoints off the writers (checkpointer.h); NULL: SQLite's own (in memory) */
    struct sq_ckpt *ckpt;
};

static inline struct sq_conn *sq_of(struct tt_store_conn *c)
{
    return (struct sq_conn *)c;
}

/* ---- helpers (util.c) ---- */

/* Maps a SQLite result code to a status, keeping the connection's last message:
 * BUSY/LOCKED -> SOFT, CONSTRAINT -> NONE (the failed statement wrote nothing), else HARD. */
enum tt_qs tt__sq_fail(struct sq_conn *c, int rc);
/* The cached statement for slot id (prepared from sql on first use), or NULL with *qs set. */
sqlite3_stmt *tt__sq_stmt(struct sq_conn *c, int id, const char *sql, enum tt_qs *qs);
/* Resets a statement and clears its bindings so nothing it pointed to outlives the call. */
void tt__sq_reset(sqlite3_stmt *st);
/* Steps a write statement to the end and resets it: ONE if a row changed, NONE if none did
 * or a constraint refused it, SOFT/HARD on error. */
enum tt_qs tt__sq_write(struct sq_conn *c, sqlite3_stmt *st);
/* Runs a single-statement SQL (BEGIN, COMMIT, …) from the cache: 0 or a SQLite code. */
int tt__sq_exec(struct sq_conn *c, int id, const char *sql);

/* Bind helpers: return a SQLite code (SQLITE_OK = 0). Text and blobs are bound without a copy:
 * they must stay valid until the statement is reset (always within the same call). */
int tt__sq_bind_text(sqlite3_stmt *st, int i, const char *s);
int tt__sq_bind_int(sqlite3_stmt *st, int i, int64_t v);
int tt__sq_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len);
/* Copies column i into buf (NUL-terminated, truncated to size - 1). */
void tt__sq_col_text(sqlite3_stmt *st, int i, char *buf, size_t size);
/* Copies a BLOB column of exactly len bytes into buf; -1 if its size differs. */
int tt__sq_col_fixed(sqlite3_stmt *st, int i, uint8_t *buf, size_t len);
/* Page limit clamped to 1..1000 (store.h). */
int tt__sq_page_limit(int limit);

/* A row reader: turns the current row into a struct and hands it on. Returns 0 to go on, 1 to
 * stop early, -1 if the row is malformed (a BLOB of the wrong size). */
typedef int (*sq_row_fn)(sqlite3_stmt *st, void *ctx);
/* Steps a bound SELECT to its end, calling row for each row; resets it. Returns the number of
 * rows seen (including the one that stopped early) or SOFT/HARD. The same statement must not
 * be run again from inside row (callbacks may use other queries, or another connection). */
enum tt_qs tt__sq_each(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, void *ctx);
/* Steps a bound SELECT for at most one row: ONE after row(st, ctx) accepted it, NONE if there is
 * none, SOFT/HARD on error; resets it. */
enum tt_qs tt__sq_one(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, void *ctx);
/* Row reader for a single BIGINT column into *(int64_t *)ctx (counts). */
int tt__sq_int_row(sqlite3_stmt *st, void *ctx);
/* A bind failed (out of memory, or our own bug): reset and report HARD. */
enum tt_qs tt__sq_bind_failed(struct sq_conn *c, sqlite3_stmt *st);

/* ---- migrations (migrate.c) ---- */
/* One area's steps (store/areas.h version range), ending with {0, NULL}. Append only: a released
 * step is never edited, a change is a new step. Each area's array lives in its own file and is
 * listed once in migrate.c. */
struct sq_migration {
    int64_t version;
    const char *sql;
};
extern const struct sq_migration tt__sq_schema_core[];
extern const struct sq_migration tt__sq_schema_requests[];
extern const struct sq_migration tt__sq_schema_retention[];
extern const struct sq_migration tt__sq_schema_recipients[]; /* recipients_schema.c */
extern const struct sq_migration tt__sq_schema_jobs[];       /* jobs_schema.c */
int tt__sq_migrate(struct sq_conn *c, char *err, size_t err_size);
int tt__sq_schema_version(struct tt_store_conn *c);

/* ---- transactions (txn.c) ---- */
enum tt_qs tt__sq_begin(struct tt_store_conn *c);
enum tt_qs tt__sq_commit(struct tt_store_conn *c);
void tt__sq_rollback(struct tt_store_conn *c);
void tt__sq_relax(struct tt_store_conn *c, int on); /* store_impl.h relax, flush (txn.c) */
int tt__sq_flush(struct tt_store_conn *c);

/* ---- query families ---- */
enum tt_qs tt__sq_tenant_put(struct tt_store_conn *c, const struct tt_tenant *t);
enum tt_qs tt__sq_tenant_get(struct tt_store_conn *c, const char *id, struct tt_tenant *out);
enum tt_qs tt__sq_tenant_list(struct tt_store_conn *c, tt_tenant_cb cb, void *cls);
enum tt_qs tt__sq_api_key_put(struct tt_store_conn *c, const struct tt_api_key *k);
enum tt_qs tt__sq_api_key_get(struct tt_store_conn *c, const char *id, struct tt_api_key *out);
enum tt_qs tt__sq_api_key_revoke(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at);

enum tt_qs tt__sq_subject_put(struct tt_store_conn *c, const struct tt_subject *s);
enum tt_qs tt__sq_subject_update(struct tt_store_conn *c, const struct tt_subject *s);
enum tt_qs tt__sq_subject_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_subject *out);
enum tt_qs tt__sq_subject_list(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_subject_cb cb, void *cls);
enum tt_qs tt__sq_subject_scan(struct tt_store_conn *c, tt_subject_cb cb, void *cls);
enum tt_qs tt__sq_subject_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out);

enum tt_qs tt__sq_identity_put(struct tt_store_conn *c, const struct tt_identity *i);
enum tt_qs tt__sq_identity_find(struct tt_store_conn *c, const char *tenant_id,
                                enum tt_identity_type type, const char *blind_hex,
                                struct tt_identity *out);
enum tt_qs tt__sq_identity_list(struct tt_store_conn *c, const char *tenant_id,
                                const char *subject_id, tt_identity_cb cb, void *cls);
enum tt_qs tt__sq_identity_scan(struct tt_store_conn *c, tt_identity_cb cb, void *cls);

enum tt_qs tt__sq_record_put(struct tt_store_conn *c, const struct tt_record *r);
enum tt_qs tt__sq_record_list(struct tt_store_conn *c, const char *tenant_id,
                              const char *subject_id, const struct tt_page *page, tt_record_cb cb,
                              void *cls);
enum tt_qs tt__sq_record_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out);

enum tt_qs tt__sq_purpose_state_put(struct tt_store_conn *c, const struct tt_purpose_state *ps);
enum tt_qs tt__sq_purpose_state_list(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id, tt_purpose_state_cb cb, void *cls);
enum tt_qs tt__sq_purpose_state_list_many(struct tt_store_conn *c, const char *tenant_id,
                                          const char *const *subject_ids, size_t n,
                                          tt_purpose_state_cb cb, void *cls);
enum tt_qs tt__sq_purpose_state_scan(struct tt_store_conn *c, tt_purpose_state_cb cb, void *cls);

enum tt_qs tt__sq_subject_key_put(struct tt_store_conn *c, const struct tt_subject_key *k);
enum tt_qs tt__sq_subject_key_get(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, enum tt_key_class cls,
                                  struct tt_subject_key *out);
enum tt_qs tt__sq_subject_key_scan(struct tt_store_conn *c, const char *after_tenant,
                                   const char *after_subject, int limit, tt_key_cb cb, void *cls);

enum tt_qs tt__sq_audit_last(struct tt_store_conn *c, const char *tenant_id,
                             struct tt_audit_event *out);
enum tt_qs tt__sq_audit_append(struct tt_store_conn *c, const struct tt_audit_event *e);
enum tt_qs tt__sq_audit_scan(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                             tt_time to, tt_audit_cb cb, void *cls);

enum tt_qs tt__sq_setting_get(struct tt_store_conn *c, const char *key, char *out, size_t out_size);
extern const struct tt_requests_store_ops tt__sq_requests_ops;
enum tt_qs tt__sq_setting_put(struct tt_store_conn *c, const char *key, const char *value);

extern const struct tt_retention_store_ops tt__sq_retention_ops;   /* retention.c */
extern const struct tt_recipients_store_ops tt__sq_recipients_ops; /* recipients.c */
extern const struct tt_jobs_store_ops tt__sq_jobs_ops;             /* jobs.c */
extern const struct tt_accounts_store_ops tt__sq_accounts_ops;     /* accounts.c */
extern const struct sq_migration tt__sq_schema_accounts[];         /* accounts_schema.c */
extern const struct sq_migration tt__sq_schema_consent[];          /* consent_schema.c */
extern const struct tt_consent_store_ops tt__sq_consent_ops;       /* consent.c */
extern const struct sq_migration tt__sq_schema_subscriptions[];    /* subscriptions_schema.c */
extern const struct tt_subscriptions_store_ops tt__sq_subscriptions_ops; /* subscriptions.c */

#endif
