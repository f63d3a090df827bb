/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_recipients.c — `tutela recipients list --tenant ID [--status S] [--json]`: the recipient
 * registry of a tenant (seeded from the policy on first use, S4.3); `tutela recipients
 * reevaluate [--tenant ID] [--adequacy FILE] [--at DATE]`: S5.2 — flags every entry whose
 * transfer relies on an adequacy decision not in force at DATE (default now), audited, so its
 * disclosures are refused until a DPO fixes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../api/recipients_doc.h"
#include "../api/recipients_reeval.h"
#include "../core/clock.h"
#include "cli.h"
#include "context.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela recipients list --tenant ID [--status S] [--json]\n"
                "       tutela recipients reevaluate [--tenant ID] [--adequacy FILE] [--at DATE]\n"
                "list: the tenant's recipient registry (S4.1-S4.3): key, status, role, country,\n"
                "      transfer mechanism, flag. Seeded from the policy on first use.\n"
                "reevaluate: S5.2 — flags every entry relying on an adequacy decision that is not\n"
                "      in force at DATE (default now) against FILE (default adequacy.yaml beside\n"
                "      the policy); flagged entries receive nothing until a DPO fixes them.\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static int tenant_exists(struct tt_store *s, const char *id)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    struct tt_tenant t;
    enum tt_qs qs = tt_store_ops_of(c)->tenant_get(c, id, &t);
    tt_store_release(c);
    return qs == TT_QS_ONE;
}

static int list(int argc, char **argv)
{
    struct tt_cli_ctx ctx;
    int rc = tt_cli_open(&ctx, "recipients list", TT_NEED_POLICY | TT_NEED_STORE, &argc, argv);
    if (rc)
        return rc;
    const char *tenant = NULL, *status = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = tt_cli_flag(argc, argv, &i, "--tenant")))
            tenant = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--status")))
            status = v;
        else if (strcmp(argv[i], "--json") == 0)
            as_json = 1;
        else {
            tt_cli_close(&ctx);
            return usage(stderr);
        }
    }
    enum tt_rcpt_status want;
    if (!tenant || (status && tt_rcpt_status_parse(status, &want) != 0)) {
        tt_cli_close(&ctx);
        return usage(stderr);
    }
    if (!tenant_exists(ctx.store, tenant)) {
        fprintf(stderr, "tutela recipients list: no tenant '%s'\n", tenant);
        tt_cli_close(&ctx);
        return TT_EXIT_INVALID;
    }
    struct tt_clock clk = {.offset = ctx.cfg.clock_offset};
    struct tt_store_conn *c = tt_store_acquire(ctx.store);
    struct tt_rcpt *rs = NULL;
    size_t n = 0;
    enum tt_qs qs = tt__rcpt_seed_if_empty(c, ctx.policy, tenant, tt_clock_system_now(&clk));
    if (qs >= 0)
        qs = tt__rcpt_load_all(c, tenant, &rs, &n);
    tt_store_release(c);
    json_t *items = json_array();
    for (size_t i = 0; qs >= 0 && items && i < n; i++) {
        if (status && rs[i].status != want)
            continue;
        if (as_json)
            json_array_append_new(items, tt__rcpt_json(&rs[i]));
        else
            printf("%-28s %-10s %-13s %-3s %-11s %s\n", rs[i].key,
                   tt_rcpt_status_name(rs[i].status), tt_rrole_name(rs[i].role), rs[i].country,
                   tt_mechanism_name(rs[i].mechanism), rs[i].flagged_at ? rs[i].flag_reason : "");
    }
    if (qs >= 0 && as_json && items) {
        json_dumpf(items, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    json_decref(items);
    free(rs);
    tt_cli_close(&ctx);
    if (qs < 0) {
        fprintf(stderr, "tutela recipients list: the store failed\n");
        return TT_EXIT_FAIL;
    }
    return TT_EXIT_OK;
}

static int reevaluate(int argc, char **argv)
{
    struct tt_cli_ctx ctx;
    int rc =
        tt_cli_open(&ctx, "recipients reevaluate", TT_NEED_POLICY | TT_NEED_STORE, &argc, argv);
    if (rc)
        return rc;
    const char *tenant = NULL, *adequacy = NULL, *at = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = tt_cli_flag(argc, argv, &i, "--tenant")))
            tenant = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--adequacy")))
            adequacy = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--at")))
            at = v;
        else {
            tt_cli_close(&ctx);
            return usage(stderr);
        }
    }
    struct tt_clock clk = {.offset = ctx.cfg.clock_offset};
    tt_time now = tt_clock_system_now(&clk);
    if (at && tt_time_parse(at, &now) != 0) {
        fprintf(stderr, "tutela recipients reevaluate: --at must be a date or RFC 3339 time\n");
        tt_cli_close(&ctx);
        return TT_EXIT_USAGE;
    }
    char path[1024], err[TT_ADEQUACY_ERR_MAX];
    if (adequacy)
        snprintf(path, sizeof path, "%s", adequacy);
    else
        tt__rcpt_adequacy_path(ctx.policy, path, sizeof path);
    struct tt_adequacy *a = NULL;
    if (tt_adequacy_load(path, &a, err) != 0) {
        fprintf(stderr, "%s\n", err);
        tt_cli_close(&ctx);
        return TT_EXIT_INVALID;
    }
    int64_t flagged = 0;
    rc = tt_rcpt_reevaluate_all(ctx.store, a, tenant, now, "cli", &flagged);
    tt_adequacy_free(a);
    tt_cli_close(&ctx);
    if (rc < 0) {
        fprintf(stderr, "tutela recipients reevaluate: the store failed\n");
        return TT_EXIT_FAIL;
    }
    printf("flagged %lld recipient(s)\n", (long long)flagged);
    return TT_EXIT_OK;
}

int tt_cmd_recipients(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(argc < 2 ? stderr : stdout);
    if (strcmp(argv[1], "list") == 0)
        return list(argc - 1, argv + 1);
    if (strcmp(argv[1], "reevaluate") == 0)
        return reevaluate(argc - 1, argv + 1);
    return usage(stderr);
}
