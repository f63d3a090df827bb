/* SPDX-License-Identifier: Apache-2.0 */
/* test_audit_tamper.c — S6.3 against a real SQLite store file: events appended through
 * tt_audit_emit_now, then the database file tampered with through the sqlite3 C API (a row
 * edited, deleted, forged, reordered); verification must name the first broken link. Also the
 * signed export over the same store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "api/audit.h"
#include "core/error.h"
#include "core/ledger.h"
#include "../support/tt_tmp.h"

#define N_A 20 /* events in ten_a's chain */
#define N_B 5  /* events in ten_b's chain, never tampered with */
#define AT0 1800000000

static char dir[64];
static char path[128];
static int case_no;

static struct tt_store *open_store(void)
{
    char url[160], err[256] = "";
    struct tt_store *s = NULL;
    snprintf(url, sizeof url, "sqlite:%s", path);
    assert_int_equal(tt_store_open(url, 1, 1, &s, err, sizeof err), 0);
    return s;
}

/* A fresh store file with both chains. */
static void populate(void)
{
    snprintf(path, sizeof path, "%s/case%d.db", dir, ++case_no);
    struct tt_store *s = open_store();
    for (int i = 1; i <= N_A; i++) {
        json_t *d = json_pack("{s:i, s:s}", "n", i, "field", "email");
        char target[32];
        snprintf(target, sizeof target, "sub_%02d", i);
        assert_int_equal(
            tt_audit_emit_now(s, "ten_a", AT0 + 10 * i, "key_1", "subject.create", target, d), 0);
        json_decref(d);
        if (i <= N_B)
            assert_int_equal(
                tt_audit_emit_now(s, "ten_b", AT0 + i, "system", "policy.reload", "v1", NULL), 0);
    }
    tt_store_close(s);
}

