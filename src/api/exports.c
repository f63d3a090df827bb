/* SPDX-License-Identifier: Apache-2.0 */
/* exports.c — access and portability (S8.0, S8.1; docs/export.md): one ZIP (libarchive) of
 * everything about a subject — export.json (machine-readable, format tutela-export/1) and
 * records.csv — built when the request is verified, stored sealed under the subject's REQUEST
 * key, and downloadable once through a link that expires (GET /v1/exports/{token}). */
#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/export.h"
#include "audit.h"
#include "common.h"
#include "handlers_requests.h"
#include "recipients_int.h"
#include "requests_int.h"

struct buf {
    char *p;
    size_t n, cap;
    int failed;
};

static int buf_put(struct buf *b, const void *src, size_t len)
{
    if (b->failed)
        return -1;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

static void buf_wipe(struct buf *b)
{
    if (b->p)
        sodium_memzero(b->p, b->cap);
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* one CSV cell then sep */
static void csv(struct buf *b, const char *s, size_t len, char sep)
{
    size_t need = 2 * len + 4;
    char stackbuf[512];
    char *cell = need <= sizeof stackbuf ? stackbuf : malloc(need);
    if (!cell) {
        b->failed = 1;
        return;
    }
    long n = tt_export_csv_cell(s, len, cell, need);
    if (n < 0)
        b->failed = 1;
    else
        buf_put(b, cell, (size_t)n);
    buf_put(b, &sep, 1);
    sodium_memzero(cell, n > 0 ? (size_t)n : 0);
    if (cell != stackbuf)
        free(cell);
}

/* one JSON string value into b, escaped (core/export.h) */
static void jstr(struct buf *b, const char *s, size_t len)
{
    size_t need = 6 * len + 3;
    char stackbuf[512];
    char *out = need <= sizeof stackbuf ? stackbuf : malloc(need);
    long n = out ? tt_export_json_string(s, len, out, need) : -1;
    if (n < 0)
        b->failed = 1;
    else
        buf_put(b, out, (size_t)n);
    if (n > 0)
        sodium_memzero(out, (size_t)n);
    if (out != stackbuf)
        free(out);
}

/* "name": then a string value; first says whether a comma goes before */
static void jfield(struct buf *b, const char *name, const char *value, int first)
{
    buf_put(b, first ? "\"" : ",\"", first ? 1 : 2);
    buf_put(b, name, strlen(name));
    buf_put(b, "\":", 2);
    jstr(b, value, strlen(value));
}

static void jtime(struct buf *b, const char *name, tt_time t)
{
    char v[24];
    size_t n = tt_export_json_time(t, v);
    buf_put(b, ",\"", 2);
    buf_put(b, name, strlen(name));
    buf_put(b, "\":", 2);
    buf_put(b, v, n);
}

struct gather {
    struct tt_app *app;
    const struct tt_subject *s;
    uint8_t key[32];
    struct buf records; /* the records as JSON array items, written as they are read */
    json_t *identities, *consents, *requests;
    json_t *rectifications; /* S1.5: former values, who and when */
    json_t *disclosures;    /* shared with whom and why, gagged ones left out (issue 7, S4.8) */
    struct buf csv;
    char last[TT_ID_MAX];
    int page_n, failed;
};

static int rec_cb(void *cls, const struct tt_record *r)
{
    struct gather *g = cls;
    tt__api_copy(g->last, sizeof g->last, r->id);
    g->page_n++;
    if (r->value_enc_len < TT_SEAL_OVERHEAD) {
        g->failed = 1;
        return 1;
    }
    size_t n = r->value_enc_len - TT_SEAL_OVERHEAD;
    char *plain = malloc(n + 1);
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(r->tenant_id, r->subject_id, r->id, ad);
    if (!plain || tt_vault_open(g->key, r->value_enc, r->value_enc_len, ad, (uint8_t *)plain) < 0) {
        free(plain);
        g->failed = 1;
        return 1;
    }
    plain[n] = '\0';
    /* the fields of tt__api_record_json, then the value: no JSON tree for 100,000 records */
    struct buf *b = &g->records;
    buf_put(b, b->n ? ",{" : "{", b->n ? 2 : 1);
    jfield(b, "id", r->id, 1);
    jfield(b, "subject", r->subject_id, 0);
    jfield(b, "service", r->service, 0);
    jfield(b, "data_category", r->data_category, 0);
    jfield(b, "purpose", r->purpose, 0);
    jfield(b, "legal_basis", tt_basis_name(r->legal_basis), 0);
    jfield(b, "source", r->source, 0);
    jtime(b, "collected_at", r->collected_at);
    jtime(b, "retention_until", r->retention_until);
    jtime(b, "created_at", r->created_at);
    buf_put(b, ",\"value\":", 9);
    jstr(b, plain, n);
    buf_put(b, "}", 1);
    if (b->failed)
        g->failed = 1;
    const char *cols[] = {
        r->id, r->service, r->data_category, r->purpose, tt_basis_name(r->legal_basis), r->source};
    for (size_t i = 0; i < 6; i++)
        csv(&g->csv, cols[i], strlen(cols[i]), ',');
    /* the times as in export.json without their quotes; an unset end is an empty cell */
    char t1[24], t2[24];
    size_t n1 = tt_export_json_time(r->collected_at, t1);
    size_t n2 = r->retention_until ? tt_export_json_time(r->retention_until, t2) : 0;
    csv(&g->csv, n1 > 2 ? t1 + 1 : "", n1 > 2 ? n1 - 2 : 0, ',');
    csv(&g->csv, n2 > 2 ? t2 + 1 : "", n2 > 2 ? n2 - 2 : 0, ',');
    csv(&g->csv, plain, n, '\n');
    sodium_memzero(plain, n);
    free(plain);
    return g->failed || g->csv.failed;
}

static int ident_cb(void *cls, const struct tt_identity *i)
{
    struct gather *g = cls;
    json_t *o = tt__api_identity_json(i);
    if (i->value_enc && i->value_enc_len >= TT_SEAL_OVERHEAD) {
        size_t n = i->value_enc_len - TT_SEAL_OVERHEAD;
        char plain[TT_IDENT_MAX + 1];
        char ad[TT_VALUE_AD_MAX];
        tt__api_value_ad(i->tenant_id, i->subject_id, i->id, ad);
        if (n <= TT_IDENT_MAX &&
            tt_vault_open(g->key, i->value_enc, i->value_enc_len, ad, (uint8_t *)plain) == 0 && o)
            json_object_set_new(o, "value", json_stringn(plain, n));
        sodium_memzero(plain, sizeof plain);
    }
    if (!o || json_array_append_new(g->identities, o) < 0)
        g->failed = 1;
    return g->failed;
}

static int ps_cb(void *cls, const struct tt_purpose_state *ps)
{
    struct gather *g = cls;
    static const char *const consent[] = {"none", "given", "withdrawn"};
    json_t *o = json_pack("{s:s, s:s, s:b, s:o}", "purpose", ps->purpose, "consent",
                          consent[ps->consent <= 2 ? ps->consent : 0], "objection", ps->objection,
                          "updated_at", tt__api_time(ps->updated_at));
    if (!o || json_array_append_new(g->consents, o) < 0)
        g->failed = 1;
    return g->failed;
}

static int rq_cb(void *cls, const struct tt_request *r)
{
    struct gather *g = cls;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", r->id, "type", tt_rq_type_name(r->type),
                  "state", tt_rq_state_name(r->state), "received_at", tt__api_time(r->received_at),
                  "due_at", tt__api_time(r->due_at), "completed_at", tt__api_time(r->completed_at));
    if (!o || json_array_append_new(g->requests, o) < 0)
        g->failed = 1;
    return g->failed;
}

static la_ssize_t zip_write(struct archive *a, void *cls, const void *p, size_t n)
{
    (void)a;
    return buf_put(cls, p, n) < 0 ? -1 : (la_ssize_t)n;
}

/* one part of an archive entry */
struct piece {
    const char *p;
    size_t n;
};

/* Adds the entry name made of n parts, written in turn (no copy of the whole). */
static int zip_add(struct archive *a, const char *name, const struct piece *parts, size_t n,
                   tt_time at)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return -1;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += parts[i].n;
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, (time_t)at, 0);
    int rc = archive_write_header(a, e);
    for (size_t i = 0; rc == ARCHIVE_OK && i < n; i++)
        if (parts[i].n && archive_write_data(a, parts[i].p, parts[i].n) != (la_ssize_t)parts[i].n)
            rc = ARCHIVE_FATAL;
    archive_entry_free(e);
    return rc == ARCHIVE_OK ? 0 : -1;
}

