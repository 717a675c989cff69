#!/usr/bin/env bash
# The command line kf renders for the trainer (kf render train) and Katib's
# substituted trial values work as-is; every hyperparameter also comes from
# a KF_* variable; --help documents every flag; --evaluate reads the export.
# Uses Fashion-MNIST from Debian's dataset-fashion-mnist (skips without it).
source "$(dirname "$0")/lib.sh"

"$KF_TRAINER" --help >"$WORK/help"
for flag in model layers activation conv-channels kernel-size data data-format test-data epochs batch-size lr \
            optimizer momentum weight-decay lr-schedule seed output checkpoint-every no-resume device \
            rendezvous-timeout evaluate; do
  expect_contains "$WORK/help" "--$flag"
done
expect_contains "$WORK/help" "KF_LR"
expect_contains "$WORK/help" "MASTER_ADDR"

data=/usr/share/datasets/fashion-mnist
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "skip: $data missing (apt-get install dataset-fashion-mnist)"; exit 77; }
# Exactly kf's rendered flags (epochs shortened); the data limited by env.
KF_TRAIN_LIMIT=4000 "$KF_TRAINER" --data=$data --data-format=idx --model=mlp --layers=128,64 --activation=relu \
  --lr=0.05 --epochs=1 --batch-size=64 --optimizer=sgd --output="$WORK/out" >"$WORK/out.log" 2>"$WORK/err.log" ||
  { cat "$WORK/err.log" >&2; die "the rendered command failed"; }
grep -qE '^epoch=1 loss=[0-9.]+ accuracy=0\.[6-9][0-9]{3}' "$WORK/out.log" || { cat "$WORK/out.log" >&2; die "no plausible epoch line"; }
[ "$(json_get "$WORK/out/model.json" 'j["model"]["input_shape"]')" = "[1, 28, 28]" ] || die "input shape"

# Hyperparameters from the environment (a flag would win).
KF_LR=0.02 KF_OPTIMIZER=adam KF_EPOCHS=1 KF_TRAIN_LIMIT=1000 KF_MODEL=cnn KF_CONV_CHANNELS=4 KF_LAYERS=16 \
  "$KF_TRAINER" --data=$data --quiet --output="$WORK/env" >/dev/null 2>&1 || die "env-configured run failed"
[ "$(json_get "$WORK/env/model.json" 'j["training"]["optimizer"], round(j["training"]["lr"], 4), j["model"]["kind"]')" = \
  "adam 0.02 cnn" ] || die "KF_* variables were not used"

# --evaluate (the pipeline's evaluate step) reads the exported model and the data recorded in it.
"$KF_TRAINER" --evaluate="$WORK/out" >"$WORK/eval.log" 2>&1 || { cat "$WORK/eval.log" >&2; die "--evaluate failed"; }
grep -qE '^loss=[0-9.]+ accuracy=0\.[6-9]' "$WORK/eval.log" || { cat "$WORK/eval.log" >&2; die "--evaluate output"; }
echo "ok: kf's rendered command line, KF_* variables, --help and --evaluate"
