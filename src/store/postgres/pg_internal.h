/* SPDX-License-Identifier: Apache-2.0 */
/* pg_internal.h — what the PostgreSQL backend's files share: the store and connection structs,
 * the named-statement table, parameter building, result decoding and the query runners.
 * Private to src/store/postgres/. */
#ifndef TT_STORE_PG_INTERNAL_H
#define TT_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>

#include "../areas.h"
#include "../store_impl.h"

/* Every named statement of the backend; indexes the per-connection "prepared" flags. */
enum pg_stmt_id {
    PG_TENANT_PUT,
    PG_TENANT_GET,
    PG_TENANT_LIST,
    PG_API_KEY_PUT,
    PG_API_KEY_GET,
    PG_API_KEY_REVOKE,
    PG_SETTING_GET,
    PG_SETTING_PUT,
    PG_SUBJECT_PUT,
    PG_SUBJECT_UPDATE,
    PG_SUBJECT_GET,
    PG_SUBJECT_LIST,
    PG_SUBJECT_SCAN,
    PG_SUBJECT_COUNT,
    PG_IDENTITY_PUT,
    PG_IDENTITY_FIND,
    PG_IDENTITY_LIST,
    PG_IDENTITY_SCAN,
    PG_RECORD_PUT,
    PG_RECORD_LIST,
    PG_RECORD_COUNT,
    PG_PURPOSE_PUT,
    PG_PURPOSE_LIST,
    PG_PURPOSE_LIST_MANY,
    PG_PURPOSE_SCAN,
    PG_KEY_PUT,
    PG_KEY_GET,
    PG_KEY_SCAN,
    PG_AUDIT_HEAD_INIT,
    PG_AUDIT_HEAD_LOCK,
    PG_AUDIT_GET,
    PG_AUDIT_APPEND,
    PG_AUDIT_SCAN_TENANT,
    PG_AUDIT_SCAN_ALL,
    PG_SCHEMA_EXISTS,
    PG_SCHEMA_VERSION,
    PG_SCHEMA_RECORDED,
    PG_SUBJECT_GET_AHEAD,
    PG_AUDIT_HEAD_CHECK,
    PG_STMT__COUNT
};

/* Slots of every area (store/areas.h): core uses the enum above, other areas their own range. */
#define PG_STMT_MAX TT_STORE_SLOTS_MAX
_Static_assert(PG_STMT__COUNT <= TT_STORE_SLOTS_PER_AREA, "core statements overflow their range");

/* A statement prepared by name on first use on each connection. types: one letter per
 * parameter, 't' TEXT, 'i' BIGINT (sent binary), 'b' BYTEA (sent binary). A statement whose sql
 * is a DECLARE … CURSOR is run through tt__pg_stream with cursor = the cursor's name. */
struct pg_stmt {
    int id; /* enum pg_stmt_id, or a slot in another area's range */
    const char *name;
    const char *types;
    const char *sql;
    const char *cursor;
};

#define PG_MAX_PARAMS 32 /* the widest row: a rights request (25) */

/* Parameters of one execution. Built on the stack, used once; pointers are borrowed. */
struct pg_args {
    int n;
    const char *values[PG_MAX_PARAMS];
    int lengths[PG_MAX_PARAMS];
    int formats[PG_MAX_PARAMS];
    uint64_t ints[PG_MAX_PARAMS]; /* big-endian storage for BIGINT parameters */
};

struct pg_store;
struct pg_batched;
struct pg_announcer;

/* A consent chain's tail (pg_consent.c). */
struct pg_consent_tail {
    char tenant_id[TT_ID_MAX];
    int64_t seq;
    uint8_t hash[32];
    int valid;
    int lock_next; /* in the node's cache: batches that lock first because another node wrote */
};
/* Chains whose tail a node keeps (a cache indexed by a hash of the tenant id), and chains one
 * transaction appends to or assumes the tail of (pg_consent.c) */
#define PG_CONSENT_TAILS 16

/* pg_audit.c: an audit chain's tail as this node last committed it (the store keeps one per
 * tenant, PG_AUDIT_TAILS slots by a hash of the tenant id); lock_next > 0 counts transactions
 * that lock the tail first because another writer was seen. */
#define PG_AUDIT_TAILS 16
struct pg_audit_known {
    struct tt_audit_event ev; /* detail_json NULL */
    int valid;
    int lock_next;
};

