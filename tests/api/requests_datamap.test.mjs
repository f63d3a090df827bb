// SPDX-License-Identifier: Apache-2.0
// requests_datamap.test.mjs — GET /v1/subjects/{id}/data-map (issue 5; S8.1): a subject's
// records grouped by service, category, purpose and legal basis with counts and retention ends,
// never a value; another tenant's or an erased subject is refused. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { assertProblem, smsRecord, subject, tenant } from './lib/fixtures.mjs';

for (const backend of backends()) {
  describe(`data map (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    test('records_grouped_by_service_and_category_without_values', async () => {
      const s = await subject(srv, t.keys.service);
      const add = (body) => srv.request('POST', `/v1/subjects/${s.id}/records`, { key: t.keys.service, body });
      const ids = [];
      for (const extra of [{}, {}, { service: 'voice' }, {}]) ids.push((await add(smsRecord({ value: '+31699990000', ...extra }))).json.id);
      srv.sql(`UPDATE records SET legal_basis = 3, retention_until = 4102444800 WHERE record_id = '${ids[3]}'`);
      const m = await srv.request('GET', `/v1/subjects/${s.id}/data-map`, { key: t.keys.readonly });
      assert.equal(m.status, 200, m.text);
      assert.deepEqual(m.json.items.map((g) => [g.service, g.data_category, g.legal_basis, g.records]), [
        ['sms', 'user.contact.phone_number', 'contract', 2],
        ['sms', 'user.contact.phone_number', 'legal_obligation', 1],
        ['voice', 'user.contact.phone_number', 'contract', 1],
      ]);
      assert.equal(m.json.items[1].kept_until, '2100-01-01T00:00:00Z');
      assert.ok(m.json.items.every((g) => g.first_collected_at && g.purpose === 'essential.service'));
      assert.doesNotMatch(m.text, /\+3169999/);
      const empty = await subject(srv, t.keys.service);
      assert.deepEqual((await srv.request('GET', `/v1/subjects/${empty.id}/data-map`, { key: t.keys.service })).json.items, []);
      const t2 = await tenant(srv, 'Other BV');
      assertProblem(await srv.request('GET', `/v1/subjects/${s.id}/data-map`, { key: t2.keys.service }), 404, 'not-found', 'id');
      srv.sql(`UPDATE subjects SET erased_at = 1 WHERE subject_id = '${s.id}'`);
      assertProblem(await srv.request('GET', `/v1/subjects/${s.id}/data-map`, { key: t.keys.service }), 410, 'gone');
    });
  });
}
