#!/usr/bin/env bash
# Every libFuzzer target for RUNS executions (default 1,000,000), each from a
# copy of its seed corpus; MAX_TIME seconds stops a target sooner (default 0:
# no limit; the slowest targets take 15-30 minutes on 2 cores). Results:
# bench/RESULTS.md, "## Reliability".
# Prints a table row per target: executions, seconds, exec/s, edge coverage,
# corpus size, crashes (crash-/leak-/oom-/timeout- files: goal 0; they are
# kept in the printed directory for a regression seed).
# Usage: bench/fuzz.sh [BUILD_DIR] (default build/fuzz: cmake --preset fuzz &&
#   cmake --build build/fuzz); TARGETS="fuzz_tar fuzz_model" for a subset.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/fuzz}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kf-fuzz.XXXXXX")
runs=${RUNS:-1000000}
max_time=${MAX_TIME:-0}
targets=${TARGETS:-$(cd "$build/tests/fuzz" && ls fuzz_* | grep -v '\.' | sort)}
corpus_of() { # the seed directory a target's ctest uses (tests/fuzz/CMakeLists.txt)
  case $1 in fuzz_infer_request) echo infer_request ;; *) echo "$1" ;; esac
}
echo "work directory: $work"
printf '| target | executions | seconds | exec/s | edges (cov) | corpus | crashes |\n|---|---|---|---|---|---|---|\n'
total_crashes=0
for t in $targets; do
  seeds=$root/tests/fuzz/corpus/$(corpus_of "$t")
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  start=$(date +%s.%N)
  (cd "$work/$t" && "$build/tests/fuzz/$t" -runs="$runs" -max_total_time="$max_time" -max_len=4096 -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" corpus "$seeds" >log 2>&1) || true
  secs=$(python3 -c "import time; print(round(time.time() - $start, 1))")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$work/$t/log" | tail -1 | cut -d' ' -f2)
  corpus=$(find "$work/$t/corpus" -type f | wc -l)
  crashes=$(find "$work/$t/artifacts" -type f | wc -l)
  total_crashes=$((total_crashes + crashes))
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$t" "${execs:-?}" "$secs" \
    "$(python3 -c "print(round(${execs:-0} / max($secs, 0.1)))")" "${cov:-?}" "$corpus" "$crashes"
done
echo "crashes in all: $total_crashes"
[ "$total_crashes" = 0 ]
