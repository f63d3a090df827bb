/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_requests.c — `tutela requests list|show|verify|complete|resume` (issue 5; S8.1b, S8.4):
 * the staff's rights-request queue from a shell. verify and complete run the same handlers as
 * the API (api/requests.c) in-process, as staff of the tenant, so the workflow, its timeline and
 * its audit events are the API's; resume finishes every erasure a crash interrupted. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/app.h"
#include "../api/common.h"
#include "../api/handlers_requests.h"
#include "../api/index_load.h"
#include "../core/error.h"
#include "../jobs/erasure.h"
#include "cli.h"
#include "context.h"

#define ACTOR "cli"

static int usage(FILE *f)
{
    fputs("usage: tutela requests <action> [options] [--db URL --master-key PATH --policy FILE]\n"
          "  list --tenant ID [--status STATE|open] [--due-before DATE] [--limit N] [--json]\n"
          "                            the queue by due date (open requests by default)\n"
          "  show --tenant ID REQ_ID   one request with its timeline (JSON)\n"
          "  verify --tenant ID REQ_ID --reason TEXT\n"
          "                            staff verified the requester by documented other means\n"
          "                            (S8.1b); starts the work (export, erasure, …)\n"
          "  complete --tenant ID REQ_ID --reason TEXT [--partial]\n"
          "                            complete (or partially complete) a request in progress\n"
          "  resume                    finish every erasure a crash interrupted (all tenants)\n"
          "exit codes: 0 done; 1 store failure; 2 usage; 3 refused (no such request, wrong\n"
          "state, …: the reason is printed)\n",
          f);
    return f == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

struct opts {
    const char *tenant, *id, *reason, *status, *due_before;
    long limit;
    int json, partial;
};

static int parse(const char *action, int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = tt_cli_flag(argc, argv, &i, "--tenant")))
            o->tenant = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--reason")))
            o->reason = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--status")))
            o->status = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--due-before")))
            o->due_before = v;
        else if ((v = tt_cli_flag(argc, argv, &i, "--limit"))) {
            char *end = NULL;
            o->limit = strtol(v, &end, 10);
            if (!*v || *end || o->limit < 1 || o->limit > 1000) {
                fprintf(stderr, "tutela requests %s: --limit must be 1..1000\n", action);
                return TT_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--json") == 0)
            o->json = 1;
        else if (strcmp(argv[i], "--partial") == 0)
            o->partial = 1;
        else if (argv[i][0] != '-' && !o->id)
            o->id = argv[i];
        else {
            fprintf(stderr, "tutela requests %s: unexpected argument '%s'\n", action, argv[i]);
            return usage(stderr);
        }
    }
    return TT_EXIT_OK;
}

/* The app the handlers need: this store and key, the policy and an index built from the store
 * (a server beside us learns of our changes through the change feed). */
static int app_open(struct tt_cli_ctx *ctx, struct tt_app *app)
{
    struct tt_index *ix = NULL;
    if (tt_index_load(ctx->store, ctx->policy, &ix) != 0) {
        fprintf(stderr, "tutela requests: could not build the decision index from the store\n");
        return TT_EXIT_FAIL;
    }
    memset(app, 0, sizeof *app);
    app->store = ctx->store;
    app->master = ctx->master;
    app->clock = (struct tt_clock){.now = tt_clock_system_now, .offset = ctx->cfg.clock_offset};
    app->policy_path = ctx->cfg.policy;
    tt_app_init(app, ctx->policy, ix);
    ctx->policy = NULL; /* the app owns it now */
    return TT_EXIT_OK;
}

/* A problem from a handler as one line and an exit code: 5xx is a run-time failure. */
static int report_problem(const char *action, const struct tt_resp *resp)
{
    int status = tt_err_status(resp->err);
    fprintf(stderr, "tutela requests %s: %s%s%s (%s, %d)\n", action, resp->field,
            resp->field[0] ? ": " : "", resp->detail[0] ? resp->detail : tt_err_message(resp->err),
            tt_err_type(resp->err), status);
    return status >= 500 ? TT_EXIT_FAIL : TT_EXIT_INVALID;
}

