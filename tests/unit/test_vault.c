/* SPDX-License-Identifier: Apache-2.0 */
/* test_vault.c — the secrets: sealing and wrapping fail on tampering, a wrong key or a moved
 * value; the blind index is per tenant and type; master key files are created 0600, reload to
 * the same id and are refused when other users can read them; ids and tokens are well-formed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "core/vault.h"
#include "../support/tt_tmp.h"

static struct tt_master *master_of(uint8_t fill)
{
    uint8_t k[TT_KEY_BYTES];
    memset(k, fill, sizeof k);
    struct tt_master *m = NULL;
    assert_int_equal(tt_vault_master_from_bytes(k, &m), 0);
    assert_non_null(m);
    return m;
}

/* A fresh private temporary directory per test; removed by the caller via rm_dir. */
static void tmp_dir(char *dir, size_t size)
{
    assert_non_null(tt_tmpdir("/tmp/tt_vault_", dir, size));
}

static void rm_dir(const char *dir)
{
    assert_int_equal(tt_tmp_rmtree(dir), 0);
}

static void seal_open_round_trip(void **state)
{
    (void)state;
    uint8_t key[TT_KEY_BYTES];
    tt_vault_key_new(key);
    const char *msg = "alice@example.org";
    size_t len = strlen(msg);
    uint8_t sealed[64 + TT_SEAL_OVERHEAD];
    assert_int_equal(tt_vault_seal(key, (const uint8_t *)msg, len, "ten_a/sub_b", sealed), 0);
    uint8_t plain[64] = {0};
    assert_int_equal(tt_vault_open(key, sealed, len + TT_SEAL_OVERHEAD, "ten_a/sub_b", plain), 0);
    assert_memory_equal(plain, msg, len);
    /* NULL ad and an empty value work too */
    assert_int_equal(tt_vault_seal(key, (const uint8_t *)"", 0, NULL, sealed), 0);
    assert_int_equal(tt_vault_open(key, sealed, TT_SEAL_OVERHEAD, NULL, plain), 0);
    /* two seals of the same value differ (random nonce) */
    uint8_t s1[TT_SEAL_OVERHEAD + 5], s2[TT_SEAL_OVERHEAD + 5];
    assert_int_equal(tt_vault_seal(key, (const uint8_t *)"hello", 5, NULL, s1), 0);
    assert_int_equal(tt_vault_seal(key, (const uint8_t *)"hello", 5, NULL, s2), 0);
    assert_memory_not_equal(s1, s2, sizeof s1);
}

static void open_large_value_round_trip(void **state)
{
    (void)state;
    uint8_t key[TT_KEY_BYTES];
    tt_vault_key_new(key);
    size_t len = 100000; /* past the on-stack scratch size */
    uint8_t *plain = malloc(len), *sealed = malloc(len + TT_SEAL_OVERHEAD), *back = malloc(len);
    assert_non_null(plain);
    assert_non_null(sealed);
    assert_non_null(back);
    randombytes_buf(plain, len);
    assert_int_equal(tt_vault_seal(key, plain, len, "ad", sealed), 0);
    assert_int_equal(tt_vault_open(key, sealed, len + TT_SEAL_OVERHEAD, "ad", back), 0);
    assert_memory_equal(plain, back, len);
    sealed[len / 2] ^= 1;
    memset(back, 0x5a, len);
    assert_int_equal(tt_vault_open(key, sealed, len + TT_SEAL_OVERHEAD, "ad", back), -TT_E_CRYPTO);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(back[i], 0x5a);
    free(plain);
    free(sealed);
    free(back);
}

