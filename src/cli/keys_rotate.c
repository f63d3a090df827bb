/* SPDX-License-Identifier: Apache-2.0 */
/* keys_rotate.c — `tutela keys rotate`: re-wraps every subject key under a new master key,
 * batch by batch (one transaction each), without touching records; resumable, because rows
 * already under the new key are skipped and the rotation in progress is recorded in the store
 * setting master_rotation ("old_id new_id") with the cursor of the last batch. Key files: PATH
 * (current), PATH.new (the new key until installed), PATH.old (the old key, kept until the very
 * end). Issue 3. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../core/error.h"
#include "../core/vault.h"
#include "../store/store.h"
#include "cli.h"
#include "context.h"

#define CMD "tutela keys rotate"
#define SETTING "master_rotation"
/* the last subject of the last committed batch, written in that batch's transaction, so an
 * interrupted run resumes after it */
#define SETTING_TENANT "master_rotation_after_tenant"
#define SETTING_SUBJECT "master_rotation_after_subject"
#define BATCH_DEFAULT 500
#define BATCH_MAX 1000 /* the store pages at most 1000 subjects */
#define PASSES_MAX 4
#define PATH_CAP 4096

struct opts {
    const char *db;
    const char *key_path;
    const char *new_key_path;
    int batch;
    long max_batches; /* 0 = no limit (tests interrupt a run with it) */
};

/* One rotation run. */
struct rot {
    struct tt_store_conn *conn;
    const struct tt_master *old; /* NULL when resuming after the new key was installed */
    const struct tt_master *new;
    char old_id[TT_ID_MAX];
    int batch;
    long max_batches;
    long batches;
    int64_t rewrapped, skipped;
    int tty;
};

/* One batch: the keys of up to rot->batch subjects after the cursor. Reset on every (re)try. */
struct batch {
    struct rot *r;
    const char *after_tenant, *after_subject;
    struct tt_subject_key *rows; /* copies (the store's rows live only during its callback) */
    size_t n_rows, cap;
    int subjects;
    int64_t rewrapped, skipped;
    int failed;
    char why[512];
};

static int usage(FILE *to)
{
    fprintf(to,
            "usage: " CMD " --db URL --master-key PATH [--new-key PATH] [--batch N]\n"
            "  Re-wraps every subject key under a new master key (created, or read from\n"
            "  --new-key), then installs it at PATH. Records are not rewritten. Run it with the\n"
            "  server stopped; if interrupted, run it again: it resumes where it stopped.\n"
            "  --db URL           sqlite:PATH or postgres://… (default: $TUTELA_DB, then\n"
            "                     sqlite:var/tutela.db)\n"
            "  --master-key PATH  the current key file (default: $TUTELA_MASTER_KEY_FILE, then\n"
            "                     var/master.key)\n"
            "  --new-key PATH     use this key file (64 hex chars, mode 0600) as the new key\n"
            "  --batch N          subjects per transaction, 1..%d (default %d)\n"
            "  --max-batches N    stop after N batches (to test resuming)\n",
            BATCH_MAX, BATCH_DEFAULT);
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    if (!s || !*s)
        return -1;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    long v;
    const char *val;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return -1;
        } else if ((val = tt_cli_flag(argc, argv, &i, "--new-key")))
            o->new_key_path = val;
        else if ((val = tt_cli_flag(argc, argv, &i, "--batch"))) {
            if (parse_long(val, 1, BATCH_MAX, &v) != 0) {
                fprintf(stderr, CMD ": --batch must be 1..%d\n", BATCH_MAX);
                return -2;
            }
            o->batch = (int)v;
        } else if ((val = tt_cli_flag(argc, argv, &i, "--max-batches"))) {
            if (parse_long(val, 1, LONG_MAX, &v) != 0) {
                fprintf(stderr, CMD ": --max-batches must be a positive number\n");
                return -2;
            }
            o->max_batches = v;
        } else {
            fprintf(stderr, CMD ": unexpected argument '%s'\n", argv[i]);
            return -2;
        }
    }
    return 0;
}

