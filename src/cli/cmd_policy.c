/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_policy.c — `tutela policy check [FILE]`: validate a policy pack, every problem on stderr
 * as FILE:LINE: reason (exit 3), or a one-line summary (exit 0); `tutela policy show [--policy
 * FILE] [--json]`: the loaded policy as a readable summary or as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../core/policy.h"
#include "cli.h"

#define CHECK_MAX_ERRS 200
#define CHECK_BUF (64 * 1024)

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela policy check [FILE]\n"
                "       tutela policy show [--policy FILE] [--json]\n"
                "check: validates a policy pack; each problem is printed as FILE:LINE: reason\n"
                "       and the exit code is 3; a valid pack prints a one-line summary.\n"
                "show:  prints the policy (TUTELA_POLICY or policy/default.yaml by default).\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static void digest_hex(const struct tt_policy *p, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof p->digest; i++) {
        out[2 * i] = hx[p->digest[i] >> 4];
        out[2 * i + 1] = hx[p->digest[i] & 15];
    }
    out[64] = '\0';
}

static void summary(FILE *to, const char *path, const struct tt_policy *p)
{
    char hex[65];
    digest_hex(p, hex);
    fprintf(to,
            "%s: ok — %zu purposes, %zu services, %zu data categories, %zu retention rules, "
            "%zu recipients, %zu cookies (version %s, digest %.16s)\n",
            path, p->n_purposes, p->n_services, p->n_categories, p->n_retention, p->n_recipients,
            p->n_cookies, p->version, hex);
}