static void open_fails_on_tamper_wrong_key_and_wrong_ad(void **state)
{
    (void)state;
    uint8_t key[TT_KEY_BYTES], other[TT_KEY_BYTES];
    tt_vault_key_new(key);
    tt_vault_key_new(other);
    const char *msg = "+31612345678";
    size_t len = strlen(msg), slen = len + TT_SEAL_OVERHEAD;
    uint8_t sealed[64];
    assert_int_equal(tt_vault_seal(key, (const uint8_t *)msg, len, "ten_a/sub_b", sealed), 0);

    uint8_t out[64];
    memset(out, 0x77, sizeof out);
    for (size_t i = 0; i < slen; i++) { /* every byte: nonce, ciphertext, tag */
        sealed[i] ^= 0x01;
        assert_int_equal(tt_vault_open(key, sealed, slen, "ten_a/sub_b", out), -TT_E_CRYPTO);
        sealed[i] ^= 0x01;
    }
    assert_int_equal(tt_vault_open(other, sealed, slen, "ten_a/sub_b", out), -TT_E_CRYPTO);
    assert_int_equal(tt_vault_open(key, sealed, slen, "ten_a/sub_c", out), -TT_E_CRYPTO);
    assert_int_equal(tt_vault_open(key, sealed, slen, "ten_x/sub_b", out), -TT_E_CRYPTO);
    assert_int_equal(tt_vault_open(key, sealed, slen, NULL, out), -TT_E_CRYPTO);
    assert_int_equal(tt_vault_open(key, sealed, slen - 1, "ten_a/sub_b", out), -TT_E_CRYPTO);
    assert_int_equal(tt_vault_open(key, sealed, TT_SEAL_OVERHEAD - 1, "ten_a/sub_b", out),
                     -TT_E_CRYPTO);
    for (size_t i = 0; i < sizeof out; i++) /* out untouched by every failure */
        assert_int_equal(out[i], 0x77);
    assert_int_equal(tt_vault_open(key, sealed, slen, "ten_a/sub_b", out), 0);
    assert_memory_equal(out, msg, len);
}

static void wrap_unwrap_and_moved_key_fails(void **state)
{
    (void)state;
    struct tt_master *m = master_of(1), *m2 = master_of(2);
    uint8_t key[TT_KEY_BYTES], back[TT_KEY_BYTES];
    tt_vault_key_new(key);
    char ad[TT_KEY_AD_MAX], ad_other[TT_KEY_AD_MAX], ad_class[TT_KEY_AD_MAX];
    tt_vault_key_ad("ten_a", "sub_1", TT_KEYCLASS_MAIN, ad);
    tt_vault_key_ad("ten_a", "sub_2", TT_KEYCLASS_MAIN, ad_other);
    tt_vault_key_ad("ten_a", "sub_1", TT_KEYCLASS_CONSENT, ad_class);
    assert_string_equal(ad, "ten_a/sub_1/0");
    assert_string_equal(ad_class, "ten_a/sub_1/2");

    uint8_t wrapped[TT_WRAPPED_BYTES];
    assert_int_equal(tt_vault_wrap(m, key, ad, wrapped), 0);
    assert_int_equal(tt_vault_unwrap(m, wrapped, ad, back), 0);
    assert_memory_equal(key, back, TT_KEY_BYTES);

    memset(back, 0x33, sizeof back);
    assert_int_equal(tt_vault_unwrap(m, wrapped, ad_other, back), -TT_E_CRYPTO); /* moved */
    assert_int_equal(tt_vault_unwrap(m, wrapped, ad_class, back), -TT_E_CRYPTO); /* class */
    assert_int_equal(tt_vault_unwrap(m2, wrapped, ad, back), -TT_E_CRYPTO);      /* master */
    wrapped[30] ^= 0x80;
    assert_int_equal(tt_vault_unwrap(m, wrapped, ad, back), -TT_E_CRYPTO); /* tampered */
    for (size_t i = 0; i < sizeof back; i++)
        assert_int_equal(back[i], 0x33);
    tt_vault_master_free(m);
    tt_vault_master_free(m2);
}

static void master_ids_and_derived_keys(void **state)
{
    (void)state;
    struct tt_master *a = master_of(7), *a2 = master_of(7), *b = master_of(8);
    assert_string_equal(a->id, a2->id);
    assert_string_not_equal(a->id, b->id);
    assert_int_equal(strlen(a->id), 3 + 16);
    assert_memory_equal(a->id, "mk_", 3);
    for (size_t i = 3; i < strlen(a->id); i++)
        assert_non_null(strchr("0123456789abcdef", a->id[i]));
    /* the id is not a plain hash of the key, and the derived keys differ from it and each other */
    uint8_t plain_hash[32];
    crypto_generichash(plain_hash, sizeof plain_hash, a->key, TT_KEY_BYTES, NULL, 0);
    char plain_hex[17];
    sodium_bin2hex(plain_hex, sizeof plain_hex, plain_hash, 8);
    assert_string_not_equal(a->id + 3, plain_hex);
    assert_memory_not_equal(a->key, a->blind_key, TT_KEY_BYTES);
    assert_memory_not_equal(a->key, a->token_key, TT_KEY_BYTES);
    assert_memory_not_equal(a->blind_key, a->token_key, TT_KEY_BYTES);
    assert_memory_equal(a->blind_key, a2->blind_key, TT_KEY_BYTES);
    tt_vault_master_free(a);
    tt_vault_master_free(a2);
    tt_vault_master_free(b);
    tt_vault_master_free(NULL);
}

