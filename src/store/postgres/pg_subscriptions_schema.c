/* SPDX-License-Identifier: Apache-2.0 */
/* pg_subscriptions_schema.c — the subscriptions area's tables on PostgreSQL (store/areas.h:
 * versions 700..799). Same logical schema as src/store/sqlite/subscriptions_schema.c; tenant_id
 * in every key and foreign key (Citus rule). */
#include "pg_internal.h"

const struct pg_migration tt__pg_schema_subscriptions[] = {
    {700, "CREATE TABLE sub_subscribers ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  subscriber_id TEXT COLLATE \"C\" NOT NULL,"
          "  kind TEXT COLLATE \"C\" NOT NULL,"
          "  status TEXT COLLATE \"C\" NOT NULL,"
          "  lang TEXT COLLATE \"C\" NOT NULL,"
          "  blind TEXT COLLATE \"C\" NOT NULL,"
          "  confirm_hash TEXT COLLATE \"C\" NOT NULL,"
          "  unsub_hash TEXT COLLATE \"C\" NOT NULL,"
          "  to_enc BYTEA,"
          "  secret_enc BYTEA,"
          "  confirm_expires_at BIGINT NOT NULL,"
          "  created_at BIGINT NOT NULL,"
          "  confirmed_at BIGINT NOT NULL,"
          "  updated_at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, subscriber_id),"
          "  UNIQUE (tenant_id, blind));"
          "CREATE INDEX sub_subscribers_confirm_idx ON sub_subscribers (tenant_id, confirm_hash);"
          "CREATE INDEX sub_subscribers_unsub_idx ON sub_subscribers (tenant_id, unsub_hash);"
          "CREATE INDEX sub_subscribers_status_idx ON sub_subscribers (tenant_id, status);"
          "CREATE TABLE sub_snapshots ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),"
          "  digest TEXT COLLATE \"C\" NOT NULL,"
          "  doc TEXT NOT NULL,"
          "  updated_at BIGINT NOT NULL);"
          "CREATE TABLE sub_announcements ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  version TEXT COLLATE \"C\" NOT NULL,"
          "  accounts BIGINT NOT NULL,"
          "  announced_at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, version));"},
    {701, "CREATE TABLE sub_policy_texts ("
          "  tenant_id TEXT COLLATE \"C\" NOT NULL REFERENCES tenants (tenant_id),"
          "  version TEXT COLLATE \"C\" NOT NULL,"
          "  text TEXT NOT NULL,"
          "  seen_at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, version));"},
    {0, NULL},
};
