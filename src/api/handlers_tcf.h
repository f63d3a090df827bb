/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_tcf.h — the tcf area's handlers (declared here, routed in routes_tcf.inc) and the
 * JSON form of a TC string model (tcf_json.c), shared by the handlers and tests/oracle/tcf_tool. */
#ifndef TT_API_HANDLERS_TCF_H
#define TT_API_HANDLERS_TCF_H

#include <jansson.h>

#include "../http/http.h"
#include "tutela.h"

/* POST /v1/tcf/decode {tc_string} -> the model; POST /v1/tcf/encode {model[, gvl_vendor_ids]}
 * -> {tc_string}. Bad strings and models are 422 problems with the reason in detail. */
int tt_api_tcf_decode(struct tt_req *req, struct tt_resp *resp);
int tt_api_tcf_encode(struct tt_req *req, struct tt_resp *resp);

/* The model as JSON (see openapi/tcf.json, TcfModel): purposes, features and vendors as arrays
 * of ids, times as deciseconds (created_ds) and RFC 3339 (created), segments absent = null.
 * Returns a new reference or NULL when memory runs out. */
json_t *tt_tcf_model_to_json(const struct tt_tcf_model *m);

/* Fills m from a TcfModel object (absent members keep tt_tcf_model_init's defaults). Returns 0,
 * or a negative tt_err code (wrong-type, invalid-field, unknown-field) with the offending member
 * in field (prefixed with prefix) and a static reason in *why. */
int tt_tcf_model_from_json(const json_t *obj, struct tt_tcf_model *m, const char *prefix,
                           char *field, size_t field_size, const char **why);

/* Fills gvl from a JSON array of vendor ids (1-65535). Same return contract. */
int tt_tcf_vendor_ids_from_json(const json_t *arr, struct tt_tcf_vendors *gvl, const char *name,
                                char *field, size_t field_size, const char **why);

#endif
