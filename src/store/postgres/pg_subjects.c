/* SPDX-License-Identifier: Apache-2.0 */
/* pg_subjects.c — data subjects and their identities on PostgreSQL (tables subjects,
 * identities): put, update, get, pages, counts, the blind-index lookup, and the full scans the
 * decision index is rebuilt from (through a cursor, so memory stays flat at any size). */
#include "pg_internal.h"

#include <string.h>

#define SUBJECT_COLS                                                                               \
    "tenant_id, subject_id, kind, jurisdiction, has_birth_date, is_child, contract_active,"        \
    " contract_ended_at, restricted, retention_until, created_at, updated_at, erased_at"
#define SUBJECT_TYPES "ttitiiiiiiiii"
#define IDENTITY_COLS "tenant_id, identity_id, subject_id, type, blind, created_at, value_enc"

static const struct pg_stmt ST_SUBJECT_PUT = {
    PG_SUBJECT_PUT, "tt_subject_put", SUBJECT_TYPES,
    "INSERT INTO subjects (" SUBJECT_COLS ")"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13"
    " WHERE EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $1) ON CONFLICT DO NOTHING",
    NULL};
static const struct pg_stmt ST_SUBJECT_UPDATE = {
    PG_SUBJECT_UPDATE, "tt_subject_update", SUBJECT_TYPES,
    "UPDATE subjects SET kind = $3, jurisdiction = $4, has_birth_date = $5, is_child = $6,"
    " contract_active = $7, contract_ended_at = $8, restricted = $9, retention_until = $10,"
    " updated_at = $12, erased_at = $13"
    " WHERE tenant_id = $1 AND subject_id = $2 AND $11::bigint IS NOT NULL",
    NULL};
static const struct pg_stmt ST_SUBJECT_GET = {
    PG_SUBJECT_GET, "tt_subject_get", "tt",
    "SELECT " SUBJECT_COLS " FROM subjects WHERE tenant_id = $1 AND subject_id = $2", NULL};
static const struct pg_stmt ST_SUBJECT_LIST = {
    PG_SUBJECT_LIST, "tt_subject_list", "tti",
    "SELECT " SUBJECT_COLS " FROM subjects WHERE tenant_id = $1 AND subject_id > $2"
    " ORDER BY subject_id LIMIT $3",
    NULL};
static const struct pg_stmt ST_SUBJECT_SCAN = {PG_SUBJECT_SCAN, "tt_subject_scan", "",
                                               "DECLARE tt_subject_scan NO SCROLL CURSOR FOR"
                                               " SELECT " SUBJECT_COLS
                                               " FROM subjects ORDER BY tenant_id, subject_id",
                                               "tt_subject_scan"};
static const struct pg_stmt ST_SUBJECT_COUNT = {
    PG_SUBJECT_COUNT, "tt_subject_count", "t", "SELECT count(*) FROM subjects WHERE tenant_id = $1",
    NULL};

static const struct pg_stmt ST_IDENTITY_PUT = {
    PG_IDENTITY_PUT, "tt_identity_put", "tttitib",
    "INSERT INTO identities (" IDENTITY_COLS ") SELECT $1, $2, $3, $4, $5, $6, $7"
    " WHERE EXISTS (SELECT 1 FROM subjects WHERE tenant_id = $1 AND subject_id = $3)"
    " ON CONFLICT DO NOTHING",
    NULL};
static const struct pg_stmt ST_IDENTITY_FIND = {
    PG_IDENTITY_FIND, "tt_identity_find", "tit",
    "SELECT " IDENTITY_COLS " FROM identities WHERE tenant_id = $1 AND type = $2 AND blind = $3",
    NULL};
static const struct pg_stmt ST_IDENTITY_LIST = {
    PG_IDENTITY_LIST, "tt_identity_list", "tt",
    "SELECT " IDENTITY_COLS " FROM identities WHERE tenant_id = $1 AND subject_id = $2"
    " ORDER BY identity_id",
    NULL};
