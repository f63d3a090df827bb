/* SPDX-License-Identifier: Apache-2.0 */
/* pg_records.c — what is kept about a subject, on PostgreSQL: personal data records (sealed
 * values), consent/objection state per purpose (S1.3, S8.2, S8.3), and the per-subject data keys
 * that crypto-shredding destroys (tables records, subject_purposes, subject_keys). */
#include "pg_internal.h"
#include "pg_batched.h"
#include "pg_consent_rows.h"

#include <string.h>

#define RECORD_COLS                                                                                \
    "tenant_id, record_id, subject_id, service, data_category, purpose, legal_basis, source,"      \
    " collected_at, retention_until, created_at, value_enc"
#define PURPOSE_COLS "tenant_id, subject_id, purpose, consent, objection, updated_at"
#define KEY_COLS                                                                                   \
    "tenant_id, subject_id, key_class, master_key_id, wrapped, created_at, destroyed_at"
#define SUBJECT_EXISTS "EXISTS (SELECT 1 FROM subjects WHERE tenant_id = $1 AND subject_id = $2)"

static const struct pg_stmt ST_RECORD_PUT = {
    PG_RECORD_PUT, "tt_record_put", "ttttttitiiib",
    "INSERT INTO records (" RECORD_COLS ")"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12"
    " WHERE EXISTS (SELECT 1 FROM subjects WHERE tenant_id = $1 AND subject_id = $3)"
    " ON CONFLICT DO NOTHING",
    NULL};
static const struct pg_stmt ST_RECORD_LIST = {
    PG_RECORD_LIST, "tt_record_list", "ttti",
    "SELECT " RECORD_COLS " FROM records WHERE tenant_id = $1 AND subject_id = $2"
    " AND record_id > $3 ORDER BY record_id LIMIT $4",
    NULL};
static const struct pg_stmt ST_RECORD_COUNT = {PG_RECORD_COUNT, "tt_record_count", "t",
                                               "SELECT count(*) FROM records WHERE tenant_id = $1",
                                               NULL};

static const struct pg_stmt ST_PURPOSE_PUT = {
    PG_PURPOSE_PUT, "tt_purpose_put", "tttiiii",
    "INSERT INTO subject_purposes (" PURPOSE_COLS ") SELECT $1, $2, $3, $4, $5, $6"
    " WHERE EXISTS (SELECT 1 FROM subjects WHERE tenant_id = $1 AND subject_id = $2"
    " AND ($7 = 0 OR erased_at = 0))" /* $7: changes (types.h) */
    " ON CONFLICT (tenant_id, subject_id, purpose) DO UPDATE SET"
    " consent = CASE WHEN $7 = 2 THEN subject_purposes.consent ELSE EXCLUDED.consent END,"
    " objection = CASE WHEN $7 = 1 THEN subject_purposes.objection ELSE EXCLUDED.objection END,"
    " updated_at = EXCLUDED.updated_at",
    NULL};
static const struct pg_stmt ST_PURPOSE_LIST = {
    PG_PURPOSE_LIST, "tt_purpose_list", "tt",
    "SELECT " PURPOSE_COLS " FROM subject_purposes WHERE tenant_id = $1 AND subject_id = $2"
    " ORDER BY purpose",
    NULL};
/* the follower's read of a feed page's subjects: the ids travel as one text[] literal */
static const struct pg_stmt ST_PURPOSE_LIST_MANY = {
    PG_PURPOSE_LIST_MANY, "tt_purpose_list_many", "tt",
    "SELECT " PURPOSE_COLS " FROM subject_purposes WHERE tenant_id = $1"
    " AND subject_id = ANY ($2::text[]) ORDER BY subject_id, purpose",
    NULL};
static const struct pg_stmt ST_PURPOSE_SCAN = {
    PG_PURPOSE_SCAN, "tt_purpose_scan", "",
    "DECLARE tt_purpose_scan NO SCROLL CURSOR FOR SELECT " PURPOSE_COLS
    " FROM subject_purposes ORDER BY tenant_id, subject_id, purpose",
    "tt_purpose_scan"};

/* Crypto-shredding: destroying a key drops its wrapped bytes; a destroyed key never returns,
 * and a live key is replaced only by a re-wrap under another master key (rotation). */
