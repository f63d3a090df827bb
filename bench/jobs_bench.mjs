// SPDX-License-Identifier: Apache-2.0
// jobs_bench.mjs BUILD — issue 9 benchmarks, each beside its baseline measured in the same run:
// (1) outbox throughput: webhooks delivered per second to a local receiver, beside a raw libcurl
//     POST loop (the curl tool, one keep-alive connection) to the same receiver;
// (2) with TUTELA_BENCH_PG (a PostgreSQL URL): pgbench single-row INSERT transactions per second
//     on that cluster, beside durable audited writes per second through tutela (subjects created
//     by wrk, one audit event each) with one and with two nodes — same cluster, same durability
//     settings (printed), same client concurrency; and durable consent events per second
//     (POST /v1/subjects/{id}/consents by wrk, bench/consent_grant.lua, over a few hundred
//     subjects created before the timed part; counted afterwards in consent_events, not from the
//     answers) with one and two nodes, at pgbench's client count and at a higher one
//     (BENCH_PG_HIGH, default 64), each beside pgbench at the same client count run for the
//     same time just before and just after it; then the same with BENCH_TENANTS (default 4)
//     tenants, one consent chain each, tenant t's requests to node t mod nodes (labelled).
//     Each consent run and each pgbench run beside it also prints where the machine's CPU went
//     (bench/cpu_use.mjs: busy cores, the cluster's processes, each node, wrk or pgbench, the
//     rest of the machine) and the node and PostgreSQL CPU per event.
//     Stops by itself (bounded counts/times). BENCH_PARTS=pg runs only (2), BENCH_PARTS=consent
//     only its consent figures; BENCH_CONSENT_RUNS (e.g. "8x1,64x4": connections x tenants)
//     picks the consent runs. With BENCH_PG_STATS=1 (jobs_bench.sh restarts the cluster with
//     pg_stat_statements) each consent run also prints what PostgreSQL ran for it: COMMITs and
//     events per COMMIT, statements, execution and planning time per event, the top statements.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { request } from '../tests/api/lib/server.mjs';
import { cpuMark, cpuText, cpuUse, postmasterOf } from './cpu_use.mjs';
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
const HIGH = Number(process.env.BENCH_PG_HIGH || 64);
const CSECS = Number(process.env.BENCH_CONSENT_SECS || 6);
const SUBJECTS = 300;
// tenants of the several-tenant consent figures (1: none)
const TENANTS = Number(process.env.BENCH_TENANTS || 4);
// BENCH_PG_STATS=1: pg_stat_statements figures of each consent run (the cluster preloads it)
const STATS = process.env.BENCH_PG_STATS === '1';

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

// The cluster's postmaster (for the CPU figures, bench/cpu_use.mjs), set by audit().
let PM = 0;

// pgbench: one single-row INSERT per transaction (autocommit: one round trip and one commit
// each), `clients` clients, `secs` s, in a database of its own; returns { tps, cpu } (cpu: the
// machine's use while pgbench ran, cpu_use.mjs).
function pgbench(pgUrl, clients, secs = SECS) {
  const pgdb = `ttb_${randomBytes(4).toString('hex')}`;
  execFileSync('psql', [pgUrl, '-qc', `CREATE DATABASE ${pgdb}`]);
  const u = new URL(pgUrl);
  u.pathname = `/${pgdb}`;
  execFileSync('psql', [u.href, '-qc', 'CREATE TABLE ins (id bigserial PRIMARY KEY, v text, at bigint)']);
  const script = path.join(dir, 'ins.sql');
  fs.writeFileSync(script, "INSERT INTO ins (v, at) VALUES ('x', 1);\n");
  const m0 = cpuMark(PM);
  const pb = spawnSync('pgbench', ['-n', '-c', String(clients), '-j', '2', '-T', String(secs), '-f', script, u.href],
    { encoding: 'utf8', timeout: 60000 });
  const cpu = cpuUse(m0, cpuMark(PM));
  execFileSync('psql', [pgUrl, '-qc', `DROP DATABASE ${pgdb} WITH (FORCE)`]);
  return { tps: Number((pb.stdout.match(/tps = ([0-9.]+)/) || [])[1] || 0), cpu };
}

