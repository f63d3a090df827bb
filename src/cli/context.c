/* SPDX-License-Identifier: Apache-2.0 */
/* context.c — opening configuration, master key, policy and store for a subcommand. */
#include "context.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "../api/audit.h"
#include "../core/error.h"
#include "../http/http.h"

/* Creates the parent folder of a file path when it is missing (var/ on first start). */
static void ensure_parent(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return;
}

int tt_cli_open(struct tt_cli_ctx *ctx, const char *cmd, unsigned needs, int *argc, char **argv)
{
    memset(ctx, 0, sizeof *ctx);
    int rc = tt_config_load(&ctx->cfg, argc, argv);
    if (rc != 0)
        return rc;
    if (tt_vault_init() != 0) {
        fprintf(stderr, "tutela %s: libsodium failed to initialise\n", cmd);
        return TT_EXIT_FAIL;
    }
    char err[512] = "";
    if (needs & (TT_NEED_MASTER | TT_CREATE_MASTER)) {
        if (needs & TT_CREATE_MASTER)
            ensure_parent(ctx->cfg.master_key);
        if (tt_vault_master_load(ctx->cfg.master_key, (needs & TT_CREATE_MASTER) != 0, &ctx->master,
                                 &ctx->master_created, err, sizeof err) != 0) {
            fprintf(stderr, "tutela %s: master key: %s\n", cmd, err);
            tt_cli_close(ctx);
            return TT_EXIT_FAIL;
        }
    }
    if (needs & TT_NEED_POLICY) {
        char perr[TT_POLICY_ERR_MAX] = "";
        if (tt_policy_load(ctx->cfg.policy, &ctx->policy, perr) != 0) {
            fprintf(stderr, "tutela %s: invalid policy: %s\n", cmd, perr);
            tt_cli_close(ctx);
            return TT_EXIT_INVALID;
        }
    }
    if ((needs & TT_NEED_STORE) && tt_cli_open_store(ctx, cmd) != 0) {
        tt_cli_close(ctx);
        return TT_EXIT_FAIL;
    }
    return 0;
}

int tt_cli_open_store(struct tt_cli_ctx *ctx, const char *cmd)
{
    char err[512] = "";
    if (strncmp(ctx->cfg.db, "sqlite:", 7) == 0)
        ensure_parent(ctx->cfg.db + 7);
    if (tt_store_open(ctx->cfg.db, ctx->cfg.pool, 1, &ctx->store, err, sizeof err) != 0) {
        fprintf(stderr, "tutela %s: cannot open the store: %s\n", cmd, err);
        return TT_EXIT_FAIL;
    }
    return 0;
}

void tt_cli_close(struct tt_cli_ctx *ctx)
{
    tt_store_close(ctx->store);
    tt_policy_free(ctx->policy);
    tt_vault_master_free(ctx->master);
    ctx->store = NULL;
    ctx->policy = NULL;
    ctx->master = NULL;
}

struct new_key {
    struct tt_api_key key;
};

static enum tt_qs put_key(struct tt_store_conn *c, void *cls)
{
    struct new_key *k = cls;
    enum tt_qs qs = tt_store_ops_of(c)->api_key_put(c, &k->key);
    if (qs <= 0)
        return qs < 0 ? qs : TT_QS_HARD;
    json_t *detail = json_pack("{s:s}", "role", tt_role_name(k->key.role));
    qs = tt_audit_emit(c, k->key.tenant_id, k->key.created_at, "cli", "key.create", k->key.id,
                       detail);
    json_decref(detail);
    return qs;
}

int tt_cli_create_key(struct tt_store *store, const char *tenant_id, enum tt_role role, tt_time now,
                      char *token, size_t token_size)
{
    struct new_key k = {0};
    char secret[64];
    tt_id_new("key_", k.key.id);
    snprintf(k.key.tenant_id, sizeof k.key.tenant_id, "%s", tenant_id);
    k.key.role = role;
    k.key.created_at = now;
    tt_random_token(32, secret, sizeof secret);
    tt_vault_hash_secret(secret, k.key.hash_hex);
    int rc = tt_api_token_format(k.key.id, secret, token, token_size);
    sodium_memzero(secret, sizeof secret);
    if (rc != 0)
        return rc;
    struct tt_store_conn *c = tt_store_acquire(store);
    enum tt_qs qs = tt_store_txn(c, put_key, &k);
    tt_store_release(c);
    if (qs < 0) {
        sodium_memzero(token, token_size);
        return -TT_E_STORE;
    }
    return 0;
}

struct bootstrap {
    tt_time now;
    int done; /* out: 1 when the platform tenant already existed */
};

static enum tt_qs bootstrap_tenant(struct tt_store_conn *c, void *cls)
{
    struct bootstrap *b = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    char v[16];
    enum tt_qs qs = ops->setting_get(c, "bootstrapped", v, sizeof v);
    if (qs != TT_QS_NONE) {
        b->done = 1;
        return qs < 0 ? qs : TT_QS_ONE;
    }
    struct tt_tenant t = {.id = "ten_platform", .kind = TT_TENANT_PLATFORM, .created_at = b->now};
    snprintf(t.name, sizeof t.name, "Platform (controller)");
    qs = ops->tenant_put(c, &t);
    if (qs < 0)
        return qs;
    qs = ops->setting_put(c, "bootstrapped", "1");
    if (qs < 0)
        return qs;
    return tt_audit_emit(c, t.id, b->now, "system", "tenant.bootstrap", t.id, NULL);
}

int tt_cli_ensure_platform(struct tt_store *store, tt_time now, int *created)
{
    struct bootstrap b = {.now = now};
    struct tt_store_conn *c = tt_store_acquire(store);
    enum tt_qs qs = tt_store_txn(c, bootstrap_tenant, &b);
    tt_store_release(c);
    if (qs < 0)
        return -TT_E_STORE;
    *created = !b.done;
    return 0;
}

const char *tt_cli_flag(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}
