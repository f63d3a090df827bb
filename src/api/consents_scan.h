/* SPDX-License-Identifier: Apache-2.0 */
/* consents_scan.h — the fast path of POST /v1/consents (issue 4): a scanner over the usual body
 * {"items": [item, …]}, each item {subject | identifier {type, value}, purpose | feature, action,
 * method, notice_version, evidence? {page?, user_agent?, ip?}}, that takes the strings out in one
 * pass over the bytes without building a JSON tree. It accepts only a strict subset of JSON:
 * members of those names (each at most once per object) holding non-empty plain ASCII strings
 * (printable, no escape), identifier and evidence as non-empty objects of their own members, JSON
 * whitespace between tokens, "items" the only top-level member and a non-empty array. Anything
 * else is refused, and the caller then parses the body with jansson and the field specs, which
 * name the problem. Whatever it accepts, jansson (JSON_REJECT_DUPLICATES) accepts too, with the
 * same members and strings (fuzz_consents_scan checks that). It checks no value: lengths, ids,
 * purposes and the rest are the caller's (tt_consent_item_scanned). No allocation; the strings
 * are copied NUL-terminated into the caller's arena. */
#ifndef TT_API_CONSENTS_SCAN_H
#define TT_API_CONSENTS_SCAN_H

#include <stddef.h>

/* One item's members, each NULL when absent. */
struct tt_cscan_item {
    const char *subject, *ident_type, *ident_value;
    const char *purpose, *feature, *action, *method, *notice_version;
    const char *page, *user_agent, *ip; /* evidence */
};

/* An upper bound on the items of a body of len bytes (one per '{'): the room to give. */
size_t tt_cscan_room(const char *body, size_t len);

/* Scans body (len bytes; need not be NUL-terminated) into items. Returns the number of items
 * (1 to max_items), or -1 when the body is outside the subset, holds no item, or more than room
 * or max_items items (items and arena are then garbage). arena must hold len + 1 bytes. */
long tt_cscan(const char *body, size_t len, char *arena, struct tt_cscan_item *items, size_t room,
              size_t max_items);

#endif