/* Builds the ZIP of g into out. 0 or -1. */
static int build_zip(struct gather *g, tt_time now, struct buf *out)
{
    json_t *doc =
        json_pack("{s:s, s:o, s:o, s:O, s:O, s:O}", "format", TT_EXPORT_FORMAT, "generated_at",
                  tt__api_time(now), "subject", tt__api_subject_json(g->s), "identities",
                  g->identities, "consents", g->consents, "requests", g->requests);
    if (doc && (json_object_set(doc, "rectifications", g->rectifications) < 0 ||
                json_object_set(doc, "disclosures", g->disclosures) < 0)) {
        json_decref(doc);
        doc = NULL;
    }
    char *head = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    size_t head_n = head ? strlen(head) : 0;
    if (head_n <= 1) {
        free(head);
        return -1;
    }
    static const char header[] = "id,service,data_category,purpose,legal_basis,source,"
                                 "collected_at,retention_until,value\n";
    /* export.json: the object above with "records" (already JSON text) as its last member */
    const struct piece json_parts[] = {{head, head_n - 1},
                                       {",\"records\":[", 12},
                                       {g->records.p ? g->records.p : "", g->records.n},
                                       {"]}", 2}};
    const struct piece csv_parts[] = {{header, sizeof header - 1},
                                      {g->csv.p ? g->csv.p : "", g->csv.n}};
    /* the archive is about the size of its parts: reserved at once, not doubled into */
    size_t want = head_n + g->records.n + g->csv.n + 4096;
    if (!out->p && (out->p = malloc(want)) != NULL)
        out->cap = want;
    struct archive *a = archive_write_new();
    int rc = a && archive_write_set_format_zip(a) == ARCHIVE_OK &&
                     archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
                     /* deflate's fastest level: a third of the CPU of its default for an
                      * archive a few percent larger (bench_requests: 100,000 records) */
                     archive_write_set_options(a, "zip:compression-level=1") == ARCHIVE_OK &&
                     archive_write_open2(a, out, NULL, zip_write, NULL, NULL) == ARCHIVE_OK
                 ? 0
                 : -1;
    if (rc == 0)
        rc = zip_add(a, "export.json", json_parts, 4, now);
    if (rc == 0)
        rc = zip_add(a, "records.csv", csv_parts, 2, now);
    if (a && archive_write_close(a) != ARCHIVE_OK)
        rc = -1;
    archive_write_free(a);
    sodium_memzero(head, head_n);
    free(head);
    return rc == 0 && !out->failed ? 0 : -1;
}

