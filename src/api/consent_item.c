/* SPDX-License-Identifier: Apache-2.0 */
/* consent_item.c — one consent change as the API takes it (consent_int.h): the body of
 * POST /v1/subjects/{id}/consents, or one item of POST /v1/consents (which also names its
 * subject by id or identifier). Every problem names the field, with the item's prefix. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "consent_int.h"
#include "consents_scan.h"
#include "spec.h"

#define EVIDENCE_FIELD_MAX 512

/* "<prefix><name>" into out. */
static const char *field(char out[TT_CONSENT_FIELD_MAX], const char *prefix, const char *name)
{
    snprintf(out, TT_CONSENT_FIELD_MAX, "%s%s", prefix, name);
    return out;
}

/* What the checks after the shape find wrong, if anything. */
enum verdict {
    ITEM_OK,
    ITEM_TARGET,
    ITEM_ACTION,
    ITEM_METHOD,
    ITEM_NOTICE,
    ITEM_FEATURE,
    ITEM_PURPOSE
};

/* The checks after the shape: one of purpose and feature, known to the policy; action, method
 * and notice version. Fills it->pu, it->action and it->change when they pass. */
static enum verdict verdict(const struct tt_policy *p, struct tt_consent_item *it)
{
    if (!it->purpose == !it->feature)
        return ITEM_TARGET;
    if (tt_consent_action_parse(it->action_name, &it->action) < 0)
        return ITEM_ACTION;
    if (!tt_consent_method_ok(it->method))
        return ITEM_METHOD;
    if (!tt_consent_short_ok(it->notice_version))
        return ITEM_NOTICE;
    const char *key = it->purpose;
    if (it->feature) {
        const struct tt_consent_feature *ft = tt_consent_feature(it->feature);
        key = ft ? ft->purpose : NULL;
    }
    it->pu = key ? tt_policy_purpose(p, key) : NULL;
    if (!it->pu)
        return it->feature ? ITEM_FEATURE : ITEM_PURPOSE;
    it->change.purpose = it->pu;
    it->change.target_kind = it->feature ? "feature" : "purpose";
    it->change.target = it->feature ? it->feature : it->purpose;
    it->change.action = it->action;
    return ITEM_OK;
}

/* The verdict as a problem naming the field. */
static int check(const struct tt_policy *p, const char *prefix, struct tt_consent_item *it,
                 struct tt_resp *resp)
{
    char f[TT_CONSENT_FIELD_MAX];
    switch (verdict(p, it)) {
    case ITEM_OK:
        return 0;
    case ITEM_TARGET:
        return tt_problem(resp, TT_E_BAD_FIELD,
                          field(f, prefix, it->purpose ? "feature" : "purpose"),
                          "give exactly one of '%spurpose' and '%sfeature'", prefix, prefix);
    case ITEM_ACTION:
        return tt_problem(resp, TT_E_BAD_FIELD, field(f, prefix, "action"),
                          "'%saction' must be grant or withdraw", prefix);
    case ITEM_METHOD:
        return tt_problem(resp, TT_E_BAD_FIELD, field(f, prefix, "method"),
                          "'%smethod' must be banner, dashboard, api, email_unsubscribe, import or "
                          "gpc",
                          prefix);
    case ITEM_NOTICE:
        return tt_problem(resp, TT_E_BAD_NOTICE_VERSION, field(f, prefix, "notice_version"),
                          "'%snotice_version' must be 1-31 of [A-Za-z0-9._-]", prefix);
    case ITEM_FEATURE:
        return tt_problem(resp, TT_E_BAD_FIELD, field(f, prefix, "feature"),
                          "no such feature in the preference centre");
    case ITEM_PURPOSE:
        break;
    }
    return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, field(f, prefix, "purpose"),
                      "the purpose is not in the policy");
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

/* 1 when s (NULL: absent) is absent or at most max bytes, as the field specs take it. */
static int fits(const char *s, size_t max)
{
    return !s || strnlen(s, max + 1) <= max;
}

int tt_consent_item_scanned(const struct tt_policy *p, const struct tt_cscan_item *in,
                            struct tt_consent_item *out)
{
    memset(out, 0, sizeof *out);
    /* what tt_consent_item_parse's specs check (the scanner gave non-empty strings, no NUL) */
    if (!in->action || !in->method || !in->notice_version || !fits(in->subject, TT_KEY_MAX - 1) ||
        !fits(in->purpose, TT_KEY_MAX - 1) || !fits(in->feature, TT_KEY_MAX - 1) ||
        !fits(in->action, TT_KEY_MAX - 1) || !fits(in->method, TT_KEY_MAX - 1) ||
        !fits(in->notice_version, TT_CONSENT_SHORT_MAX - 1) ||
        !fits(in->page, EVIDENCE_FIELD_MAX) || !fits(in->user_agent, EVIDENCE_FIELD_MAX) ||
        !fits(in->ip, 64))
        return -1;
    /* an identifier is checked where it is resolved, as the parsed one: both strings or none */
    if (!in->ident_type != !in->ident_value || !in->subject == !in->ident_type)
        return -1;
    if (in->subject && !tt__api_id_ok(in->subject, "sub_"))
        return -1;
    out->subject = in->subject;
    out->ident_type = in->ident_type;
    out->ident_value = in->ident_value;
    out->purpose = in->purpose;
    out->feature = in->feature;
    out->action_name = in->action;
    out->method = in->method;
    out->notice_version = in->notice_version;
    out->page = in->page;
    out->user_agent = in->user_agent;
    out->ip = in->ip;
    return verdict(p, out) == ITEM_OK ? 0 : -1;
}
