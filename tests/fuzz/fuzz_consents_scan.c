/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_consents_scan.c — libFuzzer target for tt_cscan, the fast path of POST /v1/consents
 * (issue 4). Must never crash or read past the body; and whatever it accepts, jansson must
 * accept too (JSON_REJECT_DUPLICATES, as the slow path parses) with the same shape:
 * {"items": [...]} alone, each item's members (and those of its identifier and evidence objects)
 * exactly the strings the scanner gave. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/consents_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks that obj is an object whose members names[0..n-1] are the strings want[i] (absent
 * when want[i] is NULL). Returns how many of them it has. */
static size_t match(const json_t *obj, const char *const *names, const char *const *want, size_t n)
{
    size_t members = 0;
    if (!json_is_object(obj))
        abort();
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(obj, names[i]);
        if (!want[i] != !v)
            abort();
        if (v && (!json_is_string(v) || strcmp(json_string_value(v), want[i]) != 0))
            abort();
        members += v != NULL;
    }
    return members;
}

/* obj is a non-empty object of exactly those members. */
static void exactly(const json_t *obj, const char *const *names, const char *const *want, size_t n)
{
    size_t m = match(obj, names, want, n);
    if (m == 0 || json_object_size(obj) != m)
        abort();
}

static void check_item(const json_t *obj, const struct tt_cscan_item *it)
{
    static const char *const names[] = {"subject", "purpose", "feature",
                                        "action",  "method",  "notice_version"};
    const char *want[] = {it->subject, it->purpose, it->feature,
                          it->action,  it->method,  it->notice_version};
    static const char *const idn[] = {"type", "value"};
    const char *idw[] = {it->ident_type, it->ident_value};
    static const char *const evn[] = {"page", "user_agent", "ip"};
    const char *evw[] = {it->page, it->user_agent, it->ip};
    const json_t *id = json_object_get(obj, "identifier");
    const json_t *ev = json_object_get(obj, "evidence");
    size_t m = match(obj, names, want, 6) + (id != NULL) + (ev != NULL);
    if (m == 0 || json_object_size(obj) != m)
        abort();
    if (!id != !(it->ident_type || it->ident_value) ||
        !ev != !(it->page || it->user_agent || it->ip))
        abort();
    if (id)
        exactly(id, idn, idw, 2);
    if (ev)
        exactly(ev, evn, evw, 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    size_t room = tt_cscan_room(body, size);
    char *arena = malloc(size + 1);
    struct tt_cscan_item *items = malloc((room ? room : 1) * sizeof *items);
    long n = arena && items ? tt_cscan(body, size, arena, items, room, 1000) : -1;
    if (n == 0)
        abort(); /* an empty array is refused */
    if (n > 0) {
        json_error_t e;
        json_t *j = json_loadb(body, size, JSON_REJECT_DUPLICATES, &e);
        const json_t *arr = json_object_get(j, "items");
        if (!json_is_object(j) || json_object_size(j) != 1 || !json_is_array(arr) ||
            json_array_size(arr) != (size_t)n)
            abort();
        for (long i = 0; i < n; i++)
            check_item(json_array_get(arr, (size_t)i), &items[i]);
        json_decref(j);
    }
    free(arena);
    free(items);
    return 0;
}