static const struct pg_stmt ST_IDENTITY_SCAN = {PG_IDENTITY_SCAN, "tt_identity_scan", "",
                                                "DECLARE tt_identity_scan NO SCROLL CURSOR FOR"
                                                " SELECT " IDENTITY_COLS
                                                " FROM identities ORDER BY tenant_id, identity_id",
                                                "tt_identity_scan"};

static int page_limit(const struct tt_page *page)
{
    int n = page ? page->limit : 0;
    return n < 1 ? 1 : n > 1000 ? 1000 : n;
}

/* ---- subjects ---- */

static void subject_args(struct pg_args *a, const struct tt_subject *s)
{
    tt__pg_arg_text(a, s->tenant_id);
    tt__pg_arg_text(a, s->id);
    tt__pg_arg_int(a, s->kind);
    tt__pg_arg_text(a, s->jurisdiction);
    tt__pg_arg_int(a, s->has_birth_date);
    tt__pg_arg_int(a, s->is_child);
    tt__pg_arg_int(a, s->contract_active);
    tt__pg_arg_int(a, s->contract_ended_at);
    tt__pg_arg_int(a, s->restricted);
    tt__pg_arg_int(a, s->retention_until);
    tt__pg_arg_int(a, s->created_at);
    tt__pg_arg_int(a, s->updated_at);
    tt__pg_arg_int(a, s->erased_at);
}

static int fill_subject(const PGresult *r, int row, struct tt_subject *s)
{
    memset(s, 0, sizeof *s);
    if (tt__pg_text(r, row, 0, s->tenant_id, sizeof s->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, s->id, sizeof s->id) < 0 ||
        tt__pg_text(r, row, 3, s->jurisdiction, sizeof s->jurisdiction) < 0)
        return -1;
    s->kind = (enum tt_subject_kind)tt__pg_int(r, row, 2);
    s->has_birth_date = (int)tt__pg_int(r, row, 4);
    s->is_child = (int)tt__pg_int(r, row, 5);
    s->contract_active = (int)tt__pg_int(r, row, 6);
    s->contract_ended_at = tt__pg_int(r, row, 7);
    s->restricted = (int)tt__pg_int(r, row, 8);
    s->retention_until = tt__pg_int(r, row, 9);
    s->created_at = tt__pg_int(r, row, 10);
    s->updated_at = tt__pg_int(r, row, 11);
    s->erased_at = tt__pg_int(r, row, 12);
    return 0;
}

struct subject_each {
    tt_subject_cb cb;
    void *cls;
};

static int subject_each_row(void *cls, const PGresult *r, int row)
{
    struct subject_each *e = cls;
    struct tt_subject s;
    if (fill_subject(r, row, &s) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &s) ? 1 : 0;
}

/* NONE when the subject exists already or its tenant does not. */
enum tt_qs tt__pg_subject_put(struct tt_store_conn *c, const struct tt_subject *s)
{
    struct pg_args a = {0};
    subject_args(&a, s);
    return tt__pg_exec_one(pg_conn_of(c), &ST_SUBJECT_PUT, &a);
}

/* Every field but the keys and created_at; ONE if the subject exists in that tenant. */
enum tt_qs tt__pg_subject_update(struct tt_store_conn *c, const struct tt_subject *s)
{
    struct pg_args a = {0};
    subject_args(&a, s);
    return tt__pg_exec_one(pg_conn_of(c), &ST_SUBJECT_UPDATE, &a);
}

enum tt_qs tt__pg_subject_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_subject *out)
{
    struct pg_conn *pc = pg_conn_of(c);
    int ahead = !pc->in_txn; /* its purpose states come along (pg_states_ahead.c) */
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pc, ahead ? &tt__pg_st_subject_get_ahead : &ST_SUBJECT_GET, &a, &r);
    if (qs < 0)
        return qs;
    struct tt_subject s;
    qs = TT_QS_NONE;
    if (PQntuples(r) > 0)
        qs = fill_subject(r, 0, &s) < 0 ? TT_QS_HARD : TT_QS_ONE;
    if (qs == TT_QS_ONE && ahead)
        tt__pg_states_ahead_keep(pc, r, &s);
    PQclear(r);
    if (qs == TT_QS_ONE)
        *out = s;
    return qs;
}

