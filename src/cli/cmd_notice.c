/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_notice.c — `tutela notice diff OLD.yaml NEW.yaml`: what changed between two policies and
 * whether it substantially affects rights (S12.1; exit 0, JSON on stdout); `tutela notice render
 * [--lang en|fr] [--jurisdiction SG] [--format html|md] [--notices FILE]`: the statement people
 * read, generated from the policy with the jurisdiction's terms (S1.6, S15.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../api/notices_diff.h"
#include "../core/clock.h"
#include "../core/notice.h"
#include "../http/i18n.h"
#include "cli.h"
#include "context.h"
#include "registry.h"

#define NOTICES_DEFAULT "policy/notices.yaml"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela notice diff OLD.yaml NEW.yaml\n"
                "       tutela notice render [--lang en|fr] [--jurisdiction CODE]"
                " [--format html|md] [--notices FILE] [--tenant ID]\n"
                "diff:   prints the changes as JSON; \"substantial\": true when a change affects\n"
                "        rights (new purpose, longer retention, new recipient category, new\n"
                "        transfer, changed legal basis): such a version is notified to every\n"
                "        customer account before its effective date.\n"
                "render: the privacy statement generated from the policy (TUTELA_POLICY), with\n"
                "        the terms of the jurisdiction (S1.6) and texts in the language asked;\n"
                "        with --tenant, the recipients are the tenant's approved registry\n"
                "        entries on top of the policy's table.\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static int diff(int argc, char **argv)
{
    if (argc != 3)
        return usage(stderr);
    struct tt_policy *a = NULL, *b = NULL;
    char err[TT_POLICY_ERR_MAX];
    if (tt_policy_load(argv[1], &a, err) != 0 || tt_policy_load(argv[2], &b, err) != 0) {
        fprintf(stderr, "tutela notice diff: %s\n", err);
        tt_policy_free(a);
        return TT_EXIT_INVALID;
    }
    json_t *d = tt_notice_diff(a, b);
    int rc = TT_EXIT_FAIL;
    if (d && json_dumpf(d, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0) {
        fputc('\n', stdout);
        rc = TT_EXIT_OK;
    } else {
        fprintf(stderr, "tutela notice diff: out of memory\n");
    }
    json_decref(d);
    tt_policy_free(a);
    tt_policy_free(b);
    return rc;
}

static const char *text(void *cls, const char *key)
{
    return tt_i18n(cls, key);
}

static int render(int argc, char **argv)
{
    struct tt_cli_ctx ctx;
    unsigned needs = TT_NEED_POLICY | (tt__cli_wants_tenant(argc, argv) ? TT_NEED_STORE : 0);
    int rc = tt_cli_open(&ctx, "notice render", needs, &argc, argv);
    if (rc)
        return rc;
    const char *lang = "en", *juris = "", *format = "html", *notices_path = NOTICES_DEFAULT,
               *tenant = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = tt_cli_flag(argc, argv, &i, "--lang")))
            lang = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--jurisdiction")))
            juris = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--format")))
            format = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--notices")))
            notices_path = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--tenant")))
            tenant = v;
        else {
            tt_cli_close(&ctx);
            return usage(stderr);
        }
    }
    enum tt_notice_format fmt = strcmp(format, "md") == 0 ? TT_NOTICE_MD : TT_NOTICE_HTML;
    if (strcmp(format, "md") != 0 && strcmp(format, "html") != 0) {
        fprintf(stderr, "tutela notice render: --format must be html or md\n");
        tt_cli_close(&ctx);
        return TT_EXIT_USAGE;
    }
    char err[512];
    if (tt_i18n_load(ctx.cfg.web_root, err, sizeof err) < 0) {
        fprintf(stderr, "tutela notice render: %s\n", err);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    if (!tt_i18n_supported(lang)) {
        fprintf(stderr, "tutela notice render: no catalogue for language '%s'\n", lang);
        tt_i18n_unload();
        tt_cli_close(&ctx);
        return TT_EXIT_USAGE;
    }
    struct tt_notices *notices = NULL;
    if (tt_notices_load(notices_path, &notices, err) != 0) {
        fprintf(stderr, "%s\n", err);
        tt_i18n_unload();
        tt_cli_close(&ctx);
        return TT_EXIT_INVALID;
    }
    size_t len = 0, n = 0;
    struct tt_rcpt *rs = NULL;
    char *doc = NULL;
    struct tt_clock clk = {.offset = ctx.cfg.clock_offset};
    if (tenant)
        rc = tt__cli_recipients(&ctx, tenant, tt_clock_system_now(&clk), &rs, &n);
    if (rc == 0) {
        doc = tt_notice_render(ctx.policy, notices, rs, n, juris, lang, fmt, text, (void *)lang,
                               &len);
        rc = doc && fwrite(doc, 1, len, stdout) == len ? TT_EXIT_OK : TT_EXIT_FAIL;
    }
    free(doc);
    free(rs);
    tt_notices_free(notices);
    tt_i18n_unload();
    tt_cli_close(&ctx);
    return rc;
}

int tt_cmd_notice(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(argc < 2 ? stderr : stdout);
    if (strcmp(argv[1], "diff") == 0)
        return diff(argc - 1, argv + 1);
    if (strcmp(argv[1], "render") == 0)
        return render(argc - 1, argv + 1);
    return usage(stderr);
}
