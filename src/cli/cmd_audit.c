/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_audit.c — `tutela audit verify | export | pubkey` (S6.3): checks every audit hash chain
 * and names the first broken link, writes the signed JSON-lines export an auditor verifies with
 * the public key alone (docs/audit.md), and prints that public key. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../api/audit.h"
#include "../api/audit_journal.h"
#include "../core/clock.h"
#include "../core/error.h"
#include "../core/ledger.h"
#include "../core/vault.h"
#include "cli.h"
#include "context.h"

static const char USAGE[] =
    "usage: tutela audit verify [--db URL] [--tenant ID]\n"
    "       tutela audit export [--from TIME] [--to TIME] [--tenant ID] [--out FILE]\n"
    "                           [--db URL] [--master-key PATH]\n"
    "       tutela audit pubkey [--master-key PATH]\n"
    "\n"
    "verify  walks every tenant's hash chain (or one) from its first event to its recorded\n"
    "        tail; prints \"ok: N events in M chains\" or, per broken chain, its first broken\n"
    "        link: \"tenant T seq S: edited|deleted|inserted|reordered\" (exit 3). On SQLite it\n"
    "        also tells how many answered denials a stopped server left in its journal\n"
    "        (\"note: N denied decisions' events wait in …\"), chained at the next serve.\n"
    "export  JSON lines: the events with FROM <= at <= TO (RFC 3339 or YYYY-MM-DD; open when\n"
    "        omitted), each chain's lines followed by a checkpoint signed with Ed25519.\n"
    "        Refuses a broken chain (exit 3). See docs/audit.md to verify an export.\n"
    "pubkey  the hex Ed25519 public key that verifies exports (derived from the master key).\n"
    "\n"
    "exit codes: 0 ok, 1 failure (store, key file), 2 usage, 3 broken chain\n";

static int usage(FILE *to)
{
    fputs(USAGE, to);
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

struct opts {
    const char *tenant, *from, *to, *out;
};

/* Parses the subcommand's own flags; allowed says which (t = tenant, r = range, o = out). */
static int parse(const char *cmd, int argc, char **argv, const char *allowed, struct opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout) - 1; /* -1: help printed, exit 0 */
        if (strchr(allowed, 't') && (v = tt_cli_flag(argc, argv, &i, "--tenant")))
            o->tenant = v;
        else if (strchr(allowed, 'r') && (v = tt_cli_flag(argc, argv, &i, "--from")))
            o->from = v;
        else if (strchr(allowed, 'r') && (v = tt_cli_flag(argc, argv, &i, "--to")))
            o->to = v;
        else if (strchr(allowed, 'o') && (v = tt_cli_flag(argc, argv, &i, "--out")))
            o->out = v;
        else {
            fprintf(stderr, "tutela audit %s: unexpected argument '%s'\n", cmd, argv[i]);
            return usage(stderr);
        }
    }
    if (o->tenant && (!*o->tenant || strlen(o->tenant) >= TT_ID_MAX)) {
        fprintf(stderr, "tutela audit %s: --tenant must be a tenant id\n", cmd);
        return TT_EXIT_USAGE;
    }
    return 0;
}

static int open_store(const char *cmd, const struct tt_config *cfg, struct tt_store **out)
{
    char err[512] = "";
    if (tt_store_open(cfg->db, 1, 0, out, err, sizeof err) != 0) {
        fprintf(stderr, "tutela audit %s: cannot open the store: %s\n", cmd, err);
        return TT_EXIT_FAIL;
    }
    return 0;
}

static int load_signer(const char *cmd, const struct tt_config *cfg, struct tt_ledger_signer *s)
{
    char err[512] = "";
    struct tt_master *m = NULL;
    int created = 0;
    if (tt_vault_master_load(cfg->master_key, 0, &m, &created, err, sizeof err) != 0) {
        fprintf(stderr, "tutela audit %s: cannot load the master key: %s\n", cmd, err);
        return TT_EXIT_FAIL;
    }
    int rc = tt_ledger_signer_derive(m, s);
    tt_vault_master_free(m);
    if (rc != 0) {
        fprintf(stderr, "tutela audit %s: cannot derive the audit signing key\n", cmd);
        return TT_EXIT_FAIL;
    }
    return 0;
}

static void print_break(FILE *to, const struct tt_audit_chain *r)
{
    fprintf(to, "tenant %s seq %lld: %s\n", r->tenant_id, (long long)r->broken_seq,
            tt_ledger_break_name(r->broken));
}

struct tally {
    int64_t events, chains, broken;
};

static int report(void *cls, const struct tt_audit_chain *r)
{
    struct tally *t = cls;
    if (r->events > 0 || r->broken)
        t->chains++;
    t->events += r->events;
    if (r->broken) {
        t->broken++;
        print_break(stdout, r);
    }
    return 0;
}

static int audit_verify(int argc, char **argv)
{
    struct tt_config cfg;
    struct opts o;
    int rc = tt_config_load(&cfg, &argc, argv);
    if (rc != 0)
        return rc;
    rc = parse("verify", argc, argv, "t", &o);
    if (rc != 0)
        return rc < 0 ? TT_EXIT_OK : rc;
    struct tt_store *store = NULL;
    if ((rc = open_store("verify", &cfg, &store)) != 0)
        return rc;
    struct tally t = {0};
    int err = tt_audit_verify(store, o.tenant, report, &t);
    char journal[4096];
    size_t waiting = 0;
    if (err == 0 && tt_audit_journal_path(store, journal, sizeof journal) == 0 &&
        tt_audit_journal_waiting(store, journal, &waiting) < 0)
        fprintf(stderr, "tutela audit verify: cannot read the denials' journal %s\n", journal);
    tt_store_close(store);
    if (err < 0) {
        fprintf(stderr, "tutela audit verify: cannot read the audit ledger: %s\n",
                tt_err_message(err));
        return TT_EXIT_FAIL;
    }
    if (t.broken) {
        fflush(stdout);
        fprintf(stderr, "tutela audit verify: %lld of %lld chains broken\n", (long long)t.broken,
                (long long)t.chains);
        return TT_EXIT_INVALID;
    }
    printf("ok: %lld events in %lld chains\n", (long long)t.events, (long long)t.chains);
    if (waiting) /* answered denials a stopped server left in its journal (docs/audit.md) */
        printf("note: %zu denied decisions' events wait in %s; the next `tutela serve` on this "
               "database chains them\n",
               waiting, journal);
    return TT_EXIT_OK;
}

