/* SPDX-License-Identifier: Apache-2.0 */
/* pg_retention_schema.c — the retention area's tables on PostgreSQL (store/areas.h: versions
 * 400..499): legal holds, anonymised statistics cells, per-tenant claims. Same logical schema as
 * src/store/sqlite/retention_schema.c; tenant_id in every key (Citus rule). */
#include "pg_internal.h"

const struct pg_migration tt__pg_schema_retention[] = {
    {400, "CREATE TABLE retention_holds ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  hold_id TEXT COLLATE \"C\" NOT NULL,"
          "  subject_id TEXT COLLATE \"C\" NOT NULL,"
          "  service TEXT COLLATE \"C\" NOT NULL,"
          "  data_category TEXT COLLATE \"C\" NOT NULL,"
          "  reason TEXT NOT NULL,"
          "  created_by TEXT COLLATE \"C\" NOT NULL,"
          "  until_at BIGINT NOT NULL,"
          "  created_at BIGINT NOT NULL,"
          "  released_at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, hold_id));"
          "CREATE INDEX retention_holds_active_idx ON retention_holds (tenant_id, released_at);"
          "CREATE TABLE retention_stats ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  day BIGINT NOT NULL,"
          "  service TEXT COLLATE \"C\" NOT NULL,"
          "  country TEXT COLLATE \"C\" NOT NULL,"
          "  messages BIGINT NOT NULL,"
          "  subjects BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, day, service, country));"
          "CREATE TABLE retention_claims ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  name TEXT COLLATE \"C\" NOT NULL,"
          "  holder TEXT COLLATE \"C\" NOT NULL,"
          "  expires_at BIGINT NOT NULL,"
          "  cursor TEXT COLLATE \"C\" NOT NULL,"
          "  PRIMARY KEY (tenant_id, name));"
          "CREATE INDEX retention_child_idx ON subjects (tenant_id, subject_id)"
          "  WHERE is_child = 1;"},
    {0, NULL},
};
