#!/usr/bin/env bash
# kf-server under hostile clients (results: bench/RESULTS.md, "## Reliability"):
# N connections held open (a third idle, a third half a request line, a
# third trickling a header a byte a second), and meanwhile GET
# /v2/health/ready every 0.2 s from a healthy client: answered, failed
# (no answer within 10 s), p50/p99/max latency, and kf-server's RSS and
# thread count while they are held. This build's kf-server runs with
# `--http-threads 2` and with its defaults; OLD_SERVER=PATH adds an earlier
# kf-server binary with its defaults in the same run (the side-by-side in
# RESULTS.md: the thread-per-connection transport before libmicrohttpd).
# Usage: bench/hostile.sh [BUILD_DIR] (default build/ci); HELD="64 500 2000"; SECONDS_HELD=10.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/ci}" && pwd)
server=$build/runtime/server/kf-server
trainer=$(ls "$build"/runtime/kf-trainer "$build"/runtime/kf-trainer-cpu 2>/dev/null | head -1)
client=$root/tests/runtime/server/hostile_client.py
for b in "$server" "$trainer"; do [ -x "$b" ] || { echo "missing $b" >&2; exit 1; }; done
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
ulimit -n 4096 2>/dev/null || true

"$trainer" --data=synthetic --synthetic-samples=256 --epochs=1 --layers=16 --threads=1 --quiet \
  --output="$work/model" >/dev/null 2>"$work/train.err"

printf '| server | held | health answered | failed | p50 ms | p99 ms | max ms | RSS MiB | threads |\n|---|---|---|---|---|---|---|---|---|\n'
runs=("$server|--http-threads 2|--http-threads 2" "$server||default (--http-threads 1024)")
[ -n "${OLD_SERVER:-}" ] && runs+=("$OLD_SERVER||earlier build, default")
for run in "${runs[@]}"; do
  IFS='|' read -r bin flags label <<<"$run"
  for held in ${HELD:-64 500 2000}; do
    rm -f "$work/port"
    # shellcheck disable=SC2086
    "$bin" --model-dir "$work/model" --port 0 --port-file "$work/port" $flags 2>"$work/server.log" &
    pid=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    port=$(cat "$work/port")
    python3 "$client" "$port" hold "$held" "${SECONDS_HELD:-10}" >"$work/hold.json" &
    hold=$!
    sleep $(( ${SECONDS_HELD:-10} / 2 ))
    rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
    threads=$(awk '/Threads/ { print $2 }' "/proc/$pid/status")
    wait "$hold"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    python3 - "$work/hold.json" "$label" "$rss" "$threads" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
f = lambda v: "—" if v is None else v
print(f"| {sys.argv[2]} | {j['held']} | {j['answered']} | {j['failed']} | {f(j['p50_ms'])} | {f(j['p99_ms'])} | {f(j['max_ms'])} | {sys.argv[3]} | {sys.argv[4]} |")
PY
  done
done
