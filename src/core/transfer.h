/* SPDX-License-Identifier: Apache-2.0 */
/* transfer.h — the sharing gate's rules (S4.1-S4.4, S5.1, S5.2): a registry recipient as core
 * sees it, and the pure checks that decide whether data may go to it for a purpose at a time.
 * No I/O, no allocation; thread safe. The subject's own decision (consent, objection, erasure)
 * is core/decide's job and is asked separately by the caller. */
#ifndef TT_CORE_TRANSFER_H
#define TT_CORE_TRANSFER_H

#include <stdint.h>

#include "adequacy.h"
#include "policy.h"

#define TT_RCPT_LIST_MAX 32  /* data categories or purposes a recipient receives */
#define TT_RCPT_TEXT_MAX 512 /* TOMs, vetting notes */

enum tt_rcpt_status {
    TT_RSTATUS_PROPOSED = 0,
    TT_RSTATUS_VETTED = 1,
    TT_RSTATUS_APPROVED = 2,
    TT_RSTATUS_SUSPENDED = 3,
};

enum tt_mechanism {
    TT_MECH_NONE = 0,
    TT_MECH_ADEQUACY = 1,
    TT_MECH_SCC = 2,
    TT_MECH_BCR = 3,
    TT_MECH_DEROGATION = 4,
};

/* A recipient of the registry (one tenant's). Plain data, copied freely. */
struct tt_rcpt {
    char id[TT_ID_MAX]; /* "rcp_…" */
    char tenant_id[TT_ID_MAX];
    char key[TT_KEY_MAX]; /* "stripe": unique per tenant */
    char name[TT_NAME_MAX];
    char category[TT_KEY_MAX];   /* policy recipient category key (S4.1) */
    enum tt_recipient_role role; /* S4.2 */
    char country[TT_JURIS_MAX];  /* ISO alpha-2 */
    enum tt_rcpt_status status;
    tt_time vetted_at;  /* 0 = never vetted */
    int vetting_passed; /* the vetting outcome */
    char vetting_notes[TT_RCPT_TEXT_MAX];
    char dpa_ref[TT_NAME_MAX];     /* contract (DPA) reference; "" = none */
    char toms[TT_RCPT_TEXT_MAX];   /* technical and organisational measures */
    enum tt_mechanism mechanism;   /* S5.1 */
    char adequacy_key[TT_KEY_MAX]; /* the decision relied on (mechanism adequacy), "" = any */
    int tia_done;                  /* transfer impact assessment recorded */
    enum tt_basis basis;           /* an independent controller's legal basis (S4.3) */
    char purposes[TT_RCPT_LIST_MAX][TT_KEY_MAX];
    int n_purposes;
    char categories[TT_RCPT_LIST_MAX][TT_KEY_MAX];
    int n_categories;
    int public_listed;                    /* shown on the public sub-processor list (S14.1) */
    tt_time flagged_at;                   /* S5.2: its transfer basis lapsed; 0 = not flagged */
    char flag_reason[TT_KEY_MAX];         /* "adequacy_lapsed:us_privacy_shield" */
    char status_reason[TT_RCPT_TEXT_MAX]; /* why it was suspended; "" otherwise */
    tt_time created_at;
    tt_time updated_at;
};

/* Why a disclosure is refused: bits of a uint32_t. */
enum tt_gate_reason {
    TT_GATE_NOT_APPROVED = 0,     /* status is not approved (S4.3) */
    TT_GATE_NOT_VETTED = 1,       /* never vetted, or vetting failed (S4.3) */
    TT_GATE_NO_DPA = 2,           /* processor without a contract reference (S4.3) */
    TT_GATE_NO_BASIS = 3,         /* independent controller without a legal basis (S4.3) */
    TT_GATE_NO_MECHANISM = 4,     /* outside the EEA without a transfer mechanism (S5.1) */
    TT_GATE_NO_TIA = 5,           /* SCC/BCR/derogation without a TIA (S5.1) */
    TT_GATE_ADEQUACY_LAPSED = 6,  /* relies on adequacy not in force (S5.2) */
    TT_GATE_FLAGGED = 7,          /* flagged by a re-evaluation, not fixed yet (S5.2) */
    TT_GATE_SALE = 8,             /* the purpose is a sale (S4.4) */
    TT_GATE_PURPOSE = 9,          /* the recipient does not receive data for this purpose */
    TT_GATE_CATEGORY = 10,        /* … or that data category */
    TT_GATE_UNKNOWN_PURPOSE = 11, /* not a purpose of the policy */
    TT_GATE__COUNT
};

/* The reasons that belong to the recipient itself, whatever the purpose: not vetted, no DPA,
 * no legal basis, no transfer mechanism or TIA, a lapsed adequacy decision (S4.3, S5.1, S5.2).
 * What an approval requires to be 0. Bits of enum tt_gate_reason; r and p must not be NULL. */
uint32_t tt_transfer_requirements(const struct tt_rcpt *r, const struct tt_policy *p,
                                  const struct tt_adequacy *a, tt_time now);

/* The problem code of a refusal: the first reason of reasons in this order of precedence —
 * unknown purpose, sale, suspended/not approved (status given), flagged, not vetted, no DPA, no
 * basis, no mechanism, adequacy lapsed, no TIA, purpose/category not received. 0 when none. */
int tt_gate_err(uint32_t reasons, enum tt_rcpt_status status);

/* Checks a disclosure of data (category may be NULL) for purpose to r at time now. Writes the
 * refusal reasons into *reasons (0 = allowed) and returns 0; -TT_E_BAD_PARAM for NULL inputs. */
int tt_transfer_check(const struct tt_rcpt *r, const struct tt_policy *p,
                      const struct tt_adequacy *a, const char *purpose, const char *category,
                      tt_time now, uint32_t *reasons);

/* S5.2: whether r's transfer basis still holds at now. Returns 1 (and a reason such as
 * "adequacy_lapsed:us_privacy_shield" in reason, size >= TT_KEY_MAX) when it relies on an
 * adequacy decision no longer (or not yet) in force, else 0. */
int tt_transfer_lapsed(const struct tt_rcpt *r, const struct tt_adequacy *a, tt_time now,
                       char *reason, size_t reason_size);

/* S4.3 seed: the registry entry for a recipient of the policy's table, as of now. A recipient
 * the policy marks approved is approved, vetted (passed) at now and bound by the policy pack
 * (dpa_ref "policy:<version>" for processors); an independent controller takes the EEA basis of
 * its first purpose. */
void tt_rcpt_from_policy(const struct tt_policy *p, const struct tt_recipient *pr,
                         const char *tenant_id, tt_time now, struct tt_rcpt *out);

/* Names: "not_approved", …; parse returns 0 or -TT_E_BAD_FIELD. */
const char *tt_gate_reason_name(enum tt_gate_reason r);
const char *tt_rcpt_status_name(enum tt_rcpt_status s);
int tt_rcpt_status_parse(const char *s, enum tt_rcpt_status *out);
const char *tt_mechanism_name(enum tt_mechanism m);
int tt_mechanism_parse(const char *s, enum tt_mechanism *out);
const char *tt_rrole_name(enum tt_recipient_role r);
int tt_rrole_parse(const char *s, enum tt_recipient_role *out);

#endif
