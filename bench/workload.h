/* SPDX-License-Identifier: Apache-2.0 */
/* workload.h — the decision benchmark's workload, shared by decide_bench.c and mirrored line by
 * line in cedar_bench.mjs: a policy of six purposes (consent, EEA-dependent basis, legitimate
 * interest, contract, restriction-exempt storage, sale), two services, two recipients; subject
 * states derived from the subject's number; eight request shapes. */
#ifndef TT_BENCH_WORKLOAD_H
#define TT_BENCH_WORKLOAD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "tutela.h"

#define WL_TENANT "ten_bench"
#define WL_NOW 1780000000 /* 2026-05-28 */
#define WL_N_PURPOSES 6
#define WL_N_REQUESTS 8

static const char *wl_cat_marketing[] = {"user.contact.email", "user.contact.phone_number", NULL};
static const char *wl_cat_analytics[] = {"user.behavior", "user.device.ip_address", NULL};
static const char *wl_cat_any[] = {NULL};

static const struct tt_purpose wl_purposes[WL_N_PURPOSES] = {
    {.key = "marketing.communications",
     .bit = 0,
     .basis_eea = TT_BASIS_CONSENT,
     .basis_other = TT_BASIS_CONSENT,
     .marketing = 1,
     .categories = wl_cat_marketing},
    {.key = "analytics.reporting",
     .bit = 1,
     .basis_eea = TT_BASIS_CONSENT,
     .basis_other = TT_BASIS_LEGITIMATE_INTEREST,
     .categories = wl_cat_analytics},
    {.key = "marketing.product_information",
     .bit = 2,
     .basis_eea = TT_BASIS_LEGITIMATE_INTEREST,
     .basis_other = TT_BASIS_LEGITIMATE_INTEREST,
     .marketing = 1,
     .categories = wl_cat_marketing},
    {.key = "essential.service",
     .bit = 3,
     .basis_eea = TT_BASIS_CONTRACT,
     .basis_other = TT_BASIS_CONTRACT,
     .categories = wl_cat_any},
    {.key = "storage",
     .bit = 4,
     .basis_eea = TT_BASIS_LEGAL_OBLIGATION,
     .basis_other = TT_BASIS_LEGAL_OBLIGATION,
     .restriction_exempt = 1,
     .categories = wl_cat_any},
    {.key = "sales.personal_data", .bit = 5, .sale = 1, .categories = wl_cat_any},
};

static const struct tt_category wl_categories[] = {
    {.key = "user.contact.email"},      {.key = "user.contact.phone_number"},
    {.key = "user.behavior"},           {.key = "user.device.ip_address"},
    {.key = "user.comms.traffic_data"},
};

static const char *wl_sms_cats[] = {"user.contact.phone_number", "user.comms.traffic_data", NULL};
static const char *wl_sms_purposes[] = {"essential.service", "marketing.communications", "storage",
                                        NULL};
static const char *wl_email_cats[] = {"user.contact.email", "user.behavior",
                                      "user.device.ip_address", NULL};
static const char *wl_email_purposes[] = {"marketing.communications", "analytics.reporting",
                                          "marketing.product_information", "essential.service",
                                          NULL};
static const struct tt_service wl_services[] = {
    {.key = "sms", .categories = wl_sms_cats, .purposes = wl_sms_purposes},
    {.key = "email", .categories = wl_email_cats, .purposes = wl_email_purposes},
};

static const char *wl_carrier_purposes[] = {"essential.service", NULL};
static const struct tt_recipient wl_recipients[] = {
    {.key = "carrier_nl",
     .country = "NL",
     .approved = 1,
     .transfer_mechanism = "none",
     .purposes = wl_carrier_purposes},
    {.key = "cloud_us",
     .country = "US",
     .approved = 1,
     .transfer_mechanism = "scc",
     .purposes = wl_cat_any},
};

static const char *wl_eea[] = {"AT", "BE", "DE", "DK", "ES", "FI", "FR",
                               "IE", "IT", "NL", "NO", "PL", "PT", "SE"};

struct wl_request {
    const char *purpose, *category, *service, *recipient;
};

static const struct wl_request wl_requests[WL_N_REQUESTS] = {
    {"marketing.communications", "user.contact.phone_number", "sms", NULL},
    {"marketing.communications", "user.contact.email", "email", NULL},
    {"analytics.reporting", "user.behavior", "email", NULL},
    {"marketing.product_information", "user.contact.email", "email", NULL},
    {"essential.service", "user.contact.phone_number", "sms", "carrier_nl"},
    {"essential.service", "user.comms.traffic_data", "sms", "cloud_us"},
    {"storage", "user.contact.phone_number", "sms", NULL},
    {"sales.personal_data", "user.contact.email", "email", NULL},
};

/* A subject's state, from its number (cedar_bench.mjs computes the same). */
struct wl_subject {
    const char *jurisdiction;
    int child, restricted, erased, contract;
    long long retention_until;
    int consent[WL_N_PURPOSES]; /* TUTELA_CONSENT_* */
    int objection[WL_N_PURPOSES];
};

static inline void wl_subject_of(size_t i, struct wl_subject *s)
{
    memset(s, 0, sizeof *s);
    s->jurisdiction = i % 5 == 0 ? "US" : "NL";
    s->child = i % 97 == 0;
    s->restricted = i % 53 == 0;
    s->erased = i % 89 == 0;
    s->contract = i % 2 == 0;
    s->retention_until = i % 41 == 0 ? WL_NOW - 86400 : WL_NOW + 86400LL * 365;
    /* one in ten withdrew marketing consent, one in four never gave analytics consent, one in
     * twenty objected to product information */
    s->consent[0] = i % 10 == 0 ? TUTELA_CONSENT_WITHDRAWN : TUTELA_CONSENT_GIVEN;
    s->consent[1] = i % 4 == 0 ? TUTELA_CONSENT_NONE : TUTELA_CONSENT_GIVEN;
    s->objection[2] = i % 20 == 0;
}

static inline void wl_subject_id(size_t i, char out[TT_ID_MAX])
{
    snprintf(out, TT_ID_MAX, "sub_%024zx", i * 0x9e3779b1u);
}

static inline void wl_blind(size_t i, char out[65])
{
    snprintf(out, 65, "%016llx%048zx", (unsigned long long)i * 0x9e3779b97f4a7c15ULL, i);
}

static inline struct tt_policy *wl_policy(void)
{
    struct tt_policy *p = calloc(1, sizeof *p);
    if (!p)
        exit(1);
    p->id = "bench";
    p->version = "bench.1";
    memset(p->digest, 0xbe, sizeof p->digest);
    p->purposes = wl_purposes;
    p->n_purposes = WL_N_PURPOSES;
    p->categories = wl_categories;
    p->n_categories = sizeof wl_categories / sizeof wl_categories[0];
    p->services = wl_services;
    p->n_services = sizeof wl_services / sizeof wl_services[0];
    p->recipients = wl_recipients;
    p->n_recipients = sizeof wl_recipients / sizeof wl_recipients[0];
    p->eea_countries = wl_eea;
    p->n_eea_countries = sizeof wl_eea / sizeof wl_eea[0];
    return p;
}

static inline void wl_policy_free(struct tt_policy *p)
{
    free(p);
}

#endif
