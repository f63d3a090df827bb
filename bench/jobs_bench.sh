#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# jobs_bench.sh BUILD — issue 9 benchmarks (bench/jobs_bench.mjs): outbox delivery beside a raw
# libcurl loop; on a throwaway PostgreSQL cluster (scripts/pg-cluster.sh), pgbench inserts beside
# durable audit events and durable consent events through one and two tutela nodes (each
# consent run between two pgbench runs of its length; one tenant, then several). Bounded: under
# eight minutes.
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export TUTELA_BIN="$ROOT/$BUILD/tutela"
[ -x "$TUTELA_BIN" ] || TUTELA_BIN="$BUILD/tutela"
# BENCH_TUTELA_BIN: a binary to measure instead of BUILD's (a copy kept for A/B runs while BUILD is
# rebuilt; a TUTELA_BIN of the caller's environment is not used)
[ -n "${BENCH_TUTELA_BIN:-}" ] && TUTELA_BIN="$BENCH_TUTELA_BIN"
PGDIR=""
cleanup() { [ -n "$PGDIR" ] && bash scripts/pg-cluster.sh stop "$PGDIR" >/dev/null 2>&1; }
trap cleanup EXIT
if command -v pgbench >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/pgbench ]; then
  PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)"
  PGDIR=$(mktemp -d -p /tmp --suffix=.tutela-jobsb)
  if url=$(bash scripts/pg-cluster.sh start "$PGDIR" 2>/dev/null); then export TUTELA_BENCH_PG=$url; fi
  # BENCH_PG_STATS=1: the cluster restarted with pg_stat_statements, and each consent run prints
  # the statements PostgreSQL ran for it (calls and times per event, bench/jobs_bench.mjs)
  if [ -n "${TUTELA_BENCH_PG:-}" ] && [ "${BENCH_PG_STATS:-0}" = 1 ]; then
    psql "$url" -qc "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
    as=(); [ "$(id -u)" -eq 0 ] && as=(runuser -u "${PG_CLUSTER_USER:-postgres}" --)
    "${as[@]}" pg_ctl -D "$PGDIR/data" -w restart -m fast >/dev/null
    psql "$url" -qc "ALTER SYSTEM SET pg_stat_statements.track_planning = on" -c "SELECT pg_reload_conf()" >/dev/null
  fi
fi
[ "${BENCH_SCALE:-full}" = small ] && export BENCH_OUTBOX_N=300
timeout 480 node bench/jobs_bench.mjs
