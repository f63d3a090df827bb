/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_consent.c — `tutela consent verify` (issue 4; S7.5): checks every consent ledger chain
 * (or one tenant's) from its floor (the hash of the last proof swept after its 5 years) to its
 * recorded head, and names the first broken link. */
#include <stdio.h>
#include <string.h>

#include "../api/consent_int.h"
#include "../core/error.h"
#include "cli.h"
#include "context.h"

static const char USAGE[] =
    "usage: tutela consent verify [--db URL] [--tenant ID]\n"
    "\n"
    "verify  walks every tenant's consent ledger (or one) and checks each event's hash and link;\n"
    "        prints \"ok: N events in M chains\" or, per broken chain, its first broken link:\n"
    "        \"tenant T seq S: edited|deleted|inserted|reordered\" (exit 3).\n"
    "\n"
    "exit codes: 0 ok, 1 failure (store), 2 usage, 3 broken chain\n";

struct totals {
    int64_t events, chains, broken;
};

static int report(void *cls, const struct tt_consent_chain *r)
{
    struct totals *t = cls;
    t->chains++;
    t->events += r->events;
    if (r->broken != TT_LEDGER_OK) {
        t->broken++;
        printf("tenant %s seq %lld: %s\n", r->tenant_id, (long long)r->broken_seq,
               tt_ledger_break_name(r->broken));
    }
    return 0;
}

static int verify(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return TT_EXIT_OK;
        }
    struct tt_cli_ctx ctx;
    int rc = tt_cli_open(&ctx, "consent verify", TT_NEED_STORE, &argc, argv);
    if (rc != 0)
        return rc;
    const char *tenant = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = tt_cli_flag(argc, argv, &i, "--tenant");
        if (!v) {
            fprintf(stderr, "tutela consent verify: unknown argument '%s'\n%s", argv[i], USAGE);
            tt_cli_close(&ctx);
            return TT_EXIT_USAGE;
        }
        tenant = v;
    }
    struct totals t = {0, 0, 0};
    int err = tt_consent_verify(ctx.store, tenant, report, &t);
    tt_cli_close(&ctx);
    if (err < 0) {
        fprintf(stderr, "tutela consent verify: cannot read the consent ledger: %s\n",
                tt_err_message(err));
        return TT_EXIT_FAIL;
    }
    if (t.broken) {
        fprintf(stderr, "tutela consent verify: %lld of %lld chains broken\n", (long long)t.broken,
                (long long)t.chains);
        return TT_EXIT_INVALID;
    }
    printf("ok: %lld events in %lld chains\n", (long long)t.events, (long long)t.chains);
    return TT_EXIT_OK;
}

int tt_cmd_consent(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? TT_EXIT_USAGE : TT_EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0)
        return verify(argc - 1, argv + 1);
    fprintf(stderr, "tutela consent: unknown subcommand '%s'\n%s", argv[1], USAGE);
    return TT_EXIT_USAGE;
}
