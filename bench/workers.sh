#!/usr/bin/env bash
# One worker with two BLAS threads against two workers with one each (the
# same global batch of 64), on this machine's loopback: the goal "2 workers
# on 2 cores >= 1.0x one worker with 2 threads" (bench/RESULTS.md,
# "All-reduce overlapping backward"). Two workers run once with the
# all-reduce after backward and once overlapped (--overlap-allreduce=on).
# Usage: bench/workers.sh TRAINER [TRAINER...]  (release builds of
#   kf-trainer; several alternate round by round, e.g. old against new)
# ROUNDS (default 2), MODELS (default "mlp cnn"), LIMIT (images, default 20000).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/workers.sh TRAINER [TRAINER...]" >&2; exit 2; }
data=/usr/share/datasets/fashion-mnist
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "missing $data (dataset-fashion-mnist)" >&2; exit 1; }
for t in "$@"; do [ -x "$t" ] || { echo "missing $t" >&2; exit 1; }; done
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sps() { python3 -c "import json,sys; print(round(json.loads(open(sys.argv[1]).read().splitlines()[-1])['samples_per_s']))" "$1/metrics.jsonl"; }

for model in ${MODELS:-mlp cnn}; do
  args=(--data=$data --model=$model --epochs=1 --train-limit=${LIMIT:-20000} --optimizer=adam --lr=0.001
        --checkpoint-every=0 --no-resume --quiet)
  [ $model = mlp ] && args+=(--layers=256,128) || args+=(--conv-channels=16,32 --layers=128)
  for ((round = 1; round <= ${ROUNDS:-2}; round++)); do
    for trainer in "$@"; do
      rm -rf "$work/one"
      OPENBLAS_NUM_THREADS=2 "$trainer" "${args[@]}" --batch-size=64 --threads=2 --output="$work/one" >/dev/null 2>"$work/one.err" ||
        { cat "$work/one.err" >&2; exit 1; }
      line="$model round $round $trainer: 1 worker x 2 threads $(sps "$work/one")"
      for overlap in off on; do
        p=$(port)
        rm -rf "$work/two"
        MASTER_ADDR=127.0.0.1 MASTER_PORT=$p WORLD_SIZE=2 RANK=1 "$trainer" "${args[@]}" --batch-size=32 --threads=1 \
          --overlap-allreduce=$overlap --output="$work/two" >/dev/null 2>"$work/r1.err" &
        pids+=($!)
        MASTER_ADDR=127.0.0.1 MASTER_PORT=$p WORLD_SIZE=2 RANK=0 "$trainer" "${args[@]}" --batch-size=32 --threads=1 \
          --overlap-allreduce=$overlap --output="$work/two" >/dev/null 2>"$work/r0.err" ||
          { cat "$work/r0.err" >&2; exit 1; }
        wait "${pids[-1]}" || { cat "$work/r1.err" >&2; exit 1; }
        line="$line; 2 workers overlap=$overlap $(sps "$work/two")"
      done
      echo "$line"
    done
  done
done
