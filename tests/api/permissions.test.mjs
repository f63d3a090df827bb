// SPDX-License-Identifier: Apache-2.0
// permissions.test.mjs — the permission table in one place (issue 8, S6.3): for every operation of
// GET /v1/openapi.json and every role, a key of that role is refused by the route table (403 with
// the table's own message) exactly when its role is below the operation's x-min-role, which the
// server exports from the route table itself, so this test cannot drift from it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';

const ROLES = ['readonly', 'service', 'support', 'dpo', 'admin', 'owner'];
const TABLE_403 = "This key's role does not allow this operation.";

for (const backend of backends()) {
  describe(`permissions (${backend})`, () => {
    let srv;
    const keys = {};
    before(async () => {
      srv = await startServer(backend);
      for (const role of ROLES) keys[role] = srv.keyFor('ten_platform', role);
    });
    after(async () => {
      await srv?.stop();
    });

    test('every_route_refuses_exactly_the_roles_below_its_minimum', async () => {
      const doc = (await srv.request('GET', '/v1/openapi.json')).json;
      let checked = 0;
      const wrong = [];
      for (const [p, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          assert.ok(op['x-min-role'], `${method} ${p} has x-min-role`);
          if (op['x-min-role'] === 'public') continue;
          const min = ROLES.indexOf(op['x-min-role']);
          assert.ok(min >= 0, `${method} ${p}: unknown role ${op['x-min-role']}`);
          const url = p.replace(/\{[^}]+\}/g, 'zz_none');
          for (const role of ROLES) {
            const unsafe = !['get', 'head'].includes(method);
            const r = await srv.request(method.toUpperCase(), url, {
              key: keys[role],
              ...(unsafe && method !== 'delete' ? { body: {} } : {}),
            });
            const refused = r.status === 403 && r.json?.detail === TABLE_403;
            if (refused !== ROLES.indexOf(role) < min) {
              wrong.push(`${method.toUpperCase()} ${p} as ${role}: ${r.status} (min ${op['x-min-role']})`);
            }
            checked += 1;
          }
        }
      }
      assert.deepEqual(wrong, []);
      assert.ok(checked >= 6 * 30, `walked ${checked} route × role pairs`);
    });

    test('the_same_table_applies_to_session_cookies', async () => {
      const k = keys.readonly;
      const s = await srv.request('POST', '/v1/sessions', { body: { api_key: k } });
      assert.equal(s.status, 201, s.text);
      const cookie = s.headers.get('set-cookie').match(/tt_session=([^;]*)/)[1];
      const headers = { cookie: `tt_session=${cookie}`, 'x-csrf-token': s.json.csrf_token };
      const r = await srv.request('POST', '/v1/keys', { headers, body: { role: 'readonly' } });
      assert.equal(r.status, 403);
      assert.equal(r.json.detail, TABLE_403);
      assert.equal((await srv.request('GET', '/v1/subjects', { headers })).status, 200);
    });
  });
}