static void print_json(const json_t *j)
{
    char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (txt)
        puts(txt);
    free(txt);
}

/* Runs handler h on request id as staff (DPO) of tenant, with body (may be NULL). */
static int call(struct tt_app *app, const char *action, tt_handler h, const char *method,
                const struct opts *o, json_t *body)
{
    struct tt_req req;
    struct tt_resp resp;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = method;
    req.path = "/v1/requests/{id}";
    req.param_names[0] = "id";
    req.param_values[0] = o->id;
    req.n_params = 1;
    req.json = body;
    req.app = app;
    req.auth.authenticated = 1;
    req.auth.role = TT_ROLE_DPO;
    snprintf(req.auth.key_id, sizeof req.auth.key_id, "%s", ACTOR);
    snprintf(req.auth.tenant_id, sizeof req.auth.tenant_id, "%s", o->tenant);
    snprintf(req.request_id, sizeof req.request_id, "cli");
    int rc = h(&req, &resp);
    int out;
    if (rc < 0) {
        out = report_problem(action, &resp);
    } else {
        if (o->json || strcmp(action, "show") == 0)
            print_json(resp.json);
        else
            printf("%s %s\n", o->id,
                   json_string_value(json_object_get(resp.json, "state"))
                       ? json_string_value(json_object_get(resp.json, "state"))
                       : "");
        out = TT_EXIT_OK;
    }
    json_decref(resp.json);
    free(resp.raw);
    return out;
}

struct list_ctx {
    json_t *items;
    int json, n;
    tt_time now;
};

static int list_cb(void *cls, const struct tt_request *r)
{
    struct list_ctx *x = cls;
    char due[32], rx[32];
    tt_time_format(r->due_at, due, sizeof due);
    tt_time_format(r->received_at, rx, sizeof rx);
    const char *flag = tt_rq_state_terminal(r->state)   ? ""
                       : r->due_at < x->now             ? "overdue"
                       : r->due_at < x->now + 7 * 86400 ? "due_soon"
                                                        : "";
    x->n++;
    if (x->json)
        return json_array_append_new(
                   x->items,
                   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->id, "type",
                             tt_rq_type_name(r->type), "state", tt_rq_state_name(r->state),
                             "channel", tt_rq_channel_name(r->channel), "subject", r->subject_id,
                             "received_at", rx, "due_at", due, "flag", flag)) < 0;
    printf("%-30s %-18s %-22s %-21s %s\n", r->id, tt_rq_type_name(r->type),
           tt_rq_state_name(r->state), due, flag);
    return 0;
}

static int list(struct tt_cli_ctx *ctx, const struct opts *o)
{
    struct tt_request_filter f = {.state = -1, .limit = o->limit ? (int)o->limit : 100};
    if (o->status && strcmp(o->status, "open") != 0) {
        enum tt_rq_state st;
        if (tt_rq_state_parse(o->status, &st) < 0) {
            fprintf(stderr, "tutela requests list: --status: not a state (received, "
                            "identity_verification, verified, in_progress, extended, completed, "
                            "partially_completed, rejected, open)\n");
            return TT_EXIT_USAGE;
        }
        f.state = (int)st;
    }
    if (o->due_before && (tt_time_parse(o->due_before, &f.due_before) < 0 || f.due_before <= 0)) {
        fprintf(stderr,
                "tutela requests list: --due-before: not a date (RFC 3339 or YYYY-MM-DD)\n");
        return TT_EXIT_USAGE;
    }
    struct tt_clock clk = {.now = tt_clock_system_now, .offset = ctx->cfg.clock_offset};
    struct list_ctx x = {.json = o->json, .now = tt_now(&clk)};
    if (o->json && !(x.items = json_array()))
        return TT_EXIT_FAIL;
    if (!o->json)
        printf("%-30s %-18s %-22s %-21s %s\n", "id", "type", "state", "due_at", "flag");
    struct tt_store_conn *c = tt_store_acquire(ctx->store);
    const struct tt_requests_store_ops *ops = tt_store_ops_of(c)->requests;
    enum tt_qs qs = ops ? ops->list(c, o->tenant, &f, list_cb, &x) : TT_QS_HARD;
    tt_store_release(c);
    if (qs < 0) {
        json_decref(x.items);
        fprintf(stderr, "tutela requests list: the store failed\n");
        return TT_EXIT_FAIL;
    }
    if (o->json)
        print_json(x.items);
    json_decref(x.items);
    return TT_EXIT_OK;
}

