/* SPDX-License-Identifier: Apache-2.0 */
/* areas.h — how the store grows by capability without one file everybody edits.
 * Each area (consent, requests, …) owns: its ops header (store/<area>_store.h, a struct of
 * function pointers reached from struct tt_store_ops), its migrations (a version range, in a
 * file of its own per backend, listed once in that backend's migrate file), and a range of
 * prepared-statement slots in each backend. Ranges never overlap, so areas land in any order. */
#ifndef TT_STORE_AREAS_H
#define TT_STORE_AREAS_H

/* area         migration versions   statement slots (sqlite and postgres)
 * core         1..99                0..63      (store.h)
 * jobs         100..199             64..127    leases, outbox, change feed (issue 9)
 * consent      200..299             128..191   consent ledger, preferences (issue 4)
 * requests     300..399             192..255   rights requests (issue 5)
 * retention    400..499             256..319   holds, sweeps, statistics (issue 6)
 * recipients   500..599             320..383   registry, disclosures, notices (issue 7)
 * accounts     600..699             384..447   accounts, sessions, inbox (issue 8)
 * subscriptions 700..799            448..511   sub-processor list subscribers, notices (issue 7) */
#define TT_STORE_SLOTS_PER_AREA 64
#define TT_STORE_SLOTS_MAX 512
#define TT_STORE_SLOT_BASE(area_index) ((area_index)*TT_STORE_SLOTS_PER_AREA)

enum tt_store_area {
    TT_AREA_CORE = 0,
    TT_AREA_JOBS = 1,
    TT_AREA_CONSENT = 2,
    TT_AREA_REQUESTS = 3,
    TT_AREA_RETENTION = 4,
    TT_AREA_RECIPIENTS = 5,
    TT_AREA_ACCOUNTS = 6,
    TT_AREA_SUBSCRIPTIONS = 7,
};

#endif
