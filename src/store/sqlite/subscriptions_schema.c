/* SPDX-License-Identifier: Apache-2.0 */
/* subscriptions_schema.c — the subscriptions area's tables on SQLite (store/areas.h: versions
 * 700..799): subscribers of the public sub-processor list, the last list told to them, and the
 * notice versions announced. Same logical schema as src/store/postgres/pg_subscriptions_schema.c
 * (docs/subprocessors.md). */
#include "sq.h"

const struct sq_migration tt__sq_schema_subscriptions[] = {
    {700, "CREATE TABLE sub_subscribers ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  subscriber_id TEXT NOT NULL,"
          "  kind TEXT NOT NULL,"
          "  status TEXT NOT NULL,"
          "  lang TEXT NOT NULL,"
          "  blind TEXT NOT NULL,"
          "  confirm_hash TEXT NOT NULL,"
          "  unsub_hash TEXT NOT NULL,"
          "  to_enc BLOB,"
          "  secret_enc BLOB,"
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
          "  tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),"
          "  digest TEXT NOT NULL,"
          "  doc TEXT NOT NULL,"
          "  updated_at BIGINT NOT NULL);"
          "CREATE TABLE sub_announcements ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  version TEXT NOT NULL,"
          "  accounts BIGINT NOT NULL,"
          "  announced_at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, version));"},
    {701, "CREATE TABLE sub_policy_texts ("
          "  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
          "  version TEXT NOT NULL,"
          "  text TEXT NOT NULL,"
          "  seen_at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, version));"},
    {0, NULL},
};
