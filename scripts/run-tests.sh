#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-tests.sh BUILD ASAN — every test: the normal build (all suites, against SQLite and a
# throwaway PostgreSQL cluster), the core unit tests under valgrind, and the ASan+UBSan build.
# Ends with one summary line: "summary: N passed, N failed".
set -uo pipefail
BUILD=${1:-build}
ASAN=${2:-build-asan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

passed=0
failed=0
log_mark=$(mktemp)
failures=()
times=() # each step's wall time, printed before the summary (CI keeps the whole run under 15 min)
fail_lines=$(mktemp) # the failed meson tests and valgrind's reports, repeated before the summary

count() { # parse meson's "Ok: N" / "Fail: N" / "Timeout: N" lines from a log
  local log=$1 ok fail to
  ok=$(grep -E '^Ok:' "$log" | tail -1 | awk '{print $2}')
  fail=$(grep -E '^(Fail|Unexpected Pass|Timeout):' "$log" | awk '{s+=$NF} END {print s+0}')
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0}))
}

step() { # step NAME command...
  local name=$1; shift
  local log rc start=$SECONDS
  log=$(mktemp)
  echo "== $name"
  "$@" >"$log" 2>&1
  rc=$?
  cat "$log"
  times+=("$name: $((SECONDS - start)) s")
  if [ "$rc" -ne 0 ]; then
    { grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR) ' "$log" | sed "s|^|  $name: |"
      grep -E '^==[0-9]+== ' "$log" | head -30; } >>"$fail_lines"
  fi
  if grep -qE '^Ok:' "$log"; then
    count "$log"
    if [ "$rc" -ne 0 ]; then failures+=("$name"); fi
  elif [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); failures+=("$name")
  fi
  rm -f "$log"
  # the node suites print one "not ok" line per failed test: name them (the error log is cut)
  for d in "$BUILD" "$ASAN"; do
    for f in "$d"/meson-logs/testlog*.txt; do
      [ -f "$f" ] && [ "$f" -nt "$log_mark" ] && grep -E '^\s*not ok ' "$f" | sed "s|^|  failed: |" | head -40
    done
  done
  touch "$log_mark"
}

# A throwaway PostgreSQL cluster for the PostgreSQL runs of the store and API suites (issue 9).
PGDIR=$(mktemp -d -p /tmp --suffix=.tutela-pg)
cleanup() { bash scripts/pg-cluster.sh stop "$PGDIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT
if [ -x scripts/pg-cluster.sh ] || [ -f scripts/pg-cluster.sh ]; then
  if url=$(bash scripts/pg-cluster.sh start "$PGDIR"); then
    export TUTELA_TEST_PG_URL=$url
    echo "== PostgreSQL test cluster: ${url%%@*}@…"
  else
    echo "== PostgreSQL test cluster failed to start"
    failed=$((failed + 1)); failures+=("postgresql-cluster")
  fi
fi

step "build: all suites" meson test -C "$BUILD" --print-errorlogs --num-processes 2
if [ -n "${TUTELA_TEST_PG_URL:-}" ]; then
  # the backend-agnostic store suite again, on PostgreSQL (issue 9)
  step "build: store suite on PostgreSQL" env TUTELA_TEST_DB="$TUTELA_TEST_PG_URL" \
    meson test -C "$BUILD" --print-errorlogs --logbase store-pg store
fi
VG="valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --quiet"
core_tests=()
for t in clock policy vault ident decide index ledger tcf consent transfer notice export deadline \
  request_state password totp ratelimit ropa; do
  [ -x "$BUILD/tests/test_$t" ] && core_tests+=("$t")
done
if [ ${#core_tests[@]} -gt 0 ]; then
  step "valgrind: core unit tests" meson test -C "$BUILD" --print-errorlogs --logbase valgrind --timeout-multiplier 3 --wrap="$VG" "${core_tests[@]}"
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "asan+ubsan: all suites" meson test -C "$ASAN" --print-errorlogs --num-processes 2

echo
printf 'time: %s\n' "${times[@]}"
cat "$fail_lines"
if [ ${#failures[@]} -gt 0 ]; then echo "failed steps: ${failures[*]}"; fi
echo "summary: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
