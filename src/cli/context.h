/* SPDX-License-Identifier: Apache-2.0 */
/* context.h — what most subcommands open first: the configuration, the master key, the policy
 * and the store, each only when asked for, with one clear message on failure. */
#ifndef TT_CLI_CONTEXT_H
#define TT_CLI_CONTEXT_H

#include "../core/policy.h"
#include "../core/vault.h"
#include "../store/store.h"
#include "cli.h"

enum {
    TT_NEED_STORE = 1,
    TT_NEED_MASTER = 2, /* existing master key */
    TT_NEED_POLICY = 4,
    TT_CREATE_MASTER = 8, /* create the master key file when absent (first start) */
};

struct tt_cli_ctx {
    struct tt_config cfg;
    struct tt_store *store;
    struct tt_master *master;
    struct tt_policy *policy;
    int master_created;
};

/* Loads the configuration from argc/argv (recognised flags are removed), then opens what needs
 * asks for. cmd names the subcommand in messages. Returns 0 or an exit code (TT_EXIT_*), after
 * printing the reason; on failure everything opened so far is closed. */
int tt_cli_open(struct tt_cli_ctx *ctx, const char *cmd, unsigned needs, int *argc, char **argv);
void tt_cli_close(struct tt_cli_ctx *ctx);
/* Opens ctx->store from the configuration (what TT_NEED_STORE does; serve calls it once it
 * listens). Returns 0 or TT_EXIT_FAIL after printing the reason. */
int tt_cli_open_store(struct tt_cli_ctx *ctx, const char *cmd);

/* A subcommand's own flag at argv[*i]: "--name VALUE" or "--name=VALUE". Returns the value and
 * advances *i past a separate value, or NULL when argv[*i] is not that flag. */
const char *tt_cli_flag(int argc, char **argv, int *i, const char *name);

/* First start: creates the platform tenant (ten_platform, controller for its own customers,
 * S1.4) unless it exists, with an audit event. *created is 1 when it was made now.
 * Returns 0 or a negative tt_err code. */
int tt_cli_ensure_platform(struct tt_store *store, tt_time now, int *created);

/* Creates an API key for tenant with role; writes the token (shown once) into token.
 * Returns 0 or a negative tt_err code. */
int tt_cli_create_key(struct tt_store *store, const char *tenant_id, enum tt_role role, tt_time now,
                      char *token, size_t token_size);

#endif
