/* SPDX-License-Identifier: Apache-2.0 */
/* openapi.c — builds the OpenAPI 3.1 document served at GET /v1/openapi.json from the route
 * table itself, so the description cannot drift from what the server routes. Request and
 * response schemas come from the API layer as component JSON; problems share one schema. */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define PROBLEM_SCHEMA                                                                             \
    "{\"type\":\"object\",\"description\":\"RFC 9457 problem details.\","                          \
    "\"required\":[\"type\",\"title\",\"status\"],"                                                \
    "\"properties\":{"                                                                             \
    "\"type\":{\"type\":\"string\",\"format\":\"uri-reference\","                                  \
    "\"description\":\"" TT_PROBLEM_TYPE_BASE "<slug>, stable\"},"                                 \
    "\"title\":{\"type\":\"string\"},"                                                             \
    "\"status\":{\"type\":\"integer\"},"                                                           \
    "\"detail\":{\"type\":\"string\"},"                                                            \
    "\"field\":{\"type\":\"string\",\"description\":\"the offending field\"},"                     \
    "\"instance\":{\"type\":\"string\",\"description\":\"the request id\"}}}"

static json_t *ref_schema(const char *name)
{
    char ref[256];
    snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
    return json_pack("{s:s}", "$ref", ref);
}

static json_t *content_of(const char *media, json_t *schema)
{
    return json_pack("{s:{s:o}}", media, "schema", schema);
}

static json_t *problem_response(const char *description)
{
    return json_pack("{s:s,s:o}", "description", description, "content",
                     content_of("application/problem+json", ref_schema("Problem")));
}

/* "get" + "/v1/subjects/{id}" -> "get_v1_subjects_id" */
static void operation_id(const struct tt_route *r, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = r->method; *p && o + 1 < size; p++)
        out[o++] = (char)tolower((unsigned char)*p);
    for (const char *p = r->pattern; *p && o + 1 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c))
            out[o++] = (char)tolower(c);
        else if ((c == '/' || c == '-' || c == '.' || c == '_') && o > 0 && out[o - 1] != '_')
            out[o++] = '_';
    }
    while (o > 0 && out[o - 1] == '_')
        o--;
    out[o] = '\0';
}

static json_t *path_parameters(const char *pattern)
{
    json_t *params = json_array();
    for (const char *p = strchr(pattern, '{'); p && params; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        char name[64];
        size_t n = (size_t)(end - p - 1);
        if (n == 0 || n >= sizeof name)
            continue;
        memcpy(name, p + 1, n);
        name[n] = '\0';
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", name, "in", "path",
                                                "required", 1, "schema", "type", "string"));
    }
    return params;
}

static json_t *operation(const struct tt_route *r)
{
    char opid[160];
    operation_id(r, opid, sizeof opid);
    json_t *op = json_pack("{s:s,s:s}", "operationId", opid, "summary",
                           r->summary ? r->summary : r->pattern);
    if (!op)
        return NULL;
    if (r->tag)
        json_object_set_new(op, "tags", json_pack("[s]", r->tag));
    json_t *params = path_parameters(r->pattern);
    if (params && json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (r->auth)
        json_object_set_new(op, "security",
                            json_pack("[{s:[]},{s:[]}]", "bearerAuth", "sessionCookie"));
    else
        json_object_set_new(op, "security", json_array());
    /* the permission table, exported so tests walk it (tests/api/permissions.test.mjs) */
    json_object_set_new(op, "x-min-role",
                        json_string(r->auth ? tt_role_name(r->min_role) : "public"));
    const char *schema_param = r->request_schema ? strstr(r->request_schema, ";schema=") : NULL;
    if (schema_param) { /* JSON taken raw by the handler, described by a component */
        char media[64];
        snprintf(media, sizeof media, "%.*s", (int)(schema_param - r->request_schema),
                 r->request_schema);
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:o}", "required", 1, "content",
                                      content_of(media, ref_schema(schema_param + 8))));
    } else if (r->request_schema && strchr(r->request_schema, '/'))
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:{s:{s:{s:s,s:s}}}}", "required", 1, "content",
                                      r->request_schema, "schema", "type", "string", "format",
                                      "binary"));
    else if (r->request_schema)
        json_object_set_new(
            op, "requestBody",
            json_pack("{s:b,s:o}", "required", 1, "content",
                      content_of("application/json", ref_schema(r->request_schema))));
    json_t *responses = json_object();
    char ok[8];
    snprintf(ok, sizeof ok, "%d", r->ok_status ? r->ok_status : 200);
    json_t *success = json_pack("{s:s}", "description", "Success");
    if (success && r->response_schema)
        json_object_set_new(success, "content",
                            content_of("application/json", ref_schema(r->response_schema)));
    json_object_set_new(responses, ok, success);
    if (r->auth) {
        json_object_set_new(responses, "401", problem_response("Missing or invalid API key."));
        json_object_set_new(responses, "403", problem_response("The key's role is too low."));
    }
    json_object_set_new(responses, "4XX", problem_response("Client error (problem details)."));
    json_object_set_new(responses, "5XX", problem_response("Server error (problem details)."));
    json_object_set_new(op, "responses", responses);
    return op;
}

