/* SPDX-License-Identifier: Apache-2.0 */
/* tcf_bench.c — tutela's side of the TC string benchmark (bench/tcf.sh): decodes and encodes
 * the strings of a file (one per line, made by @iabtcf/core in bench/tcf_bench.mjs) for a few
 * seconds each on one core, checks each encoding is the string it came from, and prints
 * "tt_decode_per_s N" and "tt_encode_per_s N". Usage: bench_tcf FILE [SECONDS]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/tcf.h"

#define MAX_STRINGS 1000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_tcf FILE [SECONDS]\n");
        return 2;
    }
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 3.0;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    static char *str[MAX_STRINGS];
    static size_t len[MAX_STRINGS];
    size_t n = 0, cap = 0;
    char *line = NULL;
    ssize_t got;
    while (n < MAX_STRINGS && (got = getline(&line, &cap, f)) > 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0)
            continue;
        str[n] = strdup(line);
        len[n++] = (size_t)got;
    }
    free(line);
    fclose(f);
    struct tt_tcf_model *models = malloc(n * sizeof *models);
    char *out = malloc(TUTELA_TCF_STRING_MAX);
    if (!n || !models || !out)
        return 1;
    const char *why = NULL;
    for (size_t i = 0; i < n; i++) {
        if (tutela_tcf_decode(str[i], len[i], &models[i], &why) != 0) {
            fprintf(stderr, "bench_tcf: string %zu: %s\n", i + 1, why);
            return 1;
        }
        size_t olen = 0;
        if (tutela_tcf_encode(&models[i], NULL, out, TUTELA_TCF_STRING_MAX, &olen, &why) != 0 ||
            olen != len[i] || memcmp(out, str[i], olen) != 0) {
            fprintf(stderr, "bench_tcf: string %zu does not encode back the same\n", i + 1);
            return 1;
        }
    }

    static struct tt_tcf_model scratch;
    size_t done = 0;
    unsigned sink = 0;
    double t0 = now_s(), t1;
    do {
        for (size_t i = 0; i < n; i++) {
            tutela_tcf_decode(str[i], len[i], &scratch, &why);
            sink += scratch.cmp_id;
        }
        done += n;
    } while ((t1 = now_s()) - t0 < seconds);
    double dec = (double)done / (t1 - t0);

    done = 0;
    t0 = now_s();
    do {
        for (size_t i = 0; i < n; i++) {
            size_t olen = 0;
            tutela_tcf_encode(&models[i], NULL, out, TUTELA_TCF_STRING_MAX, &olen, &why);
            sink += (unsigned)olen;
        }
        done += n;
    } while ((t1 = now_s()) - t0 < seconds);
    double enc = (double)done / (t1 - t0);

    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += len[i];
    printf("strings %zu avg_chars %zu (check %u)\n", n, chars / n, sink & 1u);
    printf("tt_decode_per_s %.0f\n", dec);
    printf("tt_encode_per_s %.0f\n", enc);
    for (size_t i = 0; i < n; i++)
        free(str[i]);
    free(models);
    free(out);
    return 0;
}