// wrk: consent events (bench/consent_grant.lua over the subject ids in idsFile) on `conns`
// connections to base for CSECS s; resolves to { sent, secs } (2xx answers only).
function wrkConsent(base, key, conns, idsFile) {
  return new Promise((resolve) => {
    const c = spawn('wrk', ['-t', String(Math.min(2, conns)), '-c', String(conns), '-d', `${CSECS}s`,
      '-s', 'bench/consent_grant.lua', base, '--', key, idsFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('exit', () => {
      const m = out.match(/sent (\d+) in ([0-9.]+) s, (\d+) refused/);
      resolve(m ? { sent: Number(m[1]) - Number(m[3]), secs: Number(m[2]) } : { sent: 0, secs: CSECS });
    });
  });
}

// `n` connections in all split over the nodes: share of node i.
const share = (n, nodes, i) => Math.floor(n / nodes) + (i < n % nodes ? 1 : 0);

// The consent keys and subjects of a run, created through `base` (untimed): with tenants = 1 the
// platform tenant's admin key; else `tenants` tenants (POST /v1/tenants), each with its own admin
// key and chain. SUBJECTS subjects in all; resolves to [{ key, idsFile }] one per tenant.
async function consentTenants(base, db, name, tenants) {
  const admin = adminKey(db);
  const out = [];
  for (let t = 0; t < tenants; t++) {
    let key = admin;
    if (tenants > 1) {
      const ten = await request(base, 'POST', '/v1/tenants', { key: admin, body: { name: `Bench ${t}` } });
      if (ten.status !== 201) throw new Error(`tenant creation failed: ${ten.status} ${ten.text}`);
      const k = await request(base, 'POST', `/v1/tenants/${ten.json.id}/keys`, { key: admin, body: { role: 'admin' } });
      if (k.status !== 201) throw new Error(`tenant key creation failed: ${k.status} ${k.text}`);
      key = k.json.token;
    }
    const ids = [];
    const per = Math.ceil(SUBJECTS / tenants);
    for (let i = 0; i < per; i += 50) {
      const rs = await Promise.all(Array.from({ length: Math.min(50, per - i) }, () => request(base, 'POST', '/v1/subjects', {
        key, body: { kind: 'end_user', jurisdiction: 'NL', contract_active: true } })));
      for (const r of rs) {
        if (r.status !== 201) throw new Error(`subject creation failed: ${r.status} ${r.text}`);
        ids.push(r.json.id);
      }
    }
    const idsFile = path.join(dir, `ids-${name}-${t}.txt`);
    fs.writeFileSync(idsFile, `${ids.join('\n')}\n`);
    out.push({ key, idsFile });
  }
  return out;
}

// Durable consent events per second through `nodes` nodes on a fresh database, `conns` wrk
// connections in all: SUBJECTS subjects are created first (untimed), then wrk records consents
// for CSECS s; the figure is count(*) of consent_events once the nodes stopped, over wrk's
// duration (it includes the at most `conns` writes still in flight when wrk stopped). With
// tenants > 1 the subjects belong to that many tenants (one consent chain each), each tenant's
// requests go to one node (tenant t to node t mod nodes, as a router by tenant would send them)
// over its share of the connections.
async function consentRun(pgUrl, env, nodes, conns, tenants = 1) {
  const name = `ttb_${randomBytes(4).toString('hex')}`;
  execFileSync('psql', [pgUrl, '-qc', `CREATE DATABASE ${name}`]);
  const v = new URL(pgUrl);
  v.pathname = `/${name}`;
  const ns = [];
  try {
    // wrk runs: one per tenant (each to its node) or, with one tenant, one per node
    const parts = Math.max(nodes, tenants);
    const nodeOf = (p) => p % nodes;
    // a consent request holds its server thread until its batch committed (consent_commit.c),
    // so each node gets one server thread per connection it takes, as bench/consent_api.sh does
    for (let i = 0; i < nodes; i++) {
      let threads = 0;
      for (let p = 0; p < parts; p++) if (nodeOf(p) === i) threads += share(conns, parts, p);
      ns.push(await startNode({ db: v.href, mk, env: { ...env, TUTELA_THREADS: String(threads) } }));
    }
    const ts = await consentTenants(ns[0].base, v.href, name, tenants);
    const before = Number(execFileSync('psql', [v.href, '-Atc', 'SELECT count(*) FROM consent_events'], { encoding: 'utf8' }));
    if (STATS) execFileSync('psql', [v.href, '-qAtc', 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()']);
    const named = Object.fromEntries(ns.map((n, i) => [`node ${i + 1}`, n.child.pid]));
    const m0 = cpuMark(PM, named);
    const runs = await Promise.all(Array.from({ length: parts }, (_, p) =>
      wrkConsent(ns[nodeOf(p)].base, ts[p % tenants].key, share(conns, parts, p), ts[p % tenants].idsFile)));
    const cpu = cpuUse(m0, cpuMark(PM, named));
    for (const n of ns.splice(0)) await n.stop();
    const stats = STATS ? statementStats(v.href) : null;
    const events = Number(execFileSync('psql', [v.href, '-Atc', 'SELECT count(*) FROM consent_events'], { encoding: 'utf8' })) - before;
    const secs = Math.max(...runs.map((r) => r.secs));
    const answered = runs.reduce((a, r) => a + r.sent, 0);
    const verify = spawnSync(BIN, ['consent', 'verify', '--db', v.href, '--master-key', mk], { encoding: 'utf8' });
    if (verify.status !== 0) throw new Error(`consent verify failed after the run:\n${verify.stdout}${verify.stderr}`);
    return { rate: events / secs, events, answered, secs, cpu, stats };
  } finally {
    for (const n of ns) await n.stop();
    execFileSync('psql', [pgUrl, '-qc', `DROP DATABASE ${name} WITH (FORCE)`]);
  }
}

// What PostgreSQL ran in the database at `url` since the last reset (pg_stat_statements): one
// row per statement, { calls, exec, plan, plans, rows, query } (times in ms, query shortened).
function statementStats(url) {
  const sql = `SELECT calls, total_exec_time, total_plan_time, plans, rows,
      regexp_replace(left(query, 90), '\\s+', ' ', 'g')
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time + total_plan_time DESC`;
  return execFileSync('psql', [url, '-AtF', '\t', '-c', sql], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
    .map((l) => {
      const [calls, exec, plan, plans, rows, query] = l.split('\t');
      return { calls: Number(calls), exec: Number(exec), plan: Number(plan), plans: Number(plans), rows: Number(rows), query };
    });
}

// The statement figures of one consent run (statementStats) per event: the lines to print.
function statsText(st, events, label) {
  const sum = (f) => st.reduce((a, r) => a + f(r), 0);
  const commits = sum((r) => (/^COMMIT/i.test(r.query) ? r.calls : 0));
  const per = (x) => (events ? x / events : 0);
  const out = [`  statements, ${label}: ${events} events, ${commits} COMMITs (${(events / (commits || 1)).toFixed(1)} events a COMMIT), ` +
    `${per(sum((r) => r.calls)).toFixed(2)} statements an event, ${per(sum((r) => r.exec)).toFixed(3)} ms execution and ` +
    `${per(sum((r) => r.plan)).toFixed(3)} ms planning an event (${sum((r) => r.plans)} plans)`];
  for (const r of st.slice(0, 14)) {
    out.push(`    ${per(r.calls).toFixed(3)} an event, ${(r.exec / (r.calls || 1)).toFixed(3)} ms mean, ${per(r.exec).toFixed(4)} ms an event` +
      `${r.plans ? `, ${r.plans} plans ${per(r.plan).toFixed(4)} ms an event` : ''}: ${r.query}`);
  }
  return out.join('\n');
}

async function audit(pgUrl) {
  const setting = (name) => execFileSync('psql', [pgUrl, '-Atc', `SHOW ${name}`], { encoding: 'utf8' }).trim();
  const durability = `synchronous_commit=${setting('synchronous_commit')}, fsync=${setting('fsync')}`;
  PM = postmasterOf(pgUrl);
  const tps = process.env.BENCH_PARTS === 'consent' ? 0 : pgbench(pgUrl, CLIENTS).tps;
  // tutela: CLIENTS connections in all (wrk), spread over the nodes; each 201 is sent after the
  // COMMIT of its subject row, subject key, audit event and change-feed row (the request is
  // parked meanwhile, so every client's creation can join the node's next batch).
  const env = { ...ONLY, TUTELA_JOBS: 'none', TUTELA_POOL: String(CLIENTS) };
  const results = [];
  // BENCH_PARTS=consent: the consent figures only
  for (const nodes of process.env.BENCH_PARTS === 'consent' ? [] : [1, 2]) {
    const name = `ttb_${randomBytes(4).toString('hex')}`;
    execFileSync('psql', [pgUrl, '-qc', `CREATE DATABASE ${name}`]);
    const v = new URL(pgUrl);
    v.pathname = `/${name}`;
    const ns = [];
    for (let i = 0; i < nodes; i++) ns.push(await startNode({ db: v.href, mk, env }));
    const key = adminKey(v.href);
    const runs = await Promise.all(ns.map((n, i) =>
      wrkCreate(n.base, key, share(CLIENTS, nodes, i))));
    const rate = runs.reduce((a, r) => a + r.n / r.secs, 0);
    for (const n of ns) await n.stop();
    const verify = spawnSync(BIN, ['audit', 'verify', '--db', v.href, '--master-key', mk], { encoding: 'utf8' });
    if (verify.status !== 0) throw new Error(`audit verify failed after the run:\n${verify.stdout}${verify.stderr}`);
    execFileSync('psql', [pgUrl, '-qc', `DROP DATABASE ${name} WITH (FORCE)`]);
    results.push(rate);
  }
  if (results.length) console.log(`PostgreSQL (same cluster, ${durability}, ${CLIENTS} clients each, ${SECS} s): pgbench single-row INSERT ${tps.toFixed(0)} tps | tutela durable audited subject creations (group commit, audit chains verified after): one node ${results[0].toFixed(0)}/s (ratio ${(results[0] / tps).toFixed(2)}), two nodes ${results[1].toFixed(0)}/s (ratio ${(results[1] / tps).toFixed(2)}); goal ratio >= 0.50`);
  // consent events: at pgbench's client count, then at HIGH connections (the consent group
  // commit batches across callers, so more callers make larger batches). The machine's load
  // changes from one moment to the next, so each tutela run is bracketed by pgbench runs of the
  // same length and client count just before and just after it, and compared with their mean.
  // Then the same with TENANTS tenants (one chain each), tenant t's requests to node t mod
  // nodes: one tenant's chain is written one batch after the other whatever the node count, so
  // this is the figure where a second node can add throughput.
  let runs = [[CLIENTS, 1], [HIGH, 1]];
  if (TENANTS > 1) runs.push([CLIENTS, TENANTS], [HIGH, TENANTS]);
  if (process.env.BENCH_CONSENT_RUNS) runs = process.env.BENCH_CONSENT_RUNS.split(',').map((r) => r.split('x').map(Number));
  for (const [conns, tenants] of runs) {
    const figs = [];
    for (const nodes of [1, 2]) {
      const pb0 = pgbench(pgUrl, conns, CSECS);
      const r = await consentRun(pgUrl, env, nodes, conns, tenants);
      const pb1 = pgbench(pgUrl, conns, CSECS);
      const [before, after] = [pb0.tps, pb1.tps];
      const base = before && after ? (before + after) / 2 : 0;
      figs.push({ nodes, r, before, after, base, pb: [pb0.cpu, pb1.cpu] });
    }
    const fig = ({ nodes, r, before, after, base }) => `${nodes === 1 ? 'one node' : 'two nodes'} ${r.rate.toFixed(0)}/s (${r.events} events in consent_events, ${r.answered} answered 2xx, ${r.secs.toFixed(2)} s) beside pgbench ${before.toFixed(0)} tps before and ${after.toFixed(0)} after: ratio ${base ? (r.rate / base).toFixed(2) : 'n/a: pgbench failed (max_connections?)'}`;
    const what = tenants === 1 ? 'one tenant' : `${tenants} tenants, each to one node`;
    console.log(`PostgreSQL (same cluster, ${durability}, ${conns} connections / pgbench clients, ${CSECS} s each): tutela durable consent events, ${what} (group commit, ledger verified after): ${figs.map(fig).join('; ')}; two/one ${(figs[1].r.rate / figs[0].r.rate).toFixed(2)}; goal ratio >= 0.50, two > one`);
    // where the CPU went (cores, /proc): the machine's two cores are shared by PostgreSQL, the
    // nodes and the load generator, so this says whether a second node had a core to use
    for (const f of figs) {
      const u = f.r.cpu;
      const nodeCores = Object.values(u.procs).reduce((a, b) => a + b, 0);
      const per = (cores) => (f.r.events ? ((cores * u.wall * 1000) / f.r.events).toFixed(2) : 'n/a');
      console.log(`  ${f.nodes === 1 ? 'one node' : 'two nodes'}, ${what}, ${conns} connections: tutela run ${cpuText(u, 'wrk')}; per event ${per(nodeCores)} ms node(s), ${per(u.pg)} ms PostgreSQL | pgbench before ${cpuText(f.pb[0], 'pgbench')}; after ${cpuText(f.pb[1], 'pgbench')}`);
      if (f.r.stats) console.log(statsText(f.r.stats, f.r.events, `${f.nodes === 1 ? 'one node' : 'two nodes'}, ${what}, ${conns} connections`));
    }
  }
}

try {
  if (!['pg', 'consent'].includes(process.env.BENCH_PARTS)) await outbox();
  if (process.env.TUTELA_BENCH_PG) await audit(process.env.TUTELA_BENCH_PG);
  else console.log('PostgreSQL part skipped: TUTELA_BENCH_PG unset');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
