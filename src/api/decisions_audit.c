/* SPDX-License-Identifier: Apache-2.0 */
/* decisions_audit.c — the audit event of a request with denied decisions (decisions_int.h).
 * By default (audit_denials = os) it is written to the denials' journal when the node has one
 * (audit_journal.h: in the OS once written, chained into the trail by the group commit just
 * after) and the answer goes at once; otherwise it goes through the audit group commit while the
 * answer waits, parked, for its COMMIT: one written to the OS, on disk within the store's flush
 * bound (audit_commit.h os_durable); with audit_denials = sync, one on disk. The detail is written
 * as its stored text on the worker thread (no jansson tree on the hot path; jansson only for a
 * purpose or policy version that needs escaping). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "app.h"
#include "audit_commit.h"
#include "audit_journal.h"
#include "common.h"
#include "decisions_int.h"

/* The detail's stored text (compact, keys sorted: what audit.c makes of detail_of's object)
 * fits here unless a purpose or policy version is long; then the jansson object is used. */
#define TEXT_MAX 1024

/* The pending event of one parked request, with its detail text. */
struct parked {
    struct tt_audit_pending ev;
    struct tt_req *req;
    char text[TEXT_MAX];
};

static void durable(struct tt_audit_pending *ev, int rc)
{
    struct parked *pk = (struct parked *)ev; /* ev is the first member */
    tt_req_resume(pk->req, rc, "the audit trail could not be written");
    free(pk);
}

/* Counts the denied decisions (*denied) and each reason among them (per). */
static void count(const struct tt_decision *d, size_t n, size_t per[TT_REASON__COUNT],
                  size_t *denied)
{
    *denied = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i].allow)
            continue;
        ++*denied;
        for (int k = 0; k < TT_REASON__COUNT; k++)
            per[k] += (d[i].reasons >> k) & 1u;
    }
}

static json_t *detail_of(const size_t per[TT_REASON__COUNT], size_t n, size_t denied, int batch,
                         const char *purpose, const char *policy_version)
{
    json_t *reasons = json_object();
    for (int k = 0; reasons && k < TT_REASON__COUNT; k++)
        if (per[k])
            json_object_set_new(reasons, tt_reason_name((enum tt_reason)k),
                                json_integer((json_int_t)per[k]));
    json_t *detail = reasons ? json_pack("{s:I, s:I, s:o, s:s}", "items", (json_int_t)n, "denied",
                                         (json_int_t)denied, "reasons", reasons, "policy_version",
                                         policy_version)
                             : NULL;
    if (detail && !batch && json_object_set_new(detail, "purpose", json_string(purpose)) < 0) {
        json_decref(detail);
        detail = NULL;
    }
    return detail;
}

/* A bounded text being written: len counts what would have been written, so len >= cap
 * tells it did not fit. */
struct text {
    char *p;
    size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->len + n < t->cap)
        memcpy(t->p + t->len, s, n);
    t->len += n;
}

#define put_lit(t, s) put(t, s, sizeof s - 1)

static void put_num(struct text *t, size_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%zu", v);
    put(t, b, (size_t)n);
}

/* A JSON string of printable ASCII without quote or backslash: the same bytes in every
 * serialiser. 0, or -1 for anything else (the caller falls back to jansson). */
static int put_plain(struct text *t, const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || s[n] == '"' || s[n] == '\\')
            return -1;
    put(t, "\"", 1);
    put(t, s, n);
    put(t, "\"", 1);
    return 0;
}

int tt__decisions_detail_text(const size_t per[TT_REASON__COUNT], size_t n, size_t denied,
                              int batch, const char *purpose, const char *policy_version, char *buf,
                              size_t cap)
{
    struct text t = {buf, 0, cap};
    /* keys in byte order, as JSON_SORT_KEYS: denied, items, policy_version, purpose, reasons */
    put_lit(&t, "{\"denied\":");
    put_num(&t, denied);
    put_lit(&t, ",\"items\":");
    put_num(&t, n);
    put_lit(&t, ",\"policy_version\":");
    if (put_plain(&t, policy_version) != 0)
        return -1;
    if (!batch) {
        put_lit(&t, ",\"purpose\":");
        if (put_plain(&t, purpose) != 0)
            return -1;
    }
    put_lit(&t, ",\"reasons\":{");
    /* the reasons present, their names sorted (insertion sort: a handful at most) */
    const char *names[TT_REASON__COUNT];
    size_t counts[TT_REASON__COUNT], m = 0;
    for (int k = 0; k < TT_REASON__COUNT; k++) {
        if (!per[k])
            continue;
        const char *name = tt_reason_name((enum tt_reason)k);
        size_t j = m++;
        for (; j > 0 && strcmp(names[j - 1], name) > 0; j--) {
            names[j] = names[j - 1];
            counts[j] = counts[j - 1];
        }
        names[j] = name;
        counts[j] = per[k];
    }
    for (size_t j = 0; j < m; j++) {
        if (j)
            put_lit(&t, ",");
        if (put_plain(&t, names[j]) != 0)
            return -1;
        put_lit(&t, ":");
        put_num(&t, counts[j]);
    }
    put_lit(&t, "}}");
    if (t.len >= cap)
        return -1;
    buf[t.len] = '\0';
    return 0;
}

int tt__decisions_audit(struct tt_req *req, const struct tt_decision *d, size_t n, int batch,
                        const char *subject_id, const char *purpose, const char *policy_version,
                        tt_time now, struct tt_resp *resp)
{
    size_t per[TT_REASON__COUNT] = {0}, denied;
    count(d, n, per, &denied);
    if (!denied)
        return 0;
    /* built on the stack: the journal takes a copy; only a parked request needs it on the heap */
    struct parked local, *pk;
    /* the text at once; the jansson object only for what the text leaves out */
    int text = tt__decisions_detail_text(per, n, denied, batch, purpose, policy_version, local.text,
                                         sizeof local.text) == 0;
    json_t *detail = text ? NULL : detail_of(per, n, denied, batch, purpose, policy_version);
    if (!text && !detail)
        return tt__api_nomem(resp);
    tt_audit_pending_set(&local.ev, req->auth.tenant_id, now, req->auth.key_id,
                         batch ? "decision.batch.denied" : "decision.denied",
                         subject_id ? subject_id : "", detail);
    json_decref(detail);
    if (text)
        local.ev.detail_text = local.text;
    local.ev.cls = NULL;
    local.ev.qs = 0;
    /* written to the journal (there is one only with audit_denials = os), the event is in the
     * OS: answered at once (audit_journal.h) */
    if (req->app->audit_journal &&
        tt_audit_journal_append(req->app->audit_journal, &local.ev) == 0) {
        json_decref(local.ev.detail);
        return 0;
    }
    if (!(pk = malloc(sizeof *pk))) {
        json_decref(local.ev.detail);
        return tt__api_nomem(resp);
    }
    *pk = local;
    if (text)
        pk->ev.detail_text = pk->text;
    pk->req = req;
    pk->ev.done = durable;
    pk->ev.os_durable = !req->app->audit_denials_sync; /* config audit_denials (docs/audit.md) */
    struct tt_store *store = req->app->store;
    if (tt_req_defer(req) == 0 && tt_audit_submit(store, &pk->ev) == 0)
        return TT_HTTP_DEFERRED;                   /* resp is the commit's now */
    int rc = tt_audit_submit_wait(store, &pk->ev); /* no server to park the request in */
    free(pk);
    if (rc < 0)
        return tt_problem(resp, rc, "", "the audit trail could not be written");
    return 0;
}
