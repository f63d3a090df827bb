/* SPDX-License-Identifier: Apache-2.0 */
/* vault.c — the secrets (see vault.h): master key load/create, keys derived from it, wrapping of
 * subject keys, sealing of personal values (XChaCha20-Poly1305-IETF), blind index, API-key
 * hashes and random ids. All crypto is libsodium; the only I/O is the master key file. */
#include "vault.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"

#define ENV_KEY "TUTELA_MASTER_KEY"
#define HEX_KEY_LEN (2 * TT_KEY_BYTES)
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define OPEN_STACK_MAX 4096 /* plaintexts up to this size are opened on the stack */

/* crypto_kdf contexts: exactly 8 bytes each, distinct so the derived keys are independent */
static const char KDF_BLIND[crypto_kdf_CONTEXTBYTES + 1] = "ttblind1";
static const char KDF_TOKEN[crypto_kdf_CONTEXTBYTES + 1] = "tttoken1";
static const char ID_LABEL[] = "tutela master key id v1";

_Static_assert(TT_WRAPPED_BYTES == NONCE_BYTES + TT_KEY_BYTES + TAG_BYTES, "wrapped layout");
_Static_assert(TT_SEAL_OVERHEAD == NONCE_BYTES + TAG_BYTES, "sealed layout");
_Static_assert(TT_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(TT_KEY_BYTES == crypto_kdf_KEYBYTES, "kdf key size");

static void set_err(char *err, size_t err_size, const char *fmt, const char *path, int errnum)
{
    if (!err || err_size == 0)
        return;
    if (errnum)
        snprintf(err, err_size, fmt, path ? path : "", strerror(errnum));
    else
        snprintf(err, err_size, fmt, path ? path : "");
}

int tt_vault_init(void)
{
    return sodium_init() < 0 ? -TT_E_CRYPTO : 0;
}

/* Fills id and derived keys of a master whose key is set. */
static int master_finish(struct tt_master *m)
{
    uint8_t h[crypto_generichash_BYTES];
    /* the id is a PRF of the key (keyed hash of a constant): it names the key and reveals
     * nothing about it */
    if (crypto_generichash(h, sizeof h, (const uint8_t *)ID_LABEL, sizeof ID_LABEL - 1, m->key,
                           TT_KEY_BYTES) != 0)
        return -TT_E_CRYPTO;
    memcpy(m->id, "mk_", 3);
    sodium_bin2hex(m->id + 3, sizeof m->id - 3, h, 8);
    sodium_memzero(h, sizeof h);
    if (crypto_kdf_derive_from_key(m->blind_key, TT_KEY_BYTES, 1, KDF_BLIND, m->key) != 0 ||
        crypto_kdf_derive_from_key(m->token_key, TT_KEY_BYTES, 1, KDF_TOKEN, m->key) != 0)
        return -TT_E_CRYPTO;
    return 0;
}

int tt_vault_master_from_bytes(const uint8_t key[TT_KEY_BYTES], struct tt_master **out)
{
    struct tt_master *m = sodium_malloc(sizeof *m);
    if (!m)
        return -TT_E_NOMEM;
    sodium_memzero(m, sizeof *m);
    memcpy(m->key, key, TT_KEY_BYTES);
    int rc = master_finish(m);
    if (rc < 0) {
        tt_vault_master_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void tt_vault_master_free(struct tt_master *m)
{
    if (m)
        sodium_free(m); /* wipes before releasing */
}

/* Parses exactly 64 hex chars, optionally surrounded by whitespace. */
static int parse_hex_key(const char *s, size_t len, uint8_t key[TT_KEY_BYTES])
{
    while (len > 0 &&
           (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        len--;
    }
    if (len != HEX_KEY_LEN)
        return -1;
    size_t bin_len = 0;
    uint8_t tmp[TT_KEY_BYTES];
    if (sodium_hex2bin(tmp, sizeof tmp, s, len, NULL, &bin_len, NULL) != 0 ||
        bin_len != TT_KEY_BYTES) {
        sodium_memzero(tmp, sizeof tmp);
        return -1;
    }
    memcpy(key, tmp, TT_KEY_BYTES);
    sodium_memzero(tmp, sizeof tmp);
    return 0;
}

static int fsync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        dir[0] = '.';
        dir[1] = '\0';
    } else if (slash == path) {
        dir[0] = '/';
        dir[1] = '\0';
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int tt_vault_master_save(const struct tt_master *m, const char *path, char *err, size_t err_size)
{
    char *hex = sodium_malloc(HEX_KEY_LEN + 2);
    if (!hex)
        return -TT_E_NOMEM;
    sodium_bin2hex(hex, HEX_KEY_LEN + 1, m->key, TT_KEY_BYTES);
    hex[HEX_KEY_LEN] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        sodium_free(hex);
        set_err(err, err_size, "cannot create master key file %s: %s", path, e);
        return e == EEXIST ? -TT_E_CONFLICT : -TT_E_INTERNAL;
    }
    /* umask can only narrow 0600, but make the mode exact whatever created the inode */
    int rc = fchmod(fd, 0600);
    size_t done = 0;
    while (rc == 0 && done < HEX_KEY_LEN + 1) {
        ssize_t w = write(fd, hex + done, HEX_KEY_LEN + 1 - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = -1;
        else
            done += (size_t)w;
    }
    int e = errno;
    sodium_free(hex);
    if (rc == 0 && fsync(fd) != 0) {
        rc = -1;
        e = errno;
    }
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && fsync_parent(path) != 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) {
        unlink(path);
        set_err(err, err_size, "cannot write master key file %s: %s", path, e);
        return -TT_E_INTERNAL;
    }
    return 0;
}

/* Reads the key file at path into key. Returns 0, -TT_E_NOT_FOUND (absent), or another code. */
static int read_key_file(const char *path, uint8_t key[TT_KEY_BYTES], char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        set_err(err, err_size, "cannot open master key file %s: %s", path, e);
        return e == ENOENT ? -TT_E_NOT_FOUND : -TT_E_INTERNAL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        set_err(err, err_size, "cannot stat master key file %s: %s", path, e);
        return -TT_E_INTERNAL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        set_err(err, err_size, "master key file %s is not a regular file", path, 0);
        return -TT_E_BAD_PARAM;
    }
    if (st.st_mode & (S_IROTH | S_IWOTH)) {
        close(fd);
        set_err(err, err_size,
                "master key file %s is accessible to other users; refusing to use it "
                "(chmod 600 it, then consider the key compromised and rotate it)",
                path, 0);
        return -TT_E_FORBIDDEN;
    }
    /* 64 hex chars (+ whitespace) or 32 raw bytes; anything longer than this is not a key */
    enum { CAP = 160 };
    char *buf = sodium_malloc(CAP);
    if (!buf) {
        close(fd);
        return -TT_E_NOMEM;
    }
    size_t len = 0;
    int rc = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, CAP - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            set_err(err, err_size, "cannot read master key file %s: %s", path, errno);
            rc = -TT_E_INTERNAL;
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == CAP)
            break;
    }
    close(fd);
    if (rc == 0) {
        if (len == TT_KEY_BYTES && parse_hex_key(buf, len, key) != 0)
            memcpy(key, buf, TT_KEY_BYTES);
        else if (len == CAP || parse_hex_key(buf, len, key) != 0) {
            set_err(err, err_size,
                    "master key file %s does not hold a key (64 hex chars or 32 raw bytes)", path,
                    0);
            rc = -TT_E_BAD_PARAM;
        }
    }
    sodium_free(buf);
    return rc;
}

