/* SPDX-License-Identifier: Apache-2.0 */
/* beacon.c — email web beacons (issue 4; S9.6: beacons work with cookies, so with consent):
 * GET /v1/b/{token}.gif always answers the same 1x1 transparent GIF, never cached, whatever the
 * token; the open is recorded only when the token is genuine and unexpired and the subject has
 * consented to email tracking. Nothing in the answer tells which case happened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "audit.h"
#include "common.h"
#include "consent_int.h"
#include "handlers.h"

#define TRACKING_PURPOSE "analytics.email_tracking"

static const unsigned char pixel[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

struct tracking {
    int given;
};

static int tracking_cb(void *cls, const struct tt_purpose_state *ps)
{
    struct tracking *t = cls;
    if (strcmp(ps->purpose, TRACKING_PURPOSE) != 0)
        return 0;
    t->given = ps->consent == TT_CONSENT_GIVEN;
    return 1;
}

struct open_ctx {
    const struct tt_consent_token *t;
    tt_time now;
    struct tracking tr;
    int recorded;
};

static enum tt_qs open_txn(struct tt_store_conn *c, void *cls)
{
    struct open_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_subject s;
    x->tr.given = 0;
    x->recorded = 0;
    enum tt_qs qs = ops->subject_get(c, x->t->tenant_id, x->t->subject_id, &s);
    if (qs <= 0 || s.erased_at || s.restricted)
        return qs < 0 ? qs : TT_QS_NONE;
    qs = ops->purpose_state_list(c, s.tenant_id, s.id, tracking_cb, &x->tr);
    if (qs < 0 || !x->tr.given) /* S9.6: no consent to email tracking, no record */
        return qs < 0 ? qs : TT_QS_NONE;
    char id[TT_ID_MAX];
    tt_id_new("opn_", id);
    qs = ops->consent->open_put(c, s.tenant_id, id, s.id, x->t->scope, x->now);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *d = json_pack("{s:s, s:s}", "open", id, "campaign", x->t->scope);
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, s.tenant_id, x->now, "link", "consent.beacon_open", s.id, d);
    json_decref(d);
    if (qs < 0)
        return qs;
    x->recorded = 1;
    return TT_QS_ONE;
}

int tt_api_beacon(struct tt_req *req, struct tt_resp *resp)
{
    const char *param = tt_req_param(req, "token");
    char token[TT_TOKEN_MAX];
    size_t n = param ? strnlen(param, TT_TOKEN_MAX) : 0;
    struct tt_consent_token t;
    if (n > 4 && n < TT_TOKEN_MAX && strcmp(param + n - 4, ".gif") == 0) {
        memcpy(token, param, n - 4);
        token[n - 4] = '\0';
        tt_time now = tt_now(&req->app->clock);
        if (tt_consent_token_verify(req->app->master->token_key, token, TT_TOKEN_BEACON, now, &t) ==
            0) {
            struct open_ctx x = {&t, now, {0}, 0};
            struct tt_store_conn *c = tt_store_acquire(req->app->store);
            /* a failure to record is not the reader's problem: the pixel is served anyway */
            (void)tt_store_txn(c, open_txn, &x);
            tt_store_release(c);
        }
    }
    char *body = malloc(sizeof pixel);
    if (!body)
        return tt__api_nomem(resp);
    memcpy(body, pixel, sizeof pixel);
    snprintf(resp->cache_control, sizeof resp->cache_control, "no-store, max-age=0");
    return tt_resp_raw(resp, 200, body, sizeof pixel, "image/gif");
}