static void lower(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

json_t *tt_openapi_build(const struct tt_route *routes, const char *version,
                         const char *components_json)
{
    json_t *components = NULL;
    if (components_json) {
        json_error_t jerr;
        components = json_loads(components_json, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(components)) {
            json_decref(components);
            return NULL;
        }
    } else {
        components = json_object();
    }
    json_t *schemas = json_object_get(components, "schemas");
    if (!schemas) {
        schemas = json_object();
        json_object_set_new(components, "schemas", schemas);
    }
    json_t *security = json_object_get(components, "securitySchemes");
    if (!security) {
        security = json_object();
        json_object_set_new(components, "securitySchemes", security);
    }
    json_error_t jerr;
    json_t *problem = json_loads(PROBLEM_SCHEMA, 0, &jerr);
    if (!json_is_object(schemas) || !json_is_object(security) || !problem) {
        json_decref(problem);
        json_decref(components);
        return NULL;
    }
    json_object_set_new(schemas, "Problem", problem);
    json_object_set_new(security, "bearerAuth",
                        json_pack("{s:s,s:s,s:s}", "type", "http", "scheme", "bearer",
                                  "description", "API key: tt_<key_id>_<secret>"));
    json_object_set_new(security, "sessionCookie",
                        json_pack("{s:s,s:s,s:s,s:s}", "type", "apiKey", "in", "cookie", "name",
                                  "tt_session", "description",
                                  "Session from POST /v1/sessions; unsafe methods also need the "
                                  "X-CSRF-Token header"));

    json_t *doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:{},s:o}", "openapi", "3.1.0", "info", "title",
                            "tutela", "version", version ? version : "0", "description",
                            "tutela privacy engine API", "paths", "components", components);
    if (!doc)
        return NULL;
    json_t *paths = json_object_get(doc, "paths");
    json_t *tags = json_array();
    for (size_t i = 0; routes && routes[i].method; i++) {
        const struct tt_route *r = &routes[i];
        if (!r->pattern)
            continue;
        json_t *item = json_object_get(paths, r->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        char m[16];
        lower(r->method, m, sizeof m);
        json_t *op = operation(r);
        if (!op) {
            json_decref(tags);
            json_decref(doc);
            return NULL;
        }
        json_object_set_new(item, m, op);
        if (r->tag) {
            int seen = 0;
            size_t k;
            json_t *t;
            json_array_foreach(tags, k, t)
            {
                if (strcmp(json_string_value(json_object_get(t, "name")), r->tag) == 0)
                    seen = 1;
            }
            if (!seen)
                json_array_append_new(tags, json_pack("{s:s}", "name", r->tag));
        }
    }
    json_object_set_new(doc, "tags", tags);
    return doc;
}