static int policy_check(const char *path)
{
    char *errs = malloc(CHECK_BUF);
    if (!errs) {
        fprintf(stderr, "tutela policy check: out of memory\n");
        return TT_EXIT_FAIL;
    }
    int n = tt_policy_check(path, errs, CHECK_BUF, CHECK_MAX_ERRS);
    if (n != 0) {
        if (errs[0])
            fprintf(stderr, "%s\n", errs);
        if (n >= CHECK_MAX_ERRS)
            fprintf(stderr, "%s: stopped after %d problems\n", path, CHECK_MAX_ERRS);
        free(errs);
        return n < 0 ? TT_EXIT_FAIL : TT_EXIT_INVALID;
    }
    free(errs);
    struct tt_policy *p = NULL;
    char err[TT_POLICY_ERR_MAX];
    if (tt_policy_load(path, &p, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return TT_EXIT_INVALID;
    }
    summary(stdout, path, p);
    tt_policy_free(p);
    return TT_EXIT_OK;
}

/* ---- show ---- */

static json_t *strs(const char **list)
{
    json_t *a = json_array();
    for (size_t i = 0; list && list[i]; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static json_t *opt_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static const char *anchor_name(enum tt_anchor a)
{
    static const char *const n[] = {"collected",         "last_interaction",   "contract_end",
                                    "consent_withdrawn", "financial_year_end", "event"};
    return (unsigned)a < sizeof n / sizeof n[0] ? n[a] : "unknown";
}

static const char *role_name(enum tt_recipient_role r)
{
    static const char *const n[] = {"processor", "subprocessor", "controller", "conduit",
                                    "authority"};
    return (unsigned)r < sizeof n / sizeof n[0] ? n[r] : "unknown";
}

static json_t *to_json(const struct tt_policy *p)
{
    char hex[65];
    digest_hex(p, hex);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "id", p->id, "name", p->name,
                          "version", p->version, "effective_date", opt_str(p->effective_date),
                          "notice_version", p->notice_version, "notice_language",
                          p->notice_language, "source", p->source_path, "digest", hex);
    json_t *a = json_array();
    for (size_t i = 0; i < p->n_categories; i++) {
        const struct tt_category *c = &p->categories[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:b}", "key", c->key, "name", c->name,
                                           "description", opt_str(c->description), "special",
                                           c->special));
    }
    json_object_set_new(o, "categories", a);
    json_object_set_new(o, "subject_kinds", strs(p->subject_kinds));
    a = json_array();
    for (size_t i = 0; i < p->n_purposes; i++) {
        const struct tt_purpose *u = &p->purposes[i];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:b, s:b, s:b, s:o, s:o}", "key", u->key,
                         "name", u->name, "bit", (int)u->bit, "basis_eea",
                         tt_basis_name(u->basis_eea), "basis_other", tt_basis_name(u->basis_other),
                         "marketing", u->marketing, "sale", u->sale, "restriction_exempt",
                         u->restriction_exempt, "voluntary", u->voluntary, "li_assessment",
                         opt_str(u->li_assessment), "categories", strs(u->categories)));
    }
    json_object_set_new(o, "purposes", a);
    a = json_array();
    for (size_t i = 0; i < p->n_sources; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "key", p->sources[i].key, "name",
                                           p->sources[i].name, "third_party",
                                           p->sources[i].third_party));
    json_object_set_new(o, "sources", a);
    a = json_array();
    for (size_t i = 0; i < p->n_retention; i++) {
        const struct tt_retention *r = &p->retention[i];
        json_t *ov = json_array();
        for (size_t k = 0; k < r->n_overrides; k++)
            json_array_append_new(ov, json_pack("{s:s, s:i}", "jurisdiction",
                                                r->overrides[k].jurisdiction, "months",
                                                r->overrides[k].months));
        json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:i, s:b, s:o, s:o}", "key", r->key,
                                           "anchor", anchor_name(r->anchor), "months", r->months,
                                           "max_months", r->max_months, "ends_on_withdrawal",
                                           r->ends_on_withdrawal, "requirement",
                                           opt_str(r->requirement), "overrides", ov));
    }
    json_object_set_new(o, "retention", a);
    a = json_array();
    for (size_t i = 0; i < p->n_services; i++) {
        const struct tt_service *s = &p->services[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "key", s->key, "name",
                                           s->name, "retention", s->retention, "categories",
                                           strs(s->categories), "optional_categories",
                                           strs(s->optional_categories), "purposes",
                                           strs(s->purposes)));
    }
    json_object_set_new(o, "services", a);
    a = json_array();
    for (size_t i = 0; i < p->n_recipients; i++) {
        const struct tt_recipient *r = &p->recipients[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:o}", "key",
                                           r->key, "name", r->name, "category", r->category, "role",
                                           role_name(r->role), "country", r->country, "approved",
                                           r->approved, "transfer_mechanism", r->transfer_mechanism,
                                           "tia_done", r->tia_done, "purposes", strs(r->purposes)));
    }
    json_object_set_new(o, "recipients", a);
    a = json_array();
    for (size_t i = 0; i < p->n_cookie_categories; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "key", p->cookie_categories[i].key,
                                           "name", p->cookie_categories[i].name, "always_on",
                                           p->cookie_categories[i].always_on));
    json_object_set_new(o, "cookie_categories", a);
    a = json_array();
    for (size_t i = 0; i < p->n_cookies; i++) {
        const struct tt_cookie *c = &p->cookies[i];
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:b, s:s, s:b, s:i, s:s}", "name", c->name,
                                        "provider", c->provider, "first_party", c->first_party,
                                        "category", c->category, "session", c->session,
                                        "lifetime_days", c->lifetime_days, "purpose", c->purpose));
    }
    json_object_set_new(o, "cookies", a);
    a = json_array();
    for (size_t i = 0; i < p->n_jurisdictions; i++) {
        const struct tt_jurisdiction *j = &p->jurisdictions[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", j->code,
                                           "name", j->name, "law", j->law, "subject",
                                           j->term_subject, "controller", j->term_controller,
                                           "processor", j->term_processor));
    }
    json_object_set_new(o, "jurisdictions", a);
    json_object_set_new(o, "eea_countries", strs(p->eea_countries));
    a = json_array();
    for (size_t i = 0; i < p->n_deadlines; i++) {
        const struct tt_deadline *d = &p->deadlines[i];
        json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:o}", "key", d->key,
                                           "months", d->months, "days", d->days, "max_months",
                                           d->max_months, "max_days", d->max_days,
                                           "confirm_business_days", d->confirm_business_days,
                                           "jurisdictions", strs(d->jurisdictions)));
    }
    json_object_set_new(o, "deadlines", a);
    json_object_set_new(o, "deadline_default", json_string(p->deadline_default));
    return o;
}

static void list_line(const char *label, const char **list)
{
    printf("    %-12s", label);
    for (size_t i = 0; list && list[i]; i++)
        printf("%s%s", i ? ", " : "", list[i]);
    printf("%s\n", list && list[0] ? "" : "(none)");
}

