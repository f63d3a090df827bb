/* SPDX-License-Identifier: Apache-2.0 */
/* config.c — settings shared by the subcommands: defaults, then the config file, then the
 * environment, then flags (each later source wins). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct opt {
    const char *flag; /* "--db" */
    const char *env;  /* "TUTELA_DB" */
    const char *key;  /* "db" in the config file */
};

static const struct opt opts[] = {
    {"--db", "TUTELA_DB", "db"},
    {"--listen", "TUTELA_LISTEN", "listen"},
    {"--master-key", "TUTELA_MASTER_KEY_FILE", "master_key"},
    {"--policy", "TUTELA_POLICY", "policy"},
    {"--web-root", "TUTELA_WEB_ROOT", "web_root"},
    {"--threads", "TUTELA_THREADS", "threads"},
    {"--body-max", "TUTELA_BODY_MAX", "body_max"},
    {"--pool", "TUTELA_POOL", "pool"},
    {"--audit-denials", "TUTELA_AUDIT_DENIALS", "audit_denials"},
    {"--audit-flush-ms", "TUTELA_AUDIT_FLUSH_MS", "audit_flush_ms"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int set_copy(char *dst, size_t size, const char *v)
{
    int n = snprintf(dst, size, "%s", v);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Applies one setting by option index; source names where it came from, for the message. */
static int apply(struct tt_config *cfg, size_t i, const char *v, const char *source)
{
    unsigned long n = 0;
    int rc = 0;
    switch (i) {
    case 0:
        rc = set_copy(cfg->db, sizeof cfg->db, v);
        break;
    case 1:
        rc = set_copy(cfg->listen, sizeof cfg->listen, v);
        break;
    case 2:
        rc = set_copy(cfg->master_key, sizeof cfg->master_key, v);
        break;
    case 3:
        rc = set_copy(cfg->policy, sizeof cfg->policy, v);
        break;
    case 4:
        rc = set_copy(cfg->web_root, sizeof cfg->web_root, v);
        break;
    case 5:
        rc = parse_ulong(v, 1024, &n);
        cfg->threads = (unsigned)n;
        break;
    case 6:
        rc = parse_ulong(v, 1ul << 30, &n);
        cfg->body_max = (size_t)n;
        break;
    case 7:
        rc = parse_ulong(v, 256, &n);
        if (rc == 0 && n == 0)
            rc = -1;
        cfg->pool = (int)n;
        break;
    case 8:
        rc = strcmp(v, "sync") == 0 || strcmp(v, "os") == 0 ? 0 : -1;
        cfg->audit_sync = strcmp(v, "sync") == 0;
        break;
    case 9:
        rc = parse_ulong(v, 1000, &n);
        cfg->flush_ms = (unsigned)n;
        break;
    default:
        rc = -1;
    }
    if (rc != 0)
        fprintf(stderr, "tutela: invalid value for %s (from %s)\n", opts[i].flag, source);
    return rc;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int load_file(struct tt_config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "tutela: cannot read config file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            fprintf(stderr, "%s:%d: expected 'key = value'\n", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        size_t i;
        for (i = 0; i < N_OPTS; i++)
            if (strcmp(opts[i].key, key) == 0)
                break;
        if (i == N_OPTS) {
            fprintf(stderr, "%s:%d: unknown setting '%s'\n", path, lineno, key);
            rc = -1;
            break;
        }
        char where[1100];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        rc = apply(cfg, i, val, where);
    }
    fclose(f);
    return rc;
}

int tt_config_load(struct tt_config *cfg, int *argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    set_copy(cfg->db, sizeof cfg->db, "sqlite:var/tutela.db");
    set_copy(cfg->listen, sizeof cfg->listen, "127.0.0.1:8080");
    set_copy(cfg->master_key, sizeof cfg->master_key, "var/master.key");
    set_copy(cfg->policy, sizeof cfg->policy, "policy/default.yaml");
    set_copy(cfg->web_root, sizeof cfg->web_root, "web");
    cfg->pool = 4;
    cfg->flush_ms = 10;

    /* the config file: --config FILE (or --config=FILE), else TUTELA_CONFIG */
    const char *file = getenv("TUTELA_CONFIG");
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && *file && load_file(cfg, file) != 0)
        return TT_EXIT_USAGE;

    for (size_t i = 0; i < N_OPTS; i++) {
        const char *v = getenv(opts[i].env);
        if (v && *v && apply(cfg, i, v, opts[i].env) != 0)
            return TT_EXIT_USAGE;
    }
    const char *off = getenv("TUTELA_CLOCK_OFFSET");
    if (off && *off) {
        char *end;
        errno = 0;
        long v = strtol(off, &end, 10);
        if (errno || *end) {
            fprintf(stderr, "tutela: invalid TUTELA_CLOCK_OFFSET\n");
            return TT_EXIT_USAGE;
        }
        cfg->clock_offset = v;
    }

    /* flags: "--db URL" or "--db=URL"; recognised ones are removed from argv */
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0 && i + 1 < *argc) {
            i++;
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0)
            continue;
        size_t k;
        const char *val = NULL;
        for (k = 0; k < N_OPTS; k++) {
            size_t fl = strlen(opts[k].flag);
            if (strcmp(a, opts[k].flag) == 0) {
                if (i + 1 >= *argc) {
                    fprintf(stderr, "tutela: %s needs a value\n", a);
                    return TT_EXIT_USAGE;
                }
                val = argv[++i];
                break;
            }
            if (strncmp(a, opts[k].flag, fl) == 0 && a[fl] == '=') {
                val = a + fl + 1;
                break;
            }
        }
        if (k < N_OPTS) {
            if (apply(cfg, k, val, opts[k].flag) != 0)
                return TT_EXIT_USAGE;
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}
