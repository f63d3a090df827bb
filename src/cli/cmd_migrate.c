/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_migrate.c — `tutela migrate`: applies the store's migrations and prints the version. */
#include <stdio.h>
#include <string.h>

#include "../store/store.h"
#include "cli.h"

int tt_cmd_migrate(int argc, char **argv)
{
    struct tt_config cfg;
    int rc = tt_config_load(&cfg, &argc, argv);
    if (rc != 0)
        return rc;
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0) {
            printf("usage: tutela migrate [--db URL]\n");
            return TT_EXIT_OK;
        }
        fprintf(stderr, "tutela migrate: unexpected argument '%s'\n", argv[1]);
        return TT_EXIT_USAGE;
    }
    char err[512] = "";
    struct tt_store *store = NULL;
    if (tt_store_open(cfg.db, 1, 0, &store, err, sizeof err) != 0) {
        fprintf(stderr, "tutela migrate: cannot open the store: %s\n", err);
        return TT_EXIT_FAIL;
    }
    int version = tt_store_migrate(store, err, sizeof err);
    tt_store_close(store);
    if (version < 0) {
        fprintf(stderr, "tutela migrate: %s\n", err);
        return TT_EXIT_FAIL;
    }
    printf("schema version %d\n", version);
    return TT_EXIT_OK;
}
