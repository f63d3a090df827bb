// SPDX-License-Identifier: Apache-2.0
// cpu_use.mjs — where a benchmark window's CPU went, read from /proc (issue 9): the machine's
// busy cores (/proc/stat), one PostgreSQL cluster (its postmaster with every process under it,
// those that ended in the window included through the postmaster's reaped-children time), named
// processes (the tutela nodes), and the load generators this process ran and reaped in the
// window (wrk, pgbench: this process's reaped-children time). What is left of the busy cores is
// the rest of the machine (other work, the bench's own process). Linux only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// /proc/PID/stat: { ppid, self, reaped } (CPU seconds, user + system) or null once it is gone
function procStat(pid) {
  let s;
  try {
    s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) / TCK, reaped: (Number(f[13]) + Number(f[14])) / TCK };
}

// busy and total CPU seconds of the whole machine so far
function machine() {
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - v[3] - v[4]) / TCK, total: total / TCK };
}

// CPU seconds of the cluster whose postmaster is `pm`: its own, its reaped children's and its
// live children's
function cluster(pm) {
  const p = procStat(pm);
  if (!p) return 0;
  let sum = p.self + p.reaped;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const c = procStat(e);
    if (c && c.ppid === pm) sum += c.self;
  }
  return sum;
}

// The postmaster's pid of the cluster at `pgUrl` (the parent of its checkpointer).
export function postmasterOf(pgUrl) {
  const pid = Number(execFileSync('psql', [pgUrl, '-Atc',
    "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"], { encoding: 'utf8' }).trim());
  const s = pid ? procStat(pid) : null;
  return s ? s.ppid : 0;
}

// A reading now: `named` maps labels to pids (read each time, so a node started later counts).
export function cpuMark(pm, named = {}) {
  const own = procStat(process.pid);
  const procs = {};
  for (const [k, pid] of Object.entries(named)) procs[k] = procStat(pid)?.self ?? 0;
  return { wall: performance.now() / 1000, machine: machine(), pg: pm ? cluster(pm) : 0, procs, reaped: own ? own.reaped : 0 };
}

// The use between two readings, in cores (CPU seconds per second of wall time).
export function cpuUse(a, b) {
  const wall = b.wall - a.wall;
  const cores = (x) => (wall > 0 ? x / wall : 0);
  const procs = Object.fromEntries(Object.keys(b.procs).map((k) => [k, cores(b.procs[k] - (a.procs[k] ?? 0))]));
  const busy = b.machine.total > a.machine.total
    ? (os.cpus().length * (b.machine.busy - a.machine.busy)) / (b.machine.total - a.machine.total) : 0;
  const pg = cores(b.pg - a.pg);
  const client = cores(b.reaped - a.reaped);
  const known = pg + client + Object.values(procs).reduce((x, y) => x + y, 0);
  return { wall, ncpu: os.cpus().length, busy, pg, client, procs, rest: Math.max(0, busy - known) };
}

// "CPU 1.96 of 2 cores busy: PostgreSQL 0.81, node 1 0.62, wrk 0.31, rest 0.22"
export function cpuText(u, clientName) {
  const parts = [`PostgreSQL ${u.pg.toFixed(2)}`];
  for (const [k, v] of Object.entries(u.procs)) parts.push(`${k} ${v.toFixed(2)}`);
  parts.push(`${clientName} ${u.client.toFixed(2)}`, `rest ${u.rest.toFixed(2)}`);
  return `CPU ${u.busy.toFixed(2)} of ${u.ncpu} cores busy: ${parts.join(', ')}`;
}