int tt_vault_master_load(const char *path, int create, struct tt_master **out, int *created,
                         char *err, size_t err_size)
{
    uint8_t *key = sodium_malloc(TT_KEY_BYTES);
    if (!key)
        return -TT_E_NOMEM;
    int made = 0;
    int rc;
    const char *env = getenv(ENV_KEY);
    if (env && *env) {
        rc = parse_hex_key(env, strlen(env), key);
        if (rc != 0) {
            set_err(err, err_size, "%s" ENV_KEY " is set but is not 64 hex chars", "", 0);
            rc = -TT_E_BAD_PARAM;
        }
    } else if (!path || !*path) {
        set_err(err, err_size, "%sno master key: set " ENV_KEY " or give a key file", "", 0);
        rc = -TT_E_BAD_PARAM;
    } else {
        rc = read_key_file(path, key, err, err_size);
        if (rc == -TT_E_NOT_FOUND && create) {
            struct tt_master *fresh = NULL;
            randombytes_buf(key, TT_KEY_BYTES);
            rc = tt_vault_master_from_bytes(key, &fresh);
            if (rc == 0)
                rc = tt_vault_master_save(fresh, path, err, err_size);
            tt_vault_master_free(fresh);
            if (rc == -TT_E_CONFLICT) /* another process created it first: use theirs */
                rc = read_key_file(path, key, err, err_size);
            else if (rc == 0)
                made = 1;
        }
    }
    struct tt_master *m = NULL;
    if (rc == 0)
        rc = tt_vault_master_from_bytes(key, &m);
    sodium_free(key);
    if (rc != 0)
        return rc;
    *out = m;
    if (created)
        *created = made;
    return 0;
}

