#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# consent_api.sh BUILD — durable consent events/s through the API (issue 4): a real `tutela
# serve`, 200 subjects, then wrk with many connections POSTing /v1/subjects/{id}/consents for
# ~10 s (each 201 is sent only after the group commit's COMMIT returned). Durable events are
# counted in the database afterwards, not from responses. Printed beside the direct-ledger
# figure (bench_consent_ledger) and its raw SQLite baselines from this same run. With
# TUTELA_BENCH_DB=postgres://… the server and the ledger bench run on PostgreSQL too.
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v wrk >/dev/null || { echo "consent_api: wrk not installed (scripts/install-deps.sh)"; exit 0; }
TMP=$(mktemp -d -p /tmp --suffix=.tutela-bench-consent)
PID=
PGDB=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  wait 2>/dev/null
  [ -n "$PGDB" ] && psql "${TUTELA_BENCH_DB}" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
DUR=${BENCH_CONSENT_SECONDS:-10}
CONNS=${BENCH_CONSENT_CONNECTIONS:-256}
if [ -n "${TUTELA_BENCH_DB:-}" ]; then
  PGDB="tt_bench_consent_$$"
  psql "$TUTELA_BENCH_DB" -qc "CREATE DATABASE $PGDB" >/dev/null || exit 1
  DB=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$TUTELA_BENCH_DB" "$PGDB")
  count() { psql "$DB" -qAtc "SELECT count(*) FROM consent_events"; }
else
  DB="sqlite:$TMP/c.db"
  count() { sqlite3 "$TMP/c.db" "SELECT count(*) FROM consent_events"; }
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$PORT
TUTELA_LOG_LEVEL=error "$BUILD/tutela" serve --db "$DB" --master-key "$TMP/mk" \
  --listen "127.0.0.1:$PORT" --policy policy/default.yaml --threads "$CONNS" >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 200); do curl -fsS "$U/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
ADMIN=$("$BUILD/tutela" keys create --db "$DB" --master-key "$TMP/mk" --tenant ten_platform --role admin)
post() { curl -fsS -X POST "$U$1" -H "Authorization: Bearer $2" -H 'content-type: application/json' -d "$3"; }
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
TENANT=$(post /v1/tenants "$ADMIN" '{"name":"Bench BV"}' | field id)
TADMIN=$(post "/v1/tenants/$TENANT/keys" "$ADMIN" '{"role":"admin"}' | field token)
SERVICE=$(post /v1/keys "$TADMIN" '{"role":"service"}' | field token)
[ -n "$SERVICE" ] || { echo "consent_api: set-up failed"; tail -5 "$TMP/serve.log"; exit 1; }
for _ in $(seq 200); do
  post /v1/subjects "$SERVICE" '{"kind":"end_user","jurisdiction":"NL","contract_active":true}' | field id
done >"$TMP/subjects"
python3 - "$TMP/subjects" "$SERVICE" >"$TMP/post.lua" <<'PY'
import sys
ids = open(sys.argv[1]).read().split()
print("local ids = {" + ",".join('"%s"' % i for i in ids) + "}")
print('local key = "%s"' % sys.argv[2])
print('''
local n = 0
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  local action = (n % 3 == 0) and "withdraw" or "grant"
  return wrk.format("POST", "/v1/subjects/" .. id .. "/consents",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"},
    '{"purpose":"marketing.communications.email","action":"' .. action ..
    '","method":"api","notice_version":"2022.1"}')
end
''')
PY
BEFORE=$(count)
OUT=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --timeout 10s -s "$TMP/post.lua" "$U" 2>&1)
AFTER=$(count)
NON2XX=$(echo "$OUT" | awk '/Non-2xx/ {print $NF}')
SECS=$(echo "$OUT" | awk '/requests in/ {print $(NF-2)}' | tr -d 's,')
kill "$PID" 2>/dev/null; wait 2>/dev/null; PID=
LEDGER=$("$BUILD/bench/bench_consent_ledger" --seconds 5 ${TUTELA_BENCH_DB:+--db "$TUTELA_BENCH_DB"} 2>&1)
python3 - "$BEFORE" "$AFTER" "${SECS:-$DUR}" "${NON2XX:-0}" "$CONNS" "${TUTELA_BENCH_DB:+postgres}" <<PY
import re, sys
before, after, secs, bad, conns, backend = sys.argv[1:]
rate = (int(after) - int(before)) / float(secs)
ledger = """$LEDGER"""
m = re.search(r": (\d+) durable events/s", ledger)
raw = re.search(r"(\d+) rows/txn: (\d+) rows/s", ledger)
direct = float(m.group(1)) if m else 0
print(f"consent API ({backend or 'sqlite'}, POST /v1/subjects/{{id}}/consents, {conns} connections):"
      f" {rate:.0f} durable events/s (counted in the database; {bad} non-2xx)")
print(f"direct ledger (group commit, same run): {direct:.0f} durable events/s"
      f"  (API = {rate / direct if direct else 0:.2f} of it)")
if raw:
    print(f"raw SQLite, {raw.group(1)} rows/txn, synchronous=FULL: {raw.group(2)} rows/s"
          f"  (API = {rate / float(raw.group(2)):.2f} of it; goal >= 0.5)")
print(f"goal: >= 50000 events/s through the API: {'met' if rate >= 50000 else 'not met'}")
PY
