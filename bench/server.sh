#!/usr/bin/env bash
# kf-server benchmark (results and method: bench/RESULTS.md, "## Model server"):
# wrk against POST /v2/models/fmnist/infer (one Fashion-MNIST image per
# request, JSON FP32 and UINT8 bodies) and GET /v2/health/live in the same
# run, at concurrency 1, 8 and 32; req/s, p50 and p99 from wrk --latency;
# then concurrency 32 again with dynamic batching (--max-batch-size 32).
# The model: kf's demo MLP (784-128-64-10) trained for 1 epoch.
# Usage: bench/server.sh [BUILD_DIR]  (default build/server-release, a
#   -DCMAKE_BUILD_TYPE=Release build of kf-server and kf-trainer)
# DURATION=N seconds per wrk run (default 10).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/server-release}
server=$build/runtime/server/kf-server
trainer=$build/runtime/kf-trainer
data=/usr/share/datasets/fashion-mnist
duration=${DURATION:-10}
for b in "$server" "$trainer"; do [ -x "$b" ] || { echo "missing $b" >&2; exit 1; }; done
command -v wrk >/dev/null || { echo "missing wrk (scripts/install-deps.sh)" >&2; exit 1; }
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "missing $data (dataset-fashion-mnist)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

echo "== training the MLP (1 epoch of Fashion-MNIST)"
"$trainer" --data=$data --data-format=idx --model=mlp --layers=128,64 --activation=relu --lr=0.05 \
  --epochs=1 --batch-size=64 --optimizer=sgd --quiet --output="$work/fmnist" 2>"$work/train.err" | tail -1

python3 - "$data/t10k-images-idx3-ubyte.gz" "$work" <<'PY'
import gzip, json, sys
px = list(gzip.open(sys.argv[1]).read()[16:16 + 784])
def body(datatype, data):
    return json.dumps({"inputs": [{"name": "input", "datatype": datatype, "shape": [1, 784], "data": data}]})
open(sys.argv[2] + "/fp32.json", "w").write(body("FP32", [p / 255 for p in px]))
open(sys.argv[2] + "/uint8.json", "w").write(body("UINT8", px))
PY
for t in fp32 uint8; do
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("%s", "rb")\nwrk.body = f:read("*a")\nf:close()\n' \
    "$work/$t.json" >"$work/$t.lua"
done

start() {
  [ -n "$pid" ] && { kill "$pid"; wait "$pid" || true; }
  rm -f "$work/port"
  "$server" --model-dir "$work/fmnist" --host 127.0.0.1 --port 0 --port-file "$work/port" "$@" 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  url=http://127.0.0.1:$(cat "$work/port")
}

# bench LABEL PATH CONCURRENCY [LUA]: one wrk run, one table row.
bench() {
  local label=$1 path=$2 c=$3 lua=${4:-} threads=2 args=()
  [ "$c" = 1 ] && threads=1
  [ -n "$lua" ] && args=(-s "$lua")
  wrk -t$threads -c"$c" -d"${duration}s" --latency "${args[@]}" "$url$path" >"$work/wrk.txt"
  if grep -qE "Non-2xx|Socket errors" "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
  awk -v label="$label" -v c="$c" '
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = $2 }
    $1 == "99%" { p99 = $2 }
    END { printf "| %s | %s | %.0f | %s | %s |\n", label, c, rps, p50, p99 }' "$work/wrk.txt"
}

echo "== wrk, ${duration}s per row; kf-server --threads $(nproc) (one replica per core)"
echo "| request | concurrency | req/s | p50 | p99 |"
echo "|---|---|---|---|---|"
start
for c in 1 8 32; do
  bench "GET /v2/health/live" /v2/health/live "$c"
  bench "infer, FP32 JSON (784 values)" /v2/models/fmnist/infer "$c" "$work/fp32.lua"
  bench "infer, UINT8 JSON" /v2/models/fmnist/infer "$c" "$work/uint8.lua"
done
start --max-batch-size 32
bench "infer, FP32, --max-batch-size 32" /v2/models/fmnist/infer 32 "$work/fp32.lua"
curl -s "$url/metrics" | awk '/^kf_server_batch_size_(sum|count)/ { v[$1] = $2 } END {
  printf "(dynamic batching: %.2f samples per forward pass on average)\n", v["kf_server_batch_size_sum"] / v["kf_server_batch_size_count"] }'