void tt_vault_key_new(uint8_t key[TT_KEY_BYTES])
{
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
}

void tt_vault_key_ad(const char *tenant_id, const char *subject_id, enum tt_key_class key_class,
                     char out[TT_KEY_AD_MAX])
{
    snprintf(out, TT_KEY_AD_MAX, "%.*s/%.*s/%d", TT_ID_MAX - 1, tenant_id, TT_ID_MAX - 1,
             subject_id, (int)key_class);
}

static size_t ad_len(const char *ad)
{
    return ad ? strlen(ad) : 0;
}

int tt_vault_wrap(const struct tt_master *m, const uint8_t key[TT_KEY_BYTES], const char *ad,
                  uint8_t wrapped[TT_WRAPPED_BYTES])
{
    return tt_vault_seal(m->key, key, TT_KEY_BYTES, ad, wrapped);
}

int tt_vault_unwrap(const struct tt_master *m, const uint8_t wrapped[TT_WRAPPED_BYTES],
                    const char *ad, uint8_t key[TT_KEY_BYTES])
{
    return tt_vault_open(m->key, wrapped, TT_WRAPPED_BYTES, ad, key);
}

int tt_vault_seal(const uint8_t key[TT_KEY_BYTES], const uint8_t *plain, size_t len, const char *ad,
                  uint8_t *out)
{
    if (len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX - 1)
        return -TT_E_CRYPTO;
    randombytes_buf(out, NONCE_BYTES);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_BYTES, &clen, plain, len,
                                                   (const uint8_t *)ad, ad_len(ad), NULL, out,
                                                   key) != 0)
        return -TT_E_CRYPTO;
    return 0;
}

int tt_vault_open(const uint8_t key[TT_KEY_BYTES], const uint8_t *sealed, size_t len,
                  const char *ad, uint8_t *out)
{
    if (!sealed || len < TT_SEAL_OVERHEAD)
        return -TT_E_CRYPTO;
    size_t plen = len - TT_SEAL_OVERHEAD;
    /* libsodium zeroes its output on failure; decrypt into scratch so out is untouched */
    uint8_t stack[OPEN_STACK_MAX];
    uint8_t *tmp = plen <= sizeof stack ? stack : sodium_malloc(plen);
    if (!tmp)
        return -TT_E_NOMEM;
    unsigned long long mlen = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(tmp, &mlen, NULL, sealed + NONCE_BYTES,
                                                        len - NONCE_BYTES, (const uint8_t *)ad,
                                                        ad_len(ad), sealed, key);
    if (rc == 0 && mlen == plen)
        memcpy(out, tmp, plen);
    else
        rc = -1;
    if (tmp == stack)
        sodium_memzero(stack, plen);
    else
        sodium_free(tmp);
    return rc == 0 ? 0 : -TT_E_CRYPTO;
}

