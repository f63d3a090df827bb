/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_ropa.c — `tutela ropa export [--format json|csv|html] [--lang en|fr] [--adequacy FILE]
 * [--at DATE]`: the records of processing activities (GDPR art. 30) generated from the policy
 * and its recipient table (api/recipients_ropa.h), one row per activity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../api/recipients_ropa.h"
#include "../core/clock.h"
#include "../core/export.h"
#include "../http/i18n.h"
#include "cli.h"
#include "context.h"
#include "registry.h"

#define ADEQUACY_DEFAULT "policy/adequacy.yaml"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela ropa export [--format json|csv|html] [--lang en|fr]"
                " [--adequacy FILE] [--at DATE] [--tenant ID]\n"
                "Prints the records of processing activities (GDPR art. 30) of the policy\n"
                "(TUTELA_POLICY): per service x purpose and per purpose of the platform's own\n"
                "processing, the role, bases, subjects, data, recipients, transfers, retention\n"
                "and security measures. With --tenant, the recipients are the tenant's stored\n"
                "registry (what its DPO approved) on top of the policy's table.\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

/* "a; b; c" of an array of strings, or of one member of an array of objects. */
static void joined(const json_t *arr, const char *member, char *out, size_t size)
{
    size_t pos = 0, i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(member ? json_object_get(v, member) : v);
        int w = snprintf(out + pos, size - pos, "%s%s", pos ? "; " : "", s ? s : "");
        if (w < 0 || (size_t)w >= size - pos)
            return;
        pos += (size_t)w;
    }
}

static void csv_cell(const char *s, int last)
{
    size_t len = strlen(s);
    char *cell = malloc(2 * len + 4);
    if (cell && tt_export_csv_cell(s, len, cell, 2 * len + 4) >= 0)
        fputs(cell, stdout);
    free(cell);
    fputs(last ? "\r\n" : ",", stdout);
}

static void html_text(const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", stdout);
        else if (*s == '>')
            fputs("&gt;", stdout);
        else if (*s == '&')
            fputs("&amp;", stdout);
        else
            fputc(*s, stdout);
    }
}

static const char *cols[] = {"ropa.col.activity",   "ropa.col.role",      "ropa.col.purpose",
                             "ropa.col.basis",      "ropa.col.subjects",  "ropa.col.data",
                             "ropa.col.recipients", "ropa.col.transfers", "ropa.col.retention",
                             "ropa.col.security"};
#define NCOLS (sizeof cols / sizeof *cols)

/* The cells of one activity, in cols order. */
static void cells(const json_t *a, const char *lang, char out[NCOLS][4096])
{
    const json_t *b = json_object_get(a, "legal_basis");
    const json_t *r = json_object_get(a, "retention");
    snprintf(out[0], 4096, "%s", json_string_value(json_object_get(a, "id")));
    snprintf(out[1], 4096, "%s", json_string_value(json_object_get(a, "role")));
    snprintf(out[2], 4096, "%s", json_string_value(json_object_get(a, "purpose_name")));
    snprintf(out[3], 4096, "%s / %s", json_string_value(json_object_get(b, "eea")),
             json_string_value(json_object_get(b, "other")));
    joined(json_object_get(a, "subject_categories"), NULL, out[4], 4096);
    joined(json_object_get(a, "data_categories"), NULL, out[5], 4096);
    joined(json_object_get(a, "recipients"), "name", out[6], 4096);
    size_t i, pos = 0;
    json_t *t;
    out[7][0] = '\0';
    json_array_foreach(json_object_get(a, "transfers"), i, t)
    {
        int w = snprintf(out[7] + pos, 4096 - pos, "%s%s (%s): %s", pos ? "; " : "",
                         json_string_value(json_object_get(t, "recipient")),
                         json_string_value(json_object_get(t, "country")),
                         json_string_value(json_object_get(t, "mechanism")));
        if (w < 0 || (size_t)w >= 4096 - pos)
            break;
        pos += (size_t)w;
    }
    if (json_is_object(r))
        snprintf(out[8], 4096, "%s: %lld (%s)", json_string_value(json_object_get(r, "rule")),
                 (long long)json_integer_value(json_object_get(r, "months")),
                 json_string_value(json_object_get(r, "anchor")));
    else
        out[8][0] = '\0';
    pos = 0;
    out[9][0] = '\0';
    json_array_foreach(json_object_get(a, "security_measures"), i, t)
    {
        char key[96];
        snprintf(key, sizeof key, "ropa.security.%s", json_string_value(t));
        int w = snprintf(out[9] + pos, 4096 - pos, "%s%s", pos ? "; " : "", tt_i18n(lang, key));
        if (w < 0 || (size_t)w >= 4096 - pos)
            break;
        pos += (size_t)w;
    }
}

