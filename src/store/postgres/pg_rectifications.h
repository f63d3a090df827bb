/* SPDX-License-Identifier: Apache-2.0 */
/* pg_rectifications.h — the PostgreSQL rectification-history queries (pg_rectifications.c) that
 * pg_requests.c puts into tt__pg_requests_ops; contracts as in requests_store.h. */
#ifndef TT_STORE_PG_RECTIFICATIONS_H
#define TT_STORE_PG_RECTIFICATIONS_H

#include "../requests_store.h"
#include "pg_internal.h"

enum tt_qs tt__pg_rct_target_get(struct tt_store_conn *c, const char *tenant_id,
                                 const char *target_id,
                                 int (*cb)(void *, const struct tt_rct_target *), void *cls);
enum tt_qs tt__pg_rct_put(struct tt_store_conn *c, const struct tt_rectification *h);
enum tt_qs tt__pg_rct_list(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                           int (*cb)(void *, const struct tt_rectification *), void *cls);
enum tt_qs tt__pg_rct_identity_set(struct tt_store_conn *c, const char *tenant_id,
                                   const char *subject_id, const char *identity_id,
                                   const char *blind_hex, const uint8_t *value_enc, size_t len);
enum tt_qs tt__pg_rct_delete_subject(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id);

#endif