/* pg_states_ahead.c: a subject's purpose states read along with it (outside a transaction),
 * kept on the connection for the purpose_state_list of that subject that follows; valid until
 * the connection's next statement or acquisition (tt__pg_usable drops them). */
#define PG_STATES_AHEAD 16
struct pg_states_ahead {
    int valid;
    int n;
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    struct tt_purpose_state rows[PG_STATES_AHEAD];
};

/* pg_pipeline.c: a statement sent in pipeline mode whose result is read later. check: 0 when
 * the result is what the sender assumed (NULL: any success), > 0 when not but the transaction
 * may simply run again (SOFT: a concurrent writer moved something), < 0 when not (HARD);
 * prep_id: the statement slot of a PQsendPrepare, else -1. */
typedef int (*pg_check_fn)(const PGresult *r);
#define PG_PIPE_MAX 256
struct pg_pending {
    pg_check_fn check;
    int prep_id;
    enum tt_qs on_guard; /* a guarded statement: the status its guard error means, else ONE */
};
/* SQLSTATE of a guarded statement's false assumption (division_by_zero, see
 * tt__pg_defer_guarded) */
#define PG_GUARD_STATE "22012"

struct pg_conn {
    struct tt_store_conn base; /* first member: the generic connection */
    PGconn *pq;
    struct pg_conn *next_free;
    unsigned char prepared[2 * PG_STMT_MAX]; /* then the guarded variants (pg_pipeline.c) */
    int in_txn;                              /* a transaction is open (ours or the caller's) */
    char *audit_detail;                      /* detail of the last audit_last result (owned) */
    int relaxed; /* pg_store.c: transactions begun commit with synchronous_commit off */
    /* pg_audit.c: the tail this transaction has locked and moved (valid until pg_begin) */
    struct tt_audit_event audit_tail;
    int audit_tail_valid;
    /* the last tail this connection saw committed (an event never changes once committed, so
     * when the locked tail is still at its seq, it need not be read again) */
    struct tt_audit_event audit_known;
    int audit_known_valid;
    /* pg_audit.c: the chains this transaction locked or assumed (their tails' tenant ids, the
     * assumed flagged), and the tails it moved them to, the store's known tails once committed */
    char audit_locked[PG_AUDIT_TAILS][TT_ID_MAX];
    int audit_assumed[PG_AUDIT_TAILS];
    int n_audit_locked;
    struct pg_audit_known audit_pending[PG_AUDIT_TAILS]; /* (lock_next unused) */
    int n_audit_pending;
    int audit_pending_lost; /* more chains moved than audit_pending holds */
    /* pg_pipeline.c: speculative mode (group commit) and what was sent but not yet read */
    int speculative;
    int n_pending;
    struct pg_pending pending[PG_PIPE_MAX];
    struct pg_batched *batched; /* pg_batched.h: rows kept for multi-row statements (owned) */
    /* pg_consent.c: the consent tail this transaction appended up to, and whether its batch
     * assumed the node's known tail instead of locking it */
    struct pg_consent_tail consent_pending[PG_CONSENT_TAILS];
    int n_consent_pending;
    struct pg_consent_tail consent_assumed[PG_CONSENT_TAILS]; /* (tenant ids only) */
    int n_consent_assumed;
    /* pg_announce.c: this transaction appended change-feed rows of node feed_node */
    char feed_node[TT_ID_MAX];
    int feed_written;
    struct pg_states_ahead ahead; /* pg_states_ahead.c */
};

struct pg_store {
    struct tt_store base; /* first member: the generic store */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pg_conn *conns;
    int n_conns;
    struct pg_conn *free_list;
    char *url; /* as opened (pg_listen.c opens its own connection with it) */
    /* pg_consent.c, under mu: per chain (tenant), the consent tail this node last committed,
     * which its next pipelined batch assumes instead of locking and reading the tail (one round
     * trip less); lock_next > 0 counts batches that lock first because another node wrote */
    struct pg_consent_tail consent_known[PG_CONSENT_TAILS];
    /* pg_audit.c, under mu: per chain, the audit tail this node last committed, which a
     * pipelined transaction assumes (its lock and check ride with the writes) */
    struct pg_audit_known audit_known[PG_AUDIT_TAILS];
    struct pg_announcer *announcer; /* pg_announce.c: started on first use (owned) */
};

