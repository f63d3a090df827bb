/* SPDX-License-Identifier: Apache-2.0 */
/* consent_cols.h — private to src/store/sqlite/: the columns of consent_events in their stored
 * order, shared by the ledger's statements (consent.c) and the migration that rebuilds the table
 * (consent_schema.c, step 201). */
#ifndef TT_STORE_SQLITE_CONSENT_COLS_H
#define TT_STORE_SQLITE_CONSENT_COLS_H

#define SQ_CONSENT_EV_COLS                                                                         \
    "tenant_id, seq, event_id, subject_id, cookie_id, target_kind, target, action, method,"        \
    " notice_version, banner_version, language, choices, at, expires_at, evidence, prev_hash,"     \
    " hash"

#endif