struct export_txn {
    struct tt_app *app;
    struct tt_request *r;
    struct buf *zip;
    struct tt_export x;
    const char *actor;
    tt_time now;
    int conflict;
};

static enum tt_qs export_txn(struct tt_store_conn *c, void *cls)
{
    struct export_txn *t = cls;
    uint8_t key[32];
    enum tt_qs qs = tt__rq_class_key(t->app, c, t->r->tenant_id, t->r->subject_id,
                                     TT_KEYCLASS_REQUEST, t->now, key);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    size_t n = t->zip->n;
    uint8_t *sealed = malloc(n + TT_SEAL_OVERHEAD);
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(t->r->tenant_id, t->r->subject_id, t->x.token_hash, ad);
    int rc = sealed ? tt_vault_seal(key, (const uint8_t *)t->zip->p, n, ad, sealed) : -1;
    sodium_memzero(key, sizeof key);
    if (rc < 0) {
        free(sealed);
        return TT_QS_HARD;
    }
    t->x.archive_enc = sealed;
    t->x.archive_enc_len = n + TT_SEAL_OVERHEAD;
    qs = tt_store_ops_of(c)->requests->export_put(c, &t->x);
    free(sealed);
    t->x.archive_enc = NULL;
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    snprintf(t->r->outcome, sizeof t->r->outcome,
             "{\"export\":\"zip\",\"format\":\"%s\",\"download_once\":true}", TT_EXPORT_FORMAT);
    qs = tt__rq_transition(c, t->r, TT_RQE_COMPLETE, t->actor, NULL, t->now);
    if (qs == TT_QS_NONE) {
        t->conflict = 1;
        return TT_QS_HARD;
    }
    return qs;
}