extern const struct tt_store_ops tt__pg_ops;
extern const struct tt_jobs_store_ops tt__pg_jobs_ops;                   /* pg_jobs.c */
extern const struct tt_retention_store_ops tt__pg_retention_ops;         /* pg_retention.c */
extern const struct tt_recipients_store_ops tt__pg_recipients_ops;       /* pg_recipients.c */
extern const struct tt_accounts_store_ops tt__pg_accounts_ops;           /* pg_accounts.c */
extern const struct tt_consent_store_ops tt__pg_consent_ops;             /* pg_consent.c */
extern const struct tt_requests_store_ops tt__pg_requests_ops;           /* pg_requests.c */
extern const struct tt_subscriptions_store_ops tt__pg_subscriptions_ops; /* pg_subscriptions.c */

static inline struct pg_conn *pg_conn_of(struct tt_store_conn *c)
{
    return (struct pg_conn *)c;
}

static inline struct pg_store *pg_store_of(struct pg_conn *c)
{
    return (struct pg_store *)c->base.store;
}

/* A tenant's slot among n of a per-chain cache (FNV-1a of the id; pg_consent.c, pg_audit.c). */
static inline unsigned pg_tenant_slot(const char *tenant_id, unsigned n)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)tenant_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % n;
}

void tt__pg_arg_text(struct pg_args *a, const char *s); /* NULL → SQL NULL */
void tt__pg_arg_int(struct pg_args *a, int64_t v);
void tt__pg_arg_bytes(struct pg_args *a, const uint8_t *p, size_t len);

/* Runs a statement (prepared on first use). On success (status >= 0) *out holds the result,
 * which the caller PQclear()s; TT_QS_ONE is returned for any successful execution. On failure
 * *out is untouched and the status says whether to retry: serialization failure, deadlock and
 * connection loss are TT_QS_SOFT (a lost connection is reset before the next use), others HARD. */
enum tt_qs tt__pg_exec(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                       PGresult **out);

/* Runs a statement expected to change or return at most one row: ONE if it did, else NONE. */
enum tt_qs tt__pg_exec_one(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a);

/* Row callback of the runners below: 0 go on, > 0 stop here, < 0 bad row (TT_QS_HARD). */
typedef int (*pg_row_fn)(void *cls, const PGresult *r, int row);

/* Runs a bounded query and calls fn per row. Returns the number of rows passed to fn. */
enum tt_qs tt__pg_each(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                       pg_row_fn fn, void *cls);

/* Runs an unbounded query through a cursor, fetching 10000 rows at a time so memory stays flat;
 * opens (and ends) a transaction of its own when none is in progress. fn may use the connection
 * for other queries, but not to start the same stream again (its cursor name is taken). Returns
 * the number of rows passed to fn. */
enum tt_qs tt__pg_stream(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                         pg_row_fn fn, void *cls);

/* Result decoding (results are always binary). Text copies fail (-1) rather than truncate. */
int64_t tt__pg_int(const PGresult *r, int row, int col);
int tt__pg_text(const PGresult *r, int row, int col, char *dst, size_t size);
const uint8_t *tt__pg_bytes(const PGresult *r, int row, int col, size_t *len);

/* pg_store.c plumbing shared with pg_pipeline.c: whether a connection can be used (a lost one
 * is reset between transactions), SQLSTATE → status, a result that succeeded, and the
 * parameter types of st (-1 when too many). */
int tt__pg_usable(struct pg_conn *c);
enum tt_qs tt__pg_classify(struct pg_conn *c, const PGresult *r);
int tt__pg_ok_result(const PGresult *r);
int tt__pg_param_types(const struct pg_stmt *st, Oid types[PG_MAX_PARAMS]);

/* Speculative pipelining (pg_pipeline.c), for group commit. tt__pg_speculate turns it on or off
 * for a connection (off discards what is pending). tt__pg_defer sends st without waiting and
 * answers ONE at once; the check runs when the result is read. tt__pg_drain sends a sync
 * (with st, if given, whose result goes to *out) and reads every pending result: ONE when each
 * matched its check, HARD when one did not, or the class of the first error — the caller then
 * rolls back. tt__pg_discard drops what is pending (rollback). tt__pg_check_one: one row. */
void tt__pg_speculate(struct tt_store_conn *c, int on);
enum tt_qs tt__pg_defer(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                        pg_check_fn check);
enum tt_qs tt__pg_defer_sql(struct pg_conn *c, const char *sql);
enum tt_qs tt__pg_drain(struct pg_conn *c, const struct pg_stmt *st, const struct pg_args *a,
                        PGresult **out);
