// SPDX-License-Identifier: Apache-2.0
// jobs_bench.mjs BUILD — issue 9 benchmarks, each beside its baseline measured in the same run:
// (1) outbox throughput: webhooks delivered per second to a local receiver, beside a raw libcurl
//     POST loop (the curl tool, one keep-alive connection) to the same receiver;
// (2) with TUTELA_BENCH_PG (a PostgreSQL URL): pgbench single-row INSERT transactions per second
//     on that cluster, beside durable audited writes per second through tutela (subjects created
//     by wrk, one audit event each) with one and with two nodes — same cluster, same durability
//     settings (printed), same client concurrency. Stops by itself (bounded counts/times).
//     BENCH_PARTS=pg runs only (2).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { request } from '../tests/api/lib/server.mjs';
import { startNode, until, webhookReceiver } from '../tests/tools/receivers.mjs';

const N = Number(process.env.BENCH_OUTBOX_N || 2000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-jobs-bench-'));
const mk = path.join(dir, 'mk');
fs.writeFileSync(mk, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
const BIN = process.env.TUTELA_BIN;
const ONLY = { TUTELA_JOBS: 'outbox.deliver', TUTELA_LOG_LEVEL: 'warn' };

function adminKey(db) {
  return execFileSync(BIN, ['keys', 'create', '--db', db, '--master-key', mk, '--tenant', 'ten_platform', '--role', 'admin'],
    { encoding: 'utf8' }).trim();
}

async function outbox() {
  const rx = await webhookReceiver();
  const db = `sqlite:${path.join(dir, 'o.db')}`;
  const node = await startNode({ db, mk, env: { ...ONLY, TUTELA_JOBS: 'none' } });
  const key = adminKey(db);
  const body = JSON.stringify({ type: 'bench', pad: 'x'.repeat(200) });
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => request(node.base, 'POST', '/v1/outbox', {
      key, body: { channel: 'webhook', to: rx.url, body, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } })));
  }
  await node.stop();
  // all queued while no node delivered: now one node delivers them all
  const t0 = Date.now();
  const d = await startNode({ db, mk, env: ONLY });
  await until(() => rx.got.length >= N, 110000, 20);
  const secs = (Date.now() - t0) / 1000;
  const got = rx.got.length;
  await d.stop();
  // baseline: the same POSTs through libcurl (curl tool), one connection, no store
  const cfg = path.join(dir, 'curl.cfg');
  const bodyFile = path.join(dir, 'body.json');
  fs.writeFileSync(bodyFile, body);
  fs.writeFileSync(cfg, Array.from({ length: N }, () => `url = "${rx.url}"\noutput = "/dev/null"\n`).join(''));
  rx.got.length = 0;
  const b0 = Date.now();
  // async: the receiver runs in this process and must keep answering
  await new Promise((resolve) => {
    const c = spawn('curl', ['-s', '-K', cfg, '--data-binary', `@${bodyFile}`, '-H', 'content-type: application/json'],
      { stdio: 'ignore', timeout: 110000 });
    c.on('exit', resolve);
  });
  const bsecs = (Date.now() - b0) / 1000;
  const bgot = rx.got.length;
  await rx.close();
  const rate = got / secs;
  const base = bgot / bsecs;
  console.log(`outbox webhooks delivered: ${rate.toFixed(0)}/s (${got} in ${secs.toFixed(2)} s, durable status per message) | raw libcurl POST loop: ${base.toFixed(0)}/s (${bgot}) | ratio ${(rate / base).toFixed(2)}`);
}

// Client concurrency of both sides of the PostgreSQL comparison: pgbench clients, wrk connections.
const CLIENTS = Number(process.env.BENCH_PG_CLIENTS || 8);
const SECS = Number(process.env.BENCH_PG_SECS || 8);

