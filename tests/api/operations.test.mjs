// SPDX-License-Identifier: Apache-2.0
// operations.test.mjs — the public endpoints: /healthz, /readyz, /metrics (counters after
// requests), and /v1/openapi.json listing every route of the table, each of which the server
// really routes (no 404 no-route, no 405).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer, PROBLEM } from './lib/server.mjs';

// The route table of src/api/routes.c, as the API promises it.
const ROUTES = [
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/metrics'],
  ['GET', '/v1/openapi.json'],
  ['POST', '/v1/tenants'],
  ['GET', '/v1/tenant'],
  ['GET', '/v1/tenants/{id}'],
  ['POST', '/v1/tenants/{id}/keys'],
  ['POST', '/v1/keys'],
  ['DELETE', '/v1/keys/{id}'],
  ['POST', '/v1/subjects'],
  ['GET', '/v1/subjects'],
  ['POST', '/v1/subjects/lookup'],
  ['GET', '/v1/subjects/{id}'],
  ['POST', '/v1/subjects/{id}/identities'],
  ['GET', '/v1/subjects/{id}/identities'],
  ['POST', '/v1/subjects/{id}/records'],
  ['GET', '/v1/subjects/{id}/records'],
  ['POST', '/v1/records'],
  ['POST', '/v1/decisions'],
];

for (const backend of backends()) {
  describe(`operations (${backend})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(backend);
    });
    after(async () => {
      await srv?.stop();
    });

    test('healthz_answers_ok_without_auth', async () => {
      const r = await srv.request('GET', '/healthz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'ok' });
    });

    test('readyz_answers_ready_once_started', async () => {
      const r = await srv.request('GET', '/readyz');
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 'ready');
    });

    test('openapi_lists_every_route_of_the_table', async () => {
      const r = await srv.request('GET', '/v1/openapi.json');
      assert.equal(r.status, 200);
      const doc = r.json;
      assert.match(doc.openapi, /^3\./);
      for (const [method, p] of ROUTES) {
        assert.ok(doc.paths[p], `path ${p} documented`);
        assert.ok(doc.paths[p][method.toLowerCase()], `${method} ${p} documented`);
      }
      // every documented operation, and every schema, names schemas that exist
      const schemas = doc.components.schemas;
      const refs = JSON.stringify([doc.paths, doc.components]).match(/#\/components\/schemas\/[A-Za-z]+/g) || [];
      for (const ref of refs) assert.ok(schemas[ref.split('/').pop()], `${ref} defined`);
    });

    test('every_documented_operation_is_routed', async () => {
      const doc = (await srv.request('GET', '/v1/openapi.json')).json;
      let n = 0;
      for (const [p, ops] of Object.entries(doc.paths)) {
        for (const method of Object.keys(ops)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
          const concrete = p.replace(/\{[^}]+\}/g, 'x_nonexistent');
          const opts = { key: srv.adminKey };
          if (method === 'post') opts.body = {};
          const res = await srv.request(method.toUpperCase(), concrete, opts);
          n += 1;
          if (res.json && res.json.type) {
            assert.notEqual(res.json.type, `${PROBLEM}no-route`, `${method} ${p} routed`);
            assert.notEqual(res.json.type, `${PROBLEM}method-not-allowed`, `${method} ${p}`);
          }
          assert.notEqual(res.status, 405, `${method} ${p}`);
          assert.ok(res.status < 500, `${method} ${p}: ${res.status} ${res.text}`);
        }
      }
      assert.ok(n >= ROUTES.length, `${n} operations documented`);
    });

    test('unknown_path_is_404_no_route', async () => {
      const r = await srv.request('GET', '/v1/nothing-here', { key: srv.adminKey });
      assert.equal(r.status, 404);
      assert.equal(r.json.type, `${PROBLEM}no-route`);
    });

    test('metrics_count_requests_per_route', async () => {
      for (let i = 0; i < 3; i += 1) await srv.request('GET', '/healthz');
      await srv.request('GET', '/v1/tenant', { key: srv.adminKey });
      const r = await srv.request('GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.type, /text\/plain/);
      const line = r.text
        .split('\n')
        .find((l) => l.startsWith('tutela_http_requests_total') && l.includes('route="/healthz"')
          && l.includes('code="2xx"'));
      assert.ok(line, `healthz counter in:\n${r.text.slice(0, 2000)}`);
      assert.ok(Number(line.split(' ').pop()) >= 3, line);
      assert.match(r.text, /tutela_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/tenant"/);
    });
  });
}
