/* SPDX-License-Identifier: Apache-2.0 */
/* pg_migrate.c — the schema of docs/schema.md for PostgreSQL, as numbered migrations (issue 9).
 * Each step runs in its own READ COMMITTED transaction holding a transaction-scoped advisory
 * lock, so several nodes migrating at once serialise: one applies the step, the others wait for
 * the lock and then find it recorded in schema_migrations. Table and column names are those of
 * the SQLite backend (BYTES is BYTEA here); every key carries tenant_id (Citus, docs/scaling.md).
 */
#include "pg_internal.h"

#include <stdio.h>
#include <string.h>

/* pg_advisory_xact_lock key: "tutela" in ASCII, shared by every node of one database */
#define MIGRATION_LOCK "116117116101108097"

/* The core area (store/areas.h: versions 1..99). Append only: a released step is never edited,
 * a change is a new step. */
const struct pg_migration tt__pg_schema_core[] = {
    {1, /* the foundation schema */
     "CREATE TABLE settings ("
     "  key TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
     "  value TEXT NOT NULL);"
     "CREATE TABLE tenants ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  kind BIGINT NOT NULL,"
     "  created_at BIGINT NOT NULL);"
     "CREATE TABLE api_keys ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
     "  key_id TEXT COLLATE \"C\" NOT NULL,"
     "  role BIGINT NOT NULL,"
     "  hash TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL,"
     "  revoked_at BIGINT NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (tenant_id, key_id),"
     "  UNIQUE (key_id));"
     "CREATE TABLE subjects ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
     "  subject_id TEXT COLLATE \"C\" NOT NULL,"
     "  kind BIGINT NOT NULL,"
     "  jurisdiction TEXT NOT NULL,"
     "  has_birth_date BIGINT NOT NULL,"
     "  is_child BIGINT NOT NULL,"
     "  contract_active BIGINT NOT NULL,"
     "  contract_ended_at BIGINT NOT NULL,"
     "  restricted BIGINT NOT NULL,"
     "  retention_until BIGINT NOT NULL,"
     "  created_at BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL,"
     "  erased_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, subject_id));"
     "CREATE TABLE subject_purposes ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL,"
     "  subject_id TEXT COLLATE \"C\" NOT NULL,"
     "  purpose TEXT COLLATE \"C\" NOT NULL,"
     "  consent BIGINT NOT NULL,"
     "  objection BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, subject_id, purpose),"
     "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
     "CREATE TABLE subject_keys ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL,"
     "  subject_id TEXT COLLATE \"C\" NOT NULL,"
     "  key_class BIGINT NOT NULL,"
     "  master_key_id TEXT NOT NULL,"
     "  wrapped BYTEA,"
     "  created_at BIGINT NOT NULL,"
     "  destroyed_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, subject_id, key_class),"
     "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
     "CREATE TABLE identities ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL,"
     "  identity_id TEXT COLLATE \"C\" NOT NULL,"
     "  subject_id TEXT COLLATE \"C\" NOT NULL,"
     "  type BIGINT NOT NULL,"
     "  blind TEXT COLLATE \"C\" NOT NULL,"
     "  value_enc BYTEA,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, identity_id),"
     "  UNIQUE (tenant_id, type, blind),"
     "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
     "CREATE INDEX identities_subject_idx ON identities (tenant_id, subject_id);"
     "CREATE TABLE records ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL,"
     "  record_id TEXT COLLATE \"C\" NOT NULL,"
     "  subject_id TEXT COLLATE \"C\" NOT NULL,"
     "  service TEXT NOT NULL,"
     "  data_category TEXT NOT NULL,"
     "  purpose TEXT COLLATE \"C\" NOT NULL,"
     "  legal_basis BIGINT NOT NULL,"
     "  source TEXT NOT NULL,"
     "  collected_at BIGINT NOT NULL,"
     "  retention_until BIGINT NOT NULL,"
     "  value_enc BYTEA,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, record_id),"
     "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
     "CREATE INDEX records_subject_idx ON records (tenant_id, subject_id, record_id);"
     "CREATE INDEX records_retention_idx ON records (tenant_id, retention_until);"
     "CREATE TABLE audit_events ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL,"
     "  seq BIGINT NOT NULL,"
     "  at BIGINT NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  target TEXT NOT NULL,"
     "  detail TEXT,"
     "  prev_hash BYTEA NOT NULL,"
     "  hash BYTEA NOT NULL,"
     "  PRIMARY KEY (tenant_id, seq));"
     "CREATE INDEX audit_events_at_idx ON audit_events (tenant_id, at);"
     "CREATE TABLE audit_heads ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
     "  seq BIGINT NOT NULL,"
     "  hash BYTEA NOT NULL);"},
    {0, NULL},
};

/* Every area's steps; an area that lands adds its array here (and its extern in pg_internal.h). */
static const struct pg_migration *const areas[] = {
    tt__pg_schema_core,       tt__pg_schema_jobs,          tt__pg_schema_retention,
    tt__pg_schema_recipients, tt__pg_schema_accounts,      tt__pg_schema_consent,
    tt__pg_schema_requests,   tt__pg_schema_subscriptions,
};

#define N_AREAS (sizeof areas / sizeof areas[0])

