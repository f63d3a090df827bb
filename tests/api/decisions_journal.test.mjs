// SPDX-License-Identifier: Apache-2.0
// decisions_journal.test.mjs — the denials' write-ahead journal on SQLite (issue 3; S6.3,
// docs/audit.md "Denied decisions"): with audit_denials = os a denied decision is answered once
// its audit event is written to the journal beside the database, without waiting for the
// database — shown by answering denials while another process holds SQLite's write lock, so no
// COMMIT can happen — and every such denial is in the audit trail exactly once after the server
// is killed with SIGKILL and restarted (the restart chains what the journal holds). With
// audit_denials = sync no journal is used: the answer waits for the database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { subject, tenant } from './lib/fixtures.mjs';
import { restart } from './lib/restart.mjs';

const MKT = 'marketing.communications.email';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Holds SQLite's write lock on path (another process, BEGIN IMMEDIATE) until release(). */
async function holdWriteLock(path) {
  const py = spawn('python3', ['-c', `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
sys.stdin.read()
c.execute('ROLLBACK')
`, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    py.stdout.on('data', (d) => { if (String(d).includes('locked')) resolve(); });
    py.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
  });
  return {
    release: () => new Promise((resolve) => { py.on('exit', resolve); py.stdin.end(); }),
  };
}

describe('denied decisions through the journal (sqlite, audit_denials = os)', () => {
  test('denials_are_answered_while_the_database_is_locked_and_chained_once_after_kill_9', async () => {
    const srv = await startServer('sqlite');
    let again;
    let lock;
    try {
      const t = await tenant(srv, 'Journal BV');
      const subs = [];
      for (let i = 0; i < 3; i++) subs.push(await subject(srv, t.keys.service));
      const dbPath = srv.db.slice('sqlite:'.length);
      const journal = `${dbPath}-denials`;
      assert.ok(fs.existsSync(journal), 'the journal is beside the database');
      const ids = subs.map((s) => `'${s.id}'`).join(',');
      const inTrail = () => Number(srv.sql(`SELECT count(*) FROM audit_events WHERE action = 'decision.denied' AND target IN (${ids})`).trim());

      lock = await holdWriteLock(dbPath);
      let denied = 0;
      for (let w = 0; w < 3; w++) {
        const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => srv.request('POST', '/v1/decisions', {
          key: t.keys.service, body: { subject: subs[i % subs.length].id, purpose: MKT },
        })));
        for (const a of answers) {
          assert.equal(a.status, 200, a.text);
          assert.equal(a.json.allow, false, a.text);
          denied++;
        }
      }
      // answered, yet no COMMIT could happen: the events are in the journal only
      assert.equal(inTrail(), 0);
      assert.ok(fs.statSync(journal).size > 0, 'the journal holds the answered denials');

      srv.child.kill('SIGKILL');
      for (let i = 0; i < 200 && srv.child.exitCode === null && srv.child.signalCode === null; i++) await sleep(10);
      assert.equal(srv.child.signalCode, 'SIGKILL');
      await lock.release();
      lock = null;
      // the chain is intact, and the auditor is told what waits in the journal
      const before = srv.cli('audit', 'verify');
      assert.match(before, /^ok: \d+ events/);
      assert.match(before, new RegExp(`note: ${denied} denied decisions' events wait in .*-denials`));

      again = await restart(srv);
      assert.equal(inTrail(), denied, `${inTrail()} audit events for ${denied} answered denials`);
      assert.match(again.logs(), /events a stopped process had not committed are chained/);
      const after = srv.cli('audit', 'verify');
      assert.match(after, /^ok: \d+ events/);
      assert.doesNotMatch(after, /note:/);
      assert.equal(fs.statSync(journal).size, 0, 'the journal is emptied once chained');
      // one more denial on the restarted server, then a clean stop: chained once, nothing left
      const r = await fetch(`${again.base}/v1/decisions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${t.keys.service}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ subject: subs[0].id, purpose: MKT }),
      });
      assert.equal((await r.json()).allow, false);
      await again.stop();
      again = null;
      assert.equal(inTrail(), denied + 1);
      assert.equal(fs.statSync(journal).size, 0);
      assert.match(srv.cli('audit', 'verify'), /^ok: \d+ events/);
    } finally {
      await lock?.release();
      await again?.stop();
      await srv.stop();
    }
  });

  test('with_audit_denials_sync_the_answer_waits_for_the_database', async () => {
    const srv = await startServer('sqlite', { args: ['--audit-denials', 'sync'] });
    let lock;
    try {
      const t = await tenant(srv, 'Sync BV');
      const s = await subject(srv, t.keys.service);
      const dbPath = srv.db.slice('sqlite:'.length);
      lock = await holdWriteLock(dbPath);
      let answered = false;
      const pending = srv.request('POST', '/v1/decisions', { key: t.keys.service, body: { subject: s.id, purpose: MKT } })
        .then((a) => { answered = true; return a; });
      await sleep(500);
      assert.equal(answered, false, 'a sync denial is not answered before its COMMIT');
      await lock.release();
      lock = null;
      const a = await pending;
      assert.equal(a.status, 200, a.text);
      assert.equal(a.json.allow, false);
      assert.equal(Number(srv.sql(`SELECT count(*) FROM audit_events WHERE action = 'decision.denied' AND target = '${s.id}'`).trim()), 1);
    } finally {
      await lock?.release();
      await srv.stop();
    }
  });
});
