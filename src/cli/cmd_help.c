/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_help.c — `tutela help` and `tutela version`. */
#include <stdio.h>

#include "cli.h"

static const char usage[] =
    "tutela — the privacy engine\n"
    "\n"
    "usage: tutela <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve                 serve the HTTP API (--listen HOST:PORT, --demo seeds demo data once)\n"
    "  migrate               apply database migrations and print the schema version\n"
    "  policy check FILE     validate a policy file; problems as FILE:LINE: reason\n"
    "  policy show           print the loaded policy (--json for JSON)\n"
    "  keys create           create an API key (--tenant ID --role ROLE); prints only the key\n"
    "  keys rotate           re-wrap every subject key under a new master key (resumable)\n"
    "  demo seed             synthetic data (--customers N --end-users M --messages K)\n"
    "  audit verify          check every audit hash chain; reports the first broken link\n"
    "  audit export          signed JSON-lines export (--from T --to T [--out FILE])\n"
    "  audit pubkey          the public key that verifies audit exports\n"
    "  requests list|show    the rights-request queue by due date; one request with its timeline\n"
    "  requests verify|complete  staff verify / complete a request (--tenant ID REQ_ID --reason)\n"
    "  requests resume       finish every erasure a crash interrupted\n"
    "  recipients list|reevaluate  a tenant's recipient registry; flag recipients whose adequacy\n"
    "                        decision is not in force (S5.2)\n"
    "  notice diff|render    policy changes that affect rights; the privacy statement\n"
    "  ropa export           records of processing activities (json, csv, html)\n"
    "  help                  this text; 'tutela <command> --help' for a command's options\n"
    "  version               the version\n"
    "\n"
    "options shared by every command that touches data (flags > environment > config file):\n"
    "  --config FILE         'key = value' lines (TUTELA_CONFIG)\n"
    "  --db URL              sqlite:PATH or postgres://… (TUTELA_DB; default "
    "sqlite:var/tutela.db)\n"
    "  --master-key PATH     master key file, created 0600 on first start\n"
    "                        (TUTELA_MASTER_KEY_FILE; default var/master.key; TUTELA_MASTER_KEY\n"
    "                        with 64 hex chars overrides the file)\n"
    "  --policy PATH         policy pack (TUTELA_POLICY; default policy/default.yaml)\n"
    "  --listen HOST:PORT    serve only (TUTELA_LISTEN; default 127.0.0.1:8080)\n"
    "  --threads N           serve only: HTTP worker threads (TUTELA_THREADS; 0 = cores)\n"
    "  --body-max BYTES      serve only: request body limit (TUTELA_BODY_MAX; default 8 MiB)\n"
    "  --pool N              store connections (TUTELA_POOL; default 4)\n"
    "  --web-root DIR        static pages (TUTELA_WEB_ROOT; default web)\n"
    "\n"
    "exit codes: 0 success; 1 failure at run time; 2 usage error; 3 invalid input file or\n"
    "broken audit chain.\n";

int tt_cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs(usage, stdout);
    return TT_EXIT_OK;
}

int tt_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("tutela %s\n", TT_VERSION);
    return TT_EXIT_OK;
}
