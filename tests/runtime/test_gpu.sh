#!/usr/bin/env bash
# GPU path (label "gpu"): the MLP, the CNN and the two text models train on
# the GPU engine (cuBLAS, NCCL) to the CPU run's accuracy, the MLP checkpoints/resumes
# through the host copy. (NCCL refuses two ranks on one device, so the
# cross-process all-reduce needs a machine with two GPUs.) Skips
# (77) where kf-trainer finds no usable GPU. (trainer_gpu compares the
# engines step by step.) ctest also runs it on kf-trainer-emu, the engine
# over the CUDA emulator (tests/cuda_emu), where it never skips.
source "$(dirname "$0")/lib.sh"

common=(--data=synthetic --synthetic-samples=2048 --epochs=3 --batch-size=32 --seed=5 --threads=1)
"$KF_TRAINER" "${common[@]}" --output="$WORK/gpu" >"$WORK/gpu.out" 2>"$WORK/gpu.err" ||
  { cat "$WORK/gpu.err" >&2; die "GPU run failed"; }
if grep -q "no GPU" "$WORK/gpu.err"; then
  echo "skip: $(grep -o 'no GPU.*' "$WORK/gpu.err")"
  exit 77
fi
expect_contains "$WORK/gpu.err" "engine gpu cuda:"
"$KF_TRAINER" "${common[@]}" --device=cpu --output="$WORK/cpu" >"$WORK/cpu.out" 2>"$WORK/cpu.err" || die "CPU run failed"
accg=$(json_get "$WORK/gpu/model.json" 'j["metrics"]["accuracy"]')
accc=$(json_get "$WORK/cpu/model.json" 'j["metrics"]["accuracy"]')
echo "GPU accuracy $accg, CPU accuracy $accc"
python3 -c "import sys; g,c=$accg,$accc; sys.exit(0 if g >= 0.9 and abs(g-c) <= 0.02 else 1)" ||
  die "GPU accuracy $accg vs CPU $accc"
# Same data order, same initial weights: the models agree closely.
diff=$(max_abs_diff "$WORK/gpu/model.safetensors" "$WORK/cpu/model.safetensors")
python3 -c "import sys; sys.exit(0 if float('$diff') <= 5e-2 else 1)" || die "GPU and CPU weights differ by $diff"
# Resume on the GPU from the epoch-2 checkpoint gives the same final model.
rm -f "$WORK/gpu/model.safetensors"
ck="$WORK/gpu/checkpoints"
ls "$ck" | grep -q "ckpt-128" || die "no epoch-2 checkpoint"
echo "ckpt-128.safetensors" >"$ck/latest"
cp "$WORK/gpu/metrics.jsonl" "$WORK/m.bak"
"$KF_TRAINER" "${common[@]}" --output="$WORK/gpu" >"$WORK/gpu2.out" 2>"$WORK/gpu2.err" || die "GPU resume failed"
expect_contains "$WORK/gpu2.err" "resuming from"
# (Loss sums use float atomics, so compare the test accuracy, which is exact.)
[ "$(tail -n1 "$WORK/gpu.out" | grep -o ' accuracy=[0-9.]*')" = "$(tail -n1 "$WORK/gpu2.out" | grep -o ' accuracy=[0-9.]*')" ] ||
  die "resumed GPU run ends differently"
# The CNN on the GPU engine (not the CPU fallback), against the CPU run.
cnn=(--model=cnn --conv-channels=8,16 --optimizer=adam --lr=0.003 --data=synthetic --synthetic-size=12
  --synthetic-samples=2048 --epochs=4 --batch-size=32 --seed=5 --threads=1) # 0.91 on the CPU
"$KF_TRAINER" "${cnn[@]}" --output="$WORK/gcnn" >"$WORK/gcnn.out" 2>"$WORK/gcnn.err" ||
  { cat "$WORK/gcnn.err" >&2; die "GPU CNN run failed"; }
expect_contains "$WORK/gcnn.err" "engine gpu cuda:"
"$KF_TRAINER" "${cnn[@]}" --device=cpu --output="$WORK/ccnn" >/dev/null 2>"$WORK/ccnn.err" || die "CPU CNN run failed"
accg=$(json_get "$WORK/gcnn/model.json" 'j["metrics"]["accuracy"]')
accc=$(json_get "$WORK/ccnn/model.json" 'j["metrics"]["accuracy"]')
echo "CNN: GPU accuracy $accg, CPU accuracy $accc"
python3 -c "import sys; g,c=$accg,$accc; sys.exit(0 if g >= 0.85 and abs(g-c) <= 0.03 else 1)" ||
  die "GPU CNN accuracy $accg vs CPU $accc"
