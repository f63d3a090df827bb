/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_doc.h — shared by the recipients area's handlers: a registry entry between its
 * store row (keys + JSON doc) and core's struct tt_rcpt, its JSON rendering, the registry seeded
 * from the policy on first use (S4.3), and the adequacy table (S5.1) that follows policy reloads
 * (S5.2). No personal value in any of it. */
#ifndef TT_API_RECIPIENTS_DOC_H
#define TT_API_RECIPIENTS_DOC_H

#include <jansson.h>

#include "../core/transfer.h"
#include "../store/recipients_store.h"
#include "app.h"

/* Fills out from a store row; returns 0, or -TT_E_STORE when its doc is not what we wrote. */
int tt__rcpt_from_row(const struct tt_rcpt_row *row, struct tt_rcpt *out);
/* A store row for r; *doc (malloc'd, the caller frees) backs row->doc. 0 or -TT_E_NOMEM. */
int tt__rcpt_to_row(const struct tt_rcpt *r, struct tt_rcpt_row *row, char **doc);
/* The API rendering (new reference, NULL on allocation failure). */
json_t *tt__rcpt_json(const struct tt_rcpt *r);
/* Inside a transaction: seeds the tenant's registry from the policy's recipient table when it
 * has no entry yet, auditing each ("recipient.seed"). Returns a store status (>= 0 on success). */
enum tt_qs tt__rcpt_seed(struct tt_store_conn *c, const struct tt_policy *p, const char *tenant_id,
                         tt_time now);
/* Outside a transaction: seeds the tenant's registry (tt__rcpt_seed, in a transaction of its own)
 * when it has no entry yet. Returns a store status (>= 0 on success). */
enum tt_qs tt__rcpt_seed_if_empty(struct tt_store_conn *c, const struct tt_policy *p,
                                  const char *tenant_id, tt_time now);
/* Every entry of the tenant in key order: *out (malloc'd, the caller frees; NULL when none)
 * and *n. Returns a store status (TT_QS_HARD also when a doc is not what we wrote, or memory
 * runs out). */
enum tt_qs tt__rcpt_load_all(struct tt_store_conn *c, const char *tenant_id, struct tt_rcpt **out,
                             size_t *n);
/* Loads one entry by id (key NULL) or by key. ONE and out filled, NONE, or SOFT/HARD. */
enum tt_qs tt__rcpt_load(struct tt_store_conn *c, const char *tenant_id, const char *id,
                         const char *key, struct tt_rcpt *out);
/* Runs fn with the adequacy table of the app's current policy (adequacy.yaml beside it, reloaded
 * when the policy is), under a lock: fn must be quick. a is NULL when the file cannot be read
 * (then only the policy's EEA list counts and no adequacy decision is in force). */
int tt__rcpt_with_adequacy(struct tt_app *app, int (*fn)(void *cls, const struct tt_adequacy *a),
                           void *cls);

/* The adequacy file that goes with policy p: adequacy.yaml in the directory of its file. */
void tt__rcpt_adequacy_path(const struct tt_policy *p, char *out, size_t size);

#endif
