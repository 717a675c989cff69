#!/usr/bin/env bash
# kf-trainer benchmarks (results and method: bench/RESULTS.md, "## Trainer"):
#   1. OpenBLAS SGEMM peak (1 and 2 threads) vs the training step's achieved FLOP/s
#   2. Gloo all-reduce bus bandwidth, 2 ranks on loopback, vs one raw TCP stream
#   3. samples/s with 1 and 2 workers (MLP and CNN, Fashion-MNIST)
#   4. Fashion-MNIST test accuracy and wall time, MLP and CNN, 2 workers
# Usage: bench/trainer.sh [BUILD_DIR]  (default build/trainer-release, a
#   -DCMAKE_BUILD_TYPE=Release build of kf-trainer kf-allreduce kf-bench-sgemm)
# QUICK=1 shortens part 4 (for trying the script, not for RESULTS.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/trainer-release}
trainer=$build/runtime/kf-trainer
allreduce=$build/runtime/kf-allreduce
sgemm=$build/runtime/kf-bench-sgemm
data=/usr/share/datasets/fashion-mnist
for b in "$trainer" "$allreduce" "$sgemm"; do [ -x "$b" ] || { echo "missing $b" >&2; exit 1; }; done
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "missing $data (dataset-fashion-mnist)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_workers N OUT ARGS...: N workers on loopback; prints wall seconds.
run_workers() {
  local n=$1 out=$2 p r t0 t1
  shift 2
  p=$(port)
  t0=$(date +%s.%N)
  for ((r = 1; r < n; r++)); do
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$p WORLD_SIZE=$n RANK=$r "$trainer" --output="$out" --quiet "$@" >/dev/null 2>"$out.r$r.err" &
    pids+=($!)
  done
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$p WORLD_SIZE=$n RANK=0 "$trainer" --output="$out" --quiet "$@" >"$out.log" 2>"$out.r0.err"
  wait
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1-$t0:.1f}')"
}
last() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])" "$1/metrics.jsonl" "$2"; }
mflop() { grep -o '[0-9.]* MFLOP/sample' "$1.r0.err" | cut -d' ' -f1; }

echo "== 1. OpenBLAS SGEMM peak"
"$sgemm" 1 256 512 1024 2048
"$sgemm" 2 1024 2048

echo "== 2. all-reduce busbw, 2 ranks on this host (the engine's way: its own buffer), shared memory and Gloo (sync-mode pieces), vs raw TCP stream"
"$allreduce" --tcp-stream 2000000000
for shm in auto off; do
  p=$(port)
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$p WORLD_SIZE=2 RANK=1 "$allreduce" --bench --shm-allreduce=$shm \
    --sizes 262144,1048576,4194304,16777216 --iters 20 >/dev/null &
  pids+=($!)
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$p WORLD_SIZE=2 RANK=0 "$allreduce" --bench --shm-allreduce=$shm \
    --sizes 262144,1048576,4194304,16777216 --iters 20
  wait
done

echo "== 3. samples/s (1 epoch of 20,000 samples; per-worker batch 64)"
for model in mlp cnn; do
  args=(--data=$data --model=$model --epochs=1 --train-limit=20000 --batch-size=64 --optimizer=adam --lr=0.001)
  [ $model = mlp ] && args+=(--layers=256,128)
  for n in 1 2; do
    wall=$(run_workers $n "$work/s-$model-$n" "${args[@]}")
    sps=$(last "$work/s-$model-$n" samples_per_s)
    mf=$(mflop "$work/s-$model-$n")
    python3 -c "sps=$sps; mf=$mf; print(f'samples/s model=$model workers=$n: {sps:.0f} samples/s, step {3*mf*sps/1e3:.2f} GFLOP/s (3 x {mf:.3f} MFLOP/sample), wall $wall s')"
  done
done

echo "== 4. Fashion-MNIST, 2 workers on 2 cores"
mlp_epochs=${MLP_EPOCHS:-12}
cnn_epochs=${CNN_EPOCHS:-10}
[ "${QUICK:-0}" = 1 ] && mlp_epochs=1 cnn_epochs=1
wall=$(run_workers 2 "$work/mlp" --data=$data --model=mlp --layers=256,128 --optimizer=adam --lr=0.001 \
  --lr-schedule=cosine --batch-size=32 --epochs=$mlp_epochs --seed=1)
echo "mlp 784-256-128-10, adam, cosine, $mlp_epochs epochs, global batch 64: test accuracy $(last "$work/mlp" accuracy), wall $wall s"
tail -n1 "$work/mlp.log"
wall=$(run_workers 2 "$work/cnn" --data=$data --model=cnn --conv-channels=16,32 --layers=128 --optimizer=adam \
  --lr=0.001 --lr-schedule=cosine --batch-size=32 --epochs=$cnn_epochs --seed=1)
echo "cnn conv16-conv32-fc128, adam, cosine, $cnn_epochs epochs, global batch 64: test accuracy $(last "$work/cnn" accuracy), wall $wall s"
tail -n1 "$work/cnn.log"
