/* SPDX-License-Identifier: Apache-2.0 */
/* consent_item.c — one consent change as the API takes it (consent_int.h): the body of
 * POST /v1/subjects/{id}/consents, or one item of POST /v1/consents (which also names its
 * subject by id or identifier). Every problem names the field, with the item's prefix. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "consent_int.h"
#include "spec.h"

#define EVIDENCE_FIELD_MAX 512

/* "<prefix><name>" into out. */
static const char *field(char out[TT_CONSENT_FIELD_MAX], const char *prefix, const char *name)
{
    snprintf(out, TT_CONSENT_FIELD_MAX, "%s%s", prefix, name);
    return out;
}

/* The checks after the shape: one of purpose and feature, known to the policy; action, method
 * and notice version. */
static int check(const struct tt_policy *p, const char *prefix, struct tt_consent_item *it,
                 struct tt_resp *resp)
{
    char f[TT_CONSENT_FIELD_MAX];
    if (!it->purpose == !it->feature)
        return tt_problem(resp, TT_E_BAD_FIELD,
                          field(f, prefix, it->purpose ? "feature" : "purpose"),
                          "give exactly one of '%spurpose' and '%sfeature'", prefix, prefix);
    if (tt_consent_action_parse(it->action_name, &it->action) < 0)
        return tt_problem(resp, TT_E_BAD_FIELD, field(f, prefix, "action"),
                          "'%saction' must be grant or withdraw", prefix);
    if (!tt_consent_method_ok(it->method))
        return tt_problem(resp, TT_E_BAD_FIELD, field(f, prefix, "method"),
                          "'%smethod' must be banner, dashboard, api, email_unsubscribe, import or "
                          "gpc",
                          prefix);
    if (!tt_consent_short_ok(it->notice_version))
        return tt_problem(resp, TT_E_BAD_NOTICE_VERSION, field(f, prefix, "notice_version"),
                          "'%snotice_version' must be 1-31 of [A-Za-z0-9._-]", prefix);
    const char *key = it->purpose;
    if (it->feature) {
        const struct tt_consent_feature *ft = tt_consent_feature(it->feature);
        key = ft ? ft->purpose : NULL;
    }
    it->pu = key ? tt_policy_purpose(p, key) : NULL;
    if (!it->pu)
        return it->feature ? tt_problem(resp, TT_E_BAD_FIELD, field(f, prefix, "feature"),
                                        "no such feature in the preference centre")
                           : tt_problem(resp, TT_E_UNKNOWN_PURPOSE, field(f, prefix, "purpose"),
                                        "the purpose is not in the policy");
    it->change.purpose = it->pu;
    it->change.target_kind = it->feature ? "feature" : "purpose";
    it->change.target = it->feature ? it->feature : it->purpose;
    it->change.action = it->action;
    return 0;
}

int tt_consent_item_parse(const struct tt_policy *p, const json_t *obj, const char *prefix,
                          int with_subject, struct tt_consent_item *out, struct tt_resp *resp)
{
    memset(out, 0, sizeof *out);
    const json_t *evidence = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("purpose", &out->purpose, 0),
        tt_spec_key("feature", &out->feature, 0),
        tt_spec_key("action", &out->action_name, 1),
        tt_spec_key("method", &out->method, 1),
        tt_spec_string_max("notice_version", &out->notice_version, TT_CONSENT_SHORT_MAX - 1, 1),
        tt_spec_object("evidence", &evidence, 0),
        /* POST /v1/consents only (the spec ends before them otherwise) */
        tt_spec_key("subject", &out->subject, 0),
        tt_spec_object("identifier", &out->identifier, 0),
        tt_spec_end(),
    };
    if (!with_subject)
        spec[6] = tt_spec_end();
    int rc = tt_spec_parse(obj, spec, prefix, resp);
    if (rc < 0)
        return rc;
    if (evidence) {
        char f[TT_CONSENT_FIELD_MAX];
        struct tt_spec ev_spec[] = {
            tt_spec_string_max("page", &out->page, EVIDENCE_FIELD_MAX, 0),
            tt_spec_string_max("user_agent", &out->user_agent, EVIDENCE_FIELD_MAX, 0),
            tt_spec_string_max("ip", &out->ip, 64, 0),
            tt_spec_end(),
        };
        if ((rc = tt_spec_parse(evidence, ev_spec, field(f, prefix, "evidence/"), resp)) < 0)
            return rc;
    }
    if (with_subject && !out->subject == !out->identifier) {
        char f[TT_CONSENT_FIELD_MAX];
        return tt_problem(resp, out->subject ? TT_E_BAD_FIELD : TT_E_MISSING_FIELD,
                          field(f, prefix, "subject"),
                          "give exactly one of '%ssubject' and '%sidentifier'", prefix, prefix);
    }
    return check(p, prefix, out, resp);
}
