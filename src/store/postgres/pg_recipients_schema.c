/* SPDX-License-Identifier: Apache-2.0 */
/* pg_recipients_schema.c — the recipients area's tables on PostgreSQL (store/areas.h: versions
 * 500..599): the registry, the disclosure log, government requests. Same logical schema as
 * src/store/sqlite/recipients_schema.c; tenant_id in every key and foreign key (Citus rule). */
#include "pg_internal.h"

const struct pg_migration tt__pg_schema_recipients[] = {
    {500,
     "CREATE TABLE recipients ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
     "  recipient_id TEXT COLLATE \"C\" NOT NULL,"
     "  rkey TEXT COLLATE \"C\" NOT NULL,"
     "  status TEXT COLLATE \"C\" NOT NULL,"
     "  flagged_at BIGINT NOT NULL,"
     "  doc TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, recipient_id),"
     "  UNIQUE (tenant_id, rkey));"
     "CREATE TABLE gov_requests ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
     "  govreq_id TEXT COLLATE \"C\" NOT NULL,"
     "  hidden BIGINT NOT NULL,"
     "  doc TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, govreq_id));"
     "CREATE TABLE disclosures ("
     "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
     "  disclosure_id TEXT COLLATE \"C\" NOT NULL,"
     "  subject_id TEXT COLLATE \"C\" NOT NULL,"
     "  recipient_id TEXT COLLATE \"C\" NOT NULL,"
     "  purpose TEXT COLLATE \"C\" NOT NULL,"
     "  govreq_id TEXT COLLATE \"C\" NOT NULL,"
     "  hidden BIGINT NOT NULL,"
     "  doc TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (tenant_id, disclosure_id),"
     "  FOREIGN KEY (tenant_id, recipient_id) REFERENCES recipients (tenant_id, recipient_id));"
     "CREATE INDEX disclosures_subject_idx ON disclosures (tenant_id, subject_id, created_at);"},
    {0, NULL},
};
