#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tcf.sh — TC strings decoded and encoded per second: tutela (bench_tcf, C) beside @iabtcf/core
# (bench/tcf_bench.mjs, node) on the same 200 strings of an 800-vendor list, in the same run;
# prints both and the ratios (goal: >= 50x for both). Usage: bench/tcf.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-3}
bin="$build/bench/bench_tcf"
[ -x "$bin" ] || { echo "tcf.sh: $bin not built (ninja -C $build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node bench/tcf_bench.mjs "$tmp/strings.txt" "$secs" > "$tmp/js.txt"
"$bin" "$tmp/strings.txt" "$secs" > "$tmp/tt.txt"
val() { awk -v k="$1" '$1 == k { print $2 }' "$tmp"/js.txt "$tmp"/tt.txt; }
echo "TC strings: $(head -1 "$tmp/js.txt") (800-vendor list, one core each)"
printf '%-8s %16s %16s %8s\n' op tutela/s @iabtcf/core/s ratio
for op in decode encode; do
  t=$(val "tt_${op}_per_s"); j=$(val "js_${op}_per_s")
  awk -v op="$op" -v t="$t" -v j="$j" 'BEGIN { r = t / j; printf "%-8s %16d %16d %7.0fx %s\n", op, t, j, r, (r >= 50 ? "(goal 50x: met)" : "(goal 50x: NOT met)") }'
done
