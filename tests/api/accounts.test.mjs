// SPDX-License-Identifier: Apache-2.0
// accounts.test.mjs — accounts, sign-in and sessions (S6.1-S6.3, issue 8): the session contract
// (cookie flags, CSRF on unsafe methods, current session, own list, revoke, sign-out), API-key
// sessions, roles not above one's own, disabled accounts losing their sessions, TOTP enrolment
// with oathtool codes and replay refusal, recovery codes used once, lockout with backoff, unknown
// accounts answered like wrong passwords, sign-in events in the audit trail.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { spawn } from 'node:child_process';
import net from 'node:net';

import { BIN, POLICY, backends, request, startServer } from './lib/server.mjs';
import { assertProblem, email, tenant } from './lib/fixtures.mjs';

const PW = 'Correct-Horse-9x';

function cookieOf(res) {
  const sc = res.headers.get('set-cookie') || '';
  const m = sc.match(/tt_session=([^;]*)/);
  return m ? m[1] : null;
}

async function signIn(srv, body) {
  const r = await srv.request('POST', '/v1/sessions', { body });
  return { r, cookie: r.status === 201 ? cookieOf(r) : null, csrf: r.json?.csrf_token };
}

/** A session's client: request with the cookie, and the CSRF header on unsafe methods. */
function as(srv, s) {
  return (method, p, opts = {}) => {
    const headers = { cookie: `tt_session=${s.cookie}`, ...(opts.headers || {}) };
    if (method !== 'GET' && s.csrf && !opts.noCsrf) headers['x-csrf-token'] = s.csrf;
    return srv.request(method, p, { ...opts, headers });
  };
}

async function makeAccount(srv, key, role = 'admin', addr = email('acct')) {
  const r = await srv.request('POST', '/v1/accounts', { key, body: { email: addr, password: PW, role } });
  assert.equal(r.status, 201, r.text);
  return { id: r.json.id, email: addr };
}

