/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_inbox.c — `tutela inbox import [--tenant ID] FILE.eml`: a report received by mail (or
 * scanned from a letter) into the inbox, exactly as POST /v1/inbox does (S6.2, S10.1, S13.1,
 * S8.1b). Prints the route and the case id; exit 3 for a message that cannot be taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/app.h"
#include "../api/inbox_int.h"
#include "../core/clock.h"
#include "../core/error.h"
#include "../core/file_read.h"
#include "../http/i18n.h"
#include "context.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela inbox import [--tenant ID] FILE.eml [--db URL]\n"
                "  the tenant defaults to the platform (ten_platform)\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static int import(struct tt_cli_ctx *cx, int argc, char **argv)
{
    const char *tenant = "ten_platform", *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = tt_cli_flag(argc, argv, &i, "--tenant")))
            tenant = v;
        else if (strcmp(argv[i], "--help") == 0)
            return usage(stdout);
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else {
            fprintf(stderr, "tutela inbox import: unexpected argument '%s'\n", argv[i]);
            return usage(stderr);
        }
    }
    if (!file)
        return usage(stderr);
    size_t len = 0;
    char *raw = NULL;
    int frc = tt_file_read(file, TT_INBOX_MAX, &raw, &len);
    if (frc == -TT_E_BODY_TOO_LARGE) {
        fprintf(stderr, "tutela inbox import: %s: larger than %u bytes\n", file, TT_INBOX_MAX);
        return TT_EXIT_INVALID;
    }
    if (frc < 0) {
        fprintf(stderr, "tutela inbox import: cannot read %s\n", file);
        return TT_EXIT_FAIL;
    }
    char ierr[256];
    if (tt_i18n_load(cx->cfg.web_root, ierr, sizeof ierr) < 0)
        fprintf(stderr, "tutela inbox import: message catalogues: %s\n", ierr);
    struct tt_app app;
    memset(&app, 0, sizeof app);
    app.store = cx->store;
    app.master = cx->master;
    app.clock.now = tt_clock_system_now;
    app.clock.offset = cx->cfg.clock_offset;
    tt_app_init(&app, NULL, NULL);
    struct tt__inbox_result r;
    const char *field = "", *detail = "";
    int rc = tt__inbox_import(&app, tenant, "cli", raw, len, &r, &field, &detail);
    tt_app_fini(&app);
    tt_i18n_unload();
    free(raw);
    if (rc < 0) {
        fprintf(stderr, "tutela inbox import: %s: %s%s%s\n", file, field, *field ? ": " : "",
                detail);
        return rc == -TT_E_STORE || rc == -TT_E_UNAVAILABLE || rc == -TT_E_NOMEM ? TT_EXIT_FAIL
                                                                                 : TT_EXIT_INVALID;
    }
    printf("%s %s %s\n", r.kase.kind, r.kase.id, r.message_id);
    return TT_EXIT_OK;
}

int tt_cmd_inbox(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "import") != 0)
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? usage(stdout) : usage(stderr);
    argc--;
    argv++;
    struct tt_cli_ctx ctx;
    int rc = tt_cli_open(&ctx, "inbox import", TT_NEED_STORE | TT_NEED_MASTER, &argc, argv);
    if (rc != 0)
        return rc;
    rc = import(&ctx, argc, argv);
    tt_cli_close(&ctx);
    return rc;
}
