/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_schema.c — the PostgreSQL backend on a live server (issue 9): the Citus key rule on
 * the migrated schema, the same logical schema as the SQLite backend, concurrent migrations,
 * open failures without secrets, recovery from a lost connection, cursor streams, and one linear
 * audit chain under two writers. Needs TUTELA_TEST_PG_URL (scripts/pg-cluster.sh); skips
 * without it. Each test works in a database of its own, dropped at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define N_TABLES 11

struct fixture {
    char db[64];
    char url[512];
};

/* The server URL with its database replaced by db. */
static void url_with_db(const char *base, const char *db, char *out, size_t size)
{
    const char *host = strstr(base, "://");
    const char *slash = host ? strchr(host + 3, '/') : NULL;
    const char *query = slash ? strchr(slash, '?') : NULL;
    size_t head = slash ? (size_t)(slash - base) : strlen(base);
    snprintf(out, size, "%.*s/%s%s", (int)head, base, db, query ? query : "");
}

static PGconn *admin(void)
{
    PGconn *c = PQconnectdb(getenv("TUTELA_TEST_PG_URL"));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    return c;
}

static void admin_exec(const char *sql)
{
    PGconn *c = admin();
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int setup(void **state)
{
    const char *base = getenv("TUTELA_TEST_PG_URL");
    if (!base || !*base)
        return 0; /* each test skips */
    static int n;
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->db, sizeof f->db, "tt_pg_schema_%ld_%d", (long)getpid(), ++n);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->db);
    admin_exec(sql);
    url_with_db(base, f->db, f->url, sizeof f->url);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (!f)
        return 0;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->db);
    admin_exec(sql);
    free(f);
    return 0;
}

static struct fixture *need_pg(void **state)
{
    if (!*state)
        skip();
    return *state;
}

