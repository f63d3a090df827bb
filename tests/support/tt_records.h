/* SPDX-License-Identifier: Apache-2.0 */
/* tt_records.h — subjects and records written straight into a store, for the unit tests of what
 * reads them (the sweep, the recomputation of ends). Header only, like tt_tmp.h. */
#ifndef TT_TESTS_SUPPORT_TT_RECORDS_H
#define TT_TESTS_SUPPORT_TT_RECORDS_H

#include <stdio.h>

#include "store/store.h"

/* Writes a record of subject subj (an id "sub_…") in tenant: the given service, data category,
 * purpose, collection time and retention end (0 = open), legal basis contract, source "direct".
 * Its id is "rec_<subj after sub_>_<n>", n counting every call of the process. Returns the
 * store's answer (TT_QS_ONE when written), TT_QS_HARD when the id does not fit. */
static inline enum tt_qs tt_test_record_put(struct tt_store_conn *c, const char *tenant,
                                            const char *subj, const char *service,
                                            const char *category, const char *purpose,
                                            tt_time collected, tt_time until)
{
    static unsigned n;
    struct tt_record r = {.legal_basis = TT_BASIS_CONTRACT,
                          .collected_at = collected,
                          .retention_until = until,
                          .created_at = collected};
    snprintf(r.tenant_id, sizeof r.tenant_id, "%s", tenant);
    if (snprintf(r.id, sizeof r.id, "rec_%s_%06u", subj + 4, ++n) >= (int)sizeof r.id)
        return TT_QS_HARD; /* an id too long for the store */
    snprintf(r.subject_id, sizeof r.subject_id, "%s", subj);
    snprintf(r.service, sizeof r.service, "%s", service);
    snprintf(r.data_category, sizeof r.data_category, "%s", category);
    snprintf(r.purpose, sizeof r.purpose, "%s", purpose);
    snprintf(r.source, sizeof r.source, "direct");
    return tt_store_ops_of(c)->record_put(c, &r);
}

/* Writes subject s into the store on a connection of its own, after setting its tenant, id and
 * jurisdiction (the caller sets the rest: kind, contract, child, horizon, created_at). Returns
 * the store's answer (TT_QS_ONE when written). */
static inline enum tt_qs tt_test_subject_put(struct tt_store *st, struct tt_subject s,
                                             const char *tenant, const char *id, const char *juris)
{
    snprintf(s.tenant_id, sizeof s.tenant_id, "%s", tenant);
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.jurisdiction, sizeof s.jurisdiction, "%s", juris);
    struct tt_store_conn *c = tt_store_acquire(st);
    enum tt_qs qs = tt_store_ops_of(c)->subject_put(c, &s);
    tt_store_release(c);
    return qs;
}

#endif
