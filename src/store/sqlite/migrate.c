/* SPDX-License-Identifier: Apache-2.0 */
/* migrate.c — the schema of docs/schema.md for SQLite, as numbered migrations. Each step runs in
 * its own BEGIN IMMEDIATE transaction and is recorded in schema_migrations, so two processes
 * migrating at once serialise: one applies a step, the other waits for the lock and then finds
 * the step recorded. Column names match the PostgreSQL backend exactly (BYTES is BLOB here). */
#include "sq.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The core area (store/areas.h: versions 1..99). Append only: a released step is never edited,
 * a change is a new step. */
const struct sq_migration tt__sq_schema_core[] = {
    {1, "CREATE TABLE settings ("
        "  key TEXT NOT NULL PRIMARY KEY,"
        "  value TEXT NOT NULL);"
        "CREATE TABLE tenants ("
        "  tenant_id TEXT NOT NULL PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  kind BIGINT NOT NULL,"
        "  created_at BIGINT NOT NULL);"
        "CREATE TABLE api_keys ("
        "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
        "  key_id TEXT NOT NULL,"
        "  role BIGINT NOT NULL,"
        "  hash TEXT NOT NULL,"
        "  created_at BIGINT NOT NULL,"
        "  revoked_at BIGINT NOT NULL DEFAULT 0,"
        "  PRIMARY KEY (tenant_id, key_id),"
        "  UNIQUE (key_id));"
        "CREATE TABLE subjects ("
        "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
        "  subject_id TEXT NOT NULL,"
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
        "  tenant_id TEXT NOT NULL,"
        "  subject_id TEXT NOT NULL,"
        "  purpose TEXT NOT NULL,"
        "  consent BIGINT NOT NULL,"
        "  objection BIGINT NOT NULL,"
        "  updated_at BIGINT NOT NULL,"
        "  PRIMARY KEY (tenant_id, subject_id, purpose),"
        "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
        "CREATE TABLE subject_keys ("
        "  tenant_id TEXT NOT NULL,"
        "  subject_id TEXT NOT NULL,"
        "  key_class BIGINT NOT NULL,"
        "  master_key_id TEXT NOT NULL,"
        "  wrapped BLOB,"
        "  created_at BIGINT NOT NULL,"
        "  destroyed_at BIGINT NOT NULL,"
        "  PRIMARY KEY (tenant_id, subject_id, key_class),"
        "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
        "CREATE TABLE identities ("
        "  tenant_id TEXT NOT NULL,"
        "  identity_id TEXT NOT NULL,"
        "  subject_id TEXT NOT NULL,"
        "  type BIGINT NOT NULL,"
        "  blind TEXT NOT NULL,"
        "  value_enc BLOB,"
        "  created_at BIGINT NOT NULL,"
        "  PRIMARY KEY (tenant_id, identity_id),"
        "  UNIQUE (tenant_id, type, blind),"
        "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
        "CREATE INDEX identities_subject_idx ON identities (tenant_id, subject_id);"
        "CREATE TABLE records ("
        "  tenant_id TEXT NOT NULL,"
        "  record_id TEXT NOT NULL,"
        "  subject_id TEXT NOT NULL,"
        "  service TEXT NOT NULL,"
        "  data_category TEXT NOT NULL,"
        "  purpose TEXT NOT NULL,"
        "  legal_basis BIGINT NOT NULL,"
        "  source TEXT NOT NULL,"
        "  collected_at BIGINT NOT NULL,"
        "  retention_until BIGINT NOT NULL,"
        "  value_enc BLOB,"
        "  created_at BIGINT NOT NULL,"
        "  PRIMARY KEY (tenant_id, record_id),"
        "  FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, subject_id));"
        "CREATE INDEX records_subject_idx ON records (tenant_id, subject_id, record_id);"
        "CREATE INDEX records_retention_idx ON records (tenant_id, retention_until);"
        "CREATE TABLE audit_events ("
        "  tenant_id TEXT NOT NULL,"
        "  seq BIGINT NOT NULL,"
        "  at BIGINT NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  action TEXT NOT NULL,"
        "  target TEXT NOT NULL,"
        "  detail TEXT,"
        "  prev_hash BLOB NOT NULL,"
        "  hash BLOB NOT NULL,"
        "  PRIMARY KEY (tenant_id, seq));"
        "CREATE INDEX audit_events_at_idx ON audit_events (tenant_id, at);"
        "CREATE TABLE audit_heads ("
        "  tenant_id TEXT NOT NULL PRIMARY KEY,"
        "  seq BIGINT NOT NULL,"
        "  hash BLOB NOT NULL);"},
    {0, NULL},
};

