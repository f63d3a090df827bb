/* SPDX-License-Identifier: Apache-2.0 */
/* consent_schema.c — the consent area's tables on SQLite (store/areas.h: versions 200..299): the
 * consent ledger (events and per-tenant heads) and the email opens seen by beacons. Same logical
 * schema as src/store/postgres/pg_consent_schema.c (docs/schema.md). No foreign key to subjects:
 * proofs outlive an erased subject (S7.5, S8.2). */
#include "consent_cols.h"
#include "sq.h"

const struct sq_migration tt__sq_schema_consent[] = {
    {200, "CREATE TABLE consent_heads ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  seq BIGINT NOT NULL,"
          "  hash BLOB NOT NULL,"
          "  floor_seq BIGINT NOT NULL,"
          "  floor_hash BLOB NOT NULL,"
          "  PRIMARY KEY (tenant_id));"
          "CREATE TABLE consent_events ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  seq BIGINT NOT NULL,"
          "  event_id TEXT NOT NULL,"
          "  subject_id TEXT NOT NULL,"
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
          "  evidence BLOB,"
          "  prev_hash BLOB NOT NULL,"
          "  hash BLOB NOT NULL,"
          "  PRIMARY KEY (tenant_id, seq));"
          "CREATE INDEX consent_events_subject_idx ON consent_events (tenant_id, subject_id, seq);"
          "CREATE TABLE consent_opens ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  open_id TEXT NOT NULL,"
          "  subject_id TEXT NOT NULL,"
          "  campaign TEXT NOT NULL,"
          "  at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, open_id));"
          "CREATE INDEX consent_opens_subject_idx ON consent_opens (tenant_id, subject_id);"},
    /* issue 4: the events' tenant reference checked at COMMIT (DEFERRABLE INITIALLY DEFERRED;
     * the chain's head row, written in the same transaction, names the same tenant under an
     * immediate one). With an immediate foreign key every multi-row INSERT may abort halfway,
     * so SQLite keeps a statement journal (a copy of each page it touches) for it: a third of
     * the ledger's insert time. The table is rebuilt (SQLite cannot alter a constraint). */
    {201,
     "CREATE TABLE consent_events_v201 ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) DEFERRABLE INITIALLY DEFERRED,"
     "  seq BIGINT NOT NULL,"
     "  event_id TEXT NOT NULL,"
     "  subject_id TEXT NOT NULL,"
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
     "  evidence BLOB,"
     "  prev_hash BLOB NOT NULL,"
     "  hash BLOB NOT NULL,"
     "  PRIMARY KEY (tenant_id, seq));"
     "INSERT INTO consent_events_v201 (" SQ_CONSENT_EV_COLS ")"
     "  SELECT " SQ_CONSENT_EV_COLS " FROM consent_events ORDER BY tenant_id, seq;"
     "DROP TABLE consent_events;"
     "ALTER TABLE consent_events_v201 RENAME TO consent_events;"
     "CREATE INDEX consent_events_subject_idx ON consent_events (tenant_id, subject_id, seq);"},
    {0, NULL},
};
