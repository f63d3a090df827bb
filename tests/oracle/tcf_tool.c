/* SPDX-License-Identifier: Apache-2.0 */
/* tcf_tool.c — the oracle tests' bridge to tutela's TC string codec: line in, line out.
 *   tcf_tool decode              TC string per line -> the model as one JSON line
 *   tcf_tool encode [--gvl FILE] model JSON per line -> the TC string (FILE: JSON array of ids)
 * A line that fails answers {"error": "<problem slug>", "reason": "..."} instead. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers_tcf.h"
#include "core/error.h"
#include "core/tcf.h"

static void fail_line(int rc, const char *field, const char *why)
{
    json_t *e = json_pack("{s:s,s:s,s:s}", "error", tt_err_type(rc), "field", field ? field : "",
                          "reason", why ? why : "");
    char *s = json_dumps(e, JSON_COMPACT);
    if (s)
        puts(s);
    free(s);
    json_decref(e);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "decode") && strcmp(argv[1], "encode"))) {
        fprintf(stderr, "usage: tcf_tool decode | encode [--gvl FILE]\n");
        return 2;
    }
    int decode = !strcmp(argv[1], "decode");
    struct tt_tcf_model *m = malloc(sizeof *m);
    struct tt_tcf_vendors *gvl = NULL;
    char *out = malloc(TUTELA_TCF_STRING_MAX);
    if (!m || !out)
        return 1;
    if (argc == 4 && !strcmp(argv[2], "--gvl")) {
        json_error_t jerr;
        json_t *ids = json_load_file(argv[3], 0, &jerr);
        gvl = malloc(sizeof *gvl);
        char field[96];
        const char *why = "";
        if (!ids || !gvl)
            return 1;
        tutela_tcf_vendors_clear(gvl);
        if (tt_tcf_vendor_ids_from_json(ids, gvl, "gvl", field, sizeof field, &why) != 0) {
            fprintf(stderr, "tcf_tool: %s: %s\n", argv[3], why);
            return 1;
        }
        json_decref(ids);
    }
    struct tt_tcf_encode_opts opts = {gvl};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        const char *why = "";
        if (decode) {
            int rc = tutela_tcf_decode(line, (size_t)n, m, &why);
            if (rc) {
                fail_line(rc, "tc_string", why);
                continue;
            }
            json_t *j = tt_tcf_model_to_json(m);
            char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (!s)
                return 1;
            puts(s);
            free(s);
            json_decref(j);
            continue;
        }
        json_error_t jerr;
        json_t *j = json_loadb(line, (size_t)n, 0, &jerr);
        char field[96] = "";
        int rc = j ? tt_tcf_model_from_json(j, m, "", field, sizeof field, &why) : -TT_E_BAD_JSON;
        json_decref(j);
        if (!rc)
            rc = tutela_tcf_encode(m, &opts, out, TUTELA_TCF_STRING_MAX, NULL, &why);
        if (rc) {
            fail_line(rc, field, why);
            continue;
        }
        puts(out);
    }
    free(line);
    free(m);
    free(gvl);
    free(out);
    return 0;
}
