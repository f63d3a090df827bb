/* SPDX-License-Identifier: Apache-2.0 */
/* tcf.h — IAB TCF v2.2 TC string codec (core/, pure): the model and the public
 * tutela_tcf_decode / tutela_tcf_encode live in include/tutela.h; this header adds what the API
 * layer, the tests and the fuzzer need beside them. */
#ifndef TT_CORE_TCF_H
#define TT_CORE_TCF_H

#include "tutela.h"

/* Restriction types of a publisher restriction. */
#define TT_TCF_RESTRICT_NOT_ALLOWED 0
#define TT_TCF_RESTRICT_REQUIRE_CONSENT 1
#define TT_TCF_RESTRICT_REQUIRE_LI 2

/* 1 when a and b mean the same string: every field, vendor sets compared over 1..max_vendor_id
 * (and the MaxVendorIds themselves), restriction groups in order with the same vendors (touching
 * ranges count as one: [1,3],[4,4] equals [1,4]). The informational range_encoded and
 * violations are not compared. */
int tt_tcf_model_equal(const struct tt_tcf_model *a, const struct tt_tcf_model *b);

/* Fills m with an empty version 2 model (policy version 4, languages "EN", no segments). */
void tt_tcf_model_init(struct tt_tcf_model *m);

#endif