void tt__pg_discard(struct pg_conn *c);
int tt__pg_check_one(const PGresult *r);

/* Guarded statements, so that COMMIT can ride behind a transaction's writes in the same round
 * trip: tt__pg_defer_guarded sends st's variant that raises PG_GUARD_STATE where st would not
 * do what is assumed — guard_sql, or (NULL) st's own INSERT/UPDATE/DELETE wrapped so that
 * changing no row divides by zero (tt__pg_guardable says whether st can be) — prepared as
 * "<name>_g". The error aborts the transaction, and so the COMMIT behind it; the drain then
 * answers on_guard (SOFT: run the batch again; HARD: run its functions alone).
 * tt__pg_guarded_only: nothing pending needs its result read before COMMIT.
 * tt__pg_commit_pipelined sends COMMIT behind what is pending and reads everything in one
 * round trip: ONE only when every statement succeeded and the server answered COMMIT; else
 * the transaction is rolled back or still open (in error) for the caller's rollback. */
int tt__pg_guardable(const struct pg_stmt *st);
enum tt_qs tt__pg_defer_guarded(struct pg_conn *c, const struct pg_stmt *st, const char *guard_sql,
                                const struct pg_args *a, enum tt_qs on_guard);
int tt__pg_guarded_only(const struct pg_conn *c);
enum tt_qs tt__pg_commit_pipelined(struct pg_conn *c);

/* Change-feed notifications (pg_listen.c; jobs_store.h feed_listen, feed_wait, unlisten). */
/* pg_announce.c: the change feed's notifications, sent once the rows are committed and outside
 * the writing transaction (a NOTIFY in it would serialise every notifying COMMIT of the cluster,
 * fsync included). feed_written notes feed rows of node written by c (announced at once when no
 * transaction is open); feed_txn_end announces them when committed (1) and forgets them;
 * announce_stop sends what is pending and ends the store's announcer (at close). */
void tt__pg_feed_written(struct pg_conn *c, const char *node);
void tt__pg_feed_txn_end(struct pg_conn *c, int committed);
void tt__pg_announce_stop(struct pg_store *s);
struct tt_feed_listener *tt__pg_feed_listen(struct tt_store *s, const char *node);
int tt__pg_feed_wait(struct tt_feed_listener *l, long ms);
void tt__pg_feed_unlisten(struct tt_feed_listener *l);

/* pg_consent.c: the end of a transaction, for the node's known consent tail. */
void tt__pg_consent_committed(struct pg_conn *c);
void tt__pg_consent_rolled_back(struct pg_conn *c);
/* pg_audit.c: the start and end of a transaction, for the node's known audit tails. */
void tt__pg_audit_txn_begin(struct pg_conn *c);
void tt__pg_audit_committed(struct pg_conn *c);
void tt__pg_audit_rolled_back(struct pg_conn *c);

/* Runs a plain SQL command outside the statement table (BEGIN, DDL, …). */
enum tt_qs tt__pg_command(struct pg_conn *c, const char *sql);

/* Migrations (pg_migrate.c). */
int tt__pg_migrate(struct pg_conn *c, char *err, size_t err_size);
/* One area's steps (store/areas.h version range), ending with {0, NULL}. Append only. Each
 * area's array lives in its own file and is listed once in pg_migrate.c. */
struct pg_migration {
    int64_t version;
    const char *sql;
};
extern const struct pg_migration tt__pg_schema_core[];
extern const struct pg_migration tt__pg_schema_jobs[]; /* pg_jobs_schema.c */
extern const struct pg_migration tt__pg_schema_retention[];
extern const struct pg_migration tt__pg_schema_recipients[];    /* pg_recipients_schema.c */
extern const struct pg_migration tt__pg_schema_accounts[];      /* pg_accounts_schema.c */
extern const struct pg_migration tt__pg_schema_consent[];       /* pg_consent_schema.c */
extern const struct pg_migration tt__pg_schema_requests[];      /* pg_requests_schema.c */
extern const struct pg_migration tt__pg_schema_subscriptions[]; /* pg_subscriptions_schema.c */
int tt__pg_schema_version(struct tt_store_conn *c);

