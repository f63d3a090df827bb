/* SPDX-License-Identifier: Apache-2.0 */
/* retention.c — retention ends from the policy's rules (S7.0–S7.7). */
#include "retention.h"

#include <string.h>
#include <time.h>

#include "clock.h"

int tt_retention_months(const struct tt_retention *rule, const char *jurisdiction)
{
    if (jurisdiction) {
        for (size_t i = 0; i < rule->n_overrides; i++) {
            const char *j = rule->overrides[i].jurisdiction;
            size_t n = strlen(j);
            /* "US" covers "US-CA"; an exact "US-CA" entry wins because it comes first */
            if (strcmp(j, jurisdiction) == 0 ||
                (strncmp(j, jurisdiction, n) == 0 && jurisdiction[n] == '-'))
                return rule->overrides[i].months;
        }
    }
    return rule->months;
}

static tt_time end_of_year(tt_time t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return t;
    struct tm e = {0};
    e.tm_year = tm.tm_year;
    e.tm_mon = 11;
    e.tm_mday = 31;
    e.tm_hour = 23;
    e.tm_min = 59;
    e.tm_sec = 59;
    return (tt_time)timegm(&e);
}

tt_time tt_retention_end(const struct tt_retention *rule, const char *jurisdiction,
                         tt_time collected_at)
{
    int months = tt_retention_months(rule, jurisdiction);
    switch (rule->anchor) {
    case TT_ANCHOR_COLLECTED:
    case TT_ANCHOR_EVENT:
    case TT_ANCHOR_LAST_INTERACTION: /* collecting is an interaction; later ones extend it */
        return tt_time_add_months(collected_at, months);
    case TT_ANCHOR_FINANCIAL_YEAR_END:
        return tt_time_add_months(end_of_year(collected_at), months);
    case TT_ANCHOR_CONTRACT_END:
    case TT_ANCHOR_CONSENT_WITHDRAWN:
        return 0;
    }
    return 0;
}

/* A selector's rank (0 = it does not match): more fields named first, then category over
 * purpose over service, so no two selectors naming different fields ever tie. */
static int selector_rank(const struct tt_retention_selector *s, const char *service,
                         const char *category, const char *purpose)
{
    if ((s->service && (!service || strcmp(s->service, service) != 0)) ||
        (s->category && (!category || strcmp(s->category, category) != 0)) ||
        (s->purpose && (!purpose || strcmp(s->purpose, purpose) != 0)))
        return 0;
    int fields = !!s->service + !!s->category + !!s->purpose;
    return fields * 8 + (s->category ? 4 : 0) + (s->purpose ? 2 : 0) + (s->service ? 1 : 0);
}

const struct tt_retention *tt_retention_rule_for(const struct tt_policy *p, const char *service,
                                                 const char *category, const char *purpose)
{
    if (!p)
        return NULL;
    const struct tt_retention *best = NULL;
    int best_rank = 0;
    for (size_t i = 0; i < p->n_retention; i++) {
        const struct tt_retention *r = &p->retention[i];
        for (size_t j = 0; j < r->n_applies_to; j++) {
            int rank = selector_rank(&r->applies_to[j], service, category, purpose);
            if (rank > best_rank) {
                best_rank = rank;
                best = r;
            }
        }
    }
    if (best)
        return best;
    const struct tt_service *sv = service ? tt_policy_service(p, service) : NULL;
    return sv && sv->retention ? tt_policy_retention(p, sv->retention) : NULL;
}

tt_time tt_retention_end_ev(const struct tt_retention *rule, const char *jurisdiction,
                            tt_time collected_at, const struct tt_retention_events *ev)
{
    tt_time end = tt_retention_end(rule, jurisdiction, collected_at);
    if (!ev)
        return end;
    if (rule->anchor == TT_ANCHOR_CONTRACT_END && ev->contract_ended_at) {
        tt_time from = ev->contract_ended_at > collected_at ? ev->contract_ended_at : collected_at;
        end = tt_time_add_months(from, tt_retention_months(rule, jurisdiction));
    }
    if (rule->anchor == TT_ANCHOR_CONSENT_WITHDRAWN && ev->consent_withdrawn_at) {
        tt_time from =
            ev->consent_withdrawn_at > collected_at ? ev->consent_withdrawn_at : collected_at;
        end = tt_time_add_months(from, tt_retention_months(rule, jurisdiction));
    }
    /* S7.3: withdrawal or unsubscribe ends it at once */
    if (rule->ends_on_withdrawal && ev->consent_withdrawn_at &&
        (end == 0 || ev->consent_withdrawn_at < end))
        end = ev->consent_withdrawn_at > collected_at ? ev->consent_withdrawn_at : collected_at;
    return end;
}