int tt__rq_export(struct tt_app *app, struct tt_store_conn *c, struct tt_request *r,
                  const char *actor, tt_time now, char *token, size_t token_size,
                  struct tt_resp *resp)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_subject s;
    int rc = tt__api_subject_load(c, r->tenant_id, r->subject_id, "subject", &s, resp);
    struct gather g = {.app = app, .s = &s};
    if (rc == 0)
        rc = tt__api_subject_key(app, c, &s, g.key, resp);
    if (rc < 0)
        return rc;
    g.identities = json_array();
    g.consents = json_array();
    g.requests = json_array();
    enum tt_qs qs = g.identities && g.consents && g.requests ? TT_QS_ONE : TT_QS_HARD;
    struct tt_page page = {.after_id = "", .limit = TT_PAGE_MAX};
    while (qs >= 0 && !g.failed) {
        g.page_n = 0;
        qs = ops->record_list(c, s.tenant_id, s.id, &page, rec_cb, &g);
        if (qs < 0 || g.page_n < page.limit)
            break;
        tt__api_copy(page.after_id, sizeof page.after_id, g.last);
    }
    if (qs >= 0 && !g.failed)
        qs = ops->identity_list(c, s.tenant_id, s.id, ident_cb, &g);
    if (qs >= 0 && !g.failed)
        qs = ops->purpose_state_list(c, s.tenant_id, s.id, ps_cb, &g);
    if (qs >= 0 && !g.failed)
        qs = ops->requests->list_subject(c, s.tenant_id, s.id, rq_cb, &g);
    if (qs >= 0 && !g.failed && tt__rct_history(c, &s, g.key, &g.rectifications) < 0)
        g.failed = 1;
    if (qs >= 0 && !g.failed)
        g.disclosures = tt__dis_subject_list(c, s.tenant_id, s.id, 0, &qs);
    sodium_memzero(g.key, sizeof g.key);
    struct buf zip = {0};
    if (qs < 0)
        rc = tt__api_store_err(resp, qs);
    else if (g.failed || g.csv.failed || build_zip(&g, now, &zip) < 0)
        rc = tt_problem(resp, TT_E_INTERNAL, "", "the export could not be built");
    buf_wipe(&g.records);
    json_decref(g.identities);
    json_decref(g.consents);
    json_decref(g.requests);
    json_decref(g.rectifications);
    json_decref(g.disclosures);
    buf_wipe(&g.csv);
    if (rc == 0) {
        struct export_txn t = {.app = app, .r = r, .zip = &zip, .actor = actor, .now = now};
        tt_random_token(32, token, token_size);
        tt_vault_hash_secret(token, t.x.token_hash);
        tt__api_copy(t.x.tenant_id, sizeof t.x.tenant_id, r->tenant_id);
        tt__api_copy(t.x.request_id, sizeof t.x.request_id, r->id);
        tt__api_copy(t.x.subject_id, sizeof t.x.subject_id, r->subject_id);
        t.x.created_at = now;
        t.x.expires_at = now + TT_EXPORT_TTL_S;
        qs = tt_store_txn(c, export_txn, &t);
        if (t.conflict)
            rc = tt_problem(resp, TT_E_INVALID_STATE, "state", "the request changed meanwhile");
        else if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    buf_wipe(&zip);
    return rc;
}

