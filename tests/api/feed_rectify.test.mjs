// SPDX-License-Identifier: Apache-2.0
// feed_rectify.test.mjs — an identifier rectified in place on one node is forgotten by the other
// nodes' decision indexes within the change feed's bound (issue 9 consistency contract for
// S1.5, issue 5): two real `tutela serve` processes on one store — the same SQLite file, or the
// same PostgreSQL database. Through node A the identifier is corrected; node B then answers a
// decision by the former identifier as an unknown subject and finds the subject by the new one;
// the feed row carries the type and former blind index (a keyed hash), never an address; a
// correction back through node B is seen the same way on node A.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, request, startServer } from './lib/server.mjs';
import { email, subject, tenant } from './lib/fixtures.mjs';
import { startNode, until } from '../tools/receivers.mjs';

const POLL_MS = 200;
const BOUND_MS = POLL_MS * 5 + 1000; // the poll plus applying it, with room for a loaded machine

for (const backend of backends()) {
  describe(`identifier rectification across nodes (${backend})`, () => {
    let a;
    let b;
    let t;
    before(async () => {
      const env = { TUTELA_FEED_POLL_MS: String(POLL_MS) };
      a = await startServer(backend, { env });
      b = await startNode({ db: a.db, mk: path.join(a.dir, 'mk'), env: { ...env, TUTELA_JOBS: 'none' } });
      t = await tenant(a);
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
    });

    const decide = (node, addr) => node.request('POST', '/v1/decisions', {
      key: t.keys.service, body: { identifier: { type: 'email', value: addr }, purpose: 'essential.service' } });
    const unknown = (r) => r.status === 200 && r.json.reasons.length === 1 && r.json.reasons[0] === 'unknown_subject';
    const known = (r) => r.status === 200 && !r.json.reasons.includes('unknown_subject');
    const rectify = (node, sid, idn, value) => node.request('POST', `/v1/subjects/${sid}/rectifications`, {
      key: t.keys.service, body: { record: idn, value, reason: 'typo in the address' } });
    const blindOf = (idn) => a.sql(`SELECT blind FROM identities WHERE identity_id = '${idn}'`).trim();

    test('former_identifier_is_unknown_on_the_other_node_within_the_feed_bound_S1_5', async () => {
      const onB = { request: (m, p, o) => request(b.base, m, p, o) };
      const former = email('fdold');
      const fixed = email('fdnew');
      const s = await subject(a, t.keys.service, { identities: [{ type: 'email', value: former }] });
      const idn = (await a.request('GET', `/v1/subjects/${s.id}/identities`, { key: t.keys.service })).json.items[0].id;
      // node B knows the subject by its identifier first (through the feed)
      assert.ok(await until(async () => known(await decide(onB, former)), 30000, 20), 'B finds the subject by its identifier');
      assert.ok(unknown(await decide(onB, fixed)), 'nobody has the new identifier yet');
      const formerBlind = blindOf(idn);
      // corrected through node A
      const r = await rectify(a, s.id, idn, fixed);
      assert.equal(r.status, 201, r.text);
      const t0 = Date.now();
      const seen = await until(async () => unknown(await decide(onB, former)) && known(await decide(onB, fixed)), 30000, 20);
      const lag = Date.now() - t0;
      assert.ok(seen, `B: by the former identifier ${(await decide(onB, former)).text}; by the new ${(await decide(onB, fixed)).text}`);
      assert.ok(lag < BOUND_MS, `seen on B after ${lag} ms (poll ${POLL_MS} ms)`);
      // by the new identifier B answers as it does for the subject itself
      const bySubject = await onB.request('POST', '/v1/decisions', {
        key: t.keys.service, body: { subject: s.id, purpose: 'essential.service' } });
      const byNew = await decide(onB, fixed);
      assert.deepEqual([byNew.json.allow, byNew.json.legal_basis, byNew.json.reasons],
        [bySubject.json.allow, bySubject.json.legal_basis, bySubject.json.reasons], byNew.text);
      // the feed row: kind 3, "<type>:<former blind index>", before the identity row; no address
      const rows = a.sql(`SELECT kind, ${backend === 'sqlite' ? "IFNULL(detail, '')" : "COALESCE(detail, '')"}`
        + ` FROM change_feed WHERE subject_id = '${s.id}' ORDER BY txid, seq`).trim().split('\n');
      const gone = rows.findIndex((x) => x === `3|0:${formerBlind}`);
      assert.ok(gone >= 0, rows.join('\n'));
      assert.equal(rows[gone + 1], '1|', 'the identity row follows it');
      const all = a.sql('SELECT detail FROM change_feed WHERE detail IS NOT NULL');
      assert.ok(!all.includes('@'), 'no address in the feed');
      // corrected back through node B: node A forgets the second one and finds the first again
      const back = await rectify(onB, s.id, idn, former);
      assert.equal(back.status, 201, back.text);
      const seenOnA = await until(async () => unknown(await decide(a, fixed)) && known(await decide(a, former)), 30000, 20);
      assert.ok(seenOnA, `A: by the second identifier ${(await decide(a, fixed)).text}`);
      // B, which made the change, answered at once
      assert.ok(unknown(await decide(onB, fixed)) && known(await decide(onB, former)));
    });
  });
}