void tt_vault_blind(const struct tt_master *m, const char *tenant_id, enum tt_identity_type type,
                    const char *normalised, char out[TT_HASH_HEX])
{
    crypto_generichash_state st;
    uint8_t h[32];
    const char *tname = tt_identity_type_name(type);
    crypto_generichash_init(&st, m->blind_key, TT_KEY_BYTES, sizeof h);
    /* NUL separators: ("ab","c") and ("a","bc") hash differently */
    crypto_generichash_update(&st, (const uint8_t *)tenant_id, strlen(tenant_id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)tname, strlen(tname) + 1);
    crypto_generichash_update(&st, (const uint8_t *)normalised, strlen(normalised));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, TT_HASH_HEX, h, sizeof h);
    sodium_memzero(&st, sizeof st);
}

void tt_vault_hash_secret(const char *secret, char out[TT_HASH_HEX])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const uint8_t *)secret, strlen(secret), NULL, 0);
    sodium_bin2hex(out, TT_HASH_HEX, h, sizeof h);
}

int tt_vault_hash_equal(const char a[TT_HASH_HEX], const char b[TT_HASH_HEX])
{
    /* an empty or short stored hash never matches anything */
    int whole =
        strnlen(a, TT_HASH_HEX) == TT_HASH_HEX - 1 && strnlen(b, TT_HASH_HEX) == TT_HASH_HEX - 1;
    int same = sodium_memcmp(a, b, TT_HASH_HEX - 1) == 0;
    return whole & same;
}

/* Random bytes for ids, ID_POOL_IDS ids' worth drawn from the system at a time and kept per
 * thread: one getrandom call per 256 ids instead of one per id (issue 4: a consent batch names
 * every event). Bytes are wiped as they are taken. Ids are names, not secrets; tokens and keys
 * still come straight from randombytes_buf. The process never forks after drawing. */
#define ID_RANDOM_BYTES 15 /* 120 bits = 24 base32 chars */
#define ID_POOL_IDS 256

static _Thread_local struct {
    uint8_t bytes[ID_POOL_IDS * ID_RANDOM_BYTES];
    size_t left;
} id_pool;

static void id_random(uint8_t r[ID_RANDOM_BYTES])
{
    if (id_pool.left < ID_RANDOM_BYTES) {
        randombytes_buf(id_pool.bytes, sizeof id_pool.bytes);
        id_pool.left = sizeof id_pool.bytes;
    }
    id_pool.left -= ID_RANDOM_BYTES;
    memcpy(r, id_pool.bytes + id_pool.left, ID_RANDOM_BYTES);
    sodium_memzero(id_pool.bytes + id_pool.left, ID_RANDOM_BYTES);
}

void tt_id_new(const char *prefix, char out[TT_ID_MAX])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    size_t plen = strlen(prefix);
    int sep = plen > 0 && prefix[plen - 1] != '_'; /* "sub" and "sub_" both give "sub_…" */
    assert(plen + (size_t)sep + 24 < TT_ID_MAX);
    if (plen + (size_t)sep + 24 >= TT_ID_MAX) {
        plen = 0;
        sep = 0;
    }
    uint8_t r[ID_RANDOM_BYTES];
    id_random(r);
    memcpy(out, prefix, plen);
    char *p = out + plen;
    if (sep)
        *p++ = '_';
    for (size_t i = 0; i < sizeof r; i += 5) {
        uint64_t v = 0;
        for (size_t j = 0; j < 5; j++)
            v = (v << 8) | r[i + j];
        for (int k = 7; k >= 0; k--)
            *p++ = b32[(v >> (5 * k)) & 31];
    }
    *p = '\0';
}

void tt_random_token(size_t n_bytes, char *out, size_t out_size)
{
    const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    uint8_t r[256];
    assert(n_bytes <= sizeof r && out_size >= sodium_base64_ENCODED_LEN(n_bytes, variant));
    if (out_size == 0)
        return;
    if (n_bytes > sizeof r || out_size < sodium_base64_ENCODED_LEN(n_bytes, variant)) {
        out[0] = '\0';
        return;
    }
    randombytes_buf(r, n_bytes);
    sodium_bin2base64(out, out_size, r, n_bytes, variant);
    sodium_memzero(r, n_bytes);
}