static void blind_index_per_tenant_and_type(void **state)
{
    (void)state;
    struct tt_master *m = master_of(3), *m2 = master_of(4);
    char h1[TT_HASH_HEX], h2[TT_HASH_HEX], h3[TT_HASH_HEX], h4[TT_HASH_HEX], h5[TT_HASH_HEX];
    tt_vault_blind(m, "ten_a", TT_IDENT_EMAIL, "alice@example.org", h1);
    tt_vault_blind(m, "ten_a", TT_IDENT_EMAIL, "alice@example.org", h2);
    assert_string_equal(h1, h2); /* deterministic */
    assert_int_equal(strlen(h1), 64);
    tt_vault_blind(m, "ten_b", TT_IDENT_EMAIL, "alice@example.org", h3);
    assert_string_not_equal(h1, h3); /* per tenant */
    tt_vault_blind(m, "ten_a", TT_IDENT_CHANNEL, "alice@example.org", h4);
    assert_string_not_equal(h1, h4); /* per type */
    tt_vault_blind(m2, "ten_a", TT_IDENT_EMAIL, "alice@example.org", h5);
    assert_string_not_equal(h1, h5); /* keyed */
    /* the separators keep field boundaries: ("ten_a", "x") vs ("ten_", "ax") */
    tt_vault_blind(m, "ten_ab", TT_IDENT_EMAIL, "c", h2);
    tt_vault_blind(m, "ten_a", TT_IDENT_EMAIL, "bc", h3);
    assert_string_not_equal(h2, h3);
    tt_vault_master_free(m);
    tt_vault_master_free(m2);
}

