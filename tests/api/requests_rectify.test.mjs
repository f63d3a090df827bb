// SPDX-License-Identifier: Apache-2.0
// requests_rectify.test.mjs — rectification with its history (issue 5; S1.5, S8.0): a corrected
// record keeps the value it had sealed under the subject's key with who, when and why; the DPO
// reads the history for a stated purpose (S1.1) and the subject's export carries it (S8.1);
// bad input changes nothing; erasure takes the history with the key. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { assertProblem, email, smsRecord, subject, tenant } from './lib/fixtures.mjs';

for (const backend of backends()) {
  describe(`rectification history (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    const post = (p, body, key = t.keys.service) => srv.request('POST', p, { key, body });
    const get = (p, key = t.keys.service) => srv.request('GET', p, { key });
    const history = (sid) => get(`/v1/subjects/${sid}/rectifications?purpose=essential.service`);
    const values = async (sid) => (await get(`/v1/subjects/${sid}/records?purpose=essential.service`))
      .json.items.map((r) => [r.id, r.value]);
    // does any stored former value of the subject hold this text in clear?
    const clearAtRest = (sid, text) => Number(srv.sql(backend === 'sqlite'
      ? `SELECT count(*) FROM rectifications WHERE subject_id = '${sid}' AND instr(old_enc, CAST('${text}' AS BLOB)) > 0`
      : `SELECT count(*) FROM rectifications WHERE subject_id = '${sid}' AND position('${text}'::bytea in old_enc) > 0`).trim());
    const rows = (sid) => Number(srv.sql(`SELECT count(*) FROM rectifications WHERE subject_id = '${sid}'`).trim());

    async function rectificationRequest(sid) {
      const c = await post('/v1/requests', { type: 'rectification', subject: sid });
      assert.equal(c.status, 201, c.text);
      const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'app login' });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.json.state, 'in_progress', v.text);
      return c.json.id;
    }

    test('rectified_value_keeps_its_former_value_sealed_with_who_when_why_S1_5', async () => {
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('rc') }] });
      const a = await post(`/v1/subjects/${s.id}/records`, smsRecord({ value: '+31611110001' }));
      const b = await post(`/v1/subjects/${s.id}/records`, smsRecord({ value: '+31611110002' }));
      assert.equal(a.status, 201, a.text);
      const rq = await rectificationRequest(s.id);
      const r1 = await post(`/v1/subjects/${s.id}/rectifications`,
        { record: a.json.id, value: '+31622220001', reason: 'number ported', request: rq });
      assert.equal(r1.status, 201, r1.text);
      assert.match(r1.json.id, /^rct_/);
      assert.equal(r1.json.record, a.json.id);
      assert.equal(r1.json.request, rq);
      assert.equal(r1.json.old_value, undefined); // the answer repeats no value
      const r2 = await post(`/v1/subjects/${s.id}/rectifications`,
        { record: a.json.id, value: '+31633330001', reason: 'typo in the new one' });
      assert.equal(r2.status, 201, r2.text);
      const now = await values(s.id);
      assert.deepEqual(Object.fromEntries(now), { [a.json.id]: '+31633330001', [b.json.id]: '+31611110002' });
      const h = await history(s.id);
      assert.equal(h.status, 200, h.text);
      assert.deepEqual(h.json.items.map((i) => [i.record, i.old_value, i.reason, i.request]), [
        [a.json.id, '+31611110001', 'number ported', rq],
        [a.json.id, '+31622220001', 'typo in the new one', ''],
      ]);
      assert.ok(h.json.items.every((i) => i.by && i.at && i.data_category === 'user.contact.phone_number'));
      // sealed at rest, and the audit trail names the change without a value
      assert.equal(rows(s.id), 2);
      assert.equal(clearAtRest(s.id, '+31611110001'), 0);
      const audit = srv.sql(`SELECT action, detail FROM audit_events WHERE tenant_id = '${t.id}' AND action LIKE 'record.rectify%'`);
      assert.equal((audit.match(/record\.rectify/g) || []).length, 2);
      assert.doesNotMatch(audit, /\+316/);
      assert.match(srv.sql(`SELECT count(*) FROM audit_events WHERE action = 'rectification.read'`), /[1-9]/);
      // the request's timeline shows the correction; completing it closes the request
      const got = await get(`/v1/requests/${rq}`);
      assert.ok(got.json.timeline.some((e) => e.event === 'rectified'), got.text);
      const done = await post(`/v1/requests/${rq}/complete`, { reason: 'corrected' });
      assert.equal(done.json.state, 'completed', done.text);
      const late = await post(`/v1/subjects/${s.id}/rectifications`,
        { record: b.json.id, value: '+31644440001', reason: 'again', request: rq });
      assertProblem(late, 409, 'invalid-state', 'request');
    });

    test('export_carries_the_history_and_erasure_destroys_it_S8_1', async () => {
      const addr = email('rx');
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: addr }] });
      const a = await post(`/v1/subjects/${s.id}/records`, smsRecord({ value: '+31655550001' }));
      const r = await post(`/v1/subjects/${s.id}/rectifications`,
        { record: a.json.id, value: '+31655550002', reason: 'customer correction' });
      assert.equal(r.status, 201, r.text);
      const c = await post('/v1/requests', { type: 'access', subject: s.id });
      const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'app login' });
      assert.equal(v.status, 200, v.text);
      const dl = await fetch(srv.base + v.json.download.url, { headers: { Authorization: `Bearer ${t.keys.service}` } });
      assert.equal(dl.status, 200);
      const zip = path.join(srv.dir, 'export.zip');
      fs.writeFileSync(zip, Buffer.from(await dl.arrayBuffer()));
      const doc = JSON.parse(execFileSync('unzip', ['-p', zip, 'export.json'], { encoding: 'utf8' }));
      assert.deepEqual(doc.rectifications.map((i) => [i.record, i.old_value, i.reason]),
        [[a.json.id, '+31655550001', 'customer correction']]);
      assert.equal(doc.records[0].value, '+31655550002');
      // erasure: the history goes with the key
      const e = await post('/v1/requests', { type: 'erasure', subject: s.id });
      const ev = await post(`/v1/requests/${e.json.id}/verify`, { method: 'controller', reason: 'app login' });
      assert.equal(ev.json.state, 'completed', ev.text);
      assert.equal(rows(s.id), 0);
      assertProblem(await history(s.id), 410, 'gone');
    });

    test('bad_rectifications_are_refused_naming_the_field_and_change_nothing', async () => {
      const s = await subject(srv, t.keys.service);
      const other = await subject(srv, t.keys.service);
      const a = await post(`/v1/subjects/${s.id}/records`, smsRecord({ value: '+31666660001' }));
      const o = await post(`/v1/subjects/${other.id}/records`, smsRecord({ value: '+31666660009' }));
      const base = { record: a.json.id, value: '+31666660002', reason: 'fix' };
      const url = `/v1/subjects/${s.id}/rectifications`;
      assertProblem(await post(url, { ...base, record: o.json.id }), 404, 'not-found', 'record');
      assertProblem(await post(url, { ...base, record: 'rec_nope' }), 404, 'not-found', 'record');
      assertProblem(await post(url, { value: 'x', reason: 'fix' }), 400, 'missing-field', 'record');
      assertProblem(await post(url, { ...base, reason: '' }), 400, 'invalid-field', 'reason');
      assertProblem(await post(url, { ...base, value: 7 }), 400, 'wrong-type', 'value');
      assertProblem(await post(url, { ...base, extra: 1 }), 400, 'unknown-field', 'extra');
      const access = await post('/v1/requests', { type: 'access', subject: s.id });
      assertProblem(await post(url, { ...base, request: access.json.id }), 409, 'invalid-state', 'request');
      const foreign = await post('/v1/requests', { type: 'rectification', subject: other.id });
      assertProblem(await post(url, { ...base, request: foreign.json.id }), 404, 'not-found', 'request');
      assertProblem(await post(url, base, t.keys.readonly), 403, 'forbidden');
      assertProblem(await get(`/v1/subjects/${s.id}/rectifications`), 400, 'invalid-parameter', 'purpose');
      assertProblem(await get(`/v1/subjects/${s.id}/rectifications?purpose=nope`), 422, 'unknown-purpose', 'purpose');
      // another tenant sees neither the subject nor its history
      const t2 = await tenant(srv, 'Other BV');
      assertProblem(await post(url, base, t2.keys.service), 404, 'not-found', 'id');
      assertProblem(await get(`/v1/subjects/${s.id}/rectifications?purpose=essential.service`, t2.keys.service), 404, 'not-found', 'id');
      // nothing changed: the value and an empty history, read back from the store
      assert.deepEqual(await values(s.id), [[a.json.id, '+31666660001']]);
      assert.equal(rows(s.id), 0);
      assert.deepEqual((await history(s.id)).json.items, []);
    });

    test('identifier_rectified_in_place_blind_index_sealed_value_decisions_and_history_S1_5', async () => {
      const before = email('idold');
      const taken = email('idtaken');
      const fixed = email('idnew');
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: before }] });
      await subject(srv, t.keys.service, { identities: [{ type: 'email', value: taken }] });
      const idn = (await get(`/v1/subjects/${s.id}/identities`)).json.items[0].id;
      assert.match(idn, /^idn_/);
      const stored = () => srv.sql(`SELECT identity_id, blind, ${backend === 'sqlite' ? 'hex(value_enc)' : "encode(value_enc, 'hex')"} FROM identities WHERE subject_id = '${s.id}'`).trim();
      const was = stored();
      const rq = await rectificationRequest(s.id);
      const fix = (value) => post(`/v1/subjects/${s.id}/rectifications`, { record: idn, value, reason: 'typo in the address', request: rq });
      const decide = (addr) => post('/v1/decisions', { identifier: { type: 'email', value: addr }, purpose: 'essential.service' });
      // bad input names the field and changes nothing: not an address; another subject's one
      assertProblem(await fix('not an address'), 422, 'invalid-email', 'value');
      assertProblem(await fix(taken.toUpperCase()), 409, 'conflict', 'value');
      assert.equal(stored(), was);
      assert.equal(rows(s.id), 0);
      // corrected: the same identity, its blind index and sealed value replaced together
      const r = await fix(fixed.toUpperCase());
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.record, idn);
      assert.equal(r.json.data_category, 'user.contact.email');
      assert.equal(r.json.request, rq);
      const now = stored();
      assert.equal(now.split('\n').length, 1, now);
      const [id, blind, enc] = now.split('|');
      assert.equal(id, idn);
      assert.notEqual(blind, was.split('|')[1]);
      assert.notEqual(enc, was.split('|')[2]);
      assert.ok(!enc.toLowerCase().includes(Buffer.from(fixed).toString('hex')), 'sealed, not clear');
      // decisions find the subject by the new identifier at once, and nobody by the old one
      const byNew = await decide(fixed);
      assert.equal(byNew.status, 200, byNew.text);
      assert.ok(!byNew.json.reasons.includes('unknown_subject'), byNew.text);
      assert.deepEqual((await decide(before)).json.reasons, ['unknown_subject']);
      // the value as read for a stated purpose is the new one, normalised
      const ids = await get(`/v1/subjects/${s.id}/identities?purpose=essential.service.account_creation`);
      assert.equal(ids.json.items[0].value, fixed, ids.text);
      // the history keeps the former value with who, when, why and which request
      const h = (await history(s.id)).json.items;
      assert.equal(h.length, 1);
      assert.equal(h[0].record, idn);
      assert.equal(h[0].old_value, before);
      assert.equal(h[0].reason, 'typo in the address');
      assert.equal(h[0].request, rq);
      assert.ok(h[0].by && h[0].at);
      assert.equal(clearAtRest(s.id, before), 0);
      const got = await get(`/v1/requests/${rq}`);
      assert.ok(got.json.timeline.some((e) => e.event === 'rectified'), got.text);
      // a read-only key sees who, when, why and which request, never the former value;
      // ?request= keeps one request's corrections
      const ro = await get(`/v1/subjects/${s.id}/rectifications?purpose=essential.service&request=${rq}`, t.keys.readonly);
      assert.equal(ro.status, 200, ro.text);
      assert.equal(ro.json.values, false);
      assert.equal(ro.json.items.length, 1);
      assert.equal(ro.json.items[0].old_value, undefined);
      assert.equal(ro.json.items[0].old_value_withheld, true);
      assert.ok(!ro.text.includes(before), ro.text);
      assert.deepEqual((await get(`/v1/subjects/${s.id}/rectifications?purpose=essential.service&request=req_none`)).json.items, []);
      assertProblem(await get(`/v1/subjects/${s.id}/rectifications?purpose=essential.service&request=x`), 400, 'invalid-parameter', 'request');
      // audited without the addresses
      const audit = srv.sql(`SELECT detail FROM audit_events WHERE tenant_id = '${t.id}' AND action = 'identity.rectify' AND target = '${s.id}'`).trim();
      assert.match(audit, new RegExp(idn));
      assert.ok(!audit.includes(before) && !audit.includes(fixed), audit);
    });
  });
}
