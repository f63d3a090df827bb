/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_fields.c — the editable fields of a registry entry (S4.1 category, S4.2 role,
 * S4.3 contract and measures, S5.1 transfer mechanism and TIA), checked against the policy and
 * the dated adequacy table; the first-use seed; gate refusals as problems. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "recipients_int.h"
#include "spec.h"

static int country_ok(const char *c)
{
    return strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

static int key_ok(const char *k)
{
    if (!*k || strlen(k) >= TT_KEY_MAX || strncmp(k, "rcp_", 4) == 0)
        return 0;
    for (const char *s = k; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
              *s == '.'))
            return 0;
    return 1;
}

static int category_known(const struct tt_policy *p, const char *key)
{
    for (size_t i = 0; i < p->n_recipient_categories; i++)
        if (strcmp(p->recipient_categories[i].key, key) == 0)
            return 1;
    return 0;
}

/* A list of policy keys (purposes or data categories) into out. */
static int keys_in(const json_t *arr, const char *field, const struct tt_policy *p, int purposes,
                   char (*out)[TT_KEY_MAX], int *n, struct tt_resp *resp)
{
    size_t i;
    const json_t *v;
    char f[96];
    *n = 0;
    json_array_foreach(arr, i, v)
    {
        snprintf(f, sizeof f, "%s/%zu", field, i);
        const char *k = json_string_value(v);
        if (!k)
            return tt_problem(resp, TT_E_WRONG_TYPE, f, "'%s' must be a string", f);
        if (strlen(k) >= TT_KEY_MAX)
            return tt_problem(resp, TT_E_BAD_FIELD, f, "'%s' is too long", f);
        const struct tt_purpose *pu = purposes ? tt_policy_purpose(p, k) : NULL;
        if (purposes && !pu)
            return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, f, "no purpose '%s' in policy %s", k,
                              p->version);
        if (pu && pu->sale) /* S4.4: no recipient receives data for a sale */
            return tt_problem(resp, TT_E_SALE_PROHIBITED, f, "'%s' is a sale purpose", k);
        if (!purposes && !tt_policy_category(p, k))
            return tt_problem(resp, TT_E_UNKNOWN_CATEGORY, f, "no data category '%s' in policy %s",
                              k, p->version);
        snprintf(out[(*n)++], TT_KEY_MAX, "%s", k);
    }
    return 0;
}

static int parse_fields(const json_t *obj, const struct tt_policy *p, const struct tt_adequacy *a,
                        int creating, struct tt_rcpt *r, struct tt_resp *resp);

static int text_in(char *dst, size_t size, const char *src, const char *field, struct tt_resp *resp)
{
    if (!tt__api_copy(dst, size, src))
        return tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' is longer than %zu bytes", field,
                          size - 1);
    return 0;
}

/* "" clears an optional text field (the spec takes non-empty strings only): cleared ones are
 * emptied in r and left out of the copy the spec checks. */
static json_t *without_cleared(const json_t *obj, struct tt_rcpt *r)
{
    json_t *o = json_copy((json_t *)obj);
    struct {
        const char *name;
        char *dst;
    } clearable[] = {{"dpa_ref", r->dpa_ref}, {"toms", r->toms}, {"adequacy_key", r->adequacy_key}};
    for (size_t i = 0; o && i < sizeof clearable / sizeof *clearable; i++) {
        const char *v = json_string_value(json_object_get(o, clearable[i].name));
        if (v && !*v) {
            clearable[i].dst[0] = '\0';
            json_object_del(o, clearable[i].name);
        }
    }
    return o;
}

int tt__rcpt_parse_fields(const json_t *obj, const struct tt_policy *p, const struct tt_adequacy *a,
                          int creating, struct tt_rcpt *r, struct tt_resp *resp)
{
    json_t *o = without_cleared(obj, r);
    if (!o)
        return tt__api_nomem(resp);
    int rc = parse_fields(o, p, a, creating, r, resp);
    json_decref(o);
    return rc;
}