static void master_create_then_reload_same_id(void **state)
{
    (void)state;
    unsetenv("TUTELA_MASTER_KEY");
    char dir[64], path[128], err[256] = "";
    tmp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/master.key", dir);

    struct tt_master *m = NULL;
    int created = -1;
    assert_int_equal(tt_vault_master_load(path, 0, &m, &created, err, sizeof err), -TT_E_NOT_FOUND);
    assert_null(m);
    assert_int_equal(created, -1);
    assert_int_equal(tt_vault_master_load(path, 1, &m, &created, err, sizeof err), 0);
    assert_int_equal(created, 1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);

    struct tt_master *again = NULL;
    assert_int_equal(tt_vault_master_load(path, 1, &again, &created, err, sizeof err), 0);
    assert_int_equal(created, 0);
    assert_string_equal(m->id, again->id);
    assert_memory_equal(m->key, again->key, TT_KEY_BYTES);

    /* save refuses to overwrite */
    assert_int_equal(tt_vault_master_save(m, path, err, sizeof err), -TT_E_CONFLICT);

    /* the environment wins over the file */
    char hex[65];
    uint8_t k[TT_KEY_BYTES];
    memset(k, 9, sizeof k);
    sodium_bin2hex(hex, sizeof hex, k, sizeof k);
    setenv("TUTELA_MASTER_KEY", hex, 1);
    struct tt_master *env = NULL, *nine = master_of(9);
    assert_int_equal(tt_vault_master_load(path, 1, &env, &created, err, sizeof err), 0);
    assert_string_equal(env->id, nine->id);
    setenv("TUTELA_MASTER_KEY", "not-hex", 1);
    struct tt_master *bad = NULL;
    assert_int_equal(tt_vault_master_load(path, 1, &bad, &created, err, sizeof err),
                     -TT_E_BAD_PARAM);
    assert_null(bad);
    assert_null(strstr(err, "not-hex")); /* the reason never echoes key material */
    unsetenv("TUTELA_MASTER_KEY");

    tt_vault_master_free(m);
    tt_vault_master_free(again);
    tt_vault_master_free(env);
    tt_vault_master_free(nine);
    rm_dir(dir);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void master_refuses_world_readable_and_garbage(void **state)
{
    (void)state;
    unsetenv("TUTELA_MASTER_KEY");
    char dir[64], path[128], err[256] = "";
    tmp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/master.key", dir);
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    write_file(path, hex, strlen(hex), 0644);
    struct tt_master *m = NULL;
    assert_int_equal(tt_vault_master_load(path, 1, &m, NULL, err, sizeof err), -TT_E_FORBIDDEN);
    assert_null(m);
    assert_non_null(strstr(err, "other users"));
    assert_null(strstr(err, "0001020304"));

    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(tt_vault_master_load(path, 0, &m, NULL, err, sizeof err), 0);
    uint8_t k[TT_KEY_BYTES];
    for (int i = 0; i < TT_KEY_BYTES; i++)
        k[i] = (uint8_t)i;
    assert_memory_equal(m->key, k, TT_KEY_BYTES);
    tt_vault_master_free(m);
    m = NULL;

    /* 32 raw bytes are a key too */
    unlink(path);
    write_file(path, k, sizeof k, 0600);
    assert_int_equal(tt_vault_master_load(path, 0, &m, NULL, err, sizeof err), 0);
    assert_memory_equal(m->key, k, TT_KEY_BYTES);
    tt_vault_master_free(m);
    m = NULL;

    /* anything else is refused, not silently replaced */
    const char *garbage[] = {"", "abc\n",
                             "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                             "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        unlink(path);
        write_file(path, garbage[i], strlen(garbage[i]), 0600);
        assert_int_equal(tt_vault_master_load(path, 1, &m, NULL, err, sizeof err), -TT_E_BAD_PARAM);
        assert_null(m);
    }
    rm_dir(dir);
}

static void ids_unique_and_well_formed(void **state)
{
    (void)state;
    enum { N = 2000 };
    static char ids[N][TT_ID_MAX];
    for (int i = 0; i < N; i++) {
        tt_id_new(i % 2 ? "sub_" : "sub", ids[i]);
        assert_int_equal(strlen(ids[i]), 4 + 24);
        assert_memory_equal(ids[i], "sub_", 4);
        for (size_t j = 4; j < 28; j++)
            assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz234567", ids[i][j]));
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(ids[i], ids[j]);
}

/* Each thread draws its own ids (vault.c keeps a pool of random bytes per thread): ids made
 * on two threads at once never repeat each other. */
enum { THREAD_IDS = 3000 };
static void *make_ids(void *arg)
{
    char(*ids)[TT_ID_MAX] = arg;
    for (int i = 0; i < THREAD_IDS; i++)
        tt_id_new("cev_", ids[i]);
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void ids_differ_across_threads(void **state)
{
    (void)state;
    static char ids[2 * THREAD_IDS][TT_ID_MAX];
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&t[k], NULL, make_ids, ids[k * THREAD_IDS]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    qsort(ids, 2 * THREAD_IDS, TT_ID_MAX, cmp_id);
    for (int i = 1; i < 2 * THREAD_IDS; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
}

static void random_tokens_are_base64url(void **state)
{
    (void)state;
    char t1[64], t2[64];
    tt_random_token(32, t1, sizeof t1);
    tt_random_token(32, t2, sizeof t2);
    assert_int_equal(strlen(t1), 43); /* 32 bytes, no padding */
    assert_string_not_equal(t1, t2);
    for (size_t i = 0; t1[i]; i++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t1[i]));
}

static void secret_hash_and_compare(void **state)
{
    (void)state;
    char a[TT_HASH_HEX], b[TT_HASH_HEX], c[TT_HASH_HEX];
    tt_vault_hash_secret("s3cret-token", a);
    tt_vault_hash_secret("s3cret-token", b);
    tt_vault_hash_secret("s3cret-tokeN", c);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(tt_vault_hash_equal(a, b), 1);
    assert_int_equal(tt_vault_hash_equal(a, c), 0);
    /* BLAKE2b-256 of the secret, as documented */
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const uint8_t *)"s3cret-token", 12, NULL, 0);
    char hex[TT_HASH_HEX];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    assert_string_equal(a, hex);
    /* an empty stored hash never matches */
    char empty1[TT_HASH_HEX] = "", empty2[TT_HASH_HEX] = "";
    assert_int_equal(tt_vault_hash_equal(empty1, empty2), 0);
}

static int setup(void **state)
{
    (void)state;
    return tt_vault_init();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seal_open_round_trip),
        cmocka_unit_test(open_large_value_round_trip),
        cmocka_unit_test(open_fails_on_tamper_wrong_key_and_wrong_ad),
        cmocka_unit_test(wrap_unwrap_and_moved_key_fails),
        cmocka_unit_test(master_ids_and_derived_keys),
        cmocka_unit_test(blind_index_per_tenant_and_type),
        cmocka_unit_test(master_create_then_reload_same_id),
        cmocka_unit_test(master_refuses_world_readable_and_garbage),
        cmocka_unit_test(ids_unique_and_well_formed),
        cmocka_unit_test(ids_differ_across_threads),
        cmocka_unit_test(random_tokens_are_base64url),
        cmocka_unit_test(secret_hash_and_compare),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