enum tt_qs tt__pg_subject_list(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_subject_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, page ? page->after_id : "");
    tt__pg_arg_int(&a, page_limit(page));
    struct subject_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), &ST_SUBJECT_LIST, &a, subject_each_row, &e);
}

enum tt_qs tt__pg_subject_scan(struct tt_store_conn *c, tt_subject_cb cb, void *cls)
{
    struct subject_each e = {cb, cls};
    return tt__pg_stream(pg_conn_of(c), &ST_SUBJECT_SCAN, NULL, subject_each_row, &e);
}

static enum tt_qs count(struct pg_conn *c, const struct pg_stmt *st, const char *tenant_id,
                        int64_t *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(c, st, &a, &r);
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

enum tt_qs tt__pg_subject_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out)
{
    return count(pg_conn_of(c), &ST_SUBJECT_COUNT, tenant_id, out);
}

/* ---- identities ---- */

/* value_enc points into the result: valid during the callback only */
static int fill_identity(const PGresult *r, int row, struct tt_identity *i, int with_value)
{
    memset(i, 0, sizeof *i);
    if (tt__pg_text(r, row, 0, i->tenant_id, sizeof i->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, i->id, sizeof i->id) < 0 ||
        tt__pg_text(r, row, 2, i->subject_id, sizeof i->subject_id) < 0 ||
        tt__pg_text(r, row, 4, i->blind_hex, sizeof i->blind_hex) < 0)
        return -1;
    i->type = (enum tt_identity_type)tt__pg_int(r, row, 3);
    i->created_at = tt__pg_int(r, row, 5);
    if (with_value)
        i->value_enc = tt__pg_bytes(r, row, 6, &i->value_enc_len);
    return 0;
}

struct identity_each {
    tt_identity_cb cb;
    void *cls;
};

static int identity_each_row(void *cls, const PGresult *r, int row)
{
    struct identity_each *e = cls;
    struct tt_identity i;
    if (fill_identity(r, row, &i, 1) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &i) ? 1 : 0;
}

/* NONE when the id or the (type, blind) pair exists already in the tenant, or the subject does
 * not exist. */
enum tt_qs tt__pg_identity_put(struct tt_store_conn *c, const struct tt_identity *i)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, i->tenant_id);
    tt__pg_arg_text(&a, i->id);
    tt__pg_arg_text(&a, i->subject_id);
    tt__pg_arg_int(&a, i->type);
    tt__pg_arg_text(&a, i->blind_hex);
    tt__pg_arg_int(&a, i->created_at);
    tt__pg_arg_bytes(&a, i->value_enc, i->value_enc ? i->value_enc_len : 0);
    return tt__pg_exec_one(pg_conn_of(c), &ST_IDENTITY_PUT, &a);
}

enum tt_qs tt__pg_identity_find(struct tt_store_conn *c, const char *tenant_id,
                                enum tt_identity_type type, const char *blind_hex,
                                struct tt_identity *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, type);
    tt__pg_arg_text(&a, blind_hex);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), &ST_IDENTITY_FIND, &a, &r);
    if (qs < 0)
        return qs;
    struct tt_identity i;
    qs = TT_QS_NONE;
    if (PQntuples(r) > 0)
        qs = fill_identity(r, 0, &i, 0) < 0 ? TT_QS_HARD : TT_QS_ONE;
    PQclear(r);
    if (qs == TT_QS_ONE)
        *out = i;
    return qs;
}

enum tt_qs tt__pg_identity_list(struct tt_store_conn *c, const char *tenant_id,
                                const char *subject_id, tt_identity_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    struct identity_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), &ST_IDENTITY_LIST, &a, identity_each_row, &e);
}

enum tt_qs tt__pg_identity_scan(struct tt_store_conn *c, tt_identity_cb cb, void *cls)
{
    struct identity_each e = {cb, cls};
    return tt__pg_stream(pg_conn_of(c), &ST_IDENTITY_SCAN, NULL, identity_each_row, &e);
}