static const struct pg_stmt ST_EXISTS = {
    PG_SCHEMA_EXISTS, "tt_schema_exists", "",
    "SELECT count(*) FROM pg_catalog.pg_class WHERE oid = to_regclass('schema_migrations')", NULL};

static const struct pg_stmt ST_RECORDED = {PG_SCHEMA_RECORDED, "tt_schema_recorded", "i",
                                           "SELECT count(*)::bigint FROM schema_migrations"
                                           " WHERE version = $1",
                                           NULL};

static const struct pg_stmt ST_VERSION = {PG_SCHEMA_VERSION, "tt_schema_version", "",
                                          "SELECT COALESCE(MAX(version), 0)::bigint"
                                          " FROM schema_migrations",
                                          NULL};

/* The recorded version (0 when there is no schema_migrations table yet), or < 0. */
static int64_t current_version(struct pg_conn *c)
{
    PGresult *r = NULL;
    if (tt__pg_exec(c, &ST_EXISTS, NULL, &r) < 0)
        return -1;
    int64_t exists = PQntuples(r) == 1 ? tt__pg_int(r, 0, 0) : 0;
    PQclear(r);
    if (!exists)
        return 0;
    if (tt__pg_exec(c, &ST_VERSION, NULL, &r) < 0)
        return -1;
    int64_t v = PQntuples(r) == 1 ? tt__pg_int(r, 0, 0) : -1;
    PQclear(r);
    return v;
}

int tt__pg_schema_version(struct tt_store_conn *c)
{
    int64_t v = current_version(pg_conn_of(c));
    return v < 0 ? -1 : (int)v;
}

static void fail(struct pg_conn *c, char *err, size_t err_size, int step, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(c->pq));
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    if (err && err_size)
        snprintf(err, err_size, "postgres migration %d: %s failed: %s", step, what, msg);
    if (PQstatus(c->pq) == CONNECTION_OK && PQtransactionStatus(c->pq) != PQTRANS_IDLE)
        PQclear(PQexec(c->pq, "ROLLBACK"));
    c->in_txn = 0;
}

/* Whether step version is recorded: 1, 0, or < 0 on error. */
static int recorded(struct pg_conn *c, int64_t version)
{
    PGresult *r = NULL;
    if (tt__pg_exec(c, &ST_EXISTS, NULL, &r) < 0)
        return -1;
    int64_t exists = PQntuples(r) == 1 ? tt__pg_int(r, 0, 0) : 0;
    PQclear(r);
    if (!exists)
        return 0;
    struct pg_args a = {0};
    tt__pg_arg_int(&a, version);
    if (tt__pg_exec(c, &ST_RECORDED, &a, &r) < 0)
        return -1;
    int64_t n = PQntuples(r) == 1 ? tt__pg_int(r, 0, 0) : -1;
    PQclear(r);
    return n < 0 ? -1 : n > 0;
}

/* One locked transaction: applies step m unless another node did. Returns 0 or < 0. */
static int step(struct pg_conn *c, const struct pg_migration *m, char *err, size_t err_size)
{
    int v = (int)m->version;
    /* READ COMMITTED whatever the server's default: each statement after the lock wait must
     * see what the node that held the lock committed */
    if (tt__pg_command(c, "BEGIN ISOLATION LEVEL READ COMMITTED;"
                          "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ");"
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "  version BIGINT NOT NULL PRIMARY KEY,"
                          "  applied_at BIGINT NOT NULL)") < 0) {
        fail(c, err, err_size, v, "locking");
        return -1;
    }
    c->in_txn = 1;
    int done = recorded(c, m->version);
    if (done < 0) {
        fail(c, err, err_size, v, "reading the recorded steps");
        return -1;
    }
    if (!done) {
        char record[160];
        snprintf(record, sizeof record,
                 "INSERT INTO schema_migrations (version, applied_at)"
                 " VALUES (%d, EXTRACT(EPOCH FROM now())::bigint)",
                 v);
        if (tt__pg_command(c, m->sql) < 0 || tt__pg_command(c, record) < 0) {
            fail(c, err, err_size, v, "applying");
            return -1;
        }
    }
    if (tt__pg_command(c, "COMMIT") < 0) {
        fail(c, err, err_size, v, "committing");
        return -1;
    }
    c->in_txn = 0;
    return 0;
}

int tt__pg_migrate(struct pg_conn *c, char *err, size_t err_size)
{
    if (c->in_txn) {
        if (err && err_size)
            snprintf(err, err_size, "postgres: cannot migrate inside a transaction");
        return -1;
    }
    /* steps are applied by whether they are recorded, not by the highest version, so areas
     * that land later with lower numbers still apply; up to date = no lock taken */
    for (size_t a = 0; a < N_AREAS; a++) {
        for (const struct pg_migration *m = areas[a]; m->sql; m++) {
            int done = recorded(c, m->version);
            if (done < 0) {
                fail(c, err, err_size, (int)m->version, "reading the recorded steps");
                return -1;
            }
            if (!done && step(c, m, err, err_size) < 0)
                return -1;
        }
    }
    int64_t have = current_version(c);
    if (have < 0) {
        fail(c, err, err_size, 0, "reading the version");
        return -1;
    }
    return (int)have;
}