static const struct pg_stmt ST_KEY_PUT = {
    PG_KEY_PUT, "tt_subject_key_put", "ttitbii",
    "INSERT INTO subject_keys (" KEY_COLS ") SELECT $1, $2, $3, $4, $5, $6, $7"
    " WHERE " SUBJECT_EXISTS " ON CONFLICT (tenant_id, subject_id, key_class) DO UPDATE SET"
    " master_key_id = EXCLUDED.master_key_id,"
    " wrapped = CASE WHEN EXCLUDED.destroyed_at <> 0 THEN NULL ELSE EXCLUDED.wrapped END,"
    " destroyed_at = EXCLUDED.destroyed_at"
    " WHERE subject_keys.destroyed_at = 0 AND (EXCLUDED.destroyed_at <> 0"
    " OR EXCLUDED.master_key_id <> subject_keys.master_key_id)",
    NULL};
static const struct pg_stmt ST_KEY_GET = {
    PG_KEY_GET, "tt_subject_key_get", "tti",
    "SELECT " KEY_COLS " FROM subject_keys WHERE tenant_id = $1 AND subject_id = $2"
    " AND key_class = $3",
    NULL};
static const struct pg_stmt ST_KEY_SCAN = {
    PG_KEY_SCAN, "tt_subject_key_scan", "tti",
    "SELECT " KEY_COLS " FROM subject_keys WHERE (tenant_id, subject_id) IN ("
    "  SELECT DISTINCT tenant_id, subject_id FROM subject_keys"
    "  WHERE (tenant_id, subject_id) > ($1, $2)"
    "  ORDER BY tenant_id, subject_id LIMIT $3)"
    " ORDER BY tenant_id, subject_id, key_class",
    NULL};

static int limit_of(int n)
{
    return n < 1 ? 1 : n > 1000 ? 1000 : n;
}

/* ---- records ---- */

/* value_enc points into the result: valid during the callback only */
static int fill_record(const PGresult *res, int row, struct tt_record *r)
{
    memset(r, 0, sizeof *r);
    if (tt__pg_text(res, row, 0, r->tenant_id, sizeof r->tenant_id) < 0 ||
        tt__pg_text(res, row, 1, r->id, sizeof r->id) < 0 ||
        tt__pg_text(res, row, 2, r->subject_id, sizeof r->subject_id) < 0 ||
        tt__pg_text(res, row, 3, r->service, sizeof r->service) < 0 ||
        tt__pg_text(res, row, 4, r->data_category, sizeof r->data_category) < 0 ||
        tt__pg_text(res, row, 5, r->purpose, sizeof r->purpose) < 0 ||
        tt__pg_text(res, row, 7, r->source, sizeof r->source) < 0)
        return -1;
    r->legal_basis = (enum tt_basis)tt__pg_int(res, row, 6);
    r->collected_at = tt__pg_int(res, row, 8);
    r->retention_until = tt__pg_int(res, row, 9);
    r->created_at = tt__pg_int(res, row, 10);
    r->value_enc = tt__pg_bytes(res, row, 11, &r->value_enc_len);
    return 0;
}

struct record_each {
    tt_record_cb cb;
    void *cls;
};

static int record_each_row(void *cls, const PGresult *res, int row)
{
    struct record_each *e = cls;
    struct tt_record r;
    if (fill_record(res, row, &r) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

/* NONE when the record id exists already in the tenant or the subject does not exist. */
enum tt_qs tt__pg_record_put(struct tt_store_conn *c, const struct tt_record *r)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, r->tenant_id);
    tt__pg_arg_text(&a, r->id);
    tt__pg_arg_text(&a, r->subject_id);
    tt__pg_arg_text(&a, r->service);
    tt__pg_arg_text(&a, r->data_category);
    tt__pg_arg_text(&a, r->purpose);
    tt__pg_arg_int(&a, r->legal_basis);
    tt__pg_arg_text(&a, r->source);
    tt__pg_arg_int(&a, r->collected_at);
    tt__pg_arg_int(&a, r->retention_until);
    tt__pg_arg_int(&a, r->created_at);
    tt__pg_arg_bytes(&a, r->value_enc, r->value_enc ? r->value_enc_len : 0);
    return tt__pg_exec_one(pg_conn_of(c), &ST_RECORD_PUT, &a);
}

