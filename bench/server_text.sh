#!/usr/bin/env bash
# kf-server with text models (results and method: bench/RESULTS.md,
# "## Text: BANKING77 transformer"): wrk against POST /v2/models/NAME/infer
# with one BANKING77-style query per request (a v2 BYTES input the server
# tokenizes; a short and a long one), at concurrency 1 and 8, for the transformer of `kf init
# --example intents` and the embedding bag; req/s, p50 and p99 from wrk
# --latency. The models train for one epoch (serving speed does not depend
# on how well they learned).
# Usage: bench/server_text.sh [BUILD_DIR]  (default build/ci; DURATION=N seconds per row, default 10;
#   SERVERS="OLD NEW": these kf-server binaries instead of BUILD_DIR's, row by row in turn)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/ci}" && pwd)
server=$build/runtime/server/kf-server
trainer=$build/runtime/kf-trainer
[ -x "$build/runtime/kf-trainer-cpu" ] && trainer=$build/runtime/kf-trainer-cpu
data=$root/third_party/banking77
duration=${DURATION:-10}
command -v wrk >/dev/null || { echo "missing wrk (scripts/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

common=(--data="$data/train.csv" --test-data="$data/test.csv" --label-column=category --max-length=64
        --hash-buckets=65536 --epochs=1 --batch-size=32 --device=cpu --quiet --no-resume)
echo "== training (1 epoch each)"
"$trainer" "${common[@]}" --model=transformer --embedding-dim=128 --heads=4 --encoder-layers=2 --ffn-dim=256 \
  --optimizer=adamw --lr=0.002 --warmup-steps=100 --output="$work/transformer" 2>"$work/train.err" | tail -1
"$trainer" "${common[@]}" --model=embeddingbag --embedding-dim=64 --optimizer=adam --lr=0.005 \
  --output="$work/embeddingbag" 2>>"$work/train.err" | tail -1

# Two queries: 9 words (10 tokens with [CLS]) and 15 words (17 tokens);
# BANKING77's training texts average 15 tokens.
body() { printf '{"inputs":[{"name":"input","datatype":"BYTES","shape":[1],"data":["%s"]}]}' "$1"; }
body "I still have not received my new card" >"$work/short.json"
body "I still have not received my new card, I ordered over a week ago." >"$work/long.json"
for t in short long; do
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("%s", "rb")\nwrk.body = f:read("*a")\nf:close()\n' \
    "$work/$t.json" >"$work/$t.lua"
done

start() { # MODEL [SERVER]
  [ -n "$pid" ] && { kill "$pid"; wait "$pid" || true; }
  rm -f "$work/port"
  "${2:-$server}" --model-dir "$work/$1" --host 127.0.0.1 --port 0 --port-file "$work/port" 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  url=http://127.0.0.1:$(cat "$work/port")
  curl -sf -H 'Content-Type: application/json' --data @"$work/long.json" "$url/v2/models/$1/infer" |
    python3 -c 'import json, sys; print("answer:", [o["data"][0] for o in json.load(sys.stdin)["outputs"] if o["name"] == "class_name"][0])' >&2
}

bench() {
  local model=$1 text=$2 c=$3 threads=2
  [ "$c" = 1 ] && threads=1
  wrk -t$threads -c"$c" -d"${duration}s" --latency -s "$work/$text.lua" "$url/v2/models/$model/infer" >"$work/wrk.txt"
  if grep -qE "Non-2xx|Socket errors" "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
  awk -v label="${label:-$model} | $text" -v c="$c" '
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = $2 }
    $1 == "99%" { p99 = $2 }
    END { printf "| %s | %s | %.0f | %s | %s |\n", label, c, rps, p50, p99 }' "$work/wrk.txt"
}

echo "== wrk, ${duration}s per row; kf-server --threads $(nproc)"
echo "| model | query | concurrency | req/s | p50 | p99 |"
echo "|---|---|---|---|---|---|"
for model in transformer embeddingbag; do
  if [ -z "${SERVERS:-}" ]; then
    start "$model"
    for text in short long; do
      bench "$model" "$text" 1
      bench "$model" "$text" 8
    done
    continue
  fi
  for text in short long; do
    for c in 1 8; do
      for s in $SERVERS; do
        start "$model" "$s"
        label="$model ($s)" bench "$model" "$text" "$c"
      done
    done
  done
done
