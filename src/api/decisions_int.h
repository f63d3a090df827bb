/* SPDX-License-Identifier: Apache-2.0 */
/* decisions_int.h — shared by the files of POST /v1/decisions (issue 3): decisions.c (the
 * handler and its two readers of the body), decisions_reply.c (the answer), decisions_audit.c
 * (the audit of denied decisions). */
#ifndef TT_API_DECISIONS_INT_H
#define TT_API_DECISIONS_INT_H

#include <stddef.h>

#include "../core/decide.h"
#include "../http/http.h"

/* Writes the answer straight into one buffer set as resp's raw body: a batch as
 * {"results":[{…},…]}, a single decision as the object alone, each object
 * {"allow":…,"legal_basis":…,"reasons":[…],"policy_version":…} — the bytes jansson's compact
 * dump of the same object would give. Returns 0 or a 500 problem (no memory). */
int tt__decisions_reply(const struct tt_decision *d, size_t n, int batch, struct tt_resp *resp);

/* Audits the denied decisions among d[0..n-1] (S6.3): one event per request, counts per reason
 * and the policy version, never an identifier; a single decision also names its purpose and
 * its subject id (NULL for an identifier). The event goes through the audit group commit
 * (audit_commit.h) and the answer already in resp waits, parked, until it is durable. Returns
 * 0 when nothing was denied, TT_HTTP_DEFERRED when the answer waits for the commit (return it
 * from the handler at once: resp belongs to the commit until then), or a problem. */
/* The audit detail of denied decisions as its stored text (audit.h tt_audit_emit_text):
 * {"denied","items","policy_version","purpose" (single only),"reasons":{name: count}}, compact,
 * keys sorted, the same bytes audit.c stores for the equal jansson object. per: denied
 * decisions per reason (enum tt_reason). Writes buf (NUL-terminated); 0, or -1 when it does not
 * fit in cap or a text is not plain printable ASCII (then build the object instead). */
int tt__decisions_detail_text(const size_t per[TT_REASON__COUNT], size_t n, size_t denied,
                              int batch, const char *purpose, const char *policy_version, char *buf,
                              size_t cap);

int tt__decisions_audit(struct tt_req *req, const struct tt_decision *d, size_t n, int batch,
                        const char *subject_id, const char *purpose, const char *policy_version,
                        tt_time now, struct tt_resp *resp);

#endif
