/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_decisions_scan.c — libFuzzer target for tt_dscan, the fast path of POST /v1/decisions
 * (issue 3). Must never crash or read past the body; and whatever it accepts, jansson must
 * accept too (JSON_REJECT_DUPLICATES, as the slow path parses) with the same shape: a single
 * object, or {"items": [...]} alone, each item's members exactly the strings the scanner gave. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/decisions_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when obj holds member name as the string want (or lacks it when want is NULL). */
static int same(const json_t *obj, const char *name, const char *want)
{
    const json_t *v = json_object_get(obj, name);
    if (!want)
        return v == NULL;
    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static void check_item(const json_t *obj, const struct tt_dscan_item *it)
{
    size_t members = 0;
    const char *plain[][2] = {{"subject", it->subject},
                              {"purpose", it->purpose},
                              {"data_category", it->data_category},
                              {"service", it->service},
                              {"recipient", it->recipient}};
    if (!json_is_object(obj))
        abort();
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (!same(obj, plain[i][0], plain[i][1]))
            abort();
        members += plain[i][1] != NULL;
    }
    const json_t *id = json_object_get(obj, "identifier");
    if (!it->ident_type != !it->ident_value || !id != !it->ident_type)
        abort();
    if (id) {
        members++;
        if (!json_is_object(id) || json_object_size(id) != 2 || !same(id, "type", it->ident_type) ||
            !same(id, "value", it->ident_value))
            abort();
    }
    if (json_object_size(obj) != members || members == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    size_t room = tt_dscan_room(body, size);
    char *arena = malloc(size + 1);
    struct tt_dscan_item *items = malloc((room ? room : 1) * sizeof *items);
    int batch = -1;
    long n = arena && items ? tt_dscan(body, size, arena, items, room, 10000, &batch) : -1;
    if (n >= 0) {
        json_error_t e;
        json_t *j = json_loadb(body, size, JSON_REJECT_DUPLICATES, &e);
        if (!json_is_object(j))
            abort();
        if (batch) {
            const json_t *arr = json_object_get(j, "items");
            if (json_object_size(j) != 1 || !json_is_array(arr) ||
                json_array_size(arr) != (size_t)n)
                abort();
            for (long i = 0; i < n; i++)
                check_item(json_array_get(arr, (size_t)i), &items[i]);
        } else {
            if (n != 1 || json_object_get(j, "items"))
                abort();
            check_item(j, &items[0]);
        }
        json_decref(j);
    }
    free(arena);
    free(items);
    return 0;
}
