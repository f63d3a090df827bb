/* SPDX-License-Identifier: Apache-2.0 */
/* erasure.h — the erasure of a subject for a verified erasure request (S8.1, S7.4–S7.7,
 * DESIGN.md crypto-shredding), as a resumable job step keyed by the request id:
 *   1. one transaction, its size independent of the subject's records: the MAIN key is
 *      re-wrapped as the ERASING key (read by this job alone) and destroyed, identities are
 *      deleted and the subject marked erased (audited, change feed); the decision index hook
 *      runs at once — from here the subject is unusable (decisions deny, reads refuse);
 *   2. one transaction re-seals under the FINANCIAL key, with the ERASING key, the records a
 *      legal retention obligation still running (S7.4) or a legal hold in force (S7.6) keeps,
 *      and keeps with the request how many records the subject had; then the remaining records
 *      are deleted in batches of TT_ERASURE_BATCH, one transaction each;
 *   3. the ERASING key is destroyed, the rectification history deleted (S1.5) and the request
 *      completed (or partially completed when data was kept, listed with its reason in the
 *      outcome, S7.6) with its confirmation sealed under the REQUEST key (S7.7).
 * Each step is idempotent, so running it again after a crash (the job requests.erasure, or
 * `tutela requests resume`) finishes the work. Consent proofs live under their own key class
 * and are untouched (S7.5). Thread safe against other requests; two runs of one request are
 * serialised by the store's write transactions. */
#ifndef TT_JOBS_ERASURE_H
#define TT_JOBS_ERASURE_H

#include "../api/app.h"
#include "../store/requests_store.h"

#define TT_ERASURE_BATCH 5000

/* Test-only environment (tests/api/requests_crash.test.mjs kills the process between two
 * batches): TUTELA_ERASURE_BATCH=N deletes N records per batch (1..TT_ERASURE_BATCH) and
 * TUTELA_ERASURE_PAUSE_MS=M sleeps M ms (1..10000) after each full batch. Unset: 5000, none. */

/* Runs (or resumes) the erasure of request_id of tenant_id. The request must be in_progress or
 * extended and of type erasure. On success returns 0 and, when out is not NULL, the request as
 * completed. Errors: -TT_E_NOT_FOUND, -TT_E_INVALID_STATE, -TT_E_STORE, -TT_E_UNAVAILABLE,
 * -TT_E_CRYPTO, -TT_E_NOMEM. */
int tt_erasure_run(struct tt_app *app, const char *tenant_id, const char *request_id,
                   const char *actor, tt_time now, struct tt_request *out);

/* Step 1 alone: after it returns 0 the subject is unusable (MAIN key destroyed, identities
 * gone, marked erased, index told); tt_erasure_run (or a resume) finishes the rest. Same errors.
 * Used by bench/requests_bench.c to time how soon an erasure takes effect. */
int tt_erasure_shred(struct tt_app *app, const char *tenant_id, const char *request_id,
                     const char *actor, tt_time now);

/* Resumes every unfinished erasure of every tenant (job requests.erasure and the CLI). Returns
 * the number resumed, or a negative code. */
int tt_erasure_resume_all(struct tt_app *app, tt_time now);

#endif
