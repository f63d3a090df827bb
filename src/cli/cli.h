/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h — the subcommands of the tutela binary, one file each, and the configuration they share.
 * Exit codes (documented in `tutela help`):
 *   0 success; 1 failure at run time (store, network); 2 usage error (bad flag or argument);
 *   3 invalid input file (policy check found problems; audit verify found a broken link). */
#ifndef TT_CLI_CLI_H
#define TT_CLI_CLI_H

#include <stddef.h>

#define TT_EXIT_OK 0
#define TT_EXIT_FAIL 1
#define TT_EXIT_USAGE 2
#define TT_EXIT_INVALID 3

/* Settings shared by the subcommands: defaults < config file < environment < flags. */
struct tt_config {
    char db[1024];         /* --db, TUTELA_DB, "db" — "sqlite:PATH" or "postgres://…" */
    char listen[128];      /* --listen, TUTELA_LISTEN, "listen" — "127.0.0.1:8080" */
    char master_key[1024]; /* --master-key, TUTELA_MASTER_KEY_FILE, "master_key" */
    char policy[1024];     /* --policy, TUTELA_POLICY, "policy" */
    char web_root[1024];   /* --web-root, TUTELA_WEB_ROOT, "web_root" */
    unsigned threads;      /* --threads, TUTELA_THREADS, "threads"; 0 = cores */
    size_t body_max;       /* --body-max, TUTELA_BODY_MAX, "body_max" (bytes) */
    int pool;              /* --pool, TUTELA_POOL, "pool": store connections */
    int audit_sync;        /* --audit-denials sync|os, TUTELA_AUDIT_DENIALS, "audit_denials" */
    unsigned flush_ms;     /* --audit-flush-ms, TUTELA_AUDIT_FLUSH_MS, "audit_flush_ms" */
    long clock_offset;     /* TUTELA_CLOCK_OFFSET (seconds): tests jump ahead */
};

/* Fills cfg from defaults, the config file (--config FILE or TUTELA_CONFIG; "key = value" lines,
 * '#' comments), the environment, then recognised flags in argv, which are removed from argv
 * (argc updated). Unknown flags are left for the subcommand. Returns 0 or TT_EXIT_USAGE after
 * printing the reason to stderr. */
int tt_config_load(struct tt_config *cfg, int *argc, char **argv);

/* Subcommands: argv[0] is the subcommand name. Each returns an exit code. */
int tt_cmd_serve(int argc, char **argv);
int tt_cmd_migrate(int argc, char **argv);
int tt_cmd_policy(int argc, char **argv); /* policy check FILE | policy show */
int tt_cmd_keys(int argc, char **argv);   /* keys create | keys rotate */
int tt_cmd_demo(int argc, char **argv);   /* demo seed */
int tt_cmd_audit(int argc, char **argv);  /* audit verify | audit export */
int tt_cmd_help(int argc, char **argv);
int tt_cmd_version(int argc, char **argv);
int tt_cmd_sweep(int argc, char **argv);    /* sweep [--dry-run] [--at DATE] [--json] */
int tt_cmd_accounts(int argc, char **argv); /* accounts create; inbox import (issue 8) */
int tt_cmd_inbox(int argc, char **argv);
int tt_cmd_notice(int argc, char **argv); /* notice diff | notice render (issue 7) */
int tt_cmd_ropa(int argc, char **argv);   /* ropa export (issue 7) */
/* recipients list | reevaluate (issue 7) */
int tt_cmd_recipients(int argc, char **argv);
int tt_cmd_consent(int argc, char **argv); /* consent verify (issue 4) */

/* requests list | show | verify | complete | resume (issue 5) */
int tt_cmd_requests(int argc, char **argv);

/* `tutela keys rotate` (keys_rotate.c); argv[0] is "rotate". Re-wraps every subject key under a
 * new master key and installs it; resumable. Returns an exit code. */
int tt__keys_rotate(int argc, char **argv);

#endif
