/* SPDX-License-Identifier: Apache-2.0 */
/* decisions_scan.h — the fast path of POST /v1/decisions (issue 3): a scanner over the usual
 * shape of the body, one item {subject | identifier {type, value}, purpose, data_category?,
 * service?, recipient?} or {"items": [item, …]}, that takes the strings out without building a
 * JSON tree. It accepts only a strict subset of JSON — members of those names holding plain
 * ASCII strings (no escape, no control or non-ASCII byte), each at most once, with JSON
 * whitespace between tokens — and refuses everything else, so that the caller parses such a
 * body with jansson instead and names the problem as before. Whatever it accepts, jansson
 * (JSON_REJECT_DUPLICATES) accepts too, with the same members and strings (fuzz_decisions_scan
 * checks that). No allocation; strings are copied into the caller's arena. */
#ifndef TT_API_DECISIONS_SCAN_H
#define TT_API_DECISIONS_SCAN_H

#include <stddef.h>

/* One item's members, each NUL-terminated in the arena, NULL when absent (the identifier's two
 * strings are both set when "identifier" was given). */
struct tt_dscan_item {
    const char *subject, *purpose, *data_category, *service, *recipient;
    const char *ident_type, *ident_value;
};

/* An upper bound on the items of a body of len bytes (one per '{'): the room to give. */
size_t tt_dscan_room(const char *body, size_t len);

/* Scans body (len bytes). On success returns the number of items written to items (a single
 * item: 1, with *batch = 0; {"items": […]}: 0 to max_items, *batch = 1). Returns -1 when the body
 * is outside the subset or holds more than max_items items (room: tt_dscan_room); items and
 * arena are then garbage. arena must hold len + 1 bytes. */
long tt_dscan(const char *body, size_t len, char *arena, struct tt_dscan_item *items, size_t room,
              size_t max_items, int *batch);

#endif
