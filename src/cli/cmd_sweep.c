/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_sweep.c — `tutela sweep`: deletes what has expired (issue 6; S7, S10.1), in batches under
 * a per-tenant claim, folding rows into anonymised statistics first; or, with --dry-run, prints
 * what a sweep at --at would delete and what holds keep, per tenant, rule and service (the
 * preview a DPO signs off). Progress on a TTY, a summary always; --json for machines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/stats.h"
#include "../jobs/sweep.h"
#include "cli.h"
#include "context.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tutela sweep [--dry-run] [--at DATE] [--json] [--tenant ID] [--batch N]\n"
            "                    [--max-batches N] [--db URL] [--policy FILE]\n"
            "  --dry-run        change nothing; print what would go and what holds keep\n"
            "  --at DATE        sweep as of DATE (RFC 3339 or YYYY-MM-DD); default now\n"
            "  --json           print the report as JSON\n"
            "  --tenant ID      only this tenant\n"
            "  --batch N        rows per transaction (1..%d, default %d)\n"
            "  --max-batches N  stop after N batches (0 = until done)\n",
            TT_SWEEP_BATCH_MAX, TT_SWEEP_BATCH_DEFAULT);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void progress(void *cls, int64_t done)
{
    (void)cls;
    fprintf(stderr, "\rsweep: %lld rows deleted", (long long)done);
    fflush(stderr);
}

static void print_table(const struct tt_sweep_report *r, int dry)
{
    printf("%-32s %-22s %-26s %12s %10s\n", "tenant", "rule", "service",
           dry ? "would go" : "deleted", "held");
    for (size_t i = 0; i < r->n_counts; i++) {
        const struct tt_sweep_count *c = &r->counts[i];
        printf("%-32s %-22s %-26s %12lld %10lld\n", c->tenant_id, c->rule, c->service,
               (long long)c->rows, (long long)c->held);
    }
}

int tt_cmd_sweep(int argc, char **argv)
{
    struct tt_cli_ctx ctx;
    int dry = 0, json = 0;
    const char *at_s = NULL, *tenant = NULL;
    long batch = TT_SWEEP_BATCH_DEFAULT, max_batches = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return TT_EXIT_OK;
        }
    }
    int rc = tt_cli_open(&ctx, "sweep", TT_NEED_STORE | TT_NEED_POLICY, &argc, argv);
    if (rc != 0)
        return rc;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--dry-run") == 0)
            dry = 1;
        else if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "--at") == 0 && v)
            at_s = argv[++i];
        else if (strcmp(a, "--tenant") == 0 && v)
            tenant = argv[++i];
        else if (strcmp(a, "--batch") == 0 && v && parse_int(v, 1, TT_SWEEP_BATCH_MAX, &batch) == 0)
            i++;
        else if (strcmp(a, "--max-batches") == 0 && v &&
                 parse_int(v, 0, 1000000000L, &max_batches) == 0)
            i++;
        else {
            fprintf(stderr, "tutela sweep: bad or unexpected argument '%s'\n", a);
            usage(stderr);
            rc = TT_EXIT_USAGE;
        }
    }
    struct tt_clock clk = {.now = tt_clock_system_now, .offset = ctx.cfg.clock_offset};
    tt_time now = tt_now(&clk);
    tt_time at = now;
    if (rc == 0 && at_s && (tt_time_parse(at_s, &at) < 0 || at <= 0)) {
        fprintf(stderr, "tutela sweep: --at: not a date (RFC 3339 or YYYY-MM-DD)\n");
        rc = TT_EXIT_USAGE;
    }
    if (rc != 0) {
        tt_cli_close(&ctx);
        return rc;
    }
    char holder[96], host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(holder, sizeof holder, "cli:%s:%ld", host, (long)getpid());
    int tty = isatty(2) && !json;
    struct tt_sweep_opts o = {.policy = ctx.policy,
                              .at = at,
                              .now = now,
                              .batch = (int)batch,
                              .max_batches = (int)max_batches,
                              .k = TT_STATS_K_DEFAULT,
                              .tenant_id = tenant,
                              .holder = holder,
                              .actor = "cli",
                              .progress = tty && !dry ? progress : NULL};
    struct tt_sweep_report r = {0};
    /* S7.3: withdrawals since the last pass end what their rules keep, before the sweep */
    int err = dry ? 0 : tt_retention_withdrawals(ctx.store, &o, NULL);
    if (err == 0)
        err = dry ? tt_sweep_preview(ctx.store, &o, &r) : tt_sweep_run(ctx.store, &o, &r);
    if (tty && !dry)
        fputc('\n', stderr);
    if (json) {
        json_t *j = tt_sweep_report_json(&r, at);
        if (j && json_object_set_new(j, "dry_run", json_boolean(dry)) == 0) {
            char *s = json_dumps(j, JSON_COMPACT);
            if (s)
                printf("%s\n", s);
            free(s);
        }
        json_decref(j);
    } else {
        print_table(&r, dry);
        char buf[32];
        printf("%s at %s: %lld rows %s, %lld anonymised into statistics, %lld held by %lld "
               "active hold(s), %lld tenant(s), %lld skipped (another node), %lld batches%s\n",
               dry ? "dry run" : "sweep", tt_time_format(at, buf, sizeof buf), (long long)r.deleted,
               dry ? "would go" : "deleted", (long long)(dry ? 0 : r.anonymised), (long long)r.held,
               (long long)r.holds, (long long)r.tenants, (long long)r.skipped, (long long)r.batches,
               r.more ? " (more to do)" : "");
    }
    tt_sweep_report_free(&r);
    tt_cli_close(&ctx);
    if (err < 0) {
        fprintf(stderr, "tutela sweep: %s\n", tt_err_message(-err));
        return TT_EXIT_FAIL;
    }
    return TT_EXIT_OK;
}
