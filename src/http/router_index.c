/* SPDX-License-Identifier: Apache-2.0 */
/* router_index.c — the route table's literal patterns (no "{param}" segment) in a hash table,
 * so that a request for one of them (POST /v1/decisions, GET /healthz, …) is routed by one
 * hash and one strcmp instead of a walk over every pattern of the table (internal.h). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t hash_of(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int is_literal(const char *pattern)
{
    return pattern && pattern[0] == '/' && !strchr(pattern, '{');
}

int tt__route_index_build(struct tt__route_index *ix, const struct tt_route *routes)
{
    size_t n = 0;
    for (size_t r = 0; routes[r].method; r++)
        n += is_literal(routes[r].pattern);
    size_t size = 8;
    while (size < 2 * n)
        size *= 2;
    ix->slots = malloc(size * sizeof *ix->slots);
    if (!ix->slots)
        return -1;
    ix->mask = size - 1;
    for (size_t i = 0; i < size; i++)
        ix->slots[i] = -1;
    for (int r = 0; routes[r].method; r++) {
        if (!is_literal(routes[r].pattern))
            continue;
        size_t i = hash_of(routes[r].pattern) & ix->mask;
        while (ix->slots[i] >= 0)
            i = (i + 1) & ix->mask;
        ix->slots[i] = r;
    }
    return 0;
}

void tt__route_index_free(struct tt__route_index *ix)
{
    free(ix->slots);
    ix->slots = NULL;
}

int tt__route_lookup(const struct tt__route_index *ix, const struct tt_route *routes,
                     const char *method, const char *raw_path, struct tt__route_match *m)
{
    int best = -1;
    if (ix->slots && raw_path && method && strlen(raw_path) <= TT_HTTP_PATH_MAX) {
        int head = strcmp(method, "HEAD") == 0;
        for (size_t i = hash_of(raw_path) & ix->mask; ix->slots[i] >= 0; i = (i + 1) & ix->mask) {
            int r = ix->slots[i];
            if ((best < 0 || r < best) && strcmp(routes[r].pattern, raw_path) == 0 &&
                (strcmp(routes[r].method, method) == 0 ||
                 (head && strcmp(routes[r].method, "GET") == 0)))
                best = r;
        }
    }
    if (best < 0)
        return tt__route_match(routes, method, raw_path, m);
    m->route = best;
    m->n_params = 0;
    m->bad_param[0] = '\0';
    m->allow[0] = '\0';
    return best;
}
