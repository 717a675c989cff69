#!/usr/bin/env bash
# kf-trainer against PyTorch (Debian's python3-torch, CPU) on the same
# models, data, optimizer and batch, one process each, side by side in one
# run: samples/s of one epoch's training steps on the first SAMPLES
# Fashion-MNIST images, for the MLP and the CNN, batch 64 and 256, 1 and 2
# threads. Method and results: bench/RESULTS.md, "kf-trainer vs PyTorch".
# Usage: bench/trainer_vs_torch.sh [KF_TRAINER] [SAMPLES]
#   KF_TRAINER defaults to build/release/runtime/kf-trainer (any build works;
#   time a release one). REPEAT=N runs each pair N times (the best counts).
#   MODELS, BATCHES, THREADS (space-separated) pick rows: MODELS=mlp THREADS=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
trainer=$(realpath "${1:-$root/build/release/runtime/kf-trainer}")
samples=${2:-20000}
repeat=${REPEAT:-2}
data=/usr/share/datasets/fashion-mnist
py=/usr/bin/python3
[ -x "$trainer" ] || { echo "missing $trainer" >&2; exit 1; }
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "missing $data (dataset-fashion-mnist)" >&2; exit 1; }
$py -c 'import torch' 2>/dev/null || { echo "missing PyTorch (python3-torch)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kf_run() { # MODEL BATCH THREADS -> samples/s
  local args=(--data=$data --model=$1 --batch-size=$2 --threads=$3 --epochs=1 --train-limit=$samples
              --optimizer=adam --lr=0.001 --lr-schedule=constant --checkpoint-every=0 --no-resume --quiet
              --output="$work/out")
  if [ "$1" = mlp ]; then args+=(--layers=256,128); else args+=(--conv-channels=16,32 --layers=128); fi
  rm -rf "$work/out"
  OPENBLAS_NUM_THREADS=$3 "$trainer" "${args[@]}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  $py -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])['samples_per_s'])" "$work/out/metrics.jsonl"
}
torch_run() {
  $py "$root/bench/trainer_torch.py" "$data" "$1" "$2" "$3" "$samples" |
    $py -c "import json,sys; print(json.loads(sys.stdin.read())['samples_per_s'])"
}
best() { printf '%s\n' "$@" | sort -g | tail -n1; }

echo "kf-trainer: $trainer"
echo "PyTorch: $($py -c 'import torch; print(torch.__version__)') (Debian's python3-torch)"
echo "$samples samples, Adam, one epoch; best of $repeat"
printf '| model | batch | threads | kf-trainer samples/s | PyTorch samples/s | kf / PyTorch |\n|---|---|---|---|---|---|\n'
for model in ${MODELS:-mlp cnn}; do
  for batch in ${BATCHES:-64 256}; do
    for threads in ${THREADS:-1 2}; do
      kf=() pt=()
      for ((i = 0; i < repeat; i++)); do
        kf+=("$(kf_run $model $batch $threads)")
        pt+=("$(torch_run $model $batch $threads)")
      done
      k=$(best "${kf[@]}") t=$(best "${pt[@]}")
      $py -c "import sys; k, t = float(sys.argv[4]), float(sys.argv[5]); print(f'| {sys.argv[1]} | {sys.argv[2]} | {sys.argv[3]} | {k:,.0f} | {t:,.0f} | **{k / t:.2f}x** |')" \
        $model $batch $threads "$k" "$t"
    done
  done
done