static int write_line(void *cls, const char *line, size_t len)
{
    return fwrite(line, 1, len, cls) != len;
}

static int parse_time(const char *flag, const char *s, tt_time *out)
{
    *out = 0;
    if (!s)
        return 0;
    if (tt_time_parse(s, out) != 0 || *out <= 0) {
        fprintf(stderr, "tutela audit export: %s wants an RFC 3339 time or YYYY-MM-DD\n", flag);
        return TT_EXIT_USAGE;
    }
    return 0;
}

/* Writes to path + ".part" and renames on success, so a failed export never looks whole. */
static int audit_export(int argc, char **argv)
{
    struct tt_config cfg;
    struct opts o;
    int rc = tt_config_load(&cfg, &argc, argv);
    if (rc != 0)
        return rc;
    rc = parse("export", argc, argv, "tro", &o);
    if (rc != 0)
        return rc < 0 ? TT_EXIT_OK : rc;
    tt_time from, to;
    if ((rc = parse_time("--from", o.from, &from)) != 0 || (rc = parse_time("--to", o.to, &to)))
        return rc;
    if (from && to && from > to) {
        fprintf(stderr, "tutela audit export: --from is after --to\n");
        return TT_EXIT_USAGE;
    }
    struct tt_ledger_signer signer;
    if ((rc = load_signer("export", &cfg, &signer)) != 0)
        return rc;
    struct tt_store *store = NULL;
    if ((rc = open_store("export", &cfg, &store)) != 0) {
        tt_ledger_signer_wipe(&signer);
        return rc;
    }
    char part[1100] = "";
    FILE *out = stdout;
    if (o.out) {
        int n = snprintf(part, sizeof part, "%s.part", o.out);
        if (n < 0 || (size_t)n >= sizeof part || !(out = fopen(part, "w"))) {
            fprintf(stderr, "tutela audit export: cannot write %s: %s\n", o.out,
                    n < 0 || (size_t)n >= sizeof part ? "path too long" : strerror(errno));
            tt_store_close(store);
            tt_ledger_signer_wipe(&signer);
            return TT_EXIT_FAIL;
        }
    }
    struct tt_clock clk = {.now = tt_clock_system_now, .offset = cfg.clock_offset};
    struct tt_audit_export_stats st = {0};
    struct tt_audit_chain broken;
    int err = tt_audit_export(store, o.tenant, from, to, &signer, tt_now(&clk), write_line, out,
                              &st, &broken);
    tt_store_close(store);
    tt_ledger_signer_wipe(&signer);
    int io_failed = fflush(out) != 0 || ferror(out);
    if (o.out) {
        io_failed |= fclose(out) != 0;
        if (err == 0 && !io_failed && rename(part, o.out) != 0)
            io_failed = 1;
        if (err != 0 || io_failed)
            unlink(part);
    }
    if (err == -TT_E_CONFLICT) {
        fprintf(stderr, "tutela audit export: refusing to sign a broken chain: ");
        print_break(stderr, &broken);
        return TT_EXIT_INVALID;
    }
    if (err == -TT_E_UNAVAILABLE) {
        fprintf(stderr, "tutela audit export: the ledger changed during the export; retry\n");
        return TT_EXIT_FAIL;
    }
    if (err < 0 || io_failed) {
        fprintf(stderr, "tutela audit export: %s\n",
                err < 0 ? tt_err_message(err) : "cannot write the export");
        return TT_EXIT_FAIL;
    }
    fprintf(stderr, "exported %lld events in %lld chains\n", (long long)st.events,
            (long long)st.chains);
    return TT_EXIT_OK;
}

static int audit_pubkey(int argc, char **argv)
{
    struct tt_config cfg;
    struct opts o;
    int rc = tt_config_load(&cfg, &argc, argv);
    if (rc != 0)
        return rc;
    rc = parse("pubkey", argc, argv, "", &o);
    if (rc != 0)
        return rc < 0 ? TT_EXIT_OK : rc;
    struct tt_ledger_signer signer;
    if ((rc = load_signer("pubkey", &cfg, &signer)) != 0)
        return rc;
    char hex[2 * TT_LEDGER_PK_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, signer.pk, sizeof signer.pk);
    tt_ledger_signer_wipe(&signer);
    printf("%s\n", hex);
    return TT_EXIT_OK;
}

int tt_cmd_audit(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0)
        return usage(stdout);
    if (tt_vault_init() != 0) {
        fprintf(stderr, "tutela audit: cannot initialise libsodium\n");
        return TT_EXIT_FAIL;
    }
    if (strcmp(sub, "verify") == 0)
        return audit_verify(argc - 1, argv + 1);
    if (strcmp(sub, "export") == 0)
        return audit_export(argc - 1, argv + 1);
    if (strcmp(sub, "pubkey") == 0)
        return audit_pubkey(argc - 1, argv + 1);
    fprintf(stderr, "tutela audit: unknown subcommand '%s'\n", sub);
    return usage(stderr);
}
