/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c — the policy's recipients with a tenant's stored registry merged in, for the CLI's
 * records of processing and privacy statement (issue 7). */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/recipients_doc.h"

int tt__cli_wants_tenant(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--tenant") == 0 || strncmp(argv[i], "--tenant=", 9) == 0)
            return 1;
    return 0;
}

int tt__cli_recipients(struct tt_cli_ctx *ctx, const char *tenant, tt_time now,
                       struct tt_rcpt **out, size_t *n)
{
    const struct tt_policy *p = ctx->policy;
    struct tt_rcpt *stored = NULL;
    size_t n_stored = 0;
    if (tenant) {
        struct tt_store_conn *c = tt_store_acquire(ctx->store);
        struct tt_tenant t;
        enum tt_qs qs = tt_store_ops_of(c)->tenant_get(c, tenant, &t);
        int exists = qs == TT_QS_ONE;
        if (exists)
            qs = tt__rcpt_seed_if_empty(c, p, tenant, now);
        if (exists && qs >= 0)
            qs = tt__rcpt_load_all(c, tenant, &stored, &n_stored);
        tt_store_release(c);
        if (qs >= 0 && !exists) {
            fprintf(stderr, "tutela: no tenant '%s'\n", tenant);
            return TT_EXIT_INVALID;
        }
        if (qs < 0) {
            fprintf(stderr, "tutela: the recipient registry could not be read\n");
            return TT_EXIT_FAIL;
        }
    }
    struct tt_rcpt *all = calloc(p->n_recipients + n_stored + 1, sizeof *all);
    if (!all) {
        free(stored);
        fprintf(stderr, "tutela: out of memory\n");
        return TT_EXIT_FAIL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_stored; i++)
        all[k++] = stored[i];
    for (size_t i = 0; i < p->n_recipients; i++) {
        int replaced = 0;
        for (size_t j = 0; j < n_stored && !replaced; j++)
            replaced = strcmp(stored[j].key, p->recipients[i].key) == 0;
        if (!replaced)
            tt_rcpt_from_policy(p, &p->recipients[i], tenant ? tenant : "ten_platform", now,
                                &all[k++]);
    }
    free(stored);
    *out = all;
    *n = k;
    return 0;
}
