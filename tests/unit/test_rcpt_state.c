/* SPDX-License-Identifier: Apache-2.0 */
/* test_rcpt_state.c — the registry's life cycle (core/rcpt_state.h, S4.3, S5.1, S5.2): vetting
 * moves states both ways, approval needs vetting, a DPA or a basis, a mechanism and a TIA outside
 * the EEA, an edit cannot make an approved entry non-compliant, a lapsed adequacy decision flags
 * an entry once and a re-approval or a new mechanism clears it; refusals leave the entry as it
 * was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/adequacy.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/rcpt_state.h"

static struct tt_policy *policy;
static struct tt_adequacy *adequacy;
static tt_time now;

static int setup(void **state)
{
    (void)state;
    char p[512], err[512];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(p, sizeof p, "%s/policy/default.yaml", root ? root : ".");
    if (tt_policy_load(p, &policy, err) != 0)
        fail_msg("%s", err);
    snprintf(p, sizeof p, "%s/policy/adequacy.yaml", root ? root : ".");
    if (tt_adequacy_load(p, &adequacy, err) != 0)
        fail_msg("%s", err);
    assert_int_equal(tt_time_parse("2026-06-01T00:00:00Z", &now), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tt_policy_free(policy);
    tt_adequacy_free(adequacy);
    return 0;
}

/* A proposed processor in the US under SCC with a TIA and a DPA. */
static void processor_us(struct tt_rcpt *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->key, sizeof r->key, "acme_cloud");
    snprintf(r->country, sizeof r->country, "US");
    snprintf(r->dpa_ref, sizeof r->dpa_ref, "DPA-2026-01");
    r->role = TT_RROLE_PROCESSOR;
    r->mechanism = TT_MECH_SCC;
    r->tia_done = 1;
    r->status = TT_RSTATUS_PROPOSED;
}

static void vetting_moves_states(void **state)
{
    (void)state;
    struct tt_rcpt r;
    processor_us(&r);
    assert_int_equal(tt_rcpt_vet(&r, 1, "ok", now + 1, now), -TT_E_BAD_PARAM); /* future */
    assert_int_equal(tt_rcpt_vet(&r, 1, "ok", 0, now), -TT_E_BAD_PARAM);
    assert_int_equal(r.vetted_at, 0);
    assert_int_equal(tt_rcpt_vet(&r, 0, "no audit report", now - 10, now), 0);
    assert_int_equal(r.status, TT_RSTATUS_PROPOSED);
    assert_int_equal(r.vetting_passed, 0);
    assert_int_equal(tt_rcpt_vet(&r, 1, "SOC 2 seen", now - 5, now), 0);
    assert_int_equal(r.status, TT_RSTATUS_VETTED);
    assert_string_equal(r.vetting_notes, "SOC 2 seen");
    assert_int_equal(tt_rcpt_vet(&r, 0, "breach", now, now), 0);
    assert_int_equal(r.status, TT_RSTATUS_PROPOSED);
    /* an approved vendor that fails vetting is suspended at once */
    assert_int_equal(tt_rcpt_vet(&r, 1, "fixed", now, now), 0);
    uint32_t why;
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), 0);
    assert_int_equal(tt_rcpt_vet(&r, 0, "breach", now, now), 0);
    assert_int_equal(r.status, TT_RSTATUS_SUSPENDED);
    assert_string_equal(r.status_reason, "vetting failed");
    uint32_t why2;
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why2), -TT_E_RECIPIENT_NOT_VETTED);
    assert_int_equal(tt_rcpt_vet(&r, 1, "x", now, now), 0);
    assert_int_equal(r.status, TT_RSTATUS_SUSPENDED); /* vetted again, approved after */
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why2), 0);
}

