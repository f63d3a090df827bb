#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# lint.sh — the house rules a compiler does not check (STYLE.md): banned functions, formatting with
# the repo's .clang-format, no outside address in web/ (no CDN, no third-party request), no
# unfinished-work markers, an SPDX line atop every C file. Prints each problem; exit 1 if any.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
say() { echo "lint: $*"; bad=1; }

c_files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests bench -name '*.[ch]')

# banned: strcpy, strcat, sprintf, gets, atoi (curl's list; STYLE.md)
hits=$(grep -nE '\b(strcpy|strcat|sprintf|gets|atoi)\s*\(' $c_files | grep -vE '\b(snprintf|vsnprintf|fgets|strncat)\s*\(' || true)
[ -n "$hits" ] && say "banned functions:" && echo "$hits"

for f in $c_files; do
  head -1 "$f" | grep -q 'SPDX-License-Identifier' || say "$f: no SPDX line at the top"
done

if command -v clang-format >/dev/null; then
  unformatted=$(for f in $c_files; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  [ -n "$unformatted" ] && say "not clang-formatted (run 'make format'):" && echo "$unformatted"
fi

ext=$(grep -rnoE 'https?://[^"'"'"' )]+' web 2>/dev/null | grep -vE 'localhost|127\.0\.0\.1|example\.(com|org)|w3\.org|schema|spdx' || true)
[ -n "$ext" ] && say "outside addresses in web/:" && echo "$ext"

# (mkdtemp templates end in six X's: not a marker)
markers=$(git grep -nE 'TODO|FIXME|(^|[^X])X{3}([^X]|$)|not implemented|unimplemented' -- '*.c' '*.h' '*.js' '*.mjs' 2>/dev/null || true)
[ -n "$markers" ] && say "unfinished-work markers:" && echo "$markers"

[ "$bad" -eq 0 ] && echo "lint: ok"
exit "$bad"
