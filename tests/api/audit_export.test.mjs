// SPDX-License-Identifier: Apache-2.0
// audit_export.test.mjs — S6.3 end to end: a real server writes audit events (bootstrap, keys,
// tenants, subjects), `tutela audit verify` reports the chains intact, and `tutela audit export`
// produces JSON lines that tests/audit/verify_export.mjs — BLAKE2b and Ed25519 outside tutela's
// code, with only the public key — accepts; any flipped byte makes it refuse.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, ROOT, backends, startServer } from './lib/server.mjs';
import { subject, tenant } from './lib/fixtures.mjs';
import { verifyExport } from '../audit/verify_export.mjs';

const VERIFIER = path.join(ROOT, 'tests', 'audit', 'verify_export.mjs');
const DAY = 86400;

function tutela(args, env = {}) {
  return spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...env } });
}

const iso = (unix) => new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

for (const backend of backends()) {
  describe(`audit export (${backend})`, () => {
    let srv;
    let t;
    let mk;
    let pk;
    let t0;
    before(async () => {
      srv = await startServer(backend);
      mk = path.join(srv.dir, 'mk');
      t = await tenant(srv);
      for (let i = 0; i < 3; i++) await subject(srv, t.keys.service);
      // key.create events on later days, through the CLI with the clock moved ahead
      t0 = Math.floor(Date.now() / 1000);
      for (let d = 1; d <= 4; d++) {
        const r = tutela(['keys', 'create', '--db', srv.db, '--master-key', mk, '--tenant', t.id,
          '--role', 'readonly'], { TUTELA_CLOCK_OFFSET: String(d * DAY) });
        assert.equal(r.status, 0, r.stderr);
      }
      const p = tutela(['audit', 'pubkey', '--master-key', mk]);
      assert.equal(p.status, 0, p.stderr);
      pk = p.stdout.trim();
    });
    after(async () => {
      await srv?.stop();
    });

    test('verify_reports_every_chain_intact', () => {
      const r = tutela(['audit', 'verify', '--db', srv.db]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const m = r.stdout.match(/^ok: (\d+) events in (\d+) chains$/m);
      assert.ok(m, r.stdout);
      assert.ok(Number(m[1]) >= 9, r.stdout);
      assert.ok(Number(m[2]) >= 2, r.stdout); // the platform's chain and the tenant's
      const one = tutela(['audit', 'verify', '--db', srv.db, '--tenant', t.id]);
      assert.equal(one.status, 0, one.stderr);
      assert.match(one.stdout, /^ok: \d+ events in 1 chains$/m);
    });

    test('pubkey_is_stable_hex', () => {
      assert.match(pk, /^[0-9a-f]{64}$/);
      assert.equal(tutela(['audit', 'pubkey', '--master-key', mk]).stdout.trim(), pk);
    });

    test('full_export_verifies_with_the_public_key_alone', () => {
      const out = path.join(srv.dir, 'all.jsonl');
      const r = tutela(['audit', 'export', '--db', srv.db, '--master-key', mk, '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      const text = fs.readFileSync(out, 'utf8');
      const v = verifyExport(text, pk);
      assert.ok(v.ok, JSON.stringify(v));
      assert.ok(v.chains >= 2);
      const mine = v.sections.find((s) => s.tenant === t.id);
      assert.ok(mine && mine.from === 1, JSON.stringify(v.sections));
      const actions = text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((l) => l.tenant === t.id).map((l) => l.action);
      assert.ok(actions.includes('subject.create'), actions.join());
      assert.ok(actions.includes('key.create'), actions.join());
      // the standalone verifier agrees, and a different key does not
      const ok = spawnSync(process.execPath, [VERIFIER, out, '--public-key', pk], { encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      const other = pk.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      assert.equal(verifyExport(text, other).ok, false);
    });

    test('range_export_checks_on_its_own_from_its_anchor', () => {
      const out = path.join(srv.dir, 'range.jsonl');
      // the events of days 2 and 3 only
      const r = tutela(['audit', 'export', '--db', srv.db, '--master-key', mk, '--tenant', t.id,
        '--from', iso(t0 + 2 * DAY - 3600), '--to', iso(t0 + 3 * DAY + 3600), '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      const text = fs.readFileSync(out, 'utf8');
      const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.equal(lines.length, 3, text);
      assert.ok(lines[0].seq > 1);
      assert.notEqual(lines[0].prev_hash, '0'.repeat(64));
      assert.equal(lines[2].checkpoint.seq, lines[1].seq);
      const v = verifyExport(text, pk);
      assert.ok(v.ok, JSON.stringify(v));
      assert.equal(v.events, 2);
    });

    test('any_flipped_byte_fails_verification', () => {
      const out = path.join(srv.dir, 'flip.jsonl');
      const r = tutela(['audit', 'export', '--db', srv.db, '--master-key', mk, '--tenant', t.id,
        '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      const buf = fs.readFileSync(out);
      assert.ok(verifyExport(buf.toString('utf8'), pk).ok);
      // every byte of the second event line and of the checkpoint line
      const starts = [0];
      for (let i = 0; i < buf.length; i++) if (buf[i] === 0x0a && i + 1 < buf.length) starts.push(i + 1);
      const pick = [starts[1], starts[starts.length - 1]];
      let tried = 0;
      for (const s of pick) {
        const end = buf.indexOf(0x0a, s);
        for (let i = s; i < end; i++) {
          const bad = Buffer.from(buf);
          bad[i] ^= 0x01;
          const v = verifyExport(bad.toString('utf8'), pk);
          assert.equal(v.ok, false, `flipping byte ${i} went unnoticed`);
          tried++;
        }
      }
      assert.ok(tried > 200);
      // and through the standalone verifier's exit code
      const bad = Buffer.from(buf);
      bad[starts[1] + 20] ^= 0x01;
      fs.writeFileSync(out, bad);
      const res = spawnSync(process.execPath, [VERIFIER, out, '--public-key', pk], { encoding: 'utf8' });
      assert.equal(res.status, 1, res.stdout);
      assert.match(res.stdout, /^FAIL line \d+: /);
    });

    test('dropped_or_reordered_lines_fail_verification', () => {
      const text = execFileSync(BIN, ['audit', 'export', '--db', srv.db, '--master-key', mk,
        '--tenant', t.id], { encoding: 'utf8' });
      const lines = text.split('\n').filter(Boolean);
      assert.ok(lines.length >= 5);
      const join = (ls) => ls.join('\n') + '\n';
      assert.equal(verifyExport(join(lines), pk).ok, true);
      assert.equal(verifyExport(join([...lines.slice(0, 2), ...lines.slice(3)]), pk).ok, false);
      const swapped = [...lines];
      [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
      assert.equal(verifyExport(join(swapped), pk).ok, false);
      assert.equal(verifyExport(join(lines.slice(0, -1)), pk).ok, false); // unsigned tail
      assert.equal(verifyExport(join(lines.slice(0, -2).concat(lines.slice(-1))), pk).ok, false);
    });

    test('usage_errors_exit_2', () => {
      assert.equal(tutela(['audit']).status, 2);
      assert.equal(tutela(['audit', 'export', '--db', srv.db, '--from', 'yesterday']).status, 2);
      assert.equal(tutela(['audit', 'verify', '--db', srv.db, '--bogus']).status, 2);
      const h = tutela(['audit', '--help']);
      assert.equal(h.status, 0);
      assert.match(h.stdout, /audit verify/);
    });
  });
}
