/* SPDX-License-Identifier: Apache-2.0 */
/* tcf_api.c — POST /v1/tcf/decode and /v1/tcf/encode (issue 4): IAB TCF v2.2 TC strings to the
 * JSON model and back through core/tcf. Stateless: nothing is stored, nothing audited; a bad
 * string or model is a 422 problem naming the field, with the codec's reason in detail. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/tcf.h"
#include "handlers_tcf.h"
#include "spec.h"

int tt_api_tcf_decode(struct tt_req *req, struct tt_resp *resp)
{
    const char *tc = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("tc_string", &tc, TUTELA_TCF_STRING_MAX, 1),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc)
        return rc;
    struct tt_tcf_model *m = malloc(sizeof *m);
    if (!m)
        return tt_problem(resp, TT_E_NOMEM, "", "no memory for the model");
    const char *why = "";
    rc = tutela_tcf_decode(tc, strlen(tc), m, &why);
    if (rc) {
        free(m);
        return tt_problem(resp, -rc, "tc_string", "%s", why);
    }
    json_t *body = tt_tcf_model_to_json(m);
    free(m);
    if (!body)
        return tt_problem(resp, TT_E_NOMEM, "", "no memory for the answer");
    return tt_reply(resp, 200, body);
}

int tt_api_tcf_encode(struct tt_req *req, struct tt_resp *resp)
{
    const json_t *model = NULL, *gvl_ids = NULL;
    struct tt_spec spec[] = {
        tt_spec_object("model", &model, 1),
        tt_spec_array("gvl_vendor_ids", &gvl_ids, TUTELA_TCF_MAX_VENDOR_ID, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc)
        return rc;
    struct tt_tcf_model *m = malloc(sizeof *m);
    struct tt_tcf_vendors *gvl = gvl_ids ? malloc(sizeof *gvl) : NULL;
    char *out = malloc(TUTELA_TCF_STRING_MAX);
    char field[96];
    const char *why = "";
    if (!m || !out || (gvl_ids && !gvl)) {
        rc = tt_problem(resp, TT_E_NOMEM, "", "no memory for the model");
        goto done;
    }
    rc = tt_tcf_model_from_json(model, m, "model/", field, sizeof field, &why);
    if (rc) {
        rc = tt_problem(resp, -rc, field, "%s: %s", field, why);
        goto done;
    }
    if (gvl) {
        tutela_tcf_vendors_clear(gvl);
        rc = tt_tcf_vendor_ids_from_json(gvl_ids, gvl, "gvl_vendor_ids", field, sizeof field, &why);
        if (rc) {
            rc = tt_problem(resp, -rc, field, "%s: %s", field, why);
            goto done;
        }
    }
    struct tt_tcf_encode_opts opts = {gvl};
    size_t len = 0;
    rc = tutela_tcf_encode(m, &opts, out, TUTELA_TCF_STRING_MAX, &len, &why);
    if (rc) {
        rc = tt_problem(resp, -rc, "model", "%s", why);
        goto done;
    }
    json_t *body = json_pack("{s:s%}", "tc_string", out, len);
    rc = body ? tt_reply(resp, 200, body) : tt_problem(resp, TT_E_NOMEM, "", "no memory");
done:
    free(m);
    free(gvl);
    free(out);
    return rc;
}