static void approval_requirements_S4_3_S5_1(void **state)
{
    (void)state;
    struct tt_rcpt r, before;
    uint32_t why;
    processor_us(&r);
    /* proposed (never vetted): the state refuses before any requirement */
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), -TT_E_INVALID_STATE);
    assert_int_equal(tt_rcpt_vet(&r, 1, "", now, now), 0);
    r.dpa_ref[0] = '\0';
    before = r;
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), -TT_E_RECIPIENT_NO_DPA);
    assert_true(why & (1u << TT_GATE_NO_DPA));
    assert_memory_equal(&r, &before, sizeof r); /* untouched */
    snprintf(r.dpa_ref, sizeof r.dpa_ref, "DPA-1");
    r.tia_done = 0;
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), -TT_E_TRANSFER_NO_TIA);
    r.mechanism = TT_MECH_NONE;
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), -TT_E_TRANSFER_NO_MECHANISM);
    /* in the EEA no mechanism is needed */
    snprintf(r.country, sizeof r.country, "NL");
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), 0);
    assert_int_equal(r.status, TT_RSTATUS_APPROVED);
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), -TT_E_INVALID_STATE);
    /* an independent controller needs its own legal basis instead of a DPA */
    struct tt_rcpt c;
    processor_us(&c);
    c.role = TT_RROLE_CONTROLLER;
    c.dpa_ref[0] = '\0';
    assert_int_equal(tt_rcpt_vet(&c, 1, "", now, now), 0);
    assert_int_equal(tt_rcpt_approve(&c, policy, adequacy, now, &why), -TT_E_RECIPIENT_NO_BASIS);
    c.basis = TT_BASIS_CONTRACT;
    assert_int_equal(tt_rcpt_approve(&c, policy, adequacy, now, &why), 0);
}

static void suspend_needs_a_reason_and_blocks_the_gate(void **state)
{
    (void)state;
    struct tt_rcpt r;
    uint32_t why;
    processor_us(&r);
    assert_int_equal(tt_rcpt_vet(&r, 1, "", now, now), 0);
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), 0);
    assert_int_equal(tt_rcpt_suspend(&r, "  ", now), -TT_E_BAD_FIELD);
    assert_int_equal(r.status, TT_RSTATUS_APPROVED);
    assert_int_equal(tt_rcpt_suspend(&r, "contract ended", now), 0);
    assert_int_equal(tt_rcpt_suspend(&r, "again", now), -TT_E_INVALID_STATE);
    assert_string_equal(r.status_reason, "contract ended");
    assert_int_equal(tt_transfer_check(&r, policy, adequacy, "essential.service", NULL, now, &why),
                     0);
    assert_int_equal(tt_gate_err(why, r.status), TT_E_RECIPIENT_SUSPENDED);
    /* re-approval from suspended */
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), 0);
    assert_string_equal(r.status_reason, "");
}

static void edits_keep_an_approved_entry_compliant(void **state)
{
    (void)state;
    struct tt_rcpt r, after;
    uint32_t why;
    int unflagged;
    processor_us(&r);
    assert_int_equal(tt_rcpt_vet(&r, 1, "", now, now), 0);
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, now, &why), 0);
    after = r;
    after.tia_done = 0;
    assert_int_equal(tt_rcpt_edit_check(&r, &after, policy, adequacy, now, &why, &unflagged),
                     -TT_E_TRANSFER_NO_TIA);
    after = r;
    snprintf(after.toms, sizeof after.toms, "encryption at rest");
    assert_int_equal(tt_rcpt_edit_check(&r, &after, policy, adequacy, now, &why, &unflagged), 0);
    assert_int_equal(unflagged, 0);
    /* a proposed entry may be edited into any shape */
    struct tt_rcpt p;
    processor_us(&p);
    after = p;
    after.mechanism = TT_MECH_NONE;
    assert_int_equal(tt_rcpt_edit_check(&p, &after, policy, adequacy, now, &why, &unflagged), 0);
}

