#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-bench.sh BUILD — every benchmark, each printed beside its baseline measured in this run.
# Bounded: each part stops by itself. Set BENCH_SCALE=small for a quick pass.
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$BUILD/tutela
SMALL=${BENCH_SCALE:-full}
TMP=$(mktemp -d -p /tmp --suffix=.tutela-bench)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; \
  [ -n "${PGDIR:-}" ] && bash scripts/pg-cluster.sh stop "$PGDIR" >/dev/null 2>&1; }
trap cleanup EXIT

N_STORE=200000; N_API=100000; DEMO_MSGS=1000000
if [ "$SMALL" = small ]; then N_STORE=20000; N_API=10000; DEMO_MSGS=50000; fi

echo "## foundation (issue 2)"
"$BUILD/bench/bench_store" "$N_STORE" "$TMP"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
export TUTELA_MASTER_KEY_FILE=$TMP/mk
"$BIN" serve --db "sqlite:$TMP/api.db" --listen "127.0.0.1:$PORT" --policy policy/default.yaml \
  >"$TMP/serve.out" 2>"$TMP/serve.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
TENANT_KEY=$("$BIN" keys create --db "sqlite:$TMP/api.db" --tenant ten_platform --role admin)
node bench/api_records.mjs "http://127.0.0.1:$PORT" "$TENANT_KEY" "$N_API"
kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; PIDS=()

echo "demo seed ($DEMO_MSGS message records):"
"$BIN" demo seed --db "sqlite:$TMP/demo.db" --customers 10 --end-users 5000 --messages "$DEMO_MSGS"

for b in "$BUILD"/bench/bench_*; do
  case "$b" in */bench_store) continue ;; esac
  [ -x "$b" ] || continue
  echo "## $(basename "$b")"
  "$b"
done
for s in bench/*.sh; do
  [ -f "$s" ] || continue
  case "$s" in */lib.sh) continue ;; esac # sourced by the others
  echo "## $(basename "$s")"
  bash "$s" "$BUILD"
done

if [ -f scripts/pg-cluster.sh ]; then
  echo "## PostgreSQL (issue 9)"
  PGDIR=$(mktemp -d -p /tmp --suffix=.tutela-pgb)
  if url=$(bash scripts/pg-cluster.sh start "$PGDIR"); then
    TUTELA_BENCH_DB=$url "$BUILD/bench/bench_store" "$N_STORE" "$TMP"
  fi
fi
