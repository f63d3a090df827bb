/* SPDX-License-Identifier: Apache-2.0 */
/* pg_consent_schema.c — the consent area's tables on PostgreSQL (store/areas.h: versions
 * 200..299): the consent ledger (events and per-tenant heads) and the email opens seen by
 * beacons. Same logical schema as src/store/sqlite/consent_schema.c (docs/schema.md); tenant_id
 * in every key (Citus rule). No foreign key to subjects: proofs outlive an erased subject (S7.5,
 * S8.2). */
#include "pg_internal.h"

const struct pg_migration tt__pg_schema_consent[] = {
    {200, "CREATE TABLE consent_heads ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  seq BIGINT NOT NULL,"
          "  hash BYTEA NOT NULL,"
          "  floor_seq BIGINT NOT NULL,"
          "  floor_hash BYTEA NOT NULL,"
          "  PRIMARY KEY (tenant_id));"
          "CREATE TABLE consent_events ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  seq BIGINT NOT NULL,"
          "  event_id TEXT NOT NULL,"
          "  subject_id TEXT COLLATE \"C\" NOT NULL,"
          "  cookie_id TEXT NOT NULL,"
          "  target_kind TEXT NOT NULL,"
          "  target TEXT NOT NULL,"
          "  action BIGINT NOT NULL,"
          "  method TEXT NOT NULL,"
          "  notice_version TEXT NOT NULL,"
          "  banner_version TEXT NOT NULL,"
          "  language TEXT NOT NULL,"
          "  choices TEXT NOT NULL,"
          "  at BIGINT NOT NULL,"
          "  expires_at BIGINT NOT NULL,"
          "  evidence BYTEA,"
          "  prev_hash BYTEA NOT NULL,"
          "  hash BYTEA NOT NULL,"
          "  PRIMARY KEY (tenant_id, seq));"
          "CREATE INDEX consent_events_subject_idx ON consent_events (tenant_id, subject_id, seq);"
          "CREATE TABLE consent_opens ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  open_id TEXT COLLATE \"C\" NOT NULL,"
          "  subject_id TEXT COLLATE \"C\" NOT NULL,"
          "  campaign TEXT NOT NULL,"
          "  at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, open_id));"
          "CREATE INDEX consent_opens_subject_idx ON consent_opens (tenant_id, subject_id);"},
    {0, NULL},
};