static int print(const json_t *doc, const char *format, const char *lang)
{
    if (strcmp(format, "json") == 0) {
        int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        fputc('\n', stdout);
        return rc == 0 ? 0 : -1;
    }
    char(*c)[4096] = malloc(NCOLS * 4096);
    if (!c)
        return -1;
    int html = strcmp(format, "html") == 0;
    if (html) {
        printf("<!DOCTYPE html>\n<html lang=\"%s\">\n<head><meta charset=\"utf-8\"><title>", lang);
        html_text(tt_i18n(lang, "ropa.title"));
        printf("</title></head>\n<body>\n<h1>");
        html_text(tt_i18n(lang, "ropa.title"));
        printf("</h1>\n<table>\n<tr>");
    }
    for (size_t k = 0; k < NCOLS; k++) {
        if (html) {
            printf("<th>");
            html_text(tt_i18n(lang, cols[k]));
            printf("</th>");
        } else {
            csv_cell(tt_i18n(lang, cols[k]), k + 1 == NCOLS);
        }
    }
    if (html)
        printf("</tr>\n");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "activities"), i, a)
    {
        cells(a, lang, c);
        if (html)
            printf("<tr>");
        for (size_t k = 0; k < NCOLS; k++) {
            if (html) {
                printf("<td>");
                html_text(c[k]);
                printf("</td>");
            } else {
                csv_cell(c[k], k + 1 == NCOLS);
            }
        }
        if (html)
            printf("</tr>\n");
    }
    if (html)
        printf("</table>\n</body>\n</html>\n");
    free(c);
    return 0;
}

static int export(int argc, char **argv)
{
    struct tt_cli_ctx ctx;
    unsigned needs = TT_NEED_POLICY | (tt__cli_wants_tenant(argc, argv) ? TT_NEED_STORE : 0);
    int rc = tt_cli_open(&ctx, "ropa export", needs, &argc, argv);
    if (rc)
        return rc;
    const char *format = "json", *lang = "en", *adequacy = ADEQUACY_DEFAULT, *at = NULL,
               *tenant = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = tt_cli_flag(argc, argv, &i, "--format")))
            format = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--lang")))
            lang = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--adequacy")))
            adequacy = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--at")))
            at = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--tenant")))
            tenant = v;
        else {
            tt_cli_close(&ctx);
            return usage(stderr);
        }
    }
    struct tt_clock clk = {.offset = ctx.cfg.clock_offset};
    tt_time now = tt_clock_system_now(&clk);
    if ((strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html")) ||
        (at && tt_time_parse(at, &now) != 0)) {
        fprintf(stderr, "tutela ropa export: --format json|csv|html, --at a date\n");
        tt_cli_close(&ctx);
        return TT_EXIT_USAGE;
    }
    char err[512];
    struct tt_adequacy *ad = NULL;
    if (tt_adequacy_load(adequacy, &ad, err) != 0) {
        fprintf(stderr, "%s\n", err);
        tt_cli_close(&ctx);
        return TT_EXIT_INVALID;
    }
    if (strcmp(format, "json") != 0 && tt_i18n_load(ctx.cfg.web_root, err, sizeof err) < 0) {
        fprintf(stderr, "tutela ropa export: %s\n", err);
        tt_adequacy_free(ad);
        tt_cli_close(&ctx);
        return TT_EXIT_FAIL;
    }
    struct tt_rcpt *rs = NULL;
    size_t n = 0;
    json_t *doc = NULL;
    rc = tt__cli_recipients(&ctx, tenant, now, &rs, &n);
    if (rc == 0) {
        doc = tt_ropa_build(ctx.policy, rs, n, ad, now);
        rc = doc && print(doc, format, lang) == 0 ? TT_EXIT_OK : TT_EXIT_FAIL;
        if (!doc)
            fprintf(stderr, "tutela ropa export: out of memory\n");
    }
    json_decref(doc);
    free(rs);
    tt_i18n_unload();
    tt_adequacy_free(ad);
    tt_cli_close(&ctx);
    return rc;
}

int tt_cmd_ropa(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(argc < 2 ? stderr : stdout);
    if (strcmp(argv[1], "export") == 0)
        return export(argc - 1, argv + 1);
    return usage(stderr);
}