/* ---- key files ---- */

static int sibling(char *out, const char *path, const char *suffix)
{
    int n = snprintf(out, PATH_CAP, "%s%s", path, suffix);
    return (n < 0 || n >= PATH_CAP) ? -1 : 0;
}

/* The folder holding path: ".", "/" or its parent. */
static void dir_of(const char *path, char dir[PATH_CAP])
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, PATH_CAP, ".");
    else if (slash == path)
        snprintf(dir, PATH_CAP, "/");
    else
        snprintf(dir, PATH_CAP, "%.*s", (int)(slash - path), path);
}

static int sync_dir_of(const char *path)
{
    char dir[PATH_CAP];
    dir_of(path, dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Holds an exclusive lock on the key's directory for the whole run: one rotation at a time. */
static int lock_dir_of(const char *path)
{
    char dir[PATH_CAP];
    dir_of(path, dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -2;
    }
    return fd;
}

static int file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Loads an existing key file (never creates); prints the reason on failure. */
static int load_key(const char *path, struct tt_master **out)
{
    char err[512] = "";
    int rc = tt_vault_master_load(path, 0, out, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, CMD ": %s\n", err[0] ? err : "cannot load the key");
    return rc;
}

static int save_key(const struct tt_master *m, const char *path)
{
    char err[512] = "";
    int rc = tt_vault_master_save(m, path, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, CMD ": %s\n", err[0] ? err : "cannot write the key");
    return rc;
}

/* ---- the store ---- */

struct setting_io {
    const char *key;
    const char *value; /* put when non-NULL */
    char got[2 * TT_ID_MAX + 2];
    enum tt_qs qs;
};

static enum tt_qs setting_txn(struct tt_store_conn *c, void *cls)
{
    struct setting_io *io = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    if (io->value)
        return ops->setting_put(c, io->key, io->value);
    io->got[0] = '\0';
    io->qs = ops->setting_get(c, io->key, io->got, sizeof io->got);
    return io->qs < 0 ? io->qs : TT_QS_ONE;
}

static int setting_put(struct tt_store_conn *c, const char *key, const char *value)
{
    struct setting_io io = {.key = key, .value = value};
    if (tt_store_txn(c, setting_txn, &io) < 0) {
        fprintf(stderr, CMD ": the store failed writing the %s setting\n", key);
        return -1;
    }
    return 0;
}

/* Reads a setting into out (TT_ID_MAX bytes; "" when absent). */
static int setting_read(struct tt_store_conn *c, const char *key, char out[TT_ID_MAX])
{
    struct setting_io io = {.key = key};
    out[0] = '\0';
    if (tt_store_txn(c, setting_txn, &io) < 0 || strlen(io.got) >= TT_ID_MAX) {
        fprintf(stderr, CMD ": the store failed reading the %s setting\n", key);
        return -1;
    }
    if (io.qs == TT_QS_ONE)
        memcpy(out, io.got, strlen(io.got) + 1);
    return 0;
}

/* Reads the rotation in progress into old_id/new_id ("" when none). */
static int setting_get(struct tt_store_conn *c, char old_id[TT_ID_MAX], char new_id[TT_ID_MAX])
{
    struct setting_io io = {.key = SETTING};
    old_id[0] = new_id[0] = '\0';
    if (tt_store_txn(c, setting_txn, &io) < 0) {
        fprintf(stderr, CMD ": the store failed reading the %s setting\n", SETTING);
        return -1;
    }
    if (io.qs == TT_QS_NONE || io.got[0] == '\0')
        return 0;
    char *sp = strchr(io.got, ' ');
    if (!sp || sp == io.got || !sp[1] || (size_t)(sp - io.got) >= TT_ID_MAX ||
        strlen(sp + 1) >= TT_ID_MAX) {
        fprintf(stderr, CMD ": the %s setting is damaged ('%s')\n", SETTING, io.got);
        return -1;
    }
    memcpy(old_id, io.got, (size_t)(sp - io.got));
    old_id[sp - io.got] = '\0';
    memcpy(new_id, sp + 1, strlen(sp + 1) + 1);
    return 0;
}

static int collect(void *cls, const struct tt_subject_key *k)
{
    struct batch *b = cls;
    if (b->n_rows == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        struct tt_subject_key *rows = sodium_allocarray(cap, sizeof *rows);
        if (!rows) {
            b->failed = 1;
            snprintf(b->why, sizeof b->why, "out of memory");
            return 1;
        }
        if (b->n_rows)
            memcpy(rows, b->rows, b->n_rows * sizeof *rows);
        sodium_free(b->rows); /* wipes the wrapped keys copied so far */
        b->rows = rows;
        b->cap = cap;
    }
    if (b->n_rows == 0 || strcmp(b->rows[b->n_rows - 1].tenant_id, k->tenant_id) != 0 ||
        strcmp(b->rows[b->n_rows - 1].subject_id, k->subject_id) != 0)
        b->subjects++;
    b->rows[b->n_rows++] = *k;
    return 0;
}

/* Re-wraps one row in place; returns 1 if it must be written, 0 to skip, -1 on failure. */
static int rewrap(struct batch *b, struct tt_subject_key *k)
{
    struct rot *r = b->r;
    if (k->destroyed_at != 0)
        return 0; /* shredded: nothing to wrap */
    if (strcmp(k->master_key_id, r->new->id) == 0) {
        b->skipped++;
        return 0;
    }
    if (!r->old || strcmp(k->master_key_id, r->old->id) != 0) {
        snprintf(b->why, sizeof b->why,
                 "the key of subject %s (tenant %s, class %d) is wrapped under master key %s, "
                 "which is neither %s nor %s",
                 k->subject_id, k->tenant_id, (int)k->key_class, k->master_key_id, r->old_id,
                 r->new->id);
        return -1;
    }
    char ad[TT_KEY_AD_MAX];
    uint8_t key[TT_KEY_BYTES];
    tt_vault_key_ad(k->tenant_id, k->subject_id, k->key_class, ad);
    if (k->wrapped_len != TT_WRAPPED_BYTES || tt_vault_unwrap(r->old, k->wrapped, ad, key) != 0) {
        snprintf(b->why, sizeof b->why,
                 "the key of subject %s (tenant %s, class %d) does not unwrap under %s "
                 "(damaged or moved)",
                 k->subject_id, k->tenant_id, (int)k->key_class, r->old->id);
        return -1;
    }
    int rc = tt_vault_wrap(r->new, key, ad, k->wrapped);
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        snprintf(b->why, sizeof b->why, "wrapping under the new key failed");
        return -1;
    }
    snprintf(k->master_key_id, sizeof k->master_key_id, "%s", r->new->id);
    b->rewrapped++;
    return 1;
}

static enum tt_qs batch_txn(struct tt_store_conn *c, void *cls)
{
    struct batch *b = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    /* a retried transaction starts over */
    b->n_rows = 0;
    b->subjects = 0;
    b->rewrapped = b->skipped = 0;
    b->failed = 0;
    b->why[0] = '\0';
    enum tt_qs qs =
        ops->subject_key_scan(c, b->after_tenant, b->after_subject, b->r->batch, collect, b);
    if (qs < 0)
        return qs;
    if (b->failed)
        return TT_QS_HARD;
    for (size_t i = 0; i < b->n_rows; i++) {
        int w = rewrap(b, &b->rows[i]);
        if (w < 0) {
            b->failed = 1;
            return TT_QS_HARD;
        }
        if (w == 0)
            continue;
        qs = ops->subject_key_put(c, &b->rows[i]);
        if (qs < 0)
            return qs;
        if (qs == TT_QS_NONE) {
            snprintf(b->why, sizeof b->why,
                     "the store did not update the key of subject %s (tenant %s, class %d)",
                     b->rows[i].subject_id, b->rows[i].tenant_id, (int)b->rows[i].key_class);
            b->failed = 1;
            return TT_QS_HARD;
        }
    }
    if (b->subjects > 0) {
        const struct tt_subject_key *last = &b->rows[b->n_rows - 1];
        qs = ops->setting_put(c, SETTING_TENANT, last->tenant_id);
        if (qs >= 0)
            qs = ops->setting_put(c, SETTING_SUBJECT, last->subject_id);
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

static void progress(const struct rot *r, int done)
{
    if (!r->tty)
        return;
    fprintf(stderr, "\r" CMD ": %lld re-wrapped, %lld already done%s", (long long)r->rewrapped,
            (long long)r->skipped, done ? "\n" : "");
    fflush(stderr);
}

/* One pass over the keys after (tenant, subject) ("" = all). Returns 0 (*rewrapped set), 1 when
 * stopped by --max-batches, or -1. Counts the keys found already done when tally is set. */
static int pass(struct rot *r, const char *from_tenant, const char *from_subject, int tally,
                int64_t *rewrapped)
{
    char tenant[TT_ID_MAX], subject[TT_ID_MAX];
    snprintf(tenant, sizeof tenant, "%s", from_tenant);
    snprintf(subject, sizeof subject, "%s", from_subject);
    struct batch b = {.r = r};
    int rc = 0;
    *rewrapped = 0;
    for (;;) {
        if (r->max_batches && r->batches >= r->max_batches) {
            rc = 1;
            break;
        }
        b.after_tenant = tenant;
        b.after_subject = subject;
        enum tt_qs qs = tt_store_txn(r->conn, batch_txn, &b);
        if (qs < 0) {
            if (r->tty)
                fputc('\n', stderr);
            if (b.failed)
                fprintf(stderr, CMD ": %s; this batch was not changed\n", b.why);
            else
                fprintf(stderr, CMD ": the store failed; this batch was not changed\n");
            rc = -1;
            break;
        }
        r->batches++;
        r->rewrapped += b.rewrapped;
        if (tally)
            r->skipped += b.skipped;
        *rewrapped += b.rewrapped;
        progress(r, 0);
        if (b.subjects < r->batch)
            break;
        const struct tt_subject_key *last = &b.rows[b.n_rows - 1];
        snprintf(tenant, sizeof tenant, "%s", last->tenant_id);
        snprintf(subject, sizeof subject, "%s", last->subject_id);
    }
    sodium_free(b.rows);
    return rc;
}

/* Re-wraps from the stored cursor to the end, then until a whole pass from the start finds
 * nothing left under the old key (keys written meanwhile by a server still running with the
 * old key). Returns 0, 1 (stopped by --max-batches) or -1. */
static int rewrap_all(struct rot *r)
{
    char tenant[TT_ID_MAX], subject[TT_ID_MAX];
    if (setting_read(r->conn, SETTING_TENANT, tenant) != 0 ||
        setting_read(r->conn, SETTING_SUBJECT, subject) != 0)
        return -1;
    for (int i = 0; i < PASSES_MAX; i++) {
        int64_t n = 0;
        int whole = tenant[0] == '\0' && subject[0] == '\0';
        int rc = pass(r, tenant, subject, i == 0, &n);
        if (rc != 0)
            return rc;
        if (n == 0 && whole)
            return 0;
        tenant[0] = subject[0] = '\0';
    }
    fprintf(stderr, CMD ": keys keep appearing under the old master key; stop the server and "
                        "run the rotation again\n");
    return -1;
}

/* ---- the run ---- */

static int run(const struct opts *o)
{
    char err[512] = "";
    char new_path[PATH_CAP], old_path[PATH_CAP];
    if (getenv("TUTELA_MASTER_KEY") && *getenv("TUTELA_MASTER_KEY")) {
        fprintf(stderr, CMD ": TUTELA_MASTER_KEY is set; a key in the environment cannot be "
                            "rotated in place: unset it and rotate the key file\n");
        return TT_EXIT_USAGE;
    }
    if (sibling(new_path, o->key_path, ".new") != 0 ||
        sibling(old_path, o->key_path, ".old") != 0) {
        fprintf(stderr, CMD ": the key path is too long\n");
        return TT_EXIT_USAGE;
    }
    if (tt_vault_init() != 0) {
        fprintf(stderr, CMD ": libsodium failed to initialise\n");
        return TT_EXIT_FAIL;
    }
    int lock = lock_dir_of(o->key_path);
    if (lock < 0) {
        fprintf(stderr, lock == -2 ? CMD ": another rotation is running on this key\n"
                                   : CMD ": cannot open the key's directory\n");
        return TT_EXIT_FAIL;
    }

    struct tt_store *store = NULL;
    struct tt_store_conn *conn = NULL;
    struct tt_master *cur = NULL, *other = NULL, *given = NULL;
    int ex = TT_EXIT_FAIL;
    if (tt_store_open(o->db, 1, 0, &store, err, sizeof err) != 0) {
        fprintf(stderr, CMD ": %s\n", err);
        goto out;
    }
    conn = tt_store_acquire(store);
    if (load_key(o->key_path, &cur) != 0)
        goto out;
    if (o->new_key_path && load_key(o->new_key_path, &given) != 0)
        goto out;

    char rot_old[TT_ID_MAX], rot_new[TT_ID_MAX];
    if (setting_get(conn, rot_old, rot_new) != 0)
        goto out;

    struct rot r = {.conn = conn,
                    .batch = o->batch,
                    .max_batches = o->max_batches,
                    .tty = isatty(STDERR_FILENO)};
    int installed = 0; /* the new key is already at PATH */
    if (rot_old[0] == '\0') {
        /* a fresh rotation: the new key goes to PATH.new (synced) before anything is wrapped
         * under it, and the setting says which two keys are involved */
        if (given && strcmp(given->id, cur->id) == 0) {
            fprintf(stderr, CMD ": the new key is the current key\n");
            ex = TT_EXIT_USAGE;
            goto out;
        }
        if (file_exists(new_path)) {
            /* left by a run that stopped before recording the rotation: nothing is wrapped
             * under it yet, so it may be reused (no --new-key) or replaced */
            if (load_key(new_path, &other) != 0)
                goto out;
            if (given || strcmp(other->id, cur->id) == 0) {
                tt_vault_master_free(other);
                other = NULL;
                if (unlink(new_path) != 0) {
                    fprintf(stderr, CMD ": cannot remove the stale %s\n", new_path);
                    goto out;
                }
            }
        }
        if (!other) {
            if (given) {
                other = given;
                given = NULL;
            } else {
                uint8_t k[TT_KEY_BYTES];
                randombytes_buf(k, sizeof k);
                int rc = tt_vault_master_from_bytes(k, &other);
                sodium_memzero(k, sizeof k);
                if (rc != 0) {
                    fprintf(stderr, CMD ": cannot create the new key\n");
                    goto out;
                }
            }
            if (save_key(other, new_path) != 0)
                goto out;
        }
        char value[2 * TT_ID_MAX + 2];
        snprintf(value, sizeof value, "%s %s", cur->id, other->id);
        if (setting_put(conn, SETTING_TENANT, "") != 0 ||
            setting_put(conn, SETTING_SUBJECT, "") != 0 || setting_put(conn, SETTING, value) != 0)
            goto out;
        r.old = cur;
        r.new = other;
    } else if (strcmp(cur->id, rot_old) == 0) {
        /* resuming: the new key waits in PATH.new */
        if (!file_exists(new_path)) {
            fprintf(stderr, CMD ": a rotation to %s is in progress but %s is missing\n", rot_new,
                    new_path);
            goto out;
        }
        if (load_key(new_path, &other) != 0)
            goto out;
        if (strcmp(other->id, rot_new) != 0 || (given && strcmp(given->id, rot_new) != 0)) {
            fprintf(stderr, CMD ": a rotation to %s is in progress; the new key given is %s\n",
                    rot_new, given ? given->id : other->id);
            goto out;
        }
        r.old = cur;
        r.new = other;
    } else if (strcmp(cur->id, rot_new) == 0) {
        /* the new key was installed but the run stopped before finishing */
        installed = 1;
        if (given && strcmp(given->id, rot_new) != 0) {
            fprintf(stderr, CMD ": a rotation to %s is being finished; the new key given is %s\n",
                    rot_new, given->id);
            goto out;
        }
        if (file_exists(old_path)) {
            if (load_key(old_path, &other) != 0)
                goto out;
            if (strcmp(other->id, rot_old) != 0) {
                fprintf(stderr, CMD ": %s holds %s, not the old key %s\n", old_path, other->id,
                        rot_old);
                goto out;
            }
        }
        r.old = other;
        r.new = cur;
    } else {
        fprintf(stderr, CMD ": a rotation from %s to %s is in progress but %s holds %s\n", rot_old,
                rot_new, o->key_path, cur->id);
        goto out;
    }
    snprintf(r.old_id, sizeof r.old_id, "%s", r.old ? r.old->id : rot_old);

    int rc = rewrap_all(&r);
    if (rc >= 0)
        progress(&r, 1);
    if (rc == 1) {
        fprintf(stderr,
                CMD ": stopped after %ld batches (--max-batches); %lld keys re-wrapped so far; "
                    "run again to resume\n",
                r.batches, (long long)r.rewrapped);
        goto out;
    }
    if (rc != 0)
        goto out;

    /* install: every live key is under the new key now. PATH.old gets the old key before
     * PATH is replaced, so at every instant each key in use is in a file on disk. */
    if (!installed) {
        if (file_exists(old_path) && unlink(old_path) != 0) {
            fprintf(stderr, CMD ": cannot remove the stale %s\n", old_path);
            goto out;
        }
        if (save_key(r.old, old_path) != 0)
            goto out;
        if (rename(new_path, o->key_path) != 0 || sync_dir_of(o->key_path) != 0) {
            fprintf(stderr, CMD ": cannot install the new key at %s: %s\n", o->key_path,
                    strerror(errno));
            goto out;
        }
    }
    if (setting_put(conn, SETTING, "") != 0 || setting_put(conn, SETTING_TENANT, "") != 0 ||
        setting_put(conn, SETTING_SUBJECT, "") != 0)
        goto out;
    if (file_exists(old_path) && (unlink(old_path) != 0 || sync_dir_of(old_path) != 0)) {
        fprintf(stderr, CMD ": the rotation is complete but %s could not be removed\n", old_path);
        goto out;
    }
    printf("rotated %lld keys from %s to %s\n", (long long)r.rewrapped, r.old_id, r.new->id);
    ex = TT_EXIT_OK;
out:
    tt_vault_master_free(cur);
    tt_vault_master_free(other);
    tt_vault_master_free(given);
    tt_store_release(conn);
    tt_store_close(store);
    close(lock);
    return ex;
}

int tt__keys_rotate(int argc, char **argv)
{
    struct opts o = {.batch = BATCH_DEFAULT};
    struct tt_config cfg; /* --db and --master-key, as every command takes them */
    int rc = tt_config_load(&cfg, &argc, argv);
    if (rc != 0)
        return rc;
    o.db = cfg.db;
    o.key_path = cfg.master_key;
    rc = parse_args(argc, argv, &o);
    if (rc == -1)
        return TT_EXIT_OK; /* --help */
    if (rc != 0)
        return usage(stderr);
    return run(&o);
}