static struct tt_store *open_store(const char *url, int pool)
{
    struct tt_store *s = NULL;
    char err[512] = "";
    int rc = tt_store_open(url, pool, 1, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("open: %s", err);
    return s;
}

static PGresult *query(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    return r;
}

/* ---- the Citus rule ---- */

/* Keys that break the rule: a PK or FK (or, outside the reference tables, a UNIQUE) of a
 * non-reference table that lacks tenant_id on either side. Returns how many; counts the tables
 * seen into *tables. */
static int citus_violations(PGconn *c, int *tables, int quiet)
{
    PGresult *r = query(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                           " AND tablename NOT IN ('settings', 'schema_migrations')"
                           " AND EXISTS (SELECT 1 FROM information_schema.columns k"
                           "  WHERE k.table_schema = current_schema()"
                           "  AND k.table_name = tablename AND k.column_name = 'tenant_id')");
    *tables = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = query(c, "SELECT t.relname, con.conname FROM pg_constraint con"
                 " JOIN pg_class t ON t.oid = con.conrelid"
                 " JOIN pg_namespace n ON n.oid = t.relnamespace"
                 " WHERE n.nspname = current_schema()"
                 " AND t.relname NOT IN ('settings', 'schema_migrations')"
                 " AND (con.contype IN ('p', 'f')"
                 "      OR (con.contype = 'u' AND t.relname NOT IN ('tenants', 'api_keys')))"
                 " AND (NOT EXISTS (SELECT 1 FROM unnest(con.conkey) k JOIN pg_attribute a"
                 "        ON a.attrelid = con.conrelid AND a.attnum = k"
                 "        WHERE a.attname = 'tenant_id')"
                 "   OR (con.contype = 'f' AND NOT EXISTS (SELECT 1 FROM unnest(con.confkey) k"
                 "        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k"
                 "        WHERE a.attname = 'tenant_id')))");
    int n = PQntuples(r);
    for (int i = 0; i < n && !quiet; i++)
        print_message("citus rule broken: %s.%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    return n;
}

static void citus_rule_every_key_carries_tenant_id(void **state)
{
    struct fixture *f = need_pg(state);
    struct tt_store *s = open_store(f->url, 1);
    PGconn *c = PQconnectdb(f->url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    int tables = 0;
    assert_int_equal(citus_violations(c, &tables, 0), 0);
    assert_true(tables >= N_TABLES - 2); /* the core's, and every area's that landed */
    /* the check itself catches a table keyed without the tenant */
    PQclear(query(c, "CREATE TABLE bad_keys (tenant_id TEXT, thing TEXT PRIMARY KEY)"));
    assert_int_equal(citus_violations(c, &tables, 1), 1);
    PQclear(query(c, "CREATE TABLE bad_refs (tenant_id TEXT, subject_id TEXT,"
                     " PRIMARY KEY (tenant_id, subject_id),"
                     " FOREIGN KEY (subject_id) REFERENCES bad_keys (thing))"));
    assert_int_equal(citus_violations(c, &tables, 1), 2);
    PQfinish(c);
    tt_store_close(s);
}

/* ---- the same logical schema as SQLite ---- */

static const char *class_of(const char *type)
{
    char up[64];
    size_t i = 0;
    for (; type[i] && i + 1 < sizeof up; i++)
        up[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 32 : type[i]);
    up[i] = '\0';
    if (strstr(up, "INT"))
        return "int";
    if (strstr(up, "TEXT") || strstr(up, "CHAR") || strstr(up, "CLOB"))
        return "text";
    if (strstr(up, "BLOB") || strstr(up, "BYTEA"))
        return "bytes";
    return up[0] ? "other" : "bytes";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define MAX_COLS 2048

struct columns {
    char *v[MAX_COLS];
    size_t n;
};

static void add_column(struct columns *cs, const char *table, const char *col, const char *type)
{
    assert_true(cs->n < MAX_COLS);
    char buf[256];
    snprintf(buf, sizeof buf, "%s.%s:%s", table, col, class_of(type));
    cs->v[cs->n++] = strdup(buf);
}

static void sqlite_columns(const char *path, struct columns *cs)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT m.name, p.name, p.type FROM sqlite_master m,"
                                        " pragma_table_info(m.name) p WHERE m.type = 'table'"
                                        " AND m.name NOT LIKE 'sqlite_%'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        add_column(cs, (const char *)sqlite3_column_text(st, 0),
                   (const char *)sqlite3_column_text(st, 1),
                   (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void pg_columns(const char *url, struct columns *cs)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r =
        query(c, "SELECT table_name, column_name, data_type"
                 " FROM information_schema.columns WHERE table_schema = current_schema()");
    for (int i = 0; i < PQntuples(r); i++)
        add_column(cs, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
    PQclear(r);
    PQfinish(c);
}

static void logical_schema_equals_sqlite(void **state)
{
    struct fixture *f = need_pg(state);
    char path[200];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/%s.sqlite", tmp && *tmp ? tmp : "/tmp", f->db);
    unlink(path);
    char sq_url[256];
    snprintf(sq_url, sizeof sq_url, "sqlite:%s", path);
    struct tt_store *sq = open_store(sq_url, 1);
    struct tt_store *pg = open_store(f->url, 1);

    struct tt_store_conn *a = tt_store_acquire(sq), *b = tt_store_acquire(pg);
    int v_sq = tt_store_ops_of(a)->schema_version(a), v_pg = tt_store_ops_of(b)->schema_version(b);
    assert_true(v_pg >= 1);
    assert_int_equal(v_sq, v_pg);
    tt_store_release(a);
    tt_store_release(b);
    tt_store_close(sq);
    tt_store_close(pg);

    struct columns cs = {0}, cp = {0};
    sqlite_columns(path, &cs);
    pg_columns(f->url, &cp);
    qsort(cs.v, cs.n, sizeof cs.v[0], cmp_str);
    qsort(cp.v, cp.n, sizeof cp.v[0], cmp_str);
    for (size_t i = 0; i < cs.n || i < cp.n; i++) {
        const char *x = i < cs.n ? cs.v[i] : "(none)", *y = i < cp.n ? cp.v[i] : "(none)";
        if (strcmp(x, y) != 0)
            fail_msg("schemas differ: sqlite %s, postgres %s", x, y);
    }
    assert_true(cp.n > N_TABLES * 2);
    for (size_t i = 0; i < cs.n; i++)
        free(cs.v[i]);
    for (size_t i = 0; i < cp.n; i++)
        free(cp.v[i]);
    unlink(path);
    char side[256];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* ---- two nodes migrating at once ---- */

struct opener {
    const char *url;
    int rc;
    int version;
    char err[256];
};

static void *open_thread(void *arg)
{
    struct opener *o = arg;
    struct tt_store *s = NULL;
    o->rc = tt_store_open(o->url, 1, 1, &s, o->err, sizeof o->err);
    if (o->rc == 0) {
        struct tt_store_conn *c = tt_store_acquire(s);
        o->version = tt_store_ops_of(c)->schema_version(c);
        tt_store_release(c);
        tt_store_close(s);
    }
    return NULL;
}

static void two_nodes_migrating_at_once_both_succeed(void **state)
{
    struct fixture *f = need_pg(state);
    struct opener o[2] = {{.url = f->url}, {.url = f->url}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, open_thread, &o[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++)
        if (o[i].rc != 0)
            fail_msg("node %d: %s", i, o[i].err);
    assert_true(o[0].version >= 1);
    assert_int_equal(o[0].version, o[1].version);
    PGconn *c = PQconnectdb(f->url);
    /* each step recorded once (areas number their steps in ranges: versions are not 1..n) */
    PGresult *r = query(c, "SELECT count(*) - count(DISTINCT version), max(version)"
                           " FROM schema_migrations");
    assert_int_equal(strtol(PQgetvalue(r, 0, 0), NULL, 10), 0);
    assert_int_equal(strtol(PQgetvalue(r, 0, 1), NULL, 10), o[0].version);
    PQclear(r);
    PQfinish(c);
}

/* ---- faults ---- */

static void database_down_fails_in_bounded_time_without_password(void **state)
{
    need_pg(state);
    setenv("TUTELA_DB_CONNECT_TIMEOUT", "1", 1);
    struct tt_store *s = NULL;
    char err[512] = "";
    time_t t0 = time(NULL);
    /* port 1 on the loopback: nothing listens there */
    int rc = tt_store_open("postgres://tutela:Sup3rS3cretPw@127.0.0.1:1/tutela_test", 1, 1, &s, err,
                           sizeof err);
    unsetenv("TUTELA_DB_CONNECT_TIMEOUT");
    assert_true(rc < 0);
    assert_null(s);
    assert_true(time(NULL) - t0 <= 5);
    assert_non_null(strstr(err, "cannot connect to PostgreSQL"));
    assert_null(strstr(err, "Sup3rS3cretPw"));
    err[0] = '\0';
    rc = tt_store_open("postgres://tutela:Sup3r%zzS3cret@127.0.0.1:1/x", 1, 1, &s, err, sizeof err);
    assert_true(rc < 0);
    assert_true(err[0] != '\0');
    assert_null(strstr(err, "S3cret"));
}

static enum tt_qs put_tenant(struct tt_store_conn *c, void *cls)
{
    return tt_store_ops_of(c)->tenant_put(c, cls);
}

static void lost_connection_is_reset_and_the_transaction_retried(void **state)
{
    struct fixture *f = need_pg(state);
    struct tt_store *s = open_store(f->url, 1);
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_tenant t = {.id = "ten_a", .name = "A", .kind = TT_TENANT_CUSTOMER, .created_at = 1};
    assert_int_equal(tt_store_txn(c, put_tenant, &t), TT_QS_ONE);

    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'"
             " AND application_name = 'tutela'",
             f->db);
    PGconn *a = admin();
    PGresult *r = query(a, sql);
    assert_int_equal(PQntuples(r), 1);
    PQclear(r);
    PQfinish(a);
    usleep(100000);

    /* the first attempt meets the dead connection (SOFT); the retry runs on a fresh one */
    struct tt_tenant u = {.id = "ten_b", .name = "B", .kind = TT_TENANT_CUSTOMER, .created_at = 2};
    assert_int_equal(tt_store_txn(c, put_tenant, &u), TT_QS_ONE);
    struct tt_tenant got;
    assert_int_equal(ops->tenant_get(c, "ten_b", &got), TT_QS_ONE);
    assert_string_equal(got.name, "B");
    /* a duplicate answers NONE and the transaction stays usable */
    assert_int_equal(tt_store_txn(c, put_tenant, &u), TT_QS_NONE);
    tt_store_release(c);
    tt_store_close(s);
}

/* ---- cursor streams ---- */

struct scan_seen {
    long n;
    int stop_at;
    char last[2 * TT_ID_MAX];
    int ordered;
};

static int on_subject(void *cls, const struct tt_subject *s)
{
    struct scan_seen *x = cls;
    char key[2 * TT_ID_MAX];
    snprintf(key, sizeof key, "%s/%s", s->tenant_id, s->id);
    if (strcmp(key, x->last) <= 0)
        x->ordered = 0;
    memcpy(x->last, key, sizeof key);
    x->n++;
    return x->stop_at && x->n == x->stop_at;
}

static enum tt_qs scan_in_txn(struct tt_store_conn *c, void *cls)
{
    return tt_store_ops_of(c)->subject_scan(c, on_subject, cls);
}

static void subject_scan_streams_past_one_fetch_in_order(void **state)
{
    struct fixture *f = need_pg(state);
    struct tt_store *s = open_store(f->url, 1);
    PGconn *a = PQconnectdb(f->url);
    PQclear(query(a, "INSERT INTO tenants VALUES ('ten_1', 'one', 1, 0), ('ten_2', 'two', 1, 0)"));
    PQclear(query(a, "INSERT INTO subjects SELECT 'ten_' || (1 + i % 2), 'sub_' || lpad(i::text,"
                     " 6, '0'), 2, 'NL', 0, 0, 0, 0, 0, 0, i, i, 0"
                     " FROM generate_series(1, 25001) i"));
    PQfinish(a);
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);

    struct scan_seen x = {.ordered = 1};
    assert_int_equal(ops->subject_scan(c, on_subject, &x), 25001);
    assert_int_equal(x.n, 25001);
    assert_true(x.ordered);

    struct scan_seen y = {.ordered = 1, .stop_at = 10005};
    assert_int_equal(ops->subject_scan(c, on_subject, &y), 10005);

    struct scan_seen z = {.ordered = 1};
    assert_int_equal(tt_store_txn(c, scan_in_txn, &z), 25001);
    assert_true(z.ordered);
    int64_t n = 0;
    assert_int_equal(ops->subject_count(c, "ten_2", &n), TT_QS_ONE);
    assert_int_equal(n, 12501); /* the odd ones of 1..25001 */
    tt_store_release(c);
    tt_store_close(s);
}

/* ---- one audit chain, two writers on two "nodes" ---- */

#define EVENTS_PER_WRITER 150

struct writer {
    const char *url;
    int ok;
};

static enum tt_qs append_one(struct tt_store_conn *c, void *cls)
{
    (void)cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_audit_event last, e = {.at = 100};
    enum tt_qs qs = ops->audit_last(c, "ten_1", &last);
    if (qs < 0)
        return qs;
    e.seq = qs == TT_QS_ONE ? last.seq + 1 : 1;
    if (qs == TT_QS_ONE)
        memcpy(e.prev_hash, last.hash, 32);
    snprintf(e.tenant_id, sizeof e.tenant_id, "ten_1");
    snprintf(e.actor, sizeof e.actor, "system");
    snprintf(e.action, sizeof e.action, "test.append");
    snprintf(e.target, sizeof e.target, "seq");
    e.detail_json = "{}";
    crypto_generichash(e.hash, 32, e.prev_hash, 32, (const uint8_t *)&e.seq, sizeof e.seq);
    return ops->audit_append(c, &e);
}

static void *writer_thread(void *arg)
{
    struct writer *w = arg;
    struct tt_store *s = open_store(w->url, 1);
    struct tt_store_conn *c = tt_store_acquire(s);
    for (int i = 0; i < EVENTS_PER_WRITER; i++)
        w->ok += tt_store_txn(c, append_one, NULL) == TT_QS_ONE;
    tt_store_release(c);
    tt_store_close(s);
    return NULL;
}

struct chain_check {
    int64_t next;
    uint8_t prev[32];
    int broken;
};

static int on_event(void *cls, const struct tt_audit_event *e)
{
    struct chain_check *k = cls;
    uint8_t h[32];
    crypto_generichash(h, 32, k->prev, 32, (const uint8_t *)&e->seq, sizeof e->seq);
    if (e->seq != k->next || memcmp(e->prev_hash, k->prev, 32) != 0 || memcmp(h, e->hash, 32))
        k->broken = 1;
    if (!e->detail_json || strcmp(e->detail_json, "{}") != 0)
        k->broken = 1;
    memcpy(k->prev, e->hash, 32);
    k->next++;
    return 0;
}

static void audit_chain_stays_linear_under_two_writers(void **state)
{
    struct fixture *f = need_pg(state);
    struct tt_store *s = open_store(f->url, 1);
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_tenant t = {.id = "ten_1", .name = "one", .kind = TT_TENANT_CUSTOMER};
    assert_int_equal(ops->tenant_put(c, &t), TT_QS_ONE);
    struct tt_audit_event none;
    assert_int_equal(ops->audit_last(c, "ten_1", &none), TT_QS_NONE);

    struct writer w[2] = {{.url = f->url}, {.url = f->url}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(w[0].ok + w[1].ok, 2 * EVENTS_PER_WRITER);

    struct chain_check k = {.next = 1};
    assert_int_equal(ops->audit_scan(c, NULL, 0, 0, on_event, &k), 2 * EVENTS_PER_WRITER);
    assert_false(k.broken);
    struct tt_audit_event last;
    assert_int_equal(ops->audit_last(c, "ten_1", &last), TT_QS_ONE);
    assert_int_equal(last.seq, 2 * EVENTS_PER_WRITER);

    /* an event that does not follow the tail is refused, with nothing written */
    struct tt_audit_event fork = last;
    fork.detail_json = NULL;
    assert_int_equal(ops->audit_append(c, &fork), TT_QS_NONE);
    tt_store_release(c);
    tt_store_close(s);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(citus_rule_every_key_carries_tenant_id, setup, teardown),
        cmocka_unit_test_setup_teardown(logical_schema_equals_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_migrating_at_once_both_succeed, setup, teardown),
        cmocka_unit_test_setup_teardown(database_down_fails_in_bounded_time_without_password, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(lost_connection_is_reset_and_the_transaction_retried, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(subject_scan_streams_past_one_fetch_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(audit_chain_stays_linear_under_two_writers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