# Two workers, one GPU each, the gradients through NCCL: they end where two
# CPU workers over Gloo do (the same shards and order, the same summed
# gradients to rounding), SyncBatchNorm's sums too. NCCL refuses two ranks on
# one GPU, so this needs two (the emulator is told how many it has).
two_workers() { # NAME FLAGS...
  local name=$1 device rank port pids
  shift
  for device in gpu cpu; do
    port=$(free_port)
    pids=()
    for rank in 0 1; do
      start_rank "$WORK/$name-$device$rank" "$rank" 2 "$port" env LOCAL_RANK="$rank" "$KF_TRAINER" "$@" \
        --device="$device" --output="$WORK/$name-$device"
      pids+=("$LAST_PID")
    done
    wait "${pids[0]}" && wait "${pids[1]}" ||
      { cat "$WORK/$name-${device}0.err" "$WORK/$name-${device}1.err" >&2; die "$name: two $device workers failed"; }
  done
  expect_contains "$WORK/$name-gpu0.err" "engine gpu cuda:0"
  diff=$(max_abs_diff "$WORK/$name-gpu/model.safetensors" "$WORK/$name-cpu/model.safetensors")
  echo "$name: two GPU workers against two CPU workers: weights differ by at most $diff"
  python3 -c "import sys; sys.exit(0 if float('$diff') <= 1e-3 else 1)" || die "$name: two GPU workers end elsewhere"
}
# The GPUs kf-trainer sees: CUDA_VISIBLE_DEVICES's entries when it is set.
if [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then
  gpus=$(tr ',' '\n' <<<"$CUDA_VISIBLE_DEVICES" | grep -c .)
else
  gpus=${KF_CUDA_EMULATOR_DEVICES:-$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)}
fi
if [ "${gpus:-0}" -ge 2 ]; then
  two_workers mlp "${common[@]}" --epochs=2
  two_workers syncbn --model=cnn --conv-channels=4,8 --batch-norm --sync-batch-norm --data=synthetic \
    --synthetic-size=12 --synthetic-samples=1024 --epochs=1 --batch-size=32 --seed=5 --threads=1
  expect_contains "$WORK/syncbn-gpu0.err" "BatchNorm statistics over the global batch of 2 workers"
else
  echo "skip: two GPU workers need two GPUs ($gpus here)"
fi

# The text models on the GPU engine, on BANKING77's first 1000 texts: plain
# SGD, where the engine's dense table updates and the CPU engine's lazy ones
# agree, so both runs end on the same loss and accuracy (to rounding).
banking="$KF_SOURCE_DIR/third_party/banking77"
text=(--data="$banking/train.csv" --test-data="$banking/test.csv" --label-column=category --vocab-size=500
  --embedding-dim=32 --max-length=24 --epochs=2 --batch-size=32 --optimizer=sgd --momentum=0 --lr=0.2 --seed=3
  --threads=1)
for model in "transformer --heads=4 --encoder-layers=1 --ffn-dim=64 --hash-buckets=0" \
  "embeddingbag --hash-buckets=2000 --hash-slots=16"; do
  name=${model%% *}
  # shellcheck disable=SC2086 # the model's flags split on purpose
  KF_TRAIN_LIMIT=1000 "$KF_TRAINER" "${text[@]}" --model=$model --output="$WORK/g$name" >"$WORK/g$name.out" \
    2>"$WORK/g$name.err" || { cat "$WORK/g$name.err" >&2; die "GPU $name run failed"; }
  expect_contains "$WORK/g$name.err" "engine gpu cuda:"
  # shellcheck disable=SC2086
  KF_TRAIN_LIMIT=1000 "$KF_TRAINER" "${text[@]}" --model=$model --device=cpu --output="$WORK/c$name" \
    >"$WORK/c$name.out" 2>/dev/null || die "CPU $name run failed"
  g=$(tail -n1 "$WORK/g$name.out") c=$(tail -n1 "$WORK/c$name.out")
  echo "$name: GPU $g"
  echo "$name: CPU $c"
  python3 - "$g" "$c" <<'PY' || die "GPU $name run ends away from the CPU run"
import sys
g, c = ({k: float(v) for k, v in (f.split("=") for f in line.split())} for line in sys.argv[1:])
sys.exit(0 if all(abs(g[k] - c[k]) <= 0.01 for k in c) else 1)
PY
done
echo "ok: GPU engine"
