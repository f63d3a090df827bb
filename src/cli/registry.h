/* SPDX-License-Identifier: Apache-2.0 */
/* registry.h — the recipients a CLI document lists (`tutela ropa export`, `tutela notice
 * render`): the policy's recipient table, and with --tenant the tenant's stored registry on top
 * (entries seeded from the policy on first use; a registry entry replaces the policy's entry of
 * the same key), so the records and the statement follow what the DPO approved. */
#ifndef TT_CLI_REGISTRY_H
#define TT_CLI_REGISTRY_H

#include <stddef.h>

#include "../core/transfer.h"
#include "context.h"

/* 1 when argv holds --tenant (the caller then opens the store too). */
int tt__cli_wants_tenant(int argc, char **argv);

/* Fills *out (malloc'd, the caller frees) and *n: the policy's recipients as of now and, when
 * tenant is not NULL, the tenant's registry merged in. Returns 0, or an exit code after printing
 * the reason (no such tenant, store failure, memory). */
int tt__cli_recipients(struct tt_cli_ctx *ctx, const char *tenant, tt_time now,
                       struct tt_rcpt **out, size_t *n);

#endif
