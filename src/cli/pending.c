/* SPDX-License-Identifier: Apache-2.0 */
/* pending.c — build scaffolding: subcommands whose files have not landed yet. Each entry is
 * deleted when its real file lands; this file goes with the last one. */
#include <stdio.h>

#include "cli.h"

static int pending(const char *name)
{
    fprintf(stderr, "tutela %s: unavailable in this build\n", name);
    return TT_EXIT_FAIL;
}

int tt_cmd_serve(int argc, char **argv) { (void)argc; (void)argv; return pending("serve"); }
int tt_cmd_migrate(int argc, char **argv) { (void)argc; (void)argv; return pending("migrate"); }
int tt_cmd_keys(int argc, char **argv) { (void)argc; (void)argv; return pending("keys"); }
int tt_cmd_demo(int argc, char **argv) { (void)argc; (void)argv; return pending("demo"); }
int tt_cmd_help(int argc, char **argv) { (void)argc; (void)argv; return pending("help"); }
int tt_cmd_version(int argc, char **argv) { (void)argc; (void)argv; return pending("version"); }
