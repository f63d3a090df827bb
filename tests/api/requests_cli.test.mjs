// SPDX-License-Identifier: Apache-2.0
// requests_cli.test.mjs — `tutela requests list|show|verify|complete|resume` (issue 5; S8.1b,
// S8.4): staff work the queue from a shell beside a running server, through the same workflow as
// the API (timeline, audit); an erasure verified from the CLI reaches the server's decisions
// through the change feed; bad input gets a clear message and a documented exit code, and
// changes nothing. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { BIN, POLICY, backends, startServer } from './lib/server.mjs';
import { email, smsRecord, subject, tenant } from './lib/fixtures.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const backend of backends()) {
  describe(`tutela requests (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend, { env: { TUTELA_FEED_POLL_MS: '50' } });
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    const post = (p, body, key = t.keys.service) => srv.request('POST', p, { key, body });
    const get = (p, key = t.keys.service) => srv.request('GET', p, { key });
    const cli = (...a) => spawnSync(BIN, ['requests', ...a, '--db', srv.db, '--master-key',
      `${srv.dir}/mk`, '--policy', POLICY], { encoding: 'utf8' });
    const state = (id) => srv.sql(`SELECT state FROM requests WHERE request_id = '${id}'`).trim();

    test('list_shows_the_queue_by_due_date_and_show_the_timeline', async () => {
      const s = await subject(srv, t.keys.service);
      const a = await post('/v1/requests', { type: 'access', subject: s.id });
      const b = await post('/v1/requests', { type: 'objection', subject: s.id, purpose: 'marketing.advertising' });
      assert.equal(b.status, 201, b.text);
      const l = cli('list', '--tenant', t.id);
      assert.equal(l.status, 0, l.stderr);
      assert.match(l.stdout, /^id\s+type\s+state\s+due_at/);
      assert.ok(l.stdout.includes(a.json.id) && l.stdout.includes(b.json.id), l.stdout);
      const j = cli('list', '--tenant', t.id, '--json', '--status', 'received');
      assert.equal(j.status, 0, j.stderr);
      const items = JSON.parse(j.stdout);
      const mine = items.filter((i) => i.id === a.json.id || i.id === b.json.id);
      assert.deepEqual(mine.map((i) => i.type).sort(), ['access', 'objection']);
      assert.ok(items.every((x, i) => i === 0 || items[i - 1].due_at <= x.due_at), 'by due date');
      assert.equal(JSON.parse(cli('list', '--tenant', t.id, '--json', '--status', 'completed').stdout)
        .filter((i) => i.id === a.json.id).length, 0);
      const sh = cli('show', '--tenant', t.id, a.json.id);
      assert.equal(sh.status, 0, sh.stderr);
      const doc = JSON.parse(sh.stdout);
      assert.equal(doc.id, a.json.id);
      assert.deepEqual(doc.timeline.map((e) => e.event), ['created']);
    });

    test('verify_from_the_cli_runs_the_erasure_seen_by_the_server_at_once', async () => {
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('cli') }] });
      for (let i = 0; i < 3; i++) assert.equal((await post(`/v1/subjects/${s.id}/records`, smsRecord())).status, 201);
      const decide = () => post('/v1/decisions', { subject: s.id, purpose: 'essential.service', data_category: 'user.contact.phone_number', service: 'sms' });
      assert.equal((await decide()).json.allow, true);
      const c = await post('/v1/requests', { type: 'erasure', subject: s.id, channel: 'staff', original: 'letter of 2 May' }, t.keys.admin);
      assert.equal(c.status, 201, c.text);
      const v = cli('verify', '--tenant', t.id, c.json.id, '--reason', 'passport seen at the desk');
      assert.equal(v.status, 0, v.stderr);
      assert.equal(v.stdout.trim(), `${c.json.id} completed`);
      assert.equal(srv.sql(`SELECT count(*) FROM records WHERE subject_id = '${s.id}'`).trim(), '0');
      const g = await get(`/v1/requests/${c.json.id}`);
      assert.deepEqual(g.json.timeline.map((e) => [e.event, e.actor]).slice(1),
        [['verify', 'cli'], ['start', 'cli'], ['complete', 'cli']]);
      // the running server learns of the erasure through the change feed (other node: the CLI)
      let d;
      for (let i = 0; i < 60; i++) {
        d = await decide();
        if (d.json.allow === false) break;
        await sleep(50);
      }
      assert.deepEqual(d.json.reasons, ['erased'], d.text);
    });

    test('complete_from_the_cli_and_refusals_with_exit_codes', async () => {
      const s = await subject(srv, t.keys.service);
      const c = await post('/v1/requests', { type: 'rectification', subject: s.id });
      // wrong state: not verified yet (3, the reason printed), nothing changed
      const early = cli('complete', '--tenant', t.id, c.json.id, '--reason', 'done');
      assert.equal(early.status, 3, early.stderr);
      assert.match(early.stderr, /invalid-state/);
      assert.equal(state(c.json.id), '0');
      assert.equal(cli('verify', '--tenant', t.id, c.json.id, '--reason', 'letter with signature').status, 0);
      const done = cli('complete', '--tenant', t.id, c.json.id, '--reason', 'corrected', '--json');
      assert.equal(done.status, 0, done.stderr);
      assert.equal(JSON.parse(done.stdout).state, 'completed');
      // usage errors (2): missing reason, tenant or id, bad status, unknown action
      assert.equal(cli('verify', '--tenant', t.id, c.json.id).status, 2);
      assert.equal(cli('show', c.json.id).status, 2);
      assert.equal(cli('show', '--tenant', t.id).status, 2);
      assert.equal(cli('list', '--tenant', t.id, '--status', 'sleeping').status, 2);
      assert.equal(cli('list', '--tenant', t.id, '--limit', '0').status, 2);
      assert.equal(spawnSync(BIN, ['requests', 'explode'], { encoding: 'utf8' }).status, 2);
      const help = spawnSync(BIN, ['requests', '--help'], { encoding: 'utf8' });
      assert.equal(help.status, 0);
      assert.match(help.stdout, /list --tenant ID/);
      assert.match(spawnSync(BIN, ['help'], { encoding: 'utf8' }).stdout, /requests list\|show/);
      // refusals (3): unknown request, another tenant's request
      const none = cli('show', '--tenant', t.id, 'req_nosuchrequestatall0000');
      assert.equal(none.status, 3);
      assert.match(none.stderr, /not-found/);
      const t2 = await tenant(srv, 'Other BV');
      const other = cli('verify', '--tenant', t2.id, c.json.id, '--reason', 'x');
      assert.equal(other.status, 3);
      assert.match(other.stderr, /not-found/);
      assert.equal(state(c.json.id), '5');
    });
  });
}
