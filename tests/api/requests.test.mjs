// SPDX-License-Identifier: Apache-2.0
// requests.test.mjs — rights requests (issue 5): deadlines from the policy (S8.4), verification
// before anything is revealed, export downloadable once (S8.1), erasure keeping what the law
// keeps (S7.4, S7.6) and reaching decisions at once, restriction applied while assessed and a
// rejection naming where to complain (S8.3), no change of service terms (S8.5), extension
// rules, another tenant's request, and bad input leaving the store unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { assertProblem, email, smsRecord, subject, tenant } from './lib/fixtures.mjs';

for (const backend of backends()) {
  describe(`requests (${backend})`, () => {
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

    test('access_request_due_one_month_verified_by_controller_export_downloads_once', async () => {
      const addr = email('acc');
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: addr }] });
      for (let i = 0; i < 3; i++) {
        const r = await post(`/v1/subjects/${s.id}/records`, smsRecord({ value: `+3161234567${i}` }));
        assert.equal(r.status, 201, r.text);
      }
      const c = await post('/v1/requests', { type: 'access', identities: [{ type: 'email', value: addr }] });
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.state, 'received');
      assert.equal(c.json.channel, 'api');
      assert.equal(c.json.subject, s.id);
      assert.equal(c.json.deadline_rule, 'statement');
      const rx = new Date(c.json.received_at);
      const due = new Date(c.json.due_at);
      assert.ok(due - rx > 27 * 86400e3 && due - rx < 32 * 86400e3, c.text);
      assert.equal(c.json.download, undefined); // unverified requests reveal nothing
      const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'signed in to the customer app' });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.json.state, 'completed');
      assert.deepEqual(v.json.timeline.map((e) => e.event), ['created', 'verify', 'start', 'complete']);
      const url = v.json.download.url;
      const first = await fetch(srv.base + url, { headers: { Authorization: `Bearer ${t.keys.service}` } });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('content-type'), 'application/zip');
      const zip = Buffer.from(await first.arrayBuffer());
      assert.equal(zip.subarray(0, 2).toString(), 'PK');
      const again = await srv.request('GET', url, { key: t.keys.service });
      assertProblem(again, 410, 'link-used', 'token');
      // the audit trail names the download without a personal value
      const audit = srv.sql(`SELECT action, detail FROM audit_events WHERE tenant_id = '${t.id}' AND action LIKE 'export%'`);
      assert.match(audit, /export\.download/);
      assert.doesNotMatch(audit, /\+3161234567/);
    });

    test('erasure_keeps_legal_obligation_records_and_is_seen_by_decisions_at_once', async () => {
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('er') }] });
      const ids = [];
      for (let i = 0; i < 4; i++) {
        const r = await post(`/v1/subjects/${s.id}/records`, smsRecord());
        ids.push(r.json.id);
      }
      // one record under a running legal obligation (S7.4 financial records)
      srv.sql(`UPDATE records SET legal_basis = 3, retention_until = 4102444800 WHERE record_id = '${ids[0]}'`);
      const c = await post('/v1/requests', { type: 'erasure', subject: s.id });
      assert.equal(c.status, 201, c.text);
      const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'verified in app' });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.json.state, 'partially_completed');
      assert.equal(v.json.outcome.records_deleted, 3);
      assert.equal(v.json.outcome.kept[0].reason, 'legal_obligation');
      assert.equal(v.json.outcome.kept[0].requirement, 'S7.4');
      assert.equal(srv.sql(`SELECT count(*) FROM records WHERE subject_id = '${s.id}'`).trim(), '1');
      assert.equal(srv.sql(`SELECT count(*) FROM identities WHERE subject_id = '${s.id}'`).trim(), '0');
      assert.equal(srv.sql(`SELECT count(*) FROM subject_keys WHERE subject_id = '${s.id}' AND key_class = 0 AND destroyed_at > 0`).trim(), '1');
      assert.equal(srv.sql(`SELECT count(*) FROM subject_keys WHERE subject_id = '${s.id}' AND key_class = 1 AND destroyed_at = 0`).trim(), '1');
      assert.equal(srv.sql(`SELECT count(*) FROM requests WHERE request_id = '${c.json.id}' AND confirmation_enc IS NOT NULL`).trim(), '1');
      const g = await get(`/v1/subjects/${s.id}`);
      assertProblem(g, 410, 'gone');
      const d = await post('/v1/decisions', { subject: s.id, purpose: 'essential.service', data_category: 'user.contact.phone_number', service: 'sms' });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.allow, false, d.text);
      assert.deepEqual(d.json.reasons, ['erased']);
    });

    test('erasure_under_legal_hold_keeps_held_records_listed_by_hold_id_S7_6', async () => {
      const held = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('hold') }] });
      const free = await subject(srv, t.keys.service);
      for (const s of [held, free]) {
        for (let i = 0; i < 2; i++) {
          const r = await post(`/v1/subjects/${s.id}/records`, smsRecord());
          assert.equal(r.status, 201, r.text);
        }
      }
      const h = await post('/v1/holds', { subject: held.id, service: 'sms', reason: 'case-2024-017' }, t.keys.admin);
      assert.equal(h.status, 201, h.text);
      const c = await post('/v1/requests', { type: 'erasure', subject: held.id });
      const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'verified in app' });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.json.state, 'partially_completed');
      assert.equal(v.json.outcome.records_deleted, 0);
      assert.equal(v.json.outcome.kept.length, 1, v.text);
      assert.equal(v.json.outcome.kept[0].reason, 'legal_hold');
      assert.equal(v.json.outcome.kept[0].hold, h.json.id);
      assert.equal(v.json.outcome.kept[0].requirement, 'S7.6');
      assert.equal(v.json.outcome.kept[0].records, 2);
      assert.doesNotMatch(v.text, /case-2024-017/); // the hold's reason text stays out of the reply
      assert.equal(srv.sql(`SELECT count(*) FROM records WHERE subject_id = '${held.id}'`).trim(), '2');
      assert.equal(srv.sql(`SELECT count(*) FROM subject_keys WHERE subject_id = '${held.id}' AND key_class = 0 AND destroyed_at > 0`).trim(), '1');
      assertProblem(await get(`/v1/subjects/${held.id}`), 410, 'gone');
      // the hold names one subject: another one's erasure deletes everything
      const c2 = await post('/v1/requests', { type: 'erasure', subject: free.id });
      const v2 = await post(`/v1/requests/${c2.json.id}/verify`, { method: 'controller', reason: 'verified in app' });
      assert.equal(v2.json.state, 'completed', v2.text);
      assert.equal(v2.json.outcome.records_deleted, 2);
      assert.equal(srv.sql(`SELECT count(*) FROM records WHERE subject_id = '${free.id}'`).trim(), '0');
      // releasing the hold resurrects nothing: the subject stays erased, its key destroyed
      const rel = await srv.request('DELETE', `/v1/holds/${h.json.id}`, { key: t.keys.admin });
      assert.equal(rel.status, 200, rel.text);
      assertProblem(await get(`/v1/subjects/${held.id}`), 410, 'gone');
      assert.equal(srv.sql(`SELECT count(*) FROM subject_keys WHERE subject_id = '${held.id}' AND key_class = 0 AND destroyed_at > 0`).trim(), '1');
      assert.equal(srv.sql(`SELECT count(*) FROM identities WHERE subject_id = '${held.id}'`).trim(), '0');
      assert.equal((await get(`/v1/requests/${c.json.id}`)).json.state, 'partially_completed');
    });

    test('consent_withdrawal_completes_through_the_ledger_S8_2', async () => {
      const MKT = 'marketing.communications.email';
      const s = await subject(srv, t.keys.service);
      const g = await post(`/v1/subjects/${s.id}/consents`, { purpose: MKT, action: 'grant', method: 'api', notice_version: '2022.1' });
      assert.equal(g.status, 201, g.text);
      const decide = () => post('/v1/decisions', { subject: s.id, purpose: MKT });
      assert.equal((await decide()).json.allow, true);
      const c = await post('/v1/requests', { type: 'consent_withdrawal', subject: s.id, purpose: MKT });
      assert.equal(c.status, 201, c.text);
      const early = await post(`/v1/requests/${c.json.id}/complete`, { reason: 'not verified' });
      assertProblem(early, 409, 'invalid-state', 'state');
      assert.equal((await decide()).json.allow, true); // nothing withdrawn before verification
      const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'app login' });
      assert.equal(v.json.state, 'in_progress', v.text);
      const done = await post(`/v1/requests/${c.json.id}/complete`, { reason: 'withdrawn' });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.json.state, 'completed');
      const d = await decide(); // no wait: the index changed before the answer
      assert.equal(d.json.allow, false, d.text);
      assert.ok(d.json.reasons.includes('consent_withdrawn'), d.text);
      const hist = await get(`/v1/subjects/${s.id}/consents/history`);
      assert.equal(hist.status, 200, hist.text);
      const last = hist.json.events.at(-1);
      assert.equal(last.action, 'withdraw', hist.text);
      assert.equal(last.method, 'api'); // the channel: a customer acting for its end user
      assert.ok(last.notice_version, hist.text);
    });

    test('restriction_applies_at_once_rejection_names_where_to_complain_S8_3', async () => {
      const s = await subject(srv, t.keys.service);
      const c = await post('/v1/requests', { type: 'restriction', subject: s.id });
      const v = await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'app login' });
      assert.equal(v.json.state, 'in_progress', v.text);
      assert.equal((await get(`/v1/subjects/${s.id}`)).json.restricted, true);
      const bad = await post(`/v1/requests/${c.json.id}/reject`, { grounds: 'manifestly_unfounded', reason: 'x' });
      assertProblem(bad, 400, 'invalid-field', 'grounds');
      assert.equal((await get(`/v1/requests/${c.json.id}`)).json.state, 'in_progress');
      const rj = await srv.request('POST', `/v1/requests/${c.json.id}/reject`, {
        key: t.keys.service, body: { grounds: 'legal_claim', reason: 'pending court case', lang: 'fr' },
      });
      assert.equal(rj.status, 200, rj.text);
      assert.equal(rj.json.state, 'rejected');
      assert.match(rj.json.complaint, /Autoriteit Persoonsgegevens/);
      assert.match(rj.json.complaint, /réclamation/);
      const after = (await get(`/v1/subjects/${s.id}`)).json;
      assert.equal(after.restricted, false);
      assert.equal(after.contract_active, true); // S8.5: service terms unchanged
      const again = await post(`/v1/requests/${c.json.id}/complete`, { reason: 'x' });
      assertProblem(again, 409, 'invalid-state', 'state');
    });

    test('extension_needs_notice_before_deadline_and_stays_within_two_months', async () => {
      const s = await subject(srv, t.keys.service);
      const c = await post('/v1/requests', { type: 'rectification', subject: s.id });
      const early = await post(`/v1/requests/${c.json.id}/extend`, { reason: 'complex', notice_sent_at: new Date().toISOString() });
      assertProblem(early, 409, 'invalid-state', 'state'); // not verified yet
      await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'app login' });
      const tooLong = await post(`/v1/requests/${c.json.id}/extend`, {
        reason: 'complex', notice_sent_at: new Date().toISOString(), due_at: '2099-01-01T00:00:00Z',
      });
      assertProblem(tooLong, 422, 'extension-too-long', 'due_at');
      const noReason = await post(`/v1/requests/${c.json.id}/extend`, { notice_sent_at: new Date().toISOString() });
      assertProblem(noReason, 400, 'missing-field', 'reason');
      const ahead = (s) => new Date(Date.now() + s * 1000).toISOString();
      assertProblem(await post(`/v1/requests/${c.json.id}/extend`, { reason: 'complex', notice_sent_at: ahead(3600) }),
        400, 'invalid-field', 'notice_sent_at');
      // a client's "now" a little ahead of the server's clock (its clock, or ours read coarsely)
      const ok = await post(`/v1/requests/${c.json.id}/extend`, { reason: 'many records', notice_sent_at: ahead(60) });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.state, 'extended');
      assert.equal(ok.json.due_at, ok.json.max_due_at);
      assert.ok(new Date(ok.json.due_at) > new Date(ok.json.original_due_at));
      const twice = await post(`/v1/requests/${c.json.id}/extend`, { reason: 'again', notice_sent_at: new Date().toISOString() });
      assertProblem(twice, 409, 'invalid-state', 'state');
    });

    test('queue_sorted_by_due_date_and_filtered', async () => {
      const s = await subject(srv, t.keys.service);
      await post('/v1/requests', { type: 'objection', subject: s.id, purpose: 'marketing.advertising' });
      const q = await get('/v1/requests?status=received');
      assert.equal(q.status, 200, q.text);
      const dues = q.json.items.map((r) => r.due_at);
      assert.deepEqual([...dues].sort(), dues);
      assert.ok(q.json.items.every((r) => r.state === 'received'));
      const none = await get('/v1/requests?due_before=2000-01-01');
      assert.equal(none.json.items.length, 0);
      assertProblem(await get('/v1/requests?status=done'), 400, 'invalid-parameter', 'status');
    });

    test('bad_input_changes_nothing', async () => {
      const before = srv.sql('SELECT count(*) FROM requests').trim();
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('a1') }] });
      const s2 = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('a2') }] });
      assertProblem(await post('/v1/requests', { type: 'delete_all', subject: s.id }), 400, 'invalid-field', 'type');
      assertProblem(await post('/v1/requests', { type: 'access', subject: 'sub_nope' }), 404, 'not-found', 'subject');
      assertProblem(await post('/v1/requests', { type: 'access', identities: [{ type: 'email', value: 'nobody@example.org' }] }), 404, 'not-found', 'identities/0/value');
      const ids = await get(`/v1/subjects/${s.id}/identities`);
      assert.equal(ids.status, 200);
      assertProblem(await post('/v1/requests', { type: 'objection', subject: s.id }), 400, 'missing-field', 'purpose');
      assertProblem(await post('/v1/requests', { type: 'access', subject: s.id, original: 'letter' }), 400, 'invalid-field', 'original');
      assertProblem(await post('/v1/requests', { type: 'access', subject: s2.id, channel: 'staff', original: 'x' }), 403, 'forbidden', 'channel');
      assert.equal(srv.sql('SELECT count(*) FROM requests').trim(), before);
    });

    test('another_tenants_request_is_404', async () => {
      const s = await subject(srv, t.keys.service);
      const c = await post('/v1/requests', { type: 'access', subject: s.id });
      const other = await tenant(srv, 'Other BV');
      assertProblem(await get(`/v1/requests/${c.json.id}`, other.keys.service), 404, 'not-found', 'id');
      assertProblem(await post(`/v1/requests/${c.json.id}/verify`, { method: 'controller', reason: 'x' }, other.keys.service), 404, 'not-found', 'id');
      assert.equal((await get(`/v1/requests/${c.json.id}`)).json.state, 'received');
    });
  });
}
