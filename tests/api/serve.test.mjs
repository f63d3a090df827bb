// SPDX-License-Identifier: Apache-2.0
// serve.test.mjs — `tutela serve` as an operator meets it (issue 2): first start prints the admin
// key once, SIGHUP reloads the policy (a bad file keeps the old one and says why), SIGTERM lets
// in-flight requests finish, and no personal value reaches a log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { startServer, backends, POLICY, BIN } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > until) return false;
    await sleep(50);
  }
}

for (const backend of backends()) {
  test(`[${backend}] SIGHUP reloads the policy; a broken file keeps the old one`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-hup-'));
    const policy = path.join(dir, 'policy.yaml');
    const original = fs.readFileSync(POLICY, 'utf8');
    fs.writeFileSync(policy, original);
    const srv = await startServer(backend, { args: ['--policy', policy] });
    try {
      const version = (await srv.request('GET', '/readyz')).status;
      assert.equal(version, 200);
      // a broken file: the old policy stays, the reason is logged, the server keeps serving
      fs.writeFileSync(policy, original.replace(/^policy:/m, 'polcy:'));
      process.kill(srv.pid, 'SIGHUP');
      assert.ok(await waitFor(() => /policy reload refused/.test(srv.logs())), srv.logs());
      assert.match(srv.logs(), /policy\.yaml:\d+/);
      assert.equal((await srv.request('GET', '/healthz')).status, 200);
      const before = await srv.request('POST', '/v1/decisions', {
        key: srv.adminKey, body: { subject: 'sub_aaaaaaaaaaaaaaaaaaaaaaaa', purpose: 'essential.service' } });
      assert.equal(before.status, 200);
      assert.equal(before.json.policy_version, '2022.1');
      // a good file with a new version is taken, audited and used by the next decision
      const bumped = original.replace(/^(\s*version:\s*)"?2022\.1"?/m, '$1"2022.2"');
      assert.notEqual(bumped, original, 'the policy file must carry version 2022.1');
      fs.writeFileSync(policy, bumped);
      process.kill(srv.pid, 'SIGHUP');
      assert.ok(await waitFor(() => /"policy reloaded"/.test(srv.logs())), srv.logs());
      const after = await srv.request('POST', '/v1/decisions', {
        key: srv.adminKey, body: { subject: 'sub_aaaaaaaaaaaaaaaaaaaaaaaa', purpose: 'essential.service' } });
      assert.equal(after.json.policy_version, '2022.2');
    } finally {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`[${backend}] SIGTERM stops cleanly after in-flight requests, exit 0`, async () => {
    const srv = await startServer(backend);
    // a request whose body is half sent when the signal arrives: it is in flight for sure
    const items = Array.from({ length: 2000 }, () => ({
      subject: 'sub_aaaaaaaaaaaaaaaaaaaaaaaa', purpose: 'essential.service' }));
    const body = Buffer.from(JSON.stringify({ items }));
    const url = new URL(`${srv.base}/v1/decisions`);
    const answer = new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname,
        method: 'POST', headers: { authorization: `Bearer ${srv.adminKey}`,
          'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 1000));
      setTimeout(() => {
        process.kill(srv.pid, 'SIGTERM');
        setTimeout(() => req.end(body.subarray(1000)), 300);
      }, 200);
    });
    const r = await answer;
    assert.equal(r.status, 200);
    assert.equal(r.json.results.length, 2000);
    const exited = await srv.stop();
    assert.equal(exited.code, 0, srv.logs());
    assert.match(srv.logs(), /"msg":"stopped"/);
  });

  test(`[${backend}] no personal value in any log line; one JSON object per line`, async () => {
    const srv = await startServer(backend);
    try {
      const email = 'Zoe.Logcheck@Example.org';
      const phone = '+31 6 9876 5432';
      const s = await srv.request('POST', '/v1/subjects', { key: srv.adminKey, body: {
        kind: 'customer', jurisdiction: 'NL', contract_active: true,
        identities: [{ type: 'email', value: email }, { type: 'phone', value: phone }] } });
      assert.equal(s.status, 201);
      await srv.request('POST', '/v1/subjects/lookup', { key: srv.adminKey,
        body: { type: 'email', value: email } });
      await srv.request('POST', `/v1/subjects/${s.json.id}/records`, { key: srv.adminKey, body: {
        service: 'sms', data_category: 'user.contact.phone_number', purpose: 'essential.service',
        value: 'SECRET-VALUE-12345' } });
      await srv.request('POST', '/v1/subjects', { key: srv.adminKey,
        body: { kind: 'customer', jurisdiction: 'NL', identities: [{ type: 'email', value: 'not-an-email' }] } });
      const logs = srv.logs();
      for (const needle of [email, email.toLowerCase(), '98765432', 'SECRET-VALUE', 'not-an-email',
        srv.adminKey.replace(/^tt_key_[a-z0-9]+_/, '')]) {
        assert.ok(!logs.includes(needle), `log contains a personal value or secret: ${needle}`);
      }
      const lines = logs.split('\n').filter((l) => l.startsWith('{'));
      assert.ok(lines.length > 3);
      for (const l of lines) JSON.parse(l);
    } finally {
      await srv.stop();
    }
  });
}

function serveOnce(db, mk) {
  // a short-lived server: started, then stopped by SIGTERM once ready; returns its stdout
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['serve', '--db', db, '--master-key', mk, '--policy', POLICY,
      '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => {
      err += d;
      if (/"msg":"serving"/.test(err)) child.kill('SIGTERM');
    });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

test('first start prints the admin key once; keys create prints only the key', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-first-'));
  try {
    const db = `sqlite:${path.join(dir, 't.db')}`;
    const mk = path.join(dir, 'mk');
    const first = await serveOnce(db, mk);
    const printed = first.match(/tt_key_[a-z0-9]+_[A-Za-z0-9_-]+/g) || [];
    assert.equal(printed.length, 1, first);
    assert.equal(fs.statSync(mk).mode & 0o777, 0o600);
    const second = await serveOnce(db, mk);
    assert.ok(!/tt_key_/.test(second), 'the admin key is shown only at first start');
    // the printed key works, and keys create prints the new key alone on stdout
    const key = execFileSync(BIN, ['keys', 'create', '--db', db, '--master-key', mk,
      '--tenant', 'ten_platform', '--role', 'service'], { encoding: 'utf8' });
    assert.match(key, /^tt_key_[a-z0-9]+_[A-Za-z0-9_-]+\n$/);
    let failed = null;
    try {
      execFileSync(BIN, ['keys', 'create', '--db', db, '--master-key', mk, '--tenant', 'ten_nope',
        '--role', 'admin'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      failed = e;
    }
    assert.ok(failed, 'keys create for an unknown tenant must fail');
    assert.equal(failed.status, 1);
    assert.equal(failed.stdout, '');
    assert.match(String(failed.stderr), /no tenant 'ten_nope'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