// wrk: the subject-creating requests (bench/subject_create.lua) on `conns` connections to base;
// resolves to { n, secs } (201 answers only).
function wrkCreate(base, key, conns) {
  return new Promise((resolve) => {
    const c = spawn('wrk', ['-t', String(Math.min(2, conns)), '-c', String(conns), '-d', `${SECS}s`,
      '-s', 'bench/subject_create.lua', base, '--', key], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('exit', () => {
      const m = out.match(/created (\d+) in ([0-9.]+) s, (\d+) refused/);
      resolve(m ? { n: Number(m[1]) - Number(m[3]), secs: Number(m[2]) } : { n: 0, secs: SECS });
    });
  });
}

async function audit(pgUrl) {
  const setting = (name) => execFileSync('psql', [pgUrl, '-Atc', `SHOW ${name}`], { encoding: 'utf8' }).trim();
  const durability = `synchronous_commit=${setting('synchronous_commit')}, fsync=${setting('fsync')}`;
  // pgbench: one single-row INSERT per transaction (autocommit: one round trip and one commit
  // each), CLIENTS clients, SECS s
  const pgdb = `ttb_${randomBytes(4).toString('hex')}`;
  execFileSync('psql', [pgUrl, '-qc', `CREATE DATABASE ${pgdb}`]);
  const u = new URL(pgUrl);
  u.pathname = `/${pgdb}`;
  execFileSync('psql', [u.href, '-qc', 'CREATE TABLE ins (id bigserial PRIMARY KEY, v text, at bigint)']);
  const script = path.join(dir, 'ins.sql');
  fs.writeFileSync(script, "INSERT INTO ins (v, at) VALUES ('x', 1);\n");
  const pb = spawnSync('pgbench', ['-n', '-c', String(CLIENTS), '-j', '2', '-T', String(SECS), '-f', script, u.href],
    { encoding: 'utf8', timeout: 60000 });
  const tps = Number((pb.stdout.match(/tps = ([0-9.]+)/) || [])[1] || 0);
  execFileSync('psql', [pgUrl, '-qc', `DROP DATABASE ${pgdb} WITH (FORCE)`]);
  // tutela: CLIENTS connections in all (wrk), spread over the nodes; each 201 is sent after the
  // COMMIT of its subject row, subject key, audit event and change-feed row (the request is
  // parked meanwhile, so every client's creation can join the node's next batch).
  const env = { ...ONLY, TUTELA_JOBS: 'none', TUTELA_POOL: String(CLIENTS) };
  const results = [];
  for (const nodes of [1, 2]) {
    const name = `ttb_${randomBytes(4).toString('hex')}`;
    execFileSync('psql', [pgUrl, '-qc', `CREATE DATABASE ${name}`]);
    const v = new URL(pgUrl);
    v.pathname = `/${name}`;
    const ns = [];
    for (let i = 0; i < nodes; i++) ns.push(await startNode({ db: v.href, mk, env }));
    const key = adminKey(v.href);
    const runs = await Promise.all(ns.map((n, i) =>
      wrkCreate(n.base, key, Math.floor(CLIENTS / nodes) + (i < CLIENTS % nodes ? 1 : 0))));
    const rate = runs.reduce((a, r) => a + r.n / r.secs, 0);
    for (const n of ns) await n.stop();
    const verify = spawnSync(BIN, ['audit', 'verify', '--db', v.href, '--master-key', mk], { encoding: 'utf8' });
    if (verify.status !== 0) throw new Error(`audit verify failed after the run:\n${verify.stdout}${verify.stderr}`);
    execFileSync('psql', [pgUrl, '-qc', `DROP DATABASE ${name} WITH (FORCE)`]);
    results.push(rate);
  }
  console.log(`PostgreSQL (same cluster, ${durability}, ${CLIENTS} clients each, ${SECS} s): pgbench single-row INSERT ${tps.toFixed(0)} tps | tutela durable audited subject creations (group commit, audit chains verified after): one node ${results[0].toFixed(0)}/s (ratio ${(results[0] / tps).toFixed(2)}), two nodes ${results[1].toFixed(0)}/s (ratio ${(results[1] / tps).toFixed(2)}); goal ratio >= 0.50`);
}

try {
  if (process.env.BENCH_PARTS !== 'pg') await outbox();
  if (process.env.TUTELA_BENCH_PG) await audit(process.env.TUTELA_BENCH_PG);
  else console.log('PostgreSQL part skipped: TUTELA_BENCH_PG unset');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
