/* SPDX-License-Identifier: Apache-2.0 */
/* requests_int.h — what the requests area's API files share (requests.c, exports.c and the
 * erasure step in jobs/erasure.c): a transition that writes the timeline and the audit event in
 * the caller's transaction, the subject's key of a class (created on first use), and the export
 * and erasure work that completes a verified request. Not thread-affine; each call uses the
 * connection it is given. */
#ifndef TT_API_REQUESTS_INT_H
#define TT_API_REQUESTS_INT_H

#include <jansson.h>

#include "../core/request_state.h"
#include "../store/requests_store.h"
#include "app.h"

#define TT_EXPORT_TTL_S (7 * 86400) /* a download link lives a week, and works once */
/* S7.7: a finished request and its sealed confirmation are kept 5 years (1826 days), then the
 * job requests.purge deletes them with their timeline */
#define TT_RQ_CONFIRMATION_KEEP_S (1826LL * 86400)

/* Moves r by event e (core/request_state) inside the caller's transaction: updates the row,
 * appends the timeline step (actor, reason) and the audit event "request.<event>" whose detail
 * carries the type, states and whether a reason was given (never the reason text). Returns
 * TT_QS_ONE, TT_QS_NONE when e is not allowed in r's state (nothing written), or SOFT/HARD. */
enum tt_qs tt__rq_transition(struct tt_store_conn *c, struct tt_request *r, enum tt_rq_event e,
                             const char *actor, const char *reason, tt_time now);

/* Appends a timeline step and audit event without a state change (e.g. "code_failed"). */
enum tt_qs tt__rq_note(struct tt_store_conn *c, const struct tt_request *r, const char *event,
                       const char *actor, const char *reason, tt_time now);

/* The subject's key of class kc, unwrapped into key; created (and stored on c, inside the
 * caller's transaction) when the subject has none yet. TT_QS_ONE, TT_QS_NONE when that class
 * was destroyed, SOFT/HARD on store or crypto failure. The caller wipes key. */
enum tt_qs tt__rq_class_key(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                            const char *subject_id, enum tt_key_class kc, tt_time now,
                            uint8_t key[32]);

/* Access / portability: builds the subject's export ZIP, stores it sealed and completes r.
 * Writes the one-time link token (shown once) into token. Returns 0 or a problem in resp. */
int tt__rq_export(struct tt_app *app, struct tt_store_conn *c, struct tt_request *r,
                  const char *actor, tt_time now, char *token, size_t token_size,
                  struct tt_resp *resp);

/* 0 when the store backend implements the requests area, else a 503 problem in resp. */
int tt__rq_backend_ok(struct tt_app *app, struct tt_resp *resp);

/* One-time codes (requests_code.c): six digits, a keyed hash at rest, 15 minutes, 5 tries. */
#define TT_RQ_CODE_DIGITS 6
#define TT_RQ_CODE_TTL_S (15 * 60)
#define TT_RQ_CODE_ATTEMPTS 5

/* 1 when code is exactly six ASCII digits. */
int tt__rq_code_format_ok(const char *code);

/* Checks code against r's pending code inside the caller's transaction. Returns TT_QS_ONE with
 * *err = 0 when it matches (r's code cleared, nothing written: the caller's transition writes
 * r), or with *err a tt_err code (BAD_CODE, CODE_EXPIRED, VERIFICATION_LOCKED, INVALID_STATE)
 * once a wrong try was recorded (attempts, timeline "code_failed" / "code_locked"); the caller
 * commits that and changes nothing else. SOFT/HARD on store failure. */
enum tt_qs tt__rq_code_check(struct tt_app *app, struct tt_store_conn *c, struct tt_request *r,
                             const char *code, const char *actor, tt_time now, int *err);

/* The subject's rectification history (rectifications.c), oldest first, as a new JSON array
 * with each former value opened under key (the subject's MAIN key) as "old_value". Returns 0
 * and *out, or -TT_E_STORE / -TT_E_UNAVAILABLE / -TT_E_CRYPTO / -TT_E_NOMEM. */
int tt__rct_history(struct tt_store_conn *c, const struct tt_subject *s, const uint8_t *key,
                    json_t **out);

/* Erasure (jobs/erasure.c): resumable; see erasure.h. */

#endif
