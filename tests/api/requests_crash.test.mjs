// SPDX-License-Identifier: Apache-2.0
// requests_crash.test.mjs — a half-finished erasure resumes after a crash (issue 5, "Bad input";
// S7.4, S7.6, S7.7, S8.4): the server is killed with SIGKILL between two batches of an erasure
// (made deterministic with the test-only TUTELA_ERASURE_BATCH / TUTELA_ERASURE_PAUSE_MS, see
// src/jobs/erasure.h), then the work is finished — once by a restarted server (the
// requests.erasure job at start), once by `tutela requests resume` — and exactly what the law
// keeps (S7.4 records, records under a legal hold) is left, the reply counts every record that
// went, the timeline has each step once and the audit chain verifies. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { BIN, POLICY, backends, startServer } from './lib/server.mjs';
import { email, smsRecord, subject, tenant } from './lib/fixtures.mjs';
import { restart } from './lib/restart.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SLOW = { TUTELA_ERASURE_BATCH: '50', TUTELA_ERASURE_PAUSE_MS: '200' };
const N = 1000; // records of the subject: 20 batches of 50, 200 ms apart

for (const backend of backends()) {
  describe(`erasure after kill -9 (${backend})`, () => {
    // One subject with N records, 3 under a running legal obligation (S7.4) and, when `hold`,
    // 4 more under a legal hold on their service (S7.6). Verifies its erasure request and kills
    // the server with SIGKILL once some batches are committed and most are not.
    async function eraseAndKill(srv, t, hold) {
      const post = (p, body, key = t.keys.service) => srv.request('POST', p, { key, body });
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('k9') }] });
      const items = [];
      for (let i = 0; i < N; i++) items.push({ ...smsRecord({ value: `+3161${String(i).padStart(7, '0')}` }), subject: s.id });
      if (hold) for (let i = 0; i < 4; i++) items[i] = { ...items[i], service: 'voice' };
      const b = await post('/v1/records', { items });
      assert.equal(b.status, 201, b.text);
      const ids = srv.sql(`SELECT record_id FROM records WHERE subject_id = '${s.id}' AND service = 'sms' ORDER BY record_id LIMIT 3`).trim().split('\n');
      srv.sql(`UPDATE records SET legal_basis = 3, retention_until = 4102444800 WHERE record_id IN ('${ids.join("','")}')`);
      if (hold) {
        const h = await post('/v1/holds', { subject: s.id, service: 'voice', reason: 'court order 12/2026' }, t.keys.admin);
        assert.equal(h.status, 201, h.text);
      }
      const c = await post('/v1/requests', { type: 'erasure', subject: s.id });
      assert.equal(c.status, 201, c.text);
      const verify = post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'app login' })
        .catch(() => null); // the server dies under it
      const count = () => Number(srv.sql(`SELECT count(*) FROM records WHERE subject_id = '${s.id}'`).trim());
      let left = N;
      for (let i = 0; i < 400 && left > N - 150; i++) {
        await sleep(25);
        left = count();
      }
      srv.child.kill('SIGKILL');
      await verify;
      for (let i = 0; i < 100 && srv.child.exitCode === null && srv.child.signalCode === null; i++) await sleep(20);
      left = count();
      const kept = hold ? 7 : 3;
      assert.ok(left < N && left > kept + 50, `killed mid-erasure: ${left} of ${N} left`);
      // what the crash left: the key destroyed and the subject erased in step 1, work unfinished
      assert.equal(srv.sql(`SELECT state FROM requests WHERE request_id = '${c.json.id}'`).trim(), '3');
      assert.notEqual(srv.sql(`SELECT erased_at FROM subjects WHERE subject_id = '${s.id}'`).trim(), '0');
      // MAIN (class 0) destroyed in step 1; the ERASING copy (class 4) lives until step 3
      const keys = () => srv.sql(`SELECT key_class, CASE WHEN destroyed_at > 0 THEN 1 ELSE 0 END FROM subject_keys WHERE subject_id = '${s.id}' AND key_class IN (0, 4) ORDER BY key_class`).trim().split('\n').map((l) => l.split('|').join(','));
      assert.deepEqual(keys(), ['0,1', '4,0']);
      return { s, c, kept, ids };
    }

    async function checkFinished(srv, t, base, { s, c, kept, ids }, hold) {
      const get = (p) => fetch(base + p, { headers: { Authorization: `Bearer ${t.keys.service}` } }).then(async (r) => ({ status: r.status, json: await r.json() }));
      let r;
      for (let i = 0; i < 200; i++) {
        r = await get(`/v1/requests/${c.json.id}`);
        if (r.json.state !== 'in_progress') break;
        await sleep(50);
      }
      assert.equal(r.json.state, 'partially_completed', JSON.stringify(r.json));
      // the reply counts every record that went, before and after the crash, and names what stays
      assert.equal(r.json.outcome.records_deleted, N - kept, JSON.stringify(r.json.outcome));
      const reasons = r.json.outcome.kept.map((k) => [k.reason, k.records]).sort();
      assert.deepEqual(reasons, hold ? [['legal_hold', 4], ['legal_obligation', 3]] : [['legal_obligation', 3]]);
      // exactly what the law keeps is left: no other record of the subject, no identity
      const left = srv.sql(`SELECT record_id, service FROM records WHERE subject_id = '${s.id}' ORDER BY record_id`).trim().split('\n');
      assert.equal(left.length, kept, left.join(','));
      for (const id of ids) assert.ok(left.some((l) => l.startsWith(id)), `S7.4 record ${id} kept`);
      if (hold) assert.equal(left.filter((l) => l.endsWith('voice')).length, 4);
      assert.equal(srv.sql(`SELECT count(*) FROM identities WHERE subject_id = '${s.id}'`).trim(), '0');
      // no key that opens the subject's MAIN data is left (S7.4 rows live under FINANCIAL)
      assert.equal(srv.sql(`SELECT count(*) FROM subject_keys WHERE subject_id = '${s.id}' AND key_class IN (0, 4) AND destroyed_at = 0`).trim(), '0');
      // each step once on the timeline; one erase event in the audit trail; the chain verifies
      assert.deepEqual(r.json.timeline.map((e) => e.event), ['created', 'verify', 'start', 'partial']);
      assert.equal(srv.sql(`SELECT count(*) FROM audit_events WHERE action = 'subject.erase' AND target = '${s.id}'`).trim(), '1');
      assert.equal(srv.sql(`SELECT count(*) FROM requests WHERE request_id = '${c.json.id}' AND confirmation_enc IS NOT NULL`).trim(), '1');
      const v = spawnSync(BIN, ['audit', 'verify', '--db', srv.db], { encoding: 'utf8' });
      assert.equal(v.status, 0, v.stdout + v.stderr);
    }

    test('killed_mid_erasure_under_a_hold_the_restarted_server_finishes_it_exactly_S7_6', async () => {
      const srv = await startServer(backend, { env: SLOW });
      let again;
      try {
        const t = await tenant(srv);
        const st = await eraseAndKill(srv, t, true);
        again = await restart(srv); // the requests.erasure job runs at start
        await checkFinished(srv, t, again.base, st, true);
      } finally {
        await again?.stop();
        await srv.stop();
      }
    });

    test('killed_mid_erasure_the_cli_resume_finishes_it_exactly_S7_4', async () => {
      const srv = await startServer(backend, { env: SLOW });
      let again;
      try {
        const t = await tenant(srv);
        const st = await eraseAndKill(srv, t, false);
        const res = spawnSync(BIN, ['requests', 'resume', '--db', srv.db, '--master-key', `${srv.dir}/mk`, '--policy', POLICY], { encoding: 'utf8' });
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stdout, /^1 erasure resumed and finished\n$/);
        again = await restart(srv); // only to read the result through the API
        await checkFinished(srv, t, again.base, st, false);
      } finally {
        await again?.stop();
        await srv.stop();
      }
    });
  });
}
