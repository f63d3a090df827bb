// SPDX-License-Identifier: Apache-2.0
// requests_purge.test.mjs — a rights request's confirmation is kept 5 years, then goes (S7.7;
// issue 5): the job requests.purge deletes requests finished more than 5 years ago with their
// timeline and export rows, and keeps the open ones and those finished since. SQLite and
// PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { subject, tenant } from './lib/fixtures.mjs';
import { restart, stopKeepingStore } from './lib/restart.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const DAY = 86400;

for (const backend of backends()) {
  describe(`requests purge after 5 years (${backend})`, () => {
    test('finished_requests_go_after_5_years_open_and_recent_ones_stay_S7_7', async () => {
      // this node runs no purge: the restarted one does, at its start
      const srv = await startServer(backend, { env: { TUTELA_JOBS: 'requests.deadlines' } });
      let again;
      try {
        const t = await tenant(srv);
        const post = (p, body) => srv.request('POST', p, { key: t.keys.service, body });
        const s = await subject(srv, t.keys.service);
        const make = async (type, finish, extra = {}) => {
          const c = await post('/v1/requests', { type, subject: s.id, ...extra });
          assert.equal(c.status, 201, c.text);
          if (finish) {
            const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'app login' });
            assert.equal(v.status, 200, v.text);
          }
          return c.json.id;
        };
        const old = await make('access', true); // completed, with an export row
        const oldRejected = await make('objection', false, { purpose: 'marketing.advertising' });
        const rj = await post(`/v1/requests/${oldRejected}/reject`, { reason: 'legal claim pending', grounds: 'legal_claim' });
        assert.equal(rj.status, 200, rj.text);
        const recent = await make('access', true);
        const open = await make('rectification', false);
        const ago = (id, days) => srv.sql(`UPDATE requests SET completed_at = completed_at - ${days * DAY}, received_at = received_at - ${days * DAY} WHERE request_id = '${id}'`);
        ago(old, 1827);
        ago(oldRejected, 1830);
        ago(recent, 1820); // under 5 years: stays
        srv.sql(`UPDATE requests SET received_at = received_at - ${1900 * DAY} WHERE request_id = '${open}'`);
        const count = (table, id) => Number(srv.sql(`SELECT count(*) FROM ${table} WHERE request_id = '${id}'`).trim());
        assert.equal(count('exports', old), 1);
        const events = count('request_events', old) + count('request_events', oldRejected);
        await stopKeepingStore(srv);
        again = await restart(srv);
        for (let i = 0; i < 200 && count('requests', old) > 0; i++) await sleep(50);
        for (const id of [old, oldRejected]) {
          assert.equal(count('requests', id), 0, `${id} purged`);
          assert.equal(count('request_events', id), 0);
          assert.equal(count('exports', id), 0);
        }
        for (const id of [recent, open]) {
          assert.equal(count('requests', id), 1, `${id} kept`);
          assert.ok(count('request_events', id) > 0);
        }
        // S7.7: the purge is audited on the tenant's chain — what went, counted, by id and
        // type only (no subject, no reason text) — and the run on the platform's chain
        const audit = (tenantId, action) => srv.sql(`SELECT detail FROM audit_events WHERE tenant_id = '${tenantId}' AND action = '${action}' ORDER BY seq`).trim().split('\n').filter(Boolean);
        let purged = [];
        for (let i = 0; i < 100 && purged.length === 0; i++, await sleep(50)) purged = audit(t.id, 'requests.purge');
        assert.equal(purged.length, 1, purged.join('\n'));
        const d = JSON.parse(purged[0]);
        assert.equal(d.requests, 2);
        assert.deepEqual(d.request_ids.sort(), [old, oldRejected].sort());
        assert.deepEqual(d.types, { access: 1, objection: 1 });
        assert.equal(d.exports, 1);
        assert.equal(d.timeline_events, events);
        assert.equal(d.requirement, 'S7.7');
        assert.ok(!purged[0].includes(s.id) && !purged[0].includes('legal claim'), purged[0]);
        const runs = audit('ten_platform', 'requests.purge.run').map((l) => JSON.parse(l));
        assert.ok(runs.some((r) => r.requests === 2 && r.outcome === 'done'), JSON.stringify(runs));
        srv.cli('audit', 'verify'); // throws unless every chain verifies
        const gone = await fetch(`${again.base}/v1/requests/${old}`, { headers: { Authorization: `Bearer ${t.keys.service}` } });
        assert.equal(gone.status, 404);
      } finally {
        await again?.stop();
        await srv.stop();
      }
    });
  });
}
