/* SPDX-License-Identifier: Apache-2.0 */
/* pg_jobs_schema.c — the jobs area's tables on PostgreSQL (store/areas.h: versions 100..199):
 * job leases, the outbox and the change feed, the same logical schema as
 * src/store/sqlite/jobs_schema.c. The feed's seq comes from a sequence and its txid from the
 * writing transaction's id, so readers can wait for every earlier writer (docs/scaling.md). */
#include "pg_internal.h"

const struct pg_migration tt__pg_schema_jobs[] = {
    {100, "CREATE TABLE job_leases ("
          "  tenant_id TEXT NOT NULL,"
          "  job TEXT NOT NULL,"
          "  holder TEXT NOT NULL,"
          "  lease_until BIGINT NOT NULL,"
          "  last_run_at BIGINT NOT NULL,"
          "  runs BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, job));"
          "CREATE TABLE outbox ("
          "  tenant_id TEXT NOT NULL,"
          "  message_id TEXT NOT NULL,"
          "  kind TEXT NOT NULL,"
          "  channel BIGINT NOT NULL,"
          "  ref TEXT NOT NULL,"
          "  status BIGINT NOT NULL,"
          "  attempts BIGINT NOT NULL,"
          "  created_at BIGINT NOT NULL,"
          "  next_at BIGINT NOT NULL,"
          "  claimed_by TEXT NOT NULL,"
          "  claimed_until BIGINT NOT NULL,"
          "  delivered_at BIGINT NOT NULL,"
          "  updated_at BIGINT NOT NULL,"
          "  master_key_id TEXT NOT NULL,"
          "  last_error TEXT NOT NULL,"
          "  payload_enc BYTEA,"
          "  PRIMARY KEY (tenant_id, message_id),"
          "  FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id));"
          "CREATE INDEX outbox_due_idx ON outbox (status, next_at);"
          "CREATE SEQUENCE change_feed_seq;"
          "CREATE TABLE change_feed ("
          "  tenant_id TEXT NOT NULL,"
          "  seq BIGINT NOT NULL DEFAULT nextval('change_feed_seq'),"
          "  txid BIGINT NOT NULL DEFAULT pg_current_xact_id()::text::bigint,"
          "  kind BIGINT NOT NULL,"
          "  subject_id TEXT NOT NULL,"
          "  node_id TEXT NOT NULL,"
          "  at BIGINT NOT NULL,"
          "  PRIMARY KEY (tenant_id, seq));"
          "CREATE INDEX change_feed_order_idx ON change_feed (txid, seq);"
          "CREATE INDEX change_feed_at_idx ON change_feed (at);"},
    /* what a row needs beyond its subject (jobs_store.h TT_FEED_DETAIL_MAX), e.g. the blind
     * index of an identifier gone from it; NULL for rows of the first three kinds */
    {101, "ALTER TABLE change_feed ADD COLUMN detail TEXT;"},
    {0, NULL},
};