/* A page of one subject's records in record_id order (index records_subject_idx). */
enum tt_qs tt__pg_record_list(struct tt_store_conn *c, const char *tenant_id,
                              const char *subject_id, const struct tt_page *page, tt_record_cb cb,
                              void *cls)
{
    if (!page)
        return TT_QS_HARD;
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    tt__pg_arg_text(&a, page->after_id);
    tt__pg_arg_int(&a, limit_of(page->limit));
    struct record_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), &ST_RECORD_LIST, &a, record_each_row, &e);
}

enum tt_qs tt__pg_record_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), &ST_RECORD_COUNT, &a, &r);
    if (qs < 0)
        return qs;
    qs = TT_QS_HARD;
    if (PQntuples(r) == 1) {
        *out = tt__pg_int(r, 0, 0);
        qs = TT_QS_ONE;
    }
    PQclear(r);
    return qs;
}

/* ---- consent / objection state ---- */

static int fill_purpose(const PGresult *r, int row, struct tt_purpose_state *ps)
{
    memset(ps, 0, sizeof *ps);
    if (tt__pg_text(r, row, 0, ps->tenant_id, sizeof ps->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, ps->subject_id, sizeof ps->subject_id) < 0 ||
        tt__pg_text(r, row, 2, ps->purpose, sizeof ps->purpose) < 0)
        return -1;
    ps->consent = (enum tt_consent_state)tt__pg_int(r, row, 3);
    ps->objection = (int)tt__pg_int(r, row, 4);
    ps->updated_at = tt__pg_int(r, row, 5);
    return 0;
}

struct purpose_each {
    tt_purpose_state_cb cb;
    void *cls;
};

static int purpose_each_row(void *cls, const PGresult *r, int row)
{
    struct purpose_each *e = cls;
    struct tt_purpose_state ps;
    if (fill_purpose(r, row, &ps) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &ps) ? 1 : 0;
}

/* ONE when written (inserted or replaced); NONE when the subject does not exist. */
enum tt_qs tt__pg_purpose_state_put(struct tt_store_conn *c, const struct tt_purpose_state *ps)
{
    if (pg_conn_of(c)->speculative && pg_conn_of(c)->in_txn) /* one statement for the batch */
        return tt__pg_batched_purpose(pg_conn_of(c), ps);
    struct pg_args a = {0};
    tt__pg_arg_text(&a, ps->tenant_id);
    tt__pg_arg_text(&a, ps->subject_id);
    tt__pg_arg_text(&a, ps->purpose);
    tt__pg_arg_int(&a, ps->consent);
    tt__pg_arg_int(&a, ps->objection);
    tt__pg_arg_int(&a, ps->updated_at);
    tt__pg_arg_int(&a, ps->changes);
    return tt__pg_exec_one(pg_conn_of(c), &ST_PURPOSE_PUT, &a);
}

enum tt_qs tt__pg_purpose_state_list(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id, tt_purpose_state_cb cb, void *cls)
{
    enum tt_qs qs;
    if (tt__pg_states_ahead_take(pg_conn_of(c), tenant_id, subject_id, cb, cls, &qs))
        return qs; /* read with the subject just before (pg_states_ahead.c) */
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    struct purpose_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), &ST_PURPOSE_LIST, &a, purpose_each_row, &e);
}

enum tt_qs tt__pg_purpose_state_list_many(struct tt_store_conn *c, const char *tenant_id,
                                          const char *const *subject_ids, size_t n,
                                          tt_purpose_state_cb cb, void *cls)
{
    if (n == 0)
        return TT_QS_NONE;
    struct pg_array ids = {0};
    const char *lit = pg_array_of_texts(&ids, subject_ids, n);
    if (!lit) {
        pg_array_free(&ids);
        return TT_QS_HARD;
    }
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, lit);
    struct purpose_each e = {cb, cls};
    enum tt_qs qs = tt__pg_each(pg_conn_of(c), &ST_PURPOSE_LIST_MANY, &a, purpose_each_row, &e);
    pg_array_free(&ids);
    return qs > 0 ? TT_QS_ONE : qs; /* tt__pg_each counts the rows */
}

