// SPDX-License-Identifier: Apache-2.0
// cli.test.mjs — the stable CLI scripts rely on (issue 2): help, version, exit codes, migrate,
// and demo seed on a fresh database (realistic data over the policy's services, S3.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, POLICY } from './lib/server.mjs';

const run = (...args) => spawnSync(BIN, args, { encoding: 'utf8' });

test('help, version and usage errors have documented exit codes', () => {
  const help = run('help');
  assert.equal(help.status, 0);
  for (const cmd of ['serve', 'migrate', 'policy check', 'keys create', 'demo seed', 'audit verify'])
    assert.ok(help.stdout.includes(cmd), `help lists ${cmd}`);
  assert.match(run('version').stdout, /^tutela \d+\.\d+\.\d+\n$/);
  assert.equal(run('no-such-command').status, 2);
  assert.equal(run('keys', 'create', '--role', 'admin').status, 2);
  assert.equal(run('serve', '--threads', 'many').status, 2);
  assert.equal(run('demo', 'seed', '--customers', '-3').status, 2);
});

test('migrate and demo seed on a fresh database', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-cli-'));
  try {
    const db = `sqlite:${path.join(dir, 'd.db')}`;
    const mk = path.join(dir, 'mk');
    const m = run('migrate', '--db', db);
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /^schema version \d+\n$/);
    const s = run('demo', 'seed', '--db', db, '--master-key', mk, '--policy', POLICY,
      '--customers', '2', '--end-users', '5', '--messages', '40');
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /seeded 2 tenants, 12 subjects, \d+ identities, 40 records/);
    // the same seed again adds to the same tenants, never half a batch
    const again = run('demo', 'seed', '--db', db, '--master-key', mk, '--policy', POLICY,
      '--customers', '2', '--end-users', '5', '--messages', '40');
    assert.equal(again.status, 0, again.stderr);
    const v = run('audit', 'verify', '--db', db);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
