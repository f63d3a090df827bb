/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_accounts.c — `tutela accounts create --tenant ID --email ADDR --role ROLE`: the first
 * account of a tenant (or any other), with the password read from stdin (one line), never from
 * the command line. Prints the new account id only: nothing secret. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../api/accounts_int.h"
#include "../core/clock.h"
#include "../core/error.h"
#include "context.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela accounts create --tenant ID --email ADDR --role ROLE [--db URL]\n"
                "  the password is read from stdin (one line)\n"
                "roles: readonly, support, dpo, admin, owner\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static int create_in(struct tt_cli_ctx *cx, int argc, char **argv)
{
    const char *tenant = NULL, *email = NULL, *role_s = NULL;

    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = tt_cli_flag(argc, argv, &i, "--tenant")))
            tenant = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--email")))
            email = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--role")))
            role_s = v;
        else if (strcmp(argv[i], "--help") == 0)
            return usage(stdout);
        else {
            fprintf(stderr, "tutela accounts create: unexpected argument '%s'\n", argv[i]);
            return usage(stderr);
        }
    }
    enum tt_role role;
    if (!tenant || !email || !role_s || tt_role_parse(role_s, &role) != 0 ||
        role == TT_ROLE_SERVICE) {
        fprintf(stderr, "tutela accounts create: --tenant, --email and a --role are required\n");
        return usage(stderr);
    }
    char pw[TT_PASSWORD_MAX + 2];
    if (!fgets(pw, sizeof pw, stdin)) {
        fprintf(stderr, "tutela accounts create: no password on stdin\n");
        return TT_EXIT_USAGE;
    }
    size_t n = strcspn(pw, "\r\n");
    pw[n] = '\0';
    struct tt_clock clock = {.now = tt_clock_system_now, .offset = cx->cfg.clock_offset};
    struct tt_account a;
    const char *field = "", *detail = "";
    int rc = tt__acc_create(cx->store, cx->master, tenant, email, pw, n, role, "cli",
                            tt_now(&clock), &a, &field, &detail);
    sodium_memzero(pw, sizeof pw);
    if (rc < 0) {
        fprintf(stderr, "tutela accounts create: %s%s%s\n", field, *field ? ": " : "", detail);
        return rc == -TT_E_STORE || rc == -TT_E_UNAVAILABLE ? TT_EXIT_FAIL : TT_EXIT_INVALID;
    }
    printf("%s\n", a.id);
    sodium_memzero(&a, sizeof a);
    return TT_EXIT_OK;
}

static int create(int argc, char **argv)
{
    struct tt_cli_ctx ctx;
    int rc = tt_cli_open(&ctx, "accounts create", TT_NEED_STORE | TT_NEED_MASTER, &argc, argv);
    if (rc != 0)
        return rc;
    rc = create_in(&ctx, argc, argv);
    tt_cli_close(&ctx);
    return rc;
}

int tt_cmd_accounts(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return create(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "--help") == 0)
        return usage(stdout);
    return usage(stderr);
}
