/* SPDX-License-Identifier: Apache-2.0 */
/* main.c — argument dispatch only: `tutela <command> [args]`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"serve", tt_cmd_serve},       {"migrate", tt_cmd_migrate},   {"policy", tt_cmd_policy},
    {"keys", tt_cmd_keys},         {"demo", tt_cmd_demo},         {"audit", tt_cmd_audit},
    {"help", tt_cmd_help},         {"version", tt_cmd_version},   {"--help", tt_cmd_help},
    {"-h", tt_cmd_help},           {"--version", tt_cmd_version}, {"sweep", tt_cmd_sweep},
    {"accounts", tt_cmd_accounts}, {"inbox", tt_cmd_inbox},       {"notice", tt_cmd_notice},
    {"ropa", tt_cmd_ropa},         {"consent", tt_cmd_consent},   {"recipients", tt_cmd_recipients},
    {"requests", tt_cmd_requests},
};

int main(int argc, char **argv)
{
    if (argc < 2)
        return tt_cmd_help(argc, argv) == 0 ? TT_EXIT_USAGE : TT_EXIT_USAGE;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "tutela: unknown command '%s' (try 'tutela help')\n", argv[1]);
    return TT_EXIT_USAGE;
}
