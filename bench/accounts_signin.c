/* SPDX-License-Identifier: Apache-2.0 */
/* accounts_signin.c — sign-ins per second at the configured Argon2id cost (TUTELA_PWHASH_*,
 * never below interactive) on 2 threads: find the account by its blind index, verify the
 * password, write the session and its audit event in one transaction (SQLite) — printed beside
 * the raw crypto_pwhash_str_verify rate on 2 threads in the same run (issue 8). */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/accounts_int.h"
#include "api/audit.h"
#include "cli/context.h"
#include "core/clock.h"
#include "../tests/support/tt_tmp.h"

#define THREADS 2
#define SECONDS 1.5 /* per slice; the two runs alternate over 3 slices each */
#define PW "Correct-Horse-9x"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct shared {
    struct tt_store *store;
    struct tt_master *m;
    char hash[TT_PASSWORD_HASH_MAX];
    char blind[TT_HASH_HEX];
    double until;
    atomic_long done;
    atomic_long failed;
};

static void *raw_verify(void *arg)
{
    struct shared *s = arg;
    while (now_s() < s->until) {
        if (crypto_pwhash_str_verify(s->hash, PW, strlen(PW)) == 0)
            atomic_fetch_add(&s->done, 1);
        else
            atomic_fetch_add(&s->failed, 1);
    }
    return NULL;
}

struct signin {
    struct tt_session ses;
    const char *actor;
};

static enum tt_qs signin_txn(struct tt_store_conn *c, void *cls)
{
    struct signin *x = cls;
    enum tt_qs qs = tt_store_ops_of(c)->accounts->session_put(c, &x->ses);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = tt_audit_emit(c, x->ses.tenant_id, x->ses.created_at, x->actor, "session.signin",
                       x->ses.id, NULL);
    return qs < 0 ? qs : TT_QS_ONE;
}

static void *full_signin(void *arg)
{
    struct shared *s = arg;
    while (now_s() < s->until) {
        struct tt_store_conn *c = tt_store_acquire(s->store);
        struct tt_account a;
        enum tt_qs qs = tt_store_ops_of(c)->accounts->account_find(c, s->blind, &a);
        int ok = qs == TT_QS_ONE && tt_password_verify(a.pw_hash, PW, strlen(PW));
        if (ok) {
            struct signin x = {.actor = a.id};
            char secret[64];
            tt_id_new("ses_", x.ses.id);
            tt_random_token(32, secret, sizeof secret);
            tt_vault_hash_secret(secret, x.ses.secret_hash);
            snprintf(x.ses.tenant_id, sizeof x.ses.tenant_id, "%s", a.tenant_id);
            snprintf(x.ses.account_id, sizeof x.ses.account_id, "%s", a.id);
            x.ses.role = a.role;
            x.ses.created_at = x.ses.last_seen_at = (tt_time)time(NULL);
            x.ses.expires_at = x.ses.created_at + 43200;
            ok = tt_store_txn(c, signin_txn, &x) > 0;
        }
        tt_store_release(c);
        atomic_fetch_add(ok ? &s->done : &s->failed, 1);
    }
    return NULL;
}

static double run(struct shared *s, void *(*fn)(void *))
{
    pthread_t th[THREADS];
    atomic_store(&s->done, 0);
    atomic_store(&s->failed, 0);
    double t0 = now_s();
    s->until = t0 + SECONDS;
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, fn, s);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    return (double)atomic_load(&s->done) / (now_s() - t0);
}

int main(int argc, char **argv)
{
    char dir[64];
    if (sodium_init() < 0 || !tt_tmpdir("/tmp/tt-bench-acc.", dir, sizeof dir))
        return 1;
    char url[128], err[256] = "";
    snprintf(url, sizeof url, "sqlite:%s/b.db", dir);
    struct shared s = {0};
    uint8_t mk[32];
    randombytes_buf(mk, sizeof mk);
    if (tt_vault_master_from_bytes(mk, &s.m) < 0 ||
        tt_store_open(url, THREADS, 1, &s.store, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    int created = 0;
    tt_time t = (tt_time)time(NULL);
    struct tt_account a;
    const char *field, *detail;
    if (tt_cli_ensure_platform(s.store, t, &created) < 0 ||
        tt__acc_create(s.store, s.m, "ten_platform", "bench@example.com", PW, strlen(PW),
                       TT_ROLE_ADMIN, "bench", t, &a, &field, &detail) < 0) {
        fprintf(stderr, "bench: set-up failed\n");
        return 1;
    }
    memcpy(s.hash, a.pw_hash, sizeof s.hash);
    memcpy(s.blind, a.email_blind, sizeof s.blind);
    struct tt_pwhash_params p = tt__acc_pwhash_params();
    printf("Argon2id cost: opslimit %llu, memlimit %zu MiB (interactive: %llu, %zu MiB); %d "
           "threads\n",
           p.opslimit, p.memlimit >> 20, (unsigned long long)crypto_pwhash_OPSLIMIT_INTERACTIVE,
           (size_t)crypto_pwhash_MEMLIMIT_INTERACTIVE >> 20, THREADS);
    /* alternating slices, so a machine busy with something else weighs on both alike */
    double raw = 0, full = 0;
    long failed = 0;
    for (int i = 0; i < 3; i++) {
        raw += run(&s, raw_verify) / 3;
        full += run(&s, full_signin) / 3;
        failed += atomic_load(&s.failed);
    }
    printf("sign-ins/s (find + Argon2id verify + session and audit commit): %.1f\n", full);
    printf("baseline crypto_pwhash_str_verify/s (same cost, same threads):   %.1f\n", raw);
    printf("ratio sign-in / raw verify: %.3f%s\n", raw > 0 ? full / raw : 0.0,
           failed ? " (with failures!)" : "");
    tt_store_close(s.store);
    tt_vault_master_free(s.m);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    (void)argc;
    (void)argv;
    return failed ? 1 : 0;
}