const totp = (secret, offset = 0) =>
  execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(Date.now() / 1000) + offset}`, secret],
    { encoding: 'utf8' }).trim();

for (const backend of backends()) {
  describe(`accounts and sessions (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv, 'Accounts Test BV');
    });
    after(async () => {
      await srv?.stop();
    });

    test('sign_in_sets_strict_http_only_cookie_and_returns_the_contract_body', async () => {
      const a = await makeAccount(srv, t.keys.admin, 'dpo');
      const { r, cookie } = await signIn(srv, { email: a.email.toUpperCase(), password: PW });
      assert.equal(r.status, 201, r.text);
      const sc = r.headers.get('set-cookie');
      assert.match(sc, /^tt_session=ses_[a-z0-9]+\.[A-Za-z0-9_-]+; Path=\/; Max-Age=43200; HttpOnly;/);
      assert.match(sc, /SameSite=Strict/);
      assert.doesNotMatch(sc, /Secure/, 'plain http to 127.0.0.1 leaves Secure out');
      assert.equal(r.json.tenant, t.id);
      assert.equal(r.json.role, 'dpo');
      assert.equal(r.json.account.id, a.id);
      assert.match(r.json.account.email_masked, /^a\*\*\*@e\*\*\*\.com$/);
      assert.ok(r.json.csrf_token.length >= 40);
      assert.ok(Date.parse(r.json.expires_at) > Date.now() + 11 * 3600e3);
      assert.ok(!r.text.includes(a.email), 'no email in the answer');
      const cur = await srv.request('GET', '/v1/sessions/current', { headers: { cookie: `tt_session=${cookie}` } });
      assert.equal(cur.status, 200, cur.text);
      assert.deepEqual({ ...cur.json }, { ...r.json });
      // any other Host (e.g. behind a TLS proxy) gets a Secure cookie
      const sc2 = await new Promise((resolve, reject) => {
        const u = new URL(srv.base);
        const body = JSON.stringify({ email: a.email, password: PW });
        const rq = http.request({
          host: u.hostname, port: u.port, path: '/v1/sessions', method: 'POST',
          headers: { host: 'tutela.example.com', 'content-type': 'application/json', 'content-length': body.length },
        }, (res) => { res.resume(); resolve(String(res.headers['set-cookie'])); });
        rq.on('error', reject);
        rq.end(body);
      });
      assert.match(sc2, /HttpOnly; Secure; SameSite=Strict/, 'Secure for any other host');
    });

    test('session_cookie_authenticates_every_route_and_csrf_guards_unsafe_methods', async () => {
      const a = await makeAccount(srv, t.keys.admin, 'admin');
      const s = await signIn(srv, { email: a.email, password: PW });
      const call = as(srv, s);
      const own = await call('GET', '/v1/tenant');
      assert.equal(own.status, 200);
      assert.equal(own.json.id, t.id);
      const noToken = await call('POST', '/v1/keys', { body: { role: 'readonly' }, noCsrf: true });
      assertProblem(noToken, 403, 'csrf', 'X-CSRF-Token');
      const wrong = await call('POST', '/v1/keys', {
        body: { role: 'readonly' }, noCsrf: true, headers: { 'x-csrf-token': 'x'.repeat(43) },
      });
      assertProblem(wrong, 403, 'csrf', 'X-CSRF-Token');
      const ok = await call('POST', '/v1/keys', { body: { role: 'readonly' } });
      assert.equal(ok.status, 201, ok.text);
      const forged = await srv.request('GET', '/v1/tenant', {
        headers: { cookie: `tt_session=${s.cookie.replace(/\.(.)/, (m, c) => `.${c === 'A' ? 'B' : 'A'}`)}` },
      });
      assertProblem(forged, 401, 'unauthorized');
    });

    test('own_sessions_are_listed_and_revoked_and_sign_out_ends_the_cookie', async () => {
      const a = await makeAccount(srv, t.keys.admin, 'readonly');
      const s1 = await signIn(srv, { email: a.email, password: PW });
      const s2 = await signIn(srv, { email: a.email, password: PW });
      const list = await as(srv, s1)('GET', '/v1/sessions');
      assert.equal(list.status, 200, list.text);
      assert.equal(list.json.items.length, 2);
      assert.equal(list.json.items.filter((x) => x.current).length, 1);
      const other = list.json.items.find((x) => !x.current).id;
      const rv = await as(srv, s1)('DELETE', `/v1/sessions/${other}`);
      assert.equal(rv.status, 200, rv.text);
      assertProblem(await as(srv, s2)('GET', '/v1/tenant'), 401, 'unauthorized');
      const out = await as(srv, s1)('DELETE', '/v1/sessions/current');
      assert.equal(out.status, 200, out.text);
      assert.match(out.headers.get('set-cookie'), /tt_session=; Path=\/; Max-Age=0/);
      assertProblem(await as(srv, s1)('GET', '/v1/tenant'), 401, 'unauthorized');
      // another account's session is not one's own to revoke
      const b = await makeAccount(srv, t.keys.admin, 'readonly');
      const sb = await signIn(srv, { email: b.email, password: PW });
      const sa = await signIn(srv, { email: a.email, password: PW });
      const bId = (await as(srv, sb)('GET', '/v1/sessions/current')).json.session_id;
      assertProblem(await as(srv, sa)('DELETE', `/v1/sessions/${bId}`), 404, 'not-found', 'id');
      assert.equal((await as(srv, sb)('GET', '/v1/tenant')).status, 200);
    });

    test('api_key_sign_in_opens_a_session_of_the_key_and_a_revoked_key_ends_it', async () => {
      const k = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'readonly' } });
      const s = await signIn(srv, { api_key: k.json.token });
      assert.equal(s.r.status, 201, s.r.text);
      assert.equal(s.r.json.role, 'readonly');
      assert.equal(s.r.json.key_id, k.json.id);
      assert.equal(s.r.json.account, undefined);
      assert.equal((await as(srv, s)('GET', '/v1/subjects')).status, 200);
      assertProblem(await as(srv, s)('POST', '/v1/keys', { body: { role: 'readonly' } }), 403, 'forbidden');
      await srv.request('DELETE', `/v1/keys/${k.json.id}`, { key: t.keys.admin });
      assertProblem(await as(srv, s)('GET', '/v1/subjects'), 401, 'unauthorized');
      const bad = await signIn(srv, { api_key: `${k.json.token.slice(0, -2)}zz` });
      assertProblem(bad.r, 401, 'unauthorized', 'api_key');
    });

    test('roles_cannot_be_raised_above_the_callers_and_disabling_ends_sessions', async () => {
      const dpo = await makeAccount(srv, t.keys.admin, 'admin');
      const s = await signIn(srv, { email: dpo.email, password: PW });
      const up = await as(srv, s)('POST', '/v1/accounts', {
        body: { email: email('owner'), password: PW, role: 'owner' },
      });
      assertProblem(up, 403, 'forbidden', 'role');
      const target = await makeAccount(srv, t.keys.admin, 'support');
      const st = await signIn(srv, { email: target.email, password: PW });
      const patch = await as(srv, s)('PATCH', `/v1/accounts/${target.id}`, { body: { role: 'dpo' } });
      assert.equal(patch.status, 200, patch.text);
      assert.equal((await as(srv, st)('GET', '/v1/sessions/current')).json.role, 'dpo');
      const dis = await as(srv, s)('PATCH', `/v1/accounts/${target.id}`, { body: { status: 'disabled' } });
      assert.equal(dis.status, 200, dis.text);
      assert.equal(dis.json.status, 'disabled');
      assertProblem(await as(srv, st)('GET', '/v1/tenant'), 401, 'unauthorized');
      const again = await signIn(srv, { email: target.email, password: PW });
      assertProblem(again.r, 423, 'account-locked');
      const list = await srv.request('GET', '/v1/accounts', { key: t.keys.admin });
      assert.ok(list.json.items.some((x) => x.id === target.id && x.status === 'disabled'));
      assert.ok(!list.text.includes('@example.com'), 'emails are masked');
    });

    test('weak_passwords_and_bad_fields_are_refused_with_nothing_stored', async () => {
      const before = (await srv.request('GET', '/v1/accounts', { key: t.keys.admin })).json.items.length;
      const addr = email('weak');
      const cases = [
        [{ email: addr, password: 'short', role: 'readonly' }, 422, 'weak-password', 'password'],
        [{ email: addr, password: '1234567890123', role: 'readonly' }, 422, 'weak-password', 'password'],
        [{ email: addr, password: `${addr.split('@')[0]}-X9`, role: 'readonly' }, 422, 'weak-password', 'password'],
        [{ email: 'not-an-email', password: PW, role: 'readonly' }, 422, 'invalid-email', 'email'],
        [{ email: addr, password: PW, role: 'emperor' }, 400, 'invalid-field', 'role'],
        [{ email: addr, password: PW }, 400, 'missing-field', 'role'],
        [{ email: addr, password: PW, role: 'readonly', extra: 1 }, 400, 'unknown-field', 'extra'],
      ];
      for (const [body, status, slug, field] of cases) {
        const r = await srv.request('POST', '/v1/accounts', { key: t.keys.admin, body });
        assertProblem(r, status, slug, field);
      }
      const ro = await srv.request('POST', '/v1/accounts', {
        key: t.keys.readonly, body: { email: addr, password: PW, role: 'readonly' },
      });
      assertProblem(ro, 403, 'forbidden');
      const after = (await srv.request('GET', '/v1/accounts', { key: t.keys.admin })).json.items.length;
      assert.equal(after, before);
      const dup = await makeAccount(srv, t.keys.admin, 'readonly');
      const again = await srv.request('POST', '/v1/accounts', {
        key: t.keys.admin, body: { email: dup.email, password: PW, role: 'readonly' },
      });
      assertProblem(again, 409, 'conflict', 'email');
    });

    test('totp_enrolment_with_oathtool_codes_replay_refused_recovery_codes_once', async () => {
      const a = await makeAccount(srv, t.keys.admin, 'admin');
      const s = await signIn(srv, { email: a.email, password: PW });
      const en = await as(srv, s)('POST', '/v1/accounts/me/totp');
      assert.equal(en.status, 201, en.text);
      assert.match(en.json.secret, /^[A-Z2-7]{32}$/);
      assert.match(en.json.otpauth_uri, /^otpauth:\/\/totp\/tutela:.*secret=[A-Z2-7]{32}&issuer=tutela/);
      assert.match(en.json.qr_svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assertProblem(await as(srv, s)('POST', '/v1/accounts/me/totp/confirm', { body: { code: '000000' } }),
        422, 'invalid-code', 'code');
      const code = totp(en.json.secret);
      const ok = await as(srv, s)('POST', '/v1/accounts/me/totp/confirm', { body: { code } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.recovery_codes.length, 10);
      // the password alone is not enough now
      assertProblem((await signIn(srv, { email: a.email, password: PW })).r, 401, 'unauthorized', 'totp');
      // the confirming code's step is used: replaying it is refused
      assertProblem((await signIn(srv, { email: a.email, password: PW, totp: code })).r, 401,
        'unauthorized', 'totp');
      const next = totp(en.json.secret, 30);
      const s2 = await signIn(srv, { email: a.email, password: PW, totp: next });
      assert.equal(s2.r.status, 201, s2.r.text);
      assert.equal(s2.r.json.account.totp_enabled, true);
      const rc = ok.json.recovery_codes[0];
      assert.equal((await signIn(srv, { email: a.email, password: PW, totp: rc.toUpperCase() })).r.status, 201);
      assertProblem((await signIn(srv, { email: a.email, password: PW, totp: rc })).r, 401,
        'unauthorized', 'totp');
      const wrongPw = await signIn(srv, { email: a.email, password: 'Wrong-Horse-9x', totp: totp(en.json.secret, 60) });
      assertProblem(wrongPw.r, 401, 'unauthorized', 'password');
    });

    test('unknown_accounts_answer_like_wrong_passwords_and_failures_lock_with_backoff', async () => {
      const a = await makeAccount(srv, t.keys.admin, 'readonly');
      const unknown = await signIn(srv, { email: email('ghost'), password: PW });
      const wrong = await signIn(srv, { email: a.email, password: 'Wrong-Horse-9x' });
      assert.equal(unknown.r.status, wrong.r.status);
      assert.equal(unknown.r.json.type, wrong.r.json.type);
      assert.equal(unknown.r.json.detail, wrong.r.json.detail);
      assert.equal(unknown.r.json.field, wrong.r.json.field);
      // time class: both run Argon2id (medians within a factor of 3 of each other). Unknown and
      // known are timed in turns, so a neighbour's load falls on both alike; the known account
      // is another one, kept under its lock threshold, so a's lockout below counts from zero.
      const b = await makeAccount(srv, t.keys.admin, 'readonly');
      const time = async (body) => {
        const t0 = performance.now();
        await srv.request('POST', '/v1/sessions', { body });
        return performance.now() - t0;
      };
      const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
      const tus = [];
      const tks = [];
      for (let i = 0; i < 3; i += 1) {
        tus.push(await time({ email: email(`ghost${i}`), password: PW }));
        tks.push(await time({ email: b.email, password: 'Wrong-Horse-9x' }));
      }
      const tu = median(tus);
      const tk = median(tks);
      assert.ok(tu > tk / 3 && tu < tk * 3, `unknown ${tus} ms vs known ${tks} ms`);
      let locked = null;
      for (let i = 0; i < 6 && !locked; i += 1) {
        const r = await signIn(srv, { email: a.email, password: 'Wrong-Horse-9x' });
        if (r.r.status === 429) locked = r.r;
      }
      assert.ok(locked, 'the account is locked after repeated failures');
      assertProblem(locked, 429, 'rate-limited');
      assert.ok(Number(locked.headers.get('retry-after')) >= 1);
      // even the right password waits for the lock to pass
      assertProblem((await signIn(srv, { email: a.email, password: PW })).r, 429, 'rate-limited');
      const audit = srv.cli('audit', 'export', '--tenant', t.id);
      assert.match(audit, /session\.signin\.failure/);
      assert.match(audit, /session\.signin\.lockout/);
      assert.match(audit, /"session\.signin"/);
      assert.ok(!audit.includes(a.email), 'no email in the audit trail');
    });

    test('malformed_sign_in_bodies_are_refused_naming_the_field', async () => {
      assertProblem(await srv.request('POST', '/v1/sessions', { body: {} }), 400, 'missing-field', 'email');
      assertProblem(await srv.request('POST', '/v1/sessions', { body: { email: 'x@example.com' } }), 400,
        'missing-field', 'password');
      assertProblem(await srv.request('POST', '/v1/sessions', {
        body: { email: 'x@example.com', password: PW, api_key: 'tt_key_x_y' },
      }), 400, 'invalid-field', 'api_key');
      assertProblem(await srv.request('POST', '/v1/sessions', {
        body: { email: 'x@example.com', password: 'p'.repeat(2000) },
      }), 400, 'invalid-field', 'password');
      assertProblem(await srv.request('GET', '/v1/sessions/current', { key: t.keys.admin }), 404,
        'not-found', 'tt_session');
    });
  });
}