static int parse_fields(const json_t *obj, const struct tt_policy *p, const struct tt_adequacy *a,
                        int creating, struct tt_rcpt *r, struct tt_resp *resp)
{
    const char *key = NULL, *name = NULL, *category = NULL, *role = NULL, *country = NULL,
               *dpa = NULL, *toms = NULL, *mech = NULL, *adequacy_key = NULL, *basis = NULL;
    const json_t *purposes = NULL, *categories = NULL;
    int tia = 0, tia_set = 0, pub = 0, pub_set = 0;
    struct tt_spec spec[] = {
        tt_spec_key("key", &key, creating),
        tt_spec_string_max("name", &name, TT_NAME_MAX - 1, creating),
        tt_spec_key("category", &category, creating),
        tt_spec_key("role", &role, creating),
        tt_spec_string_max("country", &country, 2, creating),
        tt_spec_string_max("dpa_ref", &dpa, TT_NAME_MAX - 1, 0),
        tt_spec_string_max("toms", &toms, TT_RCPT_TEXT_MAX - 1, 0),
        tt_spec_key("transfer_mechanism", &mech, 0),
        tt_spec_key("adequacy_key", &adequacy_key, 0),
        tt_spec_bool("tia_done", &tia, &tia_set, 0),
        tt_spec_key("legal_basis", &basis, 0),
        tt_spec_array("purposes", &purposes, TT_RCPT_LIST_MAX, 0),
        tt_spec_array("data_categories", &categories, TT_RCPT_LIST_MAX, 0),
        tt_spec_bool("public_listed", &pub, &pub_set, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse(obj, spec, "", resp);
    if (rc < 0)
        return rc;
    if (!creating && key)
        return tt_problem(resp, TT_E_BAD_FIELD, "key", "'key' cannot be changed");
    if (key && !key_ok(key))
        return tt_problem(resp, TT_E_BAD_FIELD, "key",
                          "'key' must be lower-case letters, digits, '_', '-' or '.', not 'rcp_…'");
    if (key)
        tt__api_copy(r->key, sizeof r->key, key);
    if (name && (rc = text_in(r->name, sizeof r->name, name, "name", resp)) < 0)
        return rc;
    if (category && !category_known(p, category))
        return tt_problem(resp, TT_E_BAD_FIELD, "category",
                          "'category' must be a recipient category of policy %s (S4.1)",
                          p->version);
    if (category)
        tt__api_copy(r->category, sizeof r->category, category);
    if (role && tt_rrole_parse(role, &r->role) != 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "role",
                          "'role' must be processor, subprocessor, controller, conduit or "
                          "authority (S4.2)");
    if (country && !country_ok(country))
        return tt_problem(resp, TT_E_BAD_FIELD, "country",
                          "'country' must be an ISO 3166-1 alpha-2 code in capitals");
    if (country)
        tt__api_copy(r->country, sizeof r->country, country);
    if (dpa)
        tt__api_copy(r->dpa_ref, sizeof r->dpa_ref, dpa);
    if (toms)
        tt__api_copy(r->toms, sizeof r->toms, toms);
    if (mech && tt_mechanism_parse(mech, &r->mechanism) != 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "transfer_mechanism",
                          "'transfer_mechanism' must be adequacy, scc, bcr, derogation or none");
    if (adequacy_key && *adequacy_key && !tt_adequacy_get(a, adequacy_key))
        return tt_problem(resp, TT_E_BAD_FIELD, "adequacy_key",
                          "'adequacy_key' is not a decision of the adequacy list");
    if (adequacy_key)
        tt__api_copy(r->adequacy_key, sizeof r->adequacy_key, adequacy_key);
    if (tia_set)
        r->tia_done = tia;
    if (basis && tt_basis_parse(basis, &r->basis) != 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "legal_basis",
                          "'legal_basis' must be consent, contract, legal_obligation, "
                          "legitimate_interest or none");
    if (purposes &&
        (rc = keys_in(purposes, "purposes", p, 1, r->purposes, &r->n_purposes, resp)) < 0)
        return rc;
    if (categories && (rc = keys_in(categories, "data_categories", p, 0, r->categories,
                                    &r->n_categories, resp)) < 0)
        return rc;
    if (pub_set)
        r->public_listed = pub;
    /* the whole entry must hang together, whichever fields this request changed */
    if ((r->role == TT_RROLE_AUTHORITY) != (strcmp(r->category, "government_authority") == 0))
        return tt_problem(resp, TT_E_BAD_FIELD, role ? "role" : "category",
                          "the role 'authority' goes with the category 'government_authority' "
                          "and only with it");
    if (r->adequacy_key[0]) {
        const struct tt_adequacy_entry *e = tt_adequacy_get(a, r->adequacy_key);
        if (r->mechanism != TT_MECH_ADEQUACY || (e && strncmp(e->country, r->country, 2) != 0))
            return tt_problem(resp, TT_E_BAD_FIELD, "adequacy_key",
                              "'adequacy_key' needs the mechanism 'adequacy' and a decision for "
                              "the recipient's country");
    }
    return 0;
}

int tt__rcpt_check_cb(void *cls, const struct tt_adequacy *a)
{
    struct tt__rcpt_check *x = cls;
    switch (x->op) {
    case TT__RCPT_OP_PARSE:
        x->rc = tt__rcpt_parse_fields(x->body, x->p, a, x->creating, x->r, x->resp);
        break;
    case TT__RCPT_OP_APPROVE:
        x->rc = tt_rcpt_approve(x->r, x->p, a, x->now, &x->why);
        break;
    default:
        x->rc = tt_rcpt_edit_check(x->before, x->r, x->p, a, x->now, &x->why, &x->unflagged);
        break;
    }
    return x->rc;
}

int tt__rcpt_refuse(struct tt_resp *resp, int code, uint32_t why, const char *field)
{
    char names[256];
    size_t pos = 0;
    names[0] = '\0';
    for (int i = 0; i < TT_GATE__COUNT; i++) {
        if (!(why & (1u << i)))
            continue;
        int w = snprintf(names + pos, sizeof names - pos, "%s%s", pos ? ", " : "",
                         tt_gate_reason_name((enum tt_gate_reason)i));
        if (w < 0 || (size_t)w >= sizeof names - pos)
            break;
        pos += (size_t)w;
    }
    return tt_problem(resp, code, field, "%s%s%s", tt_err_message(code), pos ? " Reasons: " : "",
                      names);
}
