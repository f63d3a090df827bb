/* SPDX-License-Identifier: Apache-2.0 */
/* retention_schema.c — the retention area's tables on SQLite (store/areas.h: versions 400..499):
 * legal holds, anonymised statistics cells, per-tenant claims of the sweep and recomputation.
 * Same logical schema as src/store/postgres/pg_retention_schema.c (docs/schema.md). */
#include "sq.h"

const struct sq_migration tt__sq_schema_retention[] = {
    {400, "CREATE TABLE retention_holds ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  hold_id TEXT NOT NULL,"
          "  subject_id TEXT NOT NULL,"
          "  service TEXT NOT NULL,"
          "  data_category TEXT NOT NULL,"
          "  reason TEXT NOT NULL,"
          "  created_by TEXT NOT NULL,"
          "  until_at BIGINT NOT NULL,"
          "  created_at BIGINT NOT NULL,"
          "  released_at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, hold_id));"
          "CREATE INDEX retention_holds_active_idx ON retention_holds (tenant_id, released_at);"
          "CREATE TABLE retention_stats ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  day BIGINT NOT NULL,"
          "  service TEXT NOT NULL,"
          "  country TEXT NOT NULL,"
          "  messages BIGINT NOT NULL,"
          "  subjects BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, day, service, country));"
          "CREATE TABLE retention_claims ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  name TEXT NOT NULL,"
          "  holder TEXT NOT NULL,"
          "  expires_at BIGINT NOT NULL,"
          "  cursor TEXT NOT NULL,"
          "  PRIMARY KEY (tenant_id, name));"
          "CREATE INDEX retention_child_idx ON subjects (tenant_id, subject_id)"
          "  WHERE is_child = 1;"},
    {0, NULL},
};