describe('ended sessions are purged after 30 days (sqlite)', () => {
  test('sessions_purge_job_deletes_sessions_ended_over_30_days_ago', async () => {
    const srv = await startServer('sqlite');
    try {
      const addr = email('purge');
      const r = await srv.request('POST', '/v1/accounts', {
        key: srv.adminKey, body: { email: addr, password: PW, role: 'readonly' },
      });
      assert.equal(r.status, 201, r.text);
      const s1 = await signIn(srv, { email: addr, password: PW });
      await signIn(srv, { email: addr, password: PW });
      assert.equal((await as(srv, s1)('DELETE', '/v1/sessions/current')).status, 200);
      const count = () => Number(srv.sql('SELECT count(*) FROM account_sessions').trim());
      assert.equal(count(), 2);
      // a second node on the same database, 31 days ahead: its first pass of the job runs at start
      const port = await new Promise((res) => {
        const x = net.createServer().listen(0, '127.0.0.1', () => {
          const { port: p } = x.address();
          x.close(() => res(p));
        });
      });
      const later = spawn(BIN, ['serve', '--db', srv.db, '--master-key', `${srv.dir}/mk`, '--policy',
        POLICY, '--listen', `127.0.0.1:${port}`], {
        env: { ...process.env, TUTELA_CLOCK_OFFSET: String(31 * 86400) }, stdio: 'ignore',
      });
      try {
        const base = `http://127.0.0.1:${port}`;
        const until = Date.now() + 20000;
        while (count() > 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
        assert.equal(count(), 0, 'the signed-out and the expired session are gone');
        const fresh = await request(base, 'POST', '/v1/sessions', { body: { email: addr, password: PW } });
        assert.equal(fresh.status, 201, fresh.text);
        assert.equal(count(), 1, 'a live session stays');
        assert.match(srv.cli('audit', 'export'), /"session\.signout"/, 'the sign-out stays audited');
      } finally {
        later.kill('SIGTERM');
        await new Promise((res) => { later.on('exit', res); setTimeout(res, 5000); });
      }
    } finally {
      await srv.stop();
    }
  });
});
