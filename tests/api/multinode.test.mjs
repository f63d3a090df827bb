// SPDX-License-Identifier: Apache-2.0
// multinode.test.mjs — two real `tutela serve` nodes on one real PostgreSQL database (issue 9;
// skipped only when TUTELA_TEST_PG_URL is unset): a migration run by both at once; 50 outbox
// emails delivered once each (counted at the SMTP receiver); the delivery lease taken over after
// `kill -9` of its holder; a subject and identity created through node A decided on node B within
// the feed bound, and well inside a slow poll through LISTEN/NOTIFY (the poll still covering a
// lost listener connection, which comes back); audit hash chains linear with both nodes writing at once (`audit verify` exit
// 0); and a database down at start answered with a clear error after retrying, /readyz 503
// (naming the store) while it retries, 200 once the cluster is up.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, request } from './lib/server.mjs';
import { freePort, smtpReceiver, startNode, until } from '../tools/receivers.mjs';

const PG = process.env.TUTELA_TEST_PG_URL;
const POLL_MS = 200;
const PG_CLUSTER = new URL('../../scripts/pg-cluster.sh', import.meta.url).pathname;
const psql = (url, sql) => execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8' });

describe('two nodes on one PostgreSQL', { skip: !PG && 'TUTELA_TEST_PG_URL is unset' }, () => {
  let dir;
  let db;
  let dbName;
  let mk;
  let smtp;
  let env;
  let a;
  let b;
  let adminKey;
  let tenantKey;
  let serviceKey;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-multi-'));
    dbName = `tt_multi_${randomBytes(5).toString('hex')}`;
    psql(PG, `CREATE DATABASE ${dbName}`);
    const u = new URL(PG);
    u.pathname = `/${dbName}`;
    db = u.href;
    mk = path.join(dir, 'mk');
    smtp = await smtpReceiver(path.join(dir, 'mail'));
    env = {
      TUTELA_SMTP_URL: smtp.url,
      TUTELA_FEED_POLL_MS: String(POLL_MS),
      TUTELA_JOBS: 'outbox.deliver,outbox.prune,feed.prune',
    };
    // the nodes share one master key (64 hex characters, owner-only)
    fs.writeFileSync(mk, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  });

  after(async () => {
    for (const n of [a, b]) await n?.stop().catch(() => {});
    await smtp?.close();
    try { psql(PG, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } catch { /* cluster gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const nodeId = (n) => n.logs().match(/"job scheduler started","node":"(node_[a-z0-9]+)"/)?.[1];

  test('two_nodes_migrating_at_once_both_start', async () => {
    [a, b] = await Promise.all([startNode({ db, mk, env, wait: false }), startNode({ db, mk, env, wait: false })]);
    await Promise.all([a.ready(), b.ready()]);
    const steps = psql(db, 'SELECT count(*), count(DISTINCT version) FROM schema_migrations').trim();
    const [n, distinct] = steps.split('|').map(Number);
    assert.equal(n, distinct, 'every step recorded once');
    adminKey = execFileSync(BIN, ['keys', 'create', '--db', db, '--master-key', mk, '--tenant', 'ten_platform', '--role', 'admin'],
      { encoding: 'utf8' }).trim();
    const t = await request(a.base, 'POST', '/v1/tenants', { key: adminKey, body: { name: 'Multi BV' } });
    assert.equal(t.status, 201, t.text);
    const k = await request(a.base, 'POST', `/v1/tenants/${t.json.id}/keys`, { key: adminKey, body: { role: 'admin' } });
    tenantKey = k.json.token;
    const s = await request(b.base, 'POST', '/v1/keys', { key: tenantKey, body: { role: 'service' } });
    assert.equal(s.status, 201, s.text);
    serviceKey = s.json.token;
  });

  test('fifty_emails_through_two_nodes_are_delivered_once_each', async () => {
    const ids = [];
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const node = i % 2 ? a : b;
      const r = await request(node.base, 'POST', '/v1/outbox', {
        key: tenantKey, body: { channel: 'email', to: `p${i}@example.org`, subject: `n${i}`, body: `message ${i}` } });
      assert.equal(r.status, 202, r.text);
      ids.push(r.json.id);
    }));
    await until(() => smtp.messages().length >= 50, 30000);
    await new Promise((r) => setTimeout(r, 2500)); // a second delivery would show up by now
    const got = smtp.messages().map((m) => m.match(/^Message-ID: <(msg_[a-z0-9]+)@/m)[1]);
    assert.equal(got.length, 50, 'no message twice');
    assert.deepEqual([...new Set(got)].sort(), [...ids].sort());
    const delivered = psql(db, "SELECT count(*) FROM outbox WHERE status = 1 AND payload_enc IS NULL").trim();
    assert.equal(Number(delivered), 50);
  });

  test('lease_is_taken_over_after_kill_9_of_its_holder', async () => {
    const holder = psql(db, "SELECT holder FROM job_leases WHERE job = 'outbox.deliver'").trim();
    const [dead, alive] = nodeId(a) === holder ? [a, b] : [b, a];
    assert.equal(nodeId(dead), holder, 'the holder is one of the nodes');
    dead.kill('SIGKILL');
    await until(() => dead.exited(), 5000, 20);
    const before = smtp.messages().length;
    const r = await request(alive.base, 'POST', '/v1/outbox', {
      key: tenantKey, body: { channel: 'email', to: 'after@example.org', subject: 'after', body: 'after the kill' } });
    assert.equal(r.status, 202, r.text);
    const t0 = Date.now();
    await until(() => smtp.messages().length > before, 30000);
    assert.equal(smtp.messages().length, before + 1);
    assert.ok(Date.now() - t0 < 20000, 'taken over within the lease (10 s) and a pass');
    const now = psql(db, "SELECT holder FROM job_leases WHERE job = 'outbox.deliver'").trim();
    assert.equal(now, nodeId(alive));
    // bring a second node back for the next tests
    const fresh = await startNode({ db, mk, env });
    if (dead === a) a = fresh; else b = fresh;
  });

  test('subject_created_on_a_is_decided_on_b_within_the_bound', async () => {
    const decide = (node, id) => request(node.base, 'POST', '/v1/decisions', {
      key: serviceKey, body: { subject: id, purpose: 'essential.service' } });
    const c = await request(a.base, 'POST', '/v1/subjects', {
      key: serviceKey,
      body: { kind: 'customer', jurisdiction: 'NL', contract_active: true,
        identities: [{ type: 'email', value: `x${randomBytes(4).toString('hex')}@example.org` }] } });
    assert.equal(c.status, 201, c.text);
    const t0 = Date.now();
    const onA = await decide(a, c.json.id);
    assert.equal(onA.status, 200, onA.text);
    const same = (x) => x.status === 200 && x.json.allow === onA.json.allow && x.json.reason === onA.json.reason;
    // a subject B has never heard of is answered differently, so "same" means B knows it
    assert.ok(!same(await decide(b, 'sub_aaaaaaaaaaaaaaaaaaaaaaaa')), 'an unknown subject is told apart');
    const onB = await until(async () => { const x = await decide(b, c.json.id); return same(x) && x; }, 10000, 20);
    const lag = Date.now() - t0;
    assert.ok(onB, `node B decides like node A (A: ${onA.text})`);
    assert.ok(lag < POLL_MS * 5 + 1000, `seen on B after ${lag} ms (poll ${POLL_MS} ms)`);
    // an identity added on B is found on A by lookup through the index-backed decision path
    const id2 = `y${randomBytes(4).toString('hex')}@example.org`;
    const add = await request(b.base, 'POST', `/v1/subjects/${c.json.id}/identities`, {
      key: serviceKey, body: { type: 'email', value: id2 } });
    assert.equal(add.status, 201, add.text);
    const applied = await until(async () => {
      const m = await fetch(`${a.base}/metrics`).then((r) => r.text());
      return /tutela_feed_applied_total\S* ([0-9.]+)/.test(m) && Number(m.match(/tutela_feed_applied_total\S* ([0-9.]+)/)[1]) >= 1;
    }, 5000, 50);
    assert.ok(applied, 'node A applied a change of node B from the feed');
  });

  test('consent_withdrawn_on_a_is_refused_on_b_within_the_bound', async () => {
    // S8.2 across nodes: the consent ledger's state change goes through the change feed too
    const MKT = 'marketing.communications.email';
    const decide = (node, id) => request(node.base, 'POST', '/v1/decisions', {
      key: serviceKey, body: { subject: id, purpose: MKT } });
    const c = await request(a.base, 'POST', '/v1/subjects', {
      key: serviceKey,
      body: { kind: 'customer', jurisdiction: 'NL', contract_active: true,
        identities: [{ type: 'email', value: `w${randomBytes(4).toString('hex')}@example.org` }] } });
    assert.equal(c.status, 201, c.text);
    const consent = (node, action) => request(node.base, 'POST', `/v1/subjects/${c.json.id}/consents`, {
      key: serviceKey, body: { purpose: MKT, action, method: 'api', notice_version: '2022.1' } });
    let r = await consent(a, 'grant');
    assert.equal(r.status, 201, r.text);
    const allowedOnB = await until(async () => (await decide(b, c.json.id)).json?.allow === true, 30000, 20);
    assert.ok(allowedOnB, 'node B sees the grant made on node A');
    r = await consent(a, 'withdraw');
    assert.equal(r.status, 201, r.text);
    const t0 = Date.now();
    const refusedOnB = await until(async () => {
      const x = await decide(b, c.json.id);
      return x.json?.allow === false && x.json.reasons.includes('consent_withdrawn') && x;
    }, 10000, 20);
    assert.ok(refusedOnB, 'node B refuses after the withdrawal made on node A');
    assert.ok(Date.now() - t0 < POLL_MS * 5 + 1000, `seen on B after ${Date.now() - t0} ms`);
  });

  test('many_subjects_consents_made_on_a_reach_b_in_shared_reads', async () => {
    // the follower reloads a feed page's purpose states with one read per tenant: thirty
    // subjects granted at once on A, then half withdrawn at once (a page may hold a subject's
    // grant and withdrawal both), end on B exactly as on A
    const MKT = 'marketing.communications.email';
    const decide = (node, id) => request(node.base, 'POST', '/v1/decisions', {
      key: serviceKey, body: { subject: id, purpose: MKT } });
    const ids = [];
    for (let i = 0; i < 30; i++) {
      const c = await request(a.base, 'POST', '/v1/subjects', {
        key: serviceKey,
        body: { kind: 'customer', jurisdiction: 'NL', contract_active: true,
          identities: [{ type: 'email', value: `m${i}${randomBytes(4).toString('hex')}@example.org` }] } });
      assert.equal(c.status, 201, c.text);
      ids.push(c.json.id);
    }
    const consent = (id, action) => request(a.base, 'POST', `/v1/subjects/${id}/consents`, {
      key: serviceKey, body: { purpose: MKT, action, method: 'api', notice_version: '2022.1' } });
    for (const r of await Promise.all(ids.map((id) => consent(id, 'grant')))) assert.equal(r.status, 201, r.text);
    for (const r of await Promise.all(ids.filter((_, i) => i % 2).map((id) => consent(id, 'withdraw')))) {
      assert.equal(r.status, 201, r.text);
    }
    const want = ids.map((_, i) => i % 2 === 0);
    for (let i = 0; i < ids.length; i++) assert.equal((await decide(a, ids[i])).json.allow, want[i], `A, subject ${i}`);
    const same = await until(async () => {
      const got = await Promise.all(ids.map((id) => decide(b, id)));
      return got.every((x, i) => x.json?.allow === want[i]);
    }, 10000, 50);
    assert.ok(same, 'node B decides all thirty as node A does');
  });

  test('notify_wakes_the_other_node_well_inside_its_poll_and_the_poll_covers_a_lost_listener', async () => {
    // two more nodes that poll only every 3 s: seeing a change sooner is LISTEN/NOTIFY's doing
    const SLOW_POLL = 3000;
    const slow = { ...env, TUTELA_FEED_POLL_MS: String(SLOW_POLL), TUTELA_JOBS: 'none' };
    const [c, d] = await Promise.all([startNode({ db, mk, env: slow }), startNode({ db, mk, env: slow })]);
    const decide = (node, id) => request(node.base, 'POST', '/v1/decisions', {
      key: serviceKey, body: { subject: id, purpose: 'essential.service' } });
    // created through c; the lag until d decides it as c does
    const lagOnce = async () => {
      const made = await request(c.base, 'POST', '/v1/subjects', {
        key: serviceKey, body: { kind: 'customer', jurisdiction: 'NL', contract_active: true } });
      assert.equal(made.status, 201, made.text);
      const t0 = Date.now();
      const onC = await decide(c, made.json.id);
      const seen = await until(async () => {
        const x = await decide(d, made.json.id);
        return x.status === 200 && x.json.allow === onC.json.allow && x.json.reason === onC.json.reason;
      }, 15000, 10);
      assert.ok(seen, 'node d decides the new subject as node c does');
      return Date.now() - t0;
    };
    try {
      const lags = [await lagOnce(), await lagOnce(), await lagOnce()];
      assert.ok(Math.max(...lags) < SLOW_POLL / 3, `seen on d after ${lags.join(', ')} ms (poll ${SLOW_POLL} ms)`);
      // the listeners' connections die: the poll still brings the change, and they come back
      psql(PG, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tutela-feed'");
      const fallback = await lagOnce();
      assert.ok(fallback < SLOW_POLL + 2000, `seen on d after ${fallback} ms without notifications`);
      assert.ok(await until(() => /notifications back/.test(d.logs()), 10000, 50), d.logs());
      assert.match(d.logs(), /notifications lost; polling until they are back/);
      const again = await lagOnce();
      assert.ok(again < SLOW_POLL / 3, `seen on d after ${again} ms once notifications are back`);
    } finally {
      await Promise.all([c.stop(), d.stop()]);
    }
  });

  test('audit_chains_stay_linear_with_both_nodes_writing_at_once', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => request((i % 2 ? a : b).base, 'POST', '/v1/subjects', {
      key: serviceKey, body: { kind: 'customer', jurisdiction: 'FR' } }).then((r) => assert.equal(r.status, 201, r.text))));
    const out = spawnSync(BIN, ['audit', 'verify', '--db', db, '--master-key', mk], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stdout + out.stderr);
  });

  test('readyz_is_503_while_the_database_is_down_at_start_then_200', async () => {
    // a cluster that is not running yet on a known port; serve listens at once and retries
    const pgPort = await freePort();
    const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-late-pg-'));
    fs.rmdirSync(pgDir); // pg-cluster.sh makes it
    const lateDb = `postgres://tutela@127.0.0.1:${pgPort}/tutela_test`;
    const n = await startNode({ db: lateDb, mk, env: { ...env, TUTELA_DB_CONNECT_TIMEOUT: '120' }, wait: false });
    try {
      const live = await until(async () => (await fetch(`${n.base}/healthz`).catch(() => null))?.status === 200, 10000, 50);
      assert.ok(live, `/healthz answers while the store is down:\n${n.logs()}`);
      const r = await request(n.base, 'GET', '/readyz');
      assert.equal(r.status, 503);
      assert.match(r.type, /application\/problem\+json/);
      assert.equal(r.json.field, 'store', 'the problem names the store');
      const other = await request(n.base, 'GET', '/v1/subjects', { key: serviceKey });
      assert.equal(other.status, 503);
      assert.ok(Number(other.headers.get('retry-after')) > 0, 'Retry-After on every other route');
      // the cluster starts: the node connects, migrates and turns ready on the same address
      execFileSync('bash', [PG_CLUSTER, 'start', pgDir],
        { encoding: 'utf8', env: { ...process.env, PG_CLUSTER_PORT: String(pgPort) }, timeout: 120000 });
      const ready = await until(async () => (await fetch(`${n.base}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => null))?.status === 200, 60000, 100);
      assert.ok(ready, `/readyz turns 200 once the database is up:\n${n.logs()}`);
      assert.equal(n.exited(), null);
    } finally {
      await n.stop();
      execFileSync('bash', [PG_CLUSTER, 'stop', pgDir], { timeout: 120000 });
    }
  });

  test('database_down_at_start_is_retried_then_a_clear_error', async () => {
    const port = await freePort(); // nothing listens there
    const t0 = Date.now();
    const out = spawnSync(BIN, ['serve', '--db', `postgres://tutela@127.0.0.1:${port}/none`, '--master-key', mk,
      '--listen', `127.0.0.1:${await freePort()}`], { encoding: 'utf8', env: { ...process.env, TUTELA_DB_CONNECT_TIMEOUT: '2' }, timeout: 20000 });
    assert.notEqual(out.status, 0);
    assert.ok(Date.now() - t0 >= 1500, 'it retried for the connect timeout');
    assert.match(out.stderr, /cannot connect to PostgreSQL/);
    assert.ok(!out.stderr.includes('password'), 'no secret in the message');
  });
});
