#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# banner_size.sh [BUILD] — the cookie banner's transfer size (issue 4 benchmark): gzip -9 of
# web/tutela-consent.js (its CSS is inside it) and of both languages' fallback texts, beside the
# 15 KB goal and the open-source banners' figures from the consent field notes. Exit 1 over goal.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GOAL=15360   # 15 KB
KLARO=37888  # Klaro: ~37 kB gzipped with CSS and translations (shared/reference/consent.md)

gz() { gzip -9 -c "$1" | wc -c; }
js=$(gz web/tutela-consent.js)
en=$(gz web/i18n/banner.en.json)
fr=$(gz web/i18n/banner.fr.json)
total=$((js + en + fr))
one=$(cat web/tutela-consent.js web/i18n/banner.en.json web/i18n/banner.fr.json | gzip -9 -c | wc -c)
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }

printf '%-58s %6d B  raw %6d B\n' "web/tutela-consent.js (script + CSS)" "$js" "$(wc -c <web/tutela-consent.js)"
printf '%-58s %6d B\n' "web/i18n/banner.en.json (fallback texts)" "$en"
printf '%-58s %6d B\n' "web/i18n/banner.fr.json (fallback texts)" "$fr"
printf '%-58s %6d B  (%s; one gzip stream: %d B)\n' "tutela banner: script + CSS + EN + FR, gzip" "$total" "$(kb "$total")" "$one"
printf '%-58s %6d B  (%s)\n' "goal (issue 4)" "$GOAL" "$(kb "$GOAL")"
printf '%-58s %6d B  (%s) -> tutela is %s of it\n' "Klaro, gzipped with CSS and translations (consent.md)" \
  "$KLARO" "$(kb "$KLARO")" "$(awk -v a="$total" -v b="$KLARO" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
# the peers measured in this run from their npm packages (dist files as a site includes them)
TMP=$(mktemp -d -p /tmp --suffix=.tutela-banner-size)
trap 'rm -rf "$TMP"' EXIT
peer() { # name@version file...: gzip size summed over the files
  local spec=$1; shift
  (cd "$TMP" && timeout 120 npm pack --silent "$spec" >/dev/null 2>&1) || return 1
  local tgz=("$TMP"/*"${spec%@*}"-*.tgz) dir="$TMP/${spec%@*}" sum=0
  mkdir -p "$dir" && tar xzf "${tgz[0]}" -C "$dir" || return 1
  for f in "$@"; do sum=$((sum + $(gz "$dir/package/$f"))); done
  echo "$sum"
}
if cc=$(peer vanilla-cookieconsent@3.1.0 dist/cookieconsent.umd.js dist/cookieconsent.css); then
  printf '%-58s %6d B  (%s; texts come on top, in the site config)\n' \
    "vanilla-cookieconsent 3.1.0 umd.js + css, gzip (this run)" "$cc" "$(kb "$cc")"
else
  printf '%-58s %s\n' "vanilla-cookieconsent 3.1.0" "not measured (npm registry not reached)"
fi
if kl=$(peer klaro@0.7.22 dist/klaro.js); then
  printf '%-58s %6d B  (%s)\n' "Klaro 0.7.22 klaro.js (CSS + all translations), gzip (this run)" "$kl" "$(kb "$kl")"
else
  printf '%-58s %s\n' "Klaro 0.7.22" "not measured (npm registry not reached)"
fi
if [ "$total" -le "$GOAL" ]; then
  echo "banner size: $(kb "$total") gzip, under the 15 KB goal"
else
  echo "banner size: $(kb "$total") gzip, OVER the 15 KB goal"
  exit 1
fi