/* Runs SQL on the file directly, as someone with write access to the database would. */
static void tamper(const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("tamper SQL failed: %s", msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
}

struct verdicts {
    struct tt_audit_chain r[4];
    int n;
};

static int collect(void *cls, const struct tt_audit_chain *r)
{
    struct verdicts *v = cls;
    assert_true(v->n < 4);
    v->r[v->n++] = *r;
    return 0;
}

static struct verdicts verify(void)
{
    struct tt_store *s = open_store();
    struct verdicts v;
    memset(&v, 0, sizeof v);
    assert_int_equal(tt_audit_verify(s, NULL, collect, &v), 0);
    tt_store_close(s);
    return v;
}

/* ten_a broken as expected at seq, ten_b intact */
static void expect_break(enum tt_ledger_break kind, int64_t seq)
{
    struct verdicts v = verify();
    assert_int_equal(v.n, 2);
    assert_string_equal(v.r[0].tenant_id, "ten_a");
    assert_string_equal(tt_ledger_break_name(v.r[0].broken), tt_ledger_break_name(kind));
    assert_int_equal(v.r[0].broken_seq, seq);
    assert_string_equal(v.r[1].tenant_id, "ten_b");
    assert_int_equal(v.r[1].broken, TT_LEDGER_OK);
    assert_int_equal(v.r[1].events, N_B);
}

static void intact_store_verifies(void **state)
{
    (void)state;
    populate();
    struct verdicts v = verify();
    assert_int_equal(v.n, 2);
    assert_int_equal(v.r[0].broken, TT_LEDGER_OK);
    assert_int_equal(v.r[0].events, N_A);
    assert_int_equal(v.r[1].broken, TT_LEDGER_OK);
    assert_int_equal(v.r[1].events, N_B);
    /* one tenant only */
    struct tt_store *s = open_store();
    memset(&v, 0, sizeof v);
    assert_int_equal(tt_audit_verify(s, "ten_b", collect, &v), 0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.r[0].events, N_B);
    tt_store_close(s);
}

static void edited_detail_is_found(void **state)
{
    (void)state;
    populate();
    tamper("UPDATE audit_events SET detail = '{\"field\":\"phone\",\"n\":7}'"
           " WHERE tenant_id = 'ten_a' AND seq = 7");
    expect_break(TT_LEDGER_EDITED, 7);
}

static void deleted_row_is_found(void **state)
{
    (void)state;
    populate();
    tamper("DELETE FROM audit_events WHERE tenant_id = 'ten_a' AND seq = 7");
    expect_break(TT_LEDGER_DELETED, 7);
    /* the tail row: the recorded head still names it */
    populate();
    tamper("DELETE FROM audit_events WHERE tenant_id = 'ten_a' AND seq >= 19");
    expect_break(TT_LEDGER_DELETED, 19);
}

/* Inserts a forged event at seq, correctly linked to prev and correctly hashed: the work of
 * someone who knows the encoding but not the master key. */
static void forge(int64_t seq, const uint8_t prev[32])
{
    struct tt_audit_event e, before;
    memset(&e, 0, sizeof e);
    memset(&before, 0, sizeof before);
    snprintf(e.tenant_id, sizeof e.tenant_id, "ten_a");
    snprintf(e.actor, sizeof e.actor, "key_1");
    snprintf(e.action, sizeof e.action, "consent.give");
    snprintf(e.target, sizeof e.target, "sub_99");
    e.detail_json = "{}";
    e.at = AT0 + 75;
    before.seq = seq - 1;
    memcpy(before.hash, prev, 32);
    assert_int_equal(tt_ledger_link(&before, &e), 0);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO audit_events (tenant_id, seq, at, actor,"
                                        " action, target, detail, prev_hash, hash)"
                                        " VALUES ('ten_a', ?, ?, 'key_1', 'consent.give',"
                                        " 'sub_99', '{}', ?, ?)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, e.seq);
    sqlite3_bind_int64(st, 2, e.at);
    sqlite3_bind_blob(st, 3, e.prev_hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, e.hash, 32, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void hash_at(int64_t seq, uint8_t out[32])
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT hash FROM audit_events"
                                        " WHERE tenant_id = 'ten_a' AND seq = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, seq);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), 32);
    memcpy(out, sqlite3_column_blob(st, 0), 32);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void forged_row_is_found(void **state)
{
    (void)state;
    uint8_t h[32];
    /* in the middle: the rows from 8 on renumbered to make room, a forged 8 linked to 7 */
    populate();
    tamper("UPDATE audit_events SET seq = -(seq + 1) WHERE tenant_id = 'ten_a' AND seq >= 8;"
           "UPDATE audit_events SET seq = -seq WHERE tenant_id = 'ten_a' AND seq < 0;"
           "UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = 'ten_a'");
    hash_at(7, h);
    forge(8, h);
    expect_break(TT_LEDGER_INSERTED, 8);
    /* after the tail, perfectly linked: the recorded head shows it */
    populate();
    hash_at(N_A, h);
    forge(N_A + 1, h);
    expect_break(TT_LEDGER_INSERTED, N_A + 1);
}

static void swapped_rows_are_found(void **state)
{
    (void)state;
    populate();
    tamper("UPDATE audit_events SET seq = -1 WHERE tenant_id = 'ten_a' AND seq = 7;"
           "UPDATE audit_events SET seq = 7 WHERE tenant_id = 'ten_a' AND seq = 8;"
           "UPDATE audit_events SET seq = 8 WHERE tenant_id = 'ten_a' AND seq = -1");
    expect_break(TT_LEDGER_REORDERED, 7);
}

static void bad_events_are_refused_and_append_nothing(void **state)
{
    (void)state;
    populate();
    struct tt_store *s = open_store();
    json_t *arr = json_array();
    assert_int_equal(tt_audit_emit_now(s, "ten_a", AT0, "key_1", "x.y", "t", arr), -TT_E_BAD_PARAM);
    json_decref(arr);
    char long_id[TT_ID_MAX + 8];
    memset(long_id, 'k', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_int_equal(tt_audit_emit_now(s, "ten_a", AT0, long_id, "x.y", "t", NULL),
                     -TT_E_BAD_PARAM);
    assert_int_equal(tt_audit_emit_now(s, "", AT0, "key_1", "x.y", "t", NULL), -TT_E_BAD_PARAM);
    assert_int_equal(tt_audit_emit_now(s, "ten_a", AT0, "key_\xff", "x.y", "t", NULL),
                     -TT_E_BAD_PARAM);
    struct verdicts v;
    memset(&v, 0, sizeof v);
    assert_int_equal(tt_audit_verify(s, "ten_a", collect, &v), 0);
    assert_int_equal(v.r[0].broken, TT_LEDGER_OK);
    assert_int_equal(v.r[0].events, N_A);
    tt_store_close(s);
}

/* ---- export ---- */

struct lines {
    json_t *l[64];
    int n;
};

static int keep_line(void *cls, const char *line, size_t len)
{
    struct lines *x = cls;
    assert_int_equal(line[len - 1], '\n');
    assert_null(memchr(line, '\n', len - 1));
    json_error_t err;
    json_t *j = json_loadb(line, len, 0, &err);
    assert_non_null(j);
    assert_true(x->n < 64);
    x->l[x->n++] = j;
    return 0;
}

static void unhex(const char *h, uint8_t *out, size_t len)
{
    size_t n = 0;
    assert_int_equal(sodium_hex2bin(out, len, h, strlen(h), NULL, &n, NULL), 0);
    assert_int_equal(n, len);
}

static void export_of_a_range_checks_on_its_own(void **state)
{
    (void)state;
    populate();
    struct tt_master m;
    memset(&m, 0, sizeof m);
    memset(m.key, 0x5a, sizeof m.key);
    struct tt_ledger_signer signer;
    assert_int_equal(tt_ledger_signer_derive(&m, &signer), 0);
    struct tt_store *s = open_store();
    struct lines x = {0};
    struct tt_audit_export_stats st;
    /* events 5..12 of ten_a (at = AT0 + 10 * seq) */
    assert_int_equal(tt_audit_export(s, "ten_a", AT0 + 50, AT0 + 120, &signer, AT0 + 999, keep_line,
                                     &x, &st, NULL),
                     0);
    assert_int_equal(st.events, 8);
    assert_int_equal(st.chains, 1);
    assert_int_equal(x.n, 9);
    struct tt_ledger_verifier v;
    uint8_t anchor[32];
    unhex(json_string_value(json_object_get(x.l[0], "prev_hash")), anchor, 32);
    uint8_t h4[32];
    hash_at(4, h4);
    assert_memory_equal(anchor, h4, 32);
    tt_ledger_verifier_init_at(&v, "ten_a", 4, anchor);
    for (int i = 0; i < 8; i++) {
        json_t *o = x.l[i];
        struct tt_audit_event e;
        memset(&e, 0, sizeof e);
        snprintf(e.tenant_id, sizeof e.tenant_id, "%s",
                 json_string_value(json_object_get(o, "tenant")));
        e.seq = json_integer_value(json_object_get(o, "seq"));
        e.at = json_integer_value(json_object_get(o, "at"));
        snprintf(e.actor, sizeof e.actor, "%s", json_string_value(json_object_get(o, "actor")));
        snprintf(e.action, sizeof e.action, "%s", json_string_value(json_object_get(o, "action")));
        snprintf(e.target, sizeof e.target, "%s", json_string_value(json_object_get(o, "target")));
        e.detail_json = json_string_value(json_object_get(o, "detail"));
        unhex(json_string_value(json_object_get(o, "prev_hash")), e.prev_hash, 32);
        unhex(json_string_value(json_object_get(o, "hash")), e.hash, 32);
        assert_int_equal(tt_ledger_verifier_feed(&v, &e), TT_LEDGER_OK);
    }
    assert_string_equal(json_string_value(json_object_get(x.l[0], "detail")),
                        "{\"field\":\"email\",\"n\":5}");
    assert_int_equal(v.seq, 12);
    /* the checkpoint names the last line and verifies with the public key alone */
    json_t *cpj = json_object_get(x.l[8], "checkpoint");
    struct tt_ledger_checkpoint cp;
    memset(&cp, 0, sizeof cp);
    snprintf(cp.tenant_id, sizeof cp.tenant_id, "%s",
             json_string_value(json_object_get(cpj, "tenant")));
    cp.seq = json_integer_value(json_object_get(cpj, "seq"));
    cp.at = json_integer_value(json_object_get(cpj, "at"));
    unhex(json_string_value(json_object_get(cpj, "hash")), cp.hash, 32);
    assert_int_equal(cp.seq, 12);
    assert_int_equal(cp.at, AT0 + 999);
    assert_memory_equal(cp.hash, v.hash, 32);
    uint8_t sig[64], pk[32];
    unhex(json_string_value(json_object_get(x.l[8], "signature")), sig, 64);
    unhex(json_string_value(json_object_get(x.l[8], "public_key")), pk, 32);
    assert_memory_equal(pk, signer.pk, 32);
    assert_int_equal(tt_ledger_checkpoint_verify(pk, &cp, sig), 0);
    for (int i = 0; i < x.n; i++)
        json_decref(x.l[i]);

    /* every chain, open range: both chains, each closed by its checkpoint */
    memset(&x, 0, sizeof x);
    assert_int_equal(tt_audit_export(s, NULL, 0, 0, &signer, AT0 + 999, keep_line, &x, &st, NULL),
                     0);
    assert_int_equal(st.events, N_A + N_B);
    assert_int_equal(st.chains, 2);
    assert_int_equal(x.n, N_A + N_B + 2);
    assert_non_null(json_object_get(x.l[N_A], "checkpoint"));
    assert_non_null(json_object_get(x.l[N_A + N_B + 1], "checkpoint"));
    for (int i = 0; i < x.n; i++)
        json_decref(x.l[i]);
    /* an empty range writes nothing */
    memset(&x, 0, sizeof x);
    assert_int_equal(
        tt_audit_export(s, "ten_a", AT0 + 10000, 0, &signer, AT0, keep_line, &x, &st, NULL), 0);
    assert_int_equal(x.n, 0);
    assert_int_equal(st.chains, 0);
    tt_store_close(s);

    /* a broken chain is refused before anything is written */
    tamper("UPDATE audit_events SET actor = 'key_2' WHERE tenant_id = 'ten_a' AND seq = 3");
    s = open_store();
    struct tt_audit_chain broken;
    memset(&x, 0, sizeof x);
    assert_int_equal(
        tt_audit_export(s, NULL, AT0 + 50, 0, &signer, AT0, keep_line, &x, &st, &broken),
        -TT_E_CONFLICT);
    assert_int_equal(x.n, 0);
    assert_string_equal(broken.tenant_id, "ten_a");
    assert_int_equal(broken.broken, TT_LEDGER_EDITED);
    assert_int_equal(broken.broken_seq, 3);
    tt_store_close(s);
    tt_ledger_signer_wipe(&signer);
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    return tt_tmpdir("/tmp/tt_audit_tamper_", dir, sizeof dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tt_tmp_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(intact_store_verifies),
        cmocka_unit_test(edited_detail_is_found),
        cmocka_unit_test(deleted_row_is_found),
        cmocka_unit_test(forged_row_is_found),
        cmocka_unit_test(swapped_rows_are_found),
        cmocka_unit_test(bad_events_are_refused_and_append_nothing),
        cmocka_unit_test(export_of_a_range_checks_on_its_own),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