static int resume(struct tt_app *app)
{
    int n = tt_erasure_resume_all(app, tt_now(&app->clock));
    if (n < 0) {
        fprintf(stderr, "tutela requests resume: %s\n", tt_err_message(n));
        return TT_EXIT_FAIL;
    }
    printf("%d erasure%s resumed and finished\n", n, n == 1 ? "" : "s");
    return TT_EXIT_OK;
}

static int run(struct tt_cli_ctx *ctx, const char *action, const struct opts *o)
{
    int is_list = strcmp(action, "list") == 0, is_resume = strcmp(action, "resume") == 0;
    if (!is_resume && (!o->tenant || !tt__api_id_ok(o->tenant, "ten_"))) {
        fprintf(stderr, "tutela requests %s: --tenant ID (ten_…) is required\n", action);
        return TT_EXIT_USAGE;
    }
    if (!is_list && !is_resume && (!o->id || !tt__api_id_ok(o->id, "req_"))) {
        fprintf(stderr, "tutela requests %s: the request id (req_…) is required\n", action);
        return TT_EXIT_USAGE;
    }
    int needs_reason = strcmp(action, "verify") == 0 || strcmp(action, "complete") == 0;
    if (needs_reason && (!o->reason || !*o->reason)) {
        fprintf(stderr,
                "tutela requests %s: --reason TEXT is required (it goes into the "
                "timeline; no personal values)\n",
                action);
        return TT_EXIT_USAGE;
    }
    if (is_list)
        return list(ctx, o);
    struct tt_app app;
    int rc = app_open(ctx, &app);
    if (rc != TT_EXIT_OK)
        return rc;
    json_t *body = NULL;
    if (strcmp(action, "show") == 0)
        rc = call(&app, action, tt_api_request_get, "GET", o, NULL);
    else if (strcmp(action, "verify") == 0) {
        body = json_pack("{s:s, s:s}", "method", "staff", "reason", o->reason);
        rc = body ? call(&app, action, tt_api_request_verify, "POST", o, body) : TT_EXIT_FAIL;
    } else if (strcmp(action, "complete") == 0) {
        body = json_pack("{s:s, s:b}", "reason", o->reason, "partial", o->partial);
        rc = body ? call(&app, action, tt_api_request_complete, "POST", o, body) : TT_EXIT_FAIL;
    } else
        rc = resume(&app);
    json_decref(body);
    tt_app_fini(&app);
    return rc;
}

int tt_cmd_requests(int argc, char **argv)
{
    static const char *const actions[] = {"list", "show", "verify", "complete", "resume"};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(argc < 2 ? stderr : stdout);
    const char *action = NULL;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        if (strcmp(argv[1], actions[i]) == 0)
            action = actions[i];
    if (!action) {
        fprintf(stderr, "tutela requests: unknown action '%s'\n", argv[1]);
        return usage(stderr);
    }
    argc--;
    argv++;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout);
    struct tt_cli_ctx ctx;
    int rc =
        tt_cli_open(&ctx, "requests", TT_NEED_STORE | TT_NEED_MASTER | TT_NEED_POLICY, &argc, argv);
    if (rc != 0)
        return rc;
    struct opts o = {0};
    rc = parse(action, argc, argv, &o);
    if (rc == TT_EXIT_OK)
        rc = run(&ctx, action, &o);
    tt_cli_close(&ctx);
    return rc;
}