/* Every area's steps; an area that lands adds its array here (and its extern in sq.h). */
static const struct sq_migration *const areas[] = {
    tt__sq_schema_core,       tt__sq_schema_requests,      tt__sq_schema_retention,
    tt__sq_schema_recipients, tt__sq_schema_accounts,      tt__sq_schema_jobs,
    tt__sq_schema_consent,    tt__sq_schema_subscriptions,
};

#define N_AREAS (sizeof areas / sizeof areas[0])

static int table_exists(sqlite3 *db, const char *name, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
            *out = rc == SQLITE_ROW;
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Highest recorded version (0 if none or no table yet); a SQLite code. Not cached: it runs once
 * per step and before the table exists. */
static int current_version(sqlite3 *db, int64_t *out)
{
    int exists = 0;
    int rc = table_exists(db, "schema_migrations", &exists);
    if (rc != SQLITE_OK)
        return rc;
    if (!exists) {
        *out = 0;
        return SQLITE_OK;
    }
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &st,
                            NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether a step is recorded (*out 0/1); a SQLite code. No table yet means not recorded. */
static int step_recorded(sqlite3 *db, int64_t version, int *out)
{
    int exists = 0;
    int rc = table_exists(db, "schema_migrations", &exists);
    if (rc != SQLITE_OK || !exists) {
        *out = 0;
        return rc;
    }
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "SELECT 1 FROM schema_migrations WHERE version = ?", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 1, version);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
            *out = rc == SQLITE_ROW;
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int record_step(sqlite3 *db, int64_t version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 1, version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* BEGIN IMMEDIATE, waiting out another migrating process beyond one busy timeout. */
static int begin_step(sqlite3 *db)
{
    int rc = SQLITE_BUSY;
    for (int attempt = 0; attempt < 12 && (rc & 0xff) == SQLITE_BUSY; attempt++)
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc;
}

/* Applies one step unless another process did: a SQLite code. */
static int apply_step(sqlite3 *db, const struct sq_migration *m)
{
    int rc = begin_step(db);
    if (rc != SQLITE_OK)
        return rc;
    int done = 0;
    rc = sqlite3_exec(db,
                      "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      "  version BIGINT NOT NULL PRIMARY KEY,"
                      "  applied_at BIGINT NOT NULL)",
                      NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = step_recorded(db, m->version, &done);
    if (rc == SQLITE_OK && !done) {
        rc = sqlite3_exec(db, m->sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = record_step(db, m->version);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(db)) {
        int keep = rc;
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        rc = keep;
    }
    return rc;
}

int tt__sq_migrate(struct sq_conn *c, char *err, size_t err_size)
{
    int rc = SQLITE_OK;
    /* steps are applied by whether they are recorded, not by the highest version, so areas
     * that land later with lower numbers still apply; up to date = no write lock taken */
    for (size_t a = 0; rc == SQLITE_OK && a < N_AREAS; a++) {
        for (const struct sq_migration *m = areas[a]; rc == SQLITE_OK && m->sql; m++) {
            int done = 0;
            rc = step_recorded(c->db, m->version, &done);
            if (rc != SQLITE_OK || done)
                continue;
            rc = apply_step(c->db, m);
            if (rc != SQLITE_OK) {
                tt__sq_fail(c, rc);
                if (err && err_size)
                    snprintf(err, err_size, "sqlite migration %lld failed: %s",
                             (long long)m->version, c->last_err);
                return -1;
            }
        }
    }
    int64_t have = 0;
    if (rc == SQLITE_OK)
        rc = current_version(c->db, &have);
    if (rc != SQLITE_OK) {
        tt__sq_fail(c, rc);
        if (err && err_size)
            snprintf(err, err_size, "sqlite: cannot read the schema version: %s", c->last_err);
        return -1;
    }
    return (int)have;
}

int tt__sq_schema_version(struct tt_store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    int64_t have = 0;
    int rc = current_version(q->db, &have);
    if (rc != SQLITE_OK) {
        tt__sq_fail(q, rc);
        return -1;
    }
    return (int)have;
}
