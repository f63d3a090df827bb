#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# lib.sh — set-up shared by the HTTP benchmarks that seed a SQLite store and run a real
# `tutela serve` on it (bench/http_decisions.sh, bench/disclosures.sh). Sourced, never run
# (scripts/run-bench.sh skips it). Each function sets the variables it names, for the script:
#   bench_init BUILD_DIR NAME TOOL...  ROOT, BUILD, BIN (the working folder becomes ROOT); exits 0
#                                      with "NAME: TOOL not installed, skipped" when a tool lacks
#   bench_tmp SUFFIX                   TMP (removed at exit unless KEEP is set), DB, the master key
#                                      file in TMP, and the trap that stops the server at exit
#   bench_seed N [ORDER]               N end users of one customer: TENANT, KEY (service role) and
#                                      $TMP/ids, their subject ids (ORDER BY ORDER, default id)
#   bench_serve [ENV=VALUE...]         PORT, SERVER (pid), URL: the server up and ready

bench_init() {
  local build=$1 name=$2 tool
  shift 2
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cd "$ROOT"
  BUILD=$build
  case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
  BIN=$BUILD/tutela
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: $tool not installed, skipped"; exit 0; }
  done
}

bench_cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}

bench_tmp() {
  TMP=$(mktemp -d -p /tmp --suffix=".$1")
  SERVER=
  trap bench_cleanup EXIT
  export TUTELA_MASTER_KEY_FILE=$TMP/mk
  DB=sqlite:$TMP/bench.db
}

bench_seed() {
  local n=$1 order=${2:-subject_id}
  timeout 60 "$BIN" demo seed --db "$DB" --customers 1 --end-users "$n" --messages 0 >/dev/null
  TENANT=$(sqlite3 "$TMP/bench.db" \
    "SELECT tenant_id FROM subjects WHERE tenant_id <> 'ten_platform' LIMIT 1")
  KEY=$("$BIN" keys create --db "$DB" --tenant "$TENANT" --role service)
  sqlite3 "$TMP/bench.db" \
    "SELECT subject_id FROM subjects WHERE tenant_id = '$TENANT' ORDER BY $order" >"$TMP/ids"
}

bench_serve() {
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env "$@" "$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --policy policy/default.yaml \
    >"$TMP/serve.out" 2>"$TMP/serve.log" &
  SERVER=$!
  URL=http://127.0.0.1:$PORT
  for _ in $(seq 100); do curl -fsS "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
}