static void show_text(const struct tt_policy *p)
{
    char hex[65];
    digest_hex(p, hex);
    printf("%s — %s\n  version %s, notice %s (%s), digest %s\n", p->id, p->name, p->version,
           p->notice_version, p->notice_language, hex);
    printf("\npurposes (%zu)\n", p->n_purposes);
    for (size_t i = 0; i < p->n_purposes; i++) {
        const struct tt_purpose *u = &p->purposes[i];
        printf("  %2u %-40s EEA: %-19s other: %-19s%s%s%s%s\n", u->bit, u->key,
               tt_basis_name(u->basis_eea), tt_basis_name(u->basis_other),
               u->marketing ? " marketing" : "", u->sale ? " SALE (refused)" : "",
               u->restriction_exempt ? " restriction-exempt" : "",
               u->voluntary ? " voluntary" : "");
    }
    printf("\nservices (%zu)\n", p->n_services);
    for (size_t i = 0; i < p->n_services; i++) {
        const struct tt_service *s = &p->services[i];
        printf("  %s — %s (retention: %s)\n", s->key, s->name, s->retention);
        list_line("categories", s->categories);
        list_line("purposes", s->purposes);
    }
    printf("\nretention (%zu)\n", p->n_retention);
    for (size_t i = 0; i < p->n_retention; i++) {
        const struct tt_retention *r = &p->retention[i];
        printf("  %-22s %3d months (max %3d) from %s%s%s%s\n", r->key, r->months, r->max_months,
               anchor_name(r->anchor), r->ends_on_withdrawal ? ", ends on withdrawal" : "",
               r->requirement ? "  " : "", r->requirement ? r->requirement : "");
        for (size_t k = 0; k < r->n_overrides; k++)
            printf("      %s: %d months\n", r->overrides[k].jurisdiction, r->overrides[k].months);
    }
    printf("\nrecipients (%zu)\n", p->n_recipients);
    for (size_t i = 0; i < p->n_recipients; i++) {
        const struct tt_recipient *r = &p->recipients[i];
        printf("  %-28s %-20s %-12s %s %-10s %s\n", r->key, r->category, role_name(r->role),
               r->country, r->transfer_mechanism, r->approved ? "approved" : "NOT APPROVED");
    }
    printf("\ncookies (%zu)\n", p->n_cookies);
    for (size_t i = 0; i < p->n_cookies; i++) {
        const struct tt_cookie *c = &p->cookies[i];
        char life[32];
        if (c->session)
            snprintf(life, sizeof life, "session");
        else
            snprintf(life, sizeof life, "%d days", c->lifetime_days);
        printf("  %-16s %-20s %-18s %-12s %s\n", c->name, c->provider, c->category, life,
               c->first_party ? "first party" : "third party");
    }
    printf("\njurisdictions (default %s; %zu EEA countries)\n", p->jurisdiction_default,
           p->n_eea_countries);
    for (size_t i = 0; i < p->n_jurisdictions; i++) {
        const struct tt_jurisdiction *j = &p->jurisdictions[i];
        printf("  %-6s %-28s %s / %s / %s\n", j->code, j->law, j->term_subject, j->term_controller,
               j->term_processor);
    }
    printf("\nrights-request deadlines (default %s)\n", p->deadline_default);
    for (size_t i = 0; i < p->n_deadlines; i++) {
        const struct tt_deadline *d = &p->deadlines[i];
        printf("  %-10s %d months %d days, extended at most %d months %d days\n", d->key, d->months,
               d->days, d->max_months, d->max_days);
    }
}

static int policy_show(const char *path, int json)
{
    struct tt_policy *p = NULL;
    char err[TT_POLICY_ERR_MAX];
    if (tt_policy_load(path, &p, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return TT_EXIT_INVALID;
    }
    int rc = TT_EXIT_OK;
    if (json) {
        json_t *o = to_json(p);
        if (!o || json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
            fprintf(stderr, "tutela policy show: cannot render JSON\n");
            rc = TT_EXIT_FAIL;
        } else {
            fputc('\n', stdout);
        }
        json_decref(o);
    } else {
        show_text(p);
    }
    tt_policy_free(p);
    return rc;
}

int tt_cmd_policy(int argc, char **argv)
{
    struct tt_config cfg;
    int rc = tt_config_load(&cfg, &argc, argv);
    if (rc != 0)
        return rc;
    if (argc < 2)
        return usage(stderr);
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0)
        return usage(stdout);
    int json = 0;
    const char *file = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout);
        if (strcmp(argv[i], "--json") == 0 && strcmp(sub, "show") == 0) {
            json = 1;
        } else if (argv[i][0] != '-' && !file && strcmp(sub, "check") == 0) {
            file = argv[i];
        } else {
            fprintf(stderr, "tutela policy %s: unexpected argument '%s'\n", sub, argv[i]);
            return usage(stderr);
        }
    }
    if (strcmp(sub, "check") == 0)
        return policy_check(file ? file : cfg.policy);
    if (strcmp(sub, "show") == 0)
        return policy_show(cfg.policy, json);
    fprintf(stderr, "tutela policy: unknown subcommand '%s'\n", sub);
    return usage(stderr);
}