/* The query families. */
enum tt_qs tt__pg_tenant_put(struct tt_store_conn *c, const struct tt_tenant *t);
enum tt_qs tt__pg_tenant_get(struct tt_store_conn *c, const char *id, struct tt_tenant *out);
enum tt_qs tt__pg_tenant_list(struct tt_store_conn *c, tt_tenant_cb cb, void *cls);
enum tt_qs tt__pg_api_key_put(struct tt_store_conn *c, const struct tt_api_key *k);
enum tt_qs tt__pg_api_key_get(struct tt_store_conn *c, const char *id, struct tt_api_key *out);
enum tt_qs tt__pg_api_key_revoke(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at);
enum tt_qs tt__pg_setting_get(struct tt_store_conn *c, const char *key, char *out, size_t out_size);
enum tt_qs tt__pg_setting_put(struct tt_store_conn *c, const char *key, const char *value);

enum tt_qs tt__pg_subject_put(struct tt_store_conn *c, const struct tt_subject *s);
enum tt_qs tt__pg_subject_update(struct tt_store_conn *c, const struct tt_subject *s);
enum tt_qs tt__pg_subject_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_subject *out);
enum tt_qs tt__pg_subject_list(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_subject_cb cb, void *cls);
/* pg_states_ahead.c: subject_get outside a transaction runs tt__pg_st_subject_get_ahead (the
 * subject's columns, then its states) and keeps the states of its result on c (nothing when
 * they do not fit); _take answers a purpose_state_list of that subject from them (1, status in
 * *qs, as tt__pg_each would count) when they are kept and still valid, else 0. */
extern const struct pg_stmt tt__pg_st_subject_get_ahead;
void tt__pg_states_ahead_keep(struct pg_conn *c, const PGresult *r, const struct tt_subject *s);
int tt__pg_states_ahead_take(struct pg_conn *c, const char *tenant_id, const char *subject_id,
                             tt_purpose_state_cb cb, void *cls, enum tt_qs *qs);
enum tt_qs tt__pg_subject_scan(struct tt_store_conn *c, tt_subject_cb cb, void *cls);
enum tt_qs tt__pg_subject_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out);
enum tt_qs tt__pg_identity_put(struct tt_store_conn *c, const struct tt_identity *i);
enum tt_qs tt__pg_identity_find(struct tt_store_conn *c, const char *tenant_id,
                                enum tt_identity_type type, const char *blind_hex,
                                struct tt_identity *out);
enum tt_qs tt__pg_identity_list(struct tt_store_conn *c, const char *tenant_id,
                                const char *subject_id, tt_identity_cb cb, void *cls);
enum tt_qs tt__pg_identity_scan(struct tt_store_conn *c, tt_identity_cb cb, void *cls);

enum tt_qs tt__pg_record_put(struct tt_store_conn *c, const struct tt_record *r);
enum tt_qs tt__pg_record_list(struct tt_store_conn *c, const char *tenant_id,
                              const char *subject_id, const struct tt_page *page, tt_record_cb cb,
                              void *cls);
enum tt_qs tt__pg_record_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out);
enum tt_qs tt__pg_purpose_state_put(struct tt_store_conn *c, const struct tt_purpose_state *ps);
enum tt_qs tt__pg_purpose_state_list(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id, tt_purpose_state_cb cb, void *cls);
enum tt_qs tt__pg_purpose_state_list_many(struct tt_store_conn *c, const char *tenant_id,
                                          const char *const *subject_ids, size_t n,
                                          tt_purpose_state_cb cb, void *cls);
enum tt_qs tt__pg_purpose_state_scan(struct tt_store_conn *c, tt_purpose_state_cb cb, void *cls);
enum tt_qs tt__pg_subject_key_put(struct tt_store_conn *c, const struct tt_subject_key *k);
enum tt_qs tt__pg_subject_key_get(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, enum tt_key_class cls,
                                  struct tt_subject_key *out);
enum tt_qs tt__pg_subject_key_scan(struct tt_store_conn *c, const char *after_tenant,
                                   const char *after_subject, int limit, tt_key_cb cb, void *cls);

enum tt_qs tt__pg_audit_last(struct tt_store_conn *c, const char *tenant_id,
                             struct tt_audit_event *out);
enum tt_qs tt__pg_audit_append(struct tt_store_conn *c, const struct tt_audit_event *e);
enum tt_qs tt__pg_audit_scan(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                             tt_time to, tt_audit_cb cb, void *cls);

#endif
