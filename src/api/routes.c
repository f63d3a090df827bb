/* SPDX-License-Identifier: Apache-2.0 */
/* routes.c — the route table: every endpoint with its handler, whether it needs a key, the
 * least role that may call it (the permission table), and its OpenAPI description. Readonly keys
 * read; service keys write subjects and records and read values; admins manage keys; routes for
 * the platform tenant only check the caller's tenant kind in the handler. */
#include "app.h"
#include "handlers.h"

#define PUBLIC 0, TT_ROLE_READONLY
#define READ 1, TT_ROLE_READONLY
#define WRITE 1, TT_ROLE_SERVICE
#define ADMIN 1, TT_ROLE_ADMIN

const struct tt_route tt_api_routes[] = {
    /* operations (public) */
    {"GET", "/healthz", tt_api_healthz, PUBLIC, "Liveness: the process answers", "operations", NULL,
     "Status", 200},
    {"GET", "/readyz", tt_api_readyz, PUBLIC, "Readiness: store open and policy loaded",
     "operations", NULL, "Status", 200},
    {"GET", "/metrics", tt_api_metrics, PUBLIC,
     "Prometheus metrics: request counts and latency histograms per route", "operations", NULL,
     NULL, 200},
    {"GET", "/v1/openapi.json", tt_api_openapi, PUBLIC, "This OpenAPI document", "operations", NULL,
     NULL, 200},

    /* tenants (S1.4) and keys */
    {"POST", "/v1/tenants", tt_api_tenant_create, ADMIN,
     "Create a customer tenant (platform admin only)", "tenants", "TenantCreate", "Tenant", 201},
    {"GET", "/v1/tenant", tt_api_tenant_self, READ, "The caller's own tenant", "tenants", NULL,
     "Tenant", 200},
    {"GET", "/v1/tenants/{id}", tt_api_tenant_get, READ,
     "A tenant: the caller's own, or any for a platform admin", "tenants", NULL, "Tenant", 200},
    {"POST", "/v1/tenants/{id}/keys", tt_api_tenant_key_create, ADMIN,
     "Create a key in a customer tenant (platform admin bootstrapping it)", "keys", "KeyCreate",
     "KeyCreated", 201},
    {"POST", "/v1/keys", tt_api_key_create, ADMIN,
     "Create an API key in the caller's tenant, role not above the caller's; the token is shown "
     "once",
     "keys", "KeyCreate", "KeyCreated", 201},
    {"DELETE", "/v1/keys/{id}", tt_api_key_revoke, ADMIN, "Revoke an API key of the tenant", "keys",
     NULL, "KeyRevoked", 200},

    /* subjects and identities */
    {"POST", "/v1/subjects", tt_api_subject_create, WRITE,
     "Create a subject with its identities (one transaction)", "subjects", "SubjectCreate",
     "Subject", 201},
    {"GET", "/v1/subjects", tt_api_subject_list, READ, "List subjects (paged: after, limit)",
     "subjects", NULL, "SubjectPage", 200},
    {"POST", "/v1/subjects/lookup", tt_api_subject_lookup, READ,
     "Find a subject by an identifier (sent in the body, never in a URL)", "subjects",
     "IdentityInput", "Subject", 200},
    {"GET", "/v1/subjects/{id}", tt_api_subject_get, READ,
     "A subject: kind, jurisdiction, flags, identity types and ids, record count", "subjects", NULL,
     "Subject", 200},
    {"POST", "/v1/subjects/{id}/identities", tt_api_identity_add, WRITE,
     "Add an identity to a subject", "identities", "IdentityInput", "Identity", 201},
    {"GET", "/v1/subjects/{id}/identities", tt_api_identity_list, READ,
     "A subject's identities; values only with ?purpose= (service role, audited)", "identities",
     NULL, "IdentityList", 200},

    /* records (S1.1, S2.1, S3.2, S3.5) */
    {"POST", "/v1/subjects/{id}/records", tt_api_record_create, WRITE,
     "Record a personal datum with its service, category, purpose, legal basis and source",
     "records", "RecordCreate", "Record", 201},
    {"GET", "/v1/subjects/{id}/records", tt_api_record_list, WRITE,
     "A subject's records usable for ?purpose= (required), values unsealed, read audited",
     "records", NULL, "RecordPage", 200},
    {"POST", "/v1/records", tt_api_record_batch, WRITE,
     "Record up to 1,000 data in one transaction (all or nothing)", "records", "RecordBatch",
     "RecordBatchResult", 201},

    /* decisions (S1.1, S2.1, S4.3, S4.4, S5.1, S7, S8.2, S8.3, S10.1) */
    {"POST", "/v1/decisions", tt_api_decide, WRITE,
     "Decide whether data of a subject may be used for a purpose (category, service, recipient): "
     "one request or up to 10,000 under items; denied decisions audited",
     "decisions", "application/json;schema=DecisionRequest", "DecisionResult", 200},

/* each capability's routes live in its own file (no shared edits) */
#include "routes_jobs.inc"
#include "routes_consent.inc"
#include "routes_tcf.inc"
#include "routes_requests.inc"
#include "routes_retention.inc"
#include "routes_recipients.inc"
#include "routes_accounts.inc"
#include "routes_subprocessors.inc"

    {0},
};