static void lapse_flags_once_and_a_fix_clears_it_S5_2(void **state)
{
    (void)state;
    struct tt_rcpt r, after;
    uint32_t why;
    int unflagged;
    processor_us(&r);
    r.mechanism = TT_MECH_ADEQUACY;
    r.tia_done = 0;
    snprintf(r.adequacy_key, sizeof r.adequacy_key, "us_privacy_shield");
    tt_time in_2019, in_2021;
    assert_int_equal(tt_time_parse("2019-01-01T00:00:00Z", &in_2019), 0);
    assert_int_equal(tt_time_parse("2021-01-01T00:00:00Z", &in_2021), 0);
    assert_int_equal(tt_rcpt_vet(&r, 1, "", in_2019, in_2019), 0);
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, in_2019, &why), 0);
    assert_int_equal(tt_rcpt_reevaluate(&r, adequacy, in_2019), 0); /* in force */
    assert_int_equal(tt_rcpt_reevaluate(&r, adequacy, in_2021), 1); /* Schrems II */
    assert_int_equal(r.flagged_at, in_2021);
    assert_string_equal(r.flag_reason, "adequacy_lapsed:us_privacy_shield");
    assert_int_equal(tt_rcpt_reevaluate(&r, adequacy, in_2021 + 60), 0); /* once */
    assert_int_equal(r.flagged_at, in_2021);
    assert_int_equal(
        tt_transfer_check(&r, policy, adequacy, "essential.service", NULL, in_2021, &why), 0);
    assert_int_equal(tt_gate_err(why, r.status), TT_E_RECIPIENT_FLAGGED);
    /* re-approval alone does not fix it: the decision is still not in force */
    assert_int_equal(tt_rcpt_approve(&r, policy, adequacy, in_2021, &why), -TT_E_ADEQUACY_LAPSED);
    /* an edit is refused while it stays non-compliant ... */
    after = r;
    after.mechanism = TT_MECH_SCC;
    assert_int_equal(tt_rcpt_edit_check(&r, &after, policy, adequacy, in_2021, &why, &unflagged),
                     -TT_E_TRANSFER_NO_TIA);
    /* ... and a new mechanism with its TIA clears the flag */
    after.tia_done = 1;
    assert_int_equal(tt_rcpt_edit_check(&r, &after, policy, adequacy, in_2021, &why, &unflagged),
                     0);
    assert_int_equal(unflagged, 1);
    assert_int_equal(after.flagged_at, 0);
    assert_int_equal(
        tt_transfer_check(&after, policy, adequacy, "essential.service", NULL, in_2021, &why), 0);
    assert_int_equal(why, 0);
}

static void gate_error_precedence(void **state)
{
    (void)state;
    assert_int_equal(tt_gate_err(0, TT_RSTATUS_APPROVED), 0);
    uint32_t all = (1u << TT_GATE__COUNT) - 1;
    assert_int_equal(tt_gate_err(all, TT_RSTATUS_APPROVED), TT_E_UNKNOWN_PURPOSE);
    assert_int_equal(tt_gate_err(all & ~(1u << TT_GATE_UNKNOWN_PURPOSE), TT_RSTATUS_APPROVED),
                     TT_E_SALE_PROHIBITED);
    assert_int_equal(tt_gate_err(1u << TT_GATE_NOT_APPROVED, TT_RSTATUS_PROPOSED),
                     TT_E_RECIPIENT_NOT_APPROVED);
    assert_int_equal(tt_gate_err(1u << TT_GATE_CATEGORY, TT_RSTATUS_APPROVED), TT_E_NOT_RECEIVED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vetting_moves_states),
        cmocka_unit_test(approval_requirements_S4_3_S5_1),
        cmocka_unit_test(suspend_needs_a_reason_and_blocks_the_gate),
        cmocka_unit_test(edits_keep_an_approved_entry_compliant),
        cmocka_unit_test(lapse_flags_once_and_a_fix_clears_it_S5_2),
        cmocka_unit_test(gate_error_precedence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
