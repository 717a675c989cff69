#!/usr/bin/env bash
# Functions longer than MAX lines (default 80) in kf's own C++ (cli/,
# libkf/, runtime/, contract/), measured with universal-ctags: a function's
# length is its end: line minus its line: line, plus one, so the signature
# and the closing brace count. Lambdas count toward the function that holds
# them. Exit status 1 when any is longer, 77 (skipped) without ctags.
#   scripts/function-lengths.sh [MAX]      list the offenders
#   TOP=20 scripts/function-lengths.sh 0   the 20 longest
set -euo pipefail
cd "$(dirname "$0")/.."
max=${1:-80}
ctags=$(command -v ctags-universal || command -v universal-ctags || true)
if [ -z "$ctags" ] && ctags --version 2>/dev/null | grep -q "Universal Ctags"; then ctags=$(command -v ctags); fi
[ -n "$ctags" ] || { echo "SKIP: universal-ctags is not installed (scripts/install-deps.sh installs it)"; exit 77; }
long=$("$ctags" -R --languages=C++ --kinds-C++=f --fields=+ne -o - cli libkf runtime contract |
  awk -F'\t' -v max="$max" '{
    start = ""; end = ""
    for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) start = substr($i, 6); if ($i ~ /^end:/) end = substr($i, 5) }
    if (start != "" && end != "" && end - start + 1 > max) print end - start + 1, $2 ":" start, $1
  }' | sort -rn | head -n "${TOP:-1000}")
if [ -n "$long" ]; then
  echo "functions over $max lines:"
  echo "$long"
  [ "$max" -gt 0 ] && exit 1
fi
exit 0