/* ---- download ---- */

struct dl {
    struct tt_app *app;
    const char *tenant_id;
    char hash[TT_HASH_HEX];
    const char *actor;
    tt_time now;
    struct tt_export x;
    uint8_t *sealed;
    size_t sealed_len;
    int missing, used;
};

static int dl_cb(void *cls, const struct tt_export *x)
{
    struct dl *d = cls;
    d->x = *x;
    d->x.archive_enc = NULL;
    free(d->sealed);
    d->sealed = NULL;
    d->sealed_len = 0;
    if (x->archive_enc && x->archive_enc_len) {
        d->sealed = malloc(x->archive_enc_len);
        if (!d->sealed)
            return -1;
        memcpy(d->sealed, x->archive_enc, x->archive_enc_len);
        d->sealed_len = x->archive_enc_len;
    }
    return 0;
}

static enum tt_qs dl_txn(struct tt_store_conn *c, void *cls)
{
    struct dl *d = cls;
    const struct tt_requests_store_ops *ops = tt_store_ops_of(c)->requests;
    d->missing = d->used = 0;
    enum tt_qs qs = ops->export_get(c, d->tenant_id, d->hash, dl_cb, d);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE) {
        d->missing = 1;
        return TT_QS_ONE;
    }
    if (d->x.used_at || d->now > d->x.expires_at || !d->sealed) {
        d->used = 1;
        return TT_QS_ONE;
    }
    qs = ops->export_use(c, d->tenant_id, d->hash, d->now);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *detail = json_pack("{s:s}", "request", d->x.request_id);
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, d->tenant_id, d->now, d->actor, "export.download", d->x.subject_id,
                       detail);
    json_decref(detail);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_export_download(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    const char *token = tt_req_param(req, "token");
    if (!token || strlen(token) < 16 || strlen(token) > 128)
        return tt_problem(resp, TT_E_NOT_FOUND, "token", "no such export link");
    struct dl d = {.app = req->app, .tenant_id = req->auth.tenant_id, .actor = req->auth.key_id};
    d.now = tt_now(&req->app->clock);
    tt_vault_hash_secret(token, d.hash);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, dl_txn, &d);
    int rc = 0;
    if (qs < 0)
        rc = tt__api_store_err(resp, qs);
    else if (d.missing)
        rc = tt_problem(resp, TT_E_NOT_FOUND, "token", "no such export link");
    else if (d.used)
        rc = tt_problem(resp, TT_E_LINK_USED, "token", "the link was already used or expired");
    uint8_t key[32];
    int have_key = 0;
    if (rc == 0) {
        /* the link is spent whatever happens next: a second try is refused (download once) */
        qs = tt__rq_class_key(req->app, c, d.tenant_id, d.x.subject_id, TT_KEYCLASS_REQUEST, d.now,
                              key);
        have_key = qs == TT_QS_ONE;
        if (!have_key)
            rc = tt_problem(resp, TT_E_GONE, "token", "the export can no longer be opened");
    }
    tt_store_release(c);
    if (rc == 0 && d.sealed_len >= TT_SEAL_OVERHEAD) {
        size_t n = d.sealed_len - TT_SEAL_OVERHEAD;
        char ad[TT_VALUE_AD_MAX];
        tt__api_value_ad(d.tenant_id, d.x.subject_id, d.hash, ad);
        resp->raw = malloc(n ? n : 1);
        if (!resp->raw ||
            tt_vault_open(key, d.sealed, d.sealed_len, ad, (uint8_t *)resp->raw) < 0) {
            free(resp->raw);
            resp->raw = NULL;
            rc = tt_problem(resp, TT_E_CRYPTO, "", "the export could not be opened");
        } else {
            resp->raw_len = n;
            resp->content_type = "application/zip";
            resp->status = 200;
        }
    } else if (rc == 0) {
        rc = tt_problem(resp, TT_E_CRYPTO, "", "the export is damaged");
    }
    if (have_key)
        sodium_memzero(key, sizeof key);
    free(d.sealed);
    return rc;
}