enum tt_qs tt__pg_purpose_state_scan(struct tt_store_conn *c, tt_purpose_state_cb cb, void *cls)
{
    struct purpose_each e = {cb, cls};
    return tt__pg_stream(pg_conn_of(c), &ST_PURPOSE_SCAN, NULL, purpose_each_row, &e);
}

/* ---- per-subject data keys ---- */

static int fill_key(const PGresult *r, int row, struct tt_subject_key *k)
{
    memset(k, 0, sizeof *k);
    if (tt__pg_text(r, row, 0, k->tenant_id, sizeof k->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, k->subject_id, sizeof k->subject_id) < 0 ||
        tt__pg_text(r, row, 3, k->master_key_id, sizeof k->master_key_id) < 0)
        return -1;
    size_t n = 0;
    const uint8_t *w = tt__pg_bytes(r, row, 4, &n);
    if (n > sizeof k->wrapped)
        return -1;
    if (n)
        memcpy(k->wrapped, w, n);
    k->wrapped_len = n;
    k->key_class = (enum tt_key_class)tt__pg_int(r, row, 2);
    k->created_at = tt__pg_int(r, row, 5);
    k->destroyed_at = tt__pg_int(r, row, 6);
    return 0;
}

struct key_each {
    tt_key_cb cb;
    void *cls;
};

static int key_each_row(void *cls, const PGresult *r, int row)
{
    struct key_each *e = cls;
    struct tt_subject_key k;
    if (fill_key(r, row, &k) < 0)
        return -1;
    int stop = e->cb && e->cb(e->cls, &k);
    explicit_bzero(k.wrapped, sizeof k.wrapped);
    return stop ? 1 : 0;
}

/* ONE when a key was created, destroyed, or re-wrapped under another master key (rotation);
 * NONE when the subject is missing, a live key with the same master key already exists (the
 * first one stays: data may already be sealed under it), or the key was already destroyed. */
enum tt_qs tt__pg_subject_key_put(struct tt_store_conn *c, const struct tt_subject_key *k)
{
    if (k->wrapped_len > sizeof k->wrapped)
        return TT_QS_HARD;
    struct pg_args a = {0};
    tt__pg_arg_text(&a, k->tenant_id);
    tt__pg_arg_text(&a, k->subject_id);
    tt__pg_arg_int(&a, k->key_class);
    tt__pg_arg_text(&a, k->master_key_id);
    tt__pg_arg_bytes(&a, k->wrapped, k->wrapped_len);
    tt__pg_arg_int(&a, k->created_at);
    tt__pg_arg_int(&a, k->destroyed_at);
    return tt__pg_exec_one(pg_conn_of(c), &ST_KEY_PUT, &a);
}

enum tt_qs tt__pg_subject_key_get(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, enum tt_key_class cls,
                                  struct tt_subject_key *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    tt__pg_arg_int(&a, cls);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), &ST_KEY_GET, &a, &r);
    if (qs < 0)
        return qs;
    struct tt_subject_key k;
    qs = TT_QS_NONE;
    if (PQntuples(r) > 0)
        qs = fill_key(r, 0, &k) < 0 ? TT_QS_HARD : TT_QS_ONE;
    PQclear(r);
    if (qs == TT_QS_ONE)
        *out = k;
    explicit_bzero(&k, sizeof k);
    return qs;
}

/* Every key of the first `limit` subjects (1..1000) after (after_tenant, after_subject) ("" or
 * NULL: from the start), in (tenant_id, subject_id, key_class) order: all classes of a subject
 * are on one page, so the next page starts after the last subject seen. Returns the number of
 * keys seen. */
enum tt_qs tt__pg_subject_key_scan(struct tt_store_conn *c, const char *after_tenant,
                                   const char *after_subject, int limit, tt_key_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, after_tenant ? after_tenant : "");
    tt__pg_arg_text(&a, after_subject ? after_subject : "");
    tt__pg_arg_int(&a, limit_of(limit));
    struct key_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), &ST_KEY_SCAN, &a, key_each_row, &e);
}
