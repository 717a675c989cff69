#!/usr/bin/env bash
# On the device machine (one GPU, PyTorch installed), from the repository
# root, after bench/gpu_pack.sh here: unpacks .gpu/kf-gpu.tar.xz, then
#   1. checks: trainer_gpu (the GPU engine step by step against the CPU
#      engine, every layer and optimizer) and tests/runtime/test_gpu.sh
#   2. samples/s of kf-trainer's GPU engine vs the same model in PyTorch
#      (bench/gpu_torch.py) on the same GPU: MLP 784-256-128-10 and CNN
#      conv16-conv32-fc128, batch 64 and 1024, Adam, 28x28 inputs.
# Writes everything to $OUT/gpu.log when $OUT is set (the device tool's).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log=${OUT:-/tmp}/gpu.log
exec > >(tee "$log") 2>&1
kf=/tmp/kf-gpu
rm -rf "$kf" && mkdir -p "$kf" && tar -C "$kf" -xJf "$root/.gpu/kf-gpu.tar.xz" || { echo "no .gpu/kf-gpu.tar.xz (run bench/gpu_pack.sh and carry .gpu)"; exit 1; }
libdir() { find / -xdev -name "$1" -not -path '/proc/*' 2>/dev/null | head -n1 | xargs -r dirname; }
# The carried libraries are for kf's binaries only (python3 and PyTorch keep
# the machine's own): each binary runs through a wrapper that sets the path.
libs="$kf/lib:$(libdir libcublas.so.13):$(libdir libcudart.so.13):$(libdir libnccl.so.2)"
mkdir -p "$kf/run"
for b in "$kf"/bin/*; do
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$libs" "$b" >"$kf/run/${b##*/}"
  chmod +x "$kf/run/${b##*/}"
done
if LD_LIBRARY_PATH=$libs ldd "$kf/bin/kf-trainer" | grep 'not found'; then echo "missing libraries ($libs)"; exit 1; fi
nvidia-smi -L || { echo "no GPU here: bench/gpu.sh is for the device machine"; exit 1; }
status=0

echo "== 1. checks"
"$kf/run/trainer_gpu" || status=1
KF_TRAINER=$kf/run/kf-trainer KF_ALLREDUCE=$kf/run/kf-allreduce KF_SOURCE_DIR=$root bash "$root/tests/runtime/test_gpu.sh" || status=1

echo "== 2. samples/s, kf-trainer vs PyTorch (2 epochs of 60,000 random 28x28 samples, the second timed)"
work=$(mktemp -d)
for model in mlp cnn; do
  for batch in 64 1024; do
    args=(--model=$model --batch-size=$batch)
    [ $model = mlp ] && args+=(--layers=256,128) || args+=(--conv-channels=16,32 --layers=128)
    out=$work/$model-$batch
    "$kf/run/kf-trainer" "${args[@]}" --data=synthetic --synthetic-size=28 --synthetic-samples=60000 --epochs=2 \
      --optimizer=adam --lr=0.001 --checkpoint-every=0 --quiet --output="$out" >/dev/null 2>"$out.err" || { cat "$out.err"; status=1; continue; }
    grep -q "engine gpu" "$out.err" || { echo "kf-trainer did not use the GPU:"; cat "$out.err"; status=1; continue; }
    kf_sps=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])['samples_per_s'])" "$out/metrics.jsonl")
    torch_sps=$(python3 "$root/bench/gpu_torch.py" "${args[@]}" | awk '{print $2}') || { status=1; continue; }
    python3 -c "k=$kf_sps; t=$torch_sps; print(f'$model batch $batch: kf-trainer {k:.0f} samples/s, PyTorch {t:.0f} samples/s, kf/PyTorch {k/t:.2f}x')"
  done
done
rm -rf "$work"
exit $status
