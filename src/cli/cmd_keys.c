/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_keys.c — `tutela keys create` (prints only the new key on stdout, for scripts) and
 * `tutela keys rotate` (keys_rotate.c). */
#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "context.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela keys create --tenant ID --role ROLE [--db URL]\n"
                "       tutela keys rotate [--db URL] [--master-key PATH] [--new-key PATH]\n"
                "roles: readonly, service, support, dpo, admin, owner\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static enum tt_qs tenant_exists(struct tt_store_conn *c, void *cls)
{
    struct tt_tenant t;
    return tt_store_ops_of(c)->tenant_get(c, cls, &t);
}

static int keys_create(int argc, char **argv)
{
    struct tt_cli_ctx ctx;
    int rc = tt_cli_open(&ctx, "keys create", TT_NEED_STORE, &argc, argv);
    if (rc != 0)
        return rc;
    const char *tenant = NULL, *role_s = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc)
            tenant = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role_s = argv[++i];
        else if (strcmp(argv[i], "--help") == 0) {
            tt_cli_close(&ctx);
            return usage(stdout);
        } else {
            fprintf(stderr, "tutela keys create: unexpected argument '%s'\n", argv[i]);
            tt_cli_close(&ctx);
            return usage(stderr);
        }
    }
    enum tt_role role;
    if (!tenant || !role_s) {
        fprintf(stderr, "tutela keys create: --tenant and --role are required\n");
        tt_cli_close(&ctx);
        return usage(stderr);
    }
    if (tt_role_parse(role_s, &role) != 0) {
        fprintf(stderr, "tutela keys create: unknown role '%s'\n", role_s);
        tt_cli_close(&ctx);
        return usage(stderr);
    }
    struct tt_store_conn *c = tt_store_acquire(ctx.store);
    enum tt_qs qs = tt_store_txn(c, tenant_exists, (void *)tenant);
    tt_store_release(c);
    if (qs == TT_QS_NONE) {
        fprintf(stderr, "tutela keys create: no tenant '%s'\n", tenant);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    struct tt_clock clock = {.now = tt_clock_system_now, .offset = ctx.cfg.clock_offset};
    char token[256];
    if (qs < 0 ||
        tt_cli_create_key(ctx.store, tenant, role, tt_now(&clock), token, sizeof token) != 0) {
        fprintf(stderr, "tutela keys create: the store failed; no key was created\n");
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    printf("%s\n", token);
    tt_cli_close(&ctx);
    return TT_EXIT_OK;
}

int tt_cmd_keys(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "create") == 0)
        return keys_create(argc - 1, argv + 1);
    if (strcmp(argv[1], "rotate") == 0)
        return tt__keys_rotate(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0)
        return usage(stdout);
    fprintf(stderr, "tutela keys: unknown subcommand '%s'\n", argv[1]);
    return usage(stderr);
}
