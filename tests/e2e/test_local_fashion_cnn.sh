#!/usr/bin/env bash
# `kf init --example fashion-cnn` on the local target: the image recipe's
# model fields (convChannels, batchNorm, dropout, augment) validate and
# render as kf-trainer's flags; a short kf train exports BatchNorm's running
# statistics with the weights, and kf-server answers with them.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
: "${KF_TRAINER:?set KF_TRAINER}" "${KF_SERVER:?set KF_SERVER to the kf-server binary}"
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || skip "no Fashion-MNIST (dataset-fashion-mnist)"
cd "$WORK"

# 1. The project, and the examples named when one is unknown.
run_kf init --example fashion-cnn clothes
expect_eq "init: exit code" 0 "$RC"
expect_eq "init: files" ".gitignore README.md kf.yaml" \
  "$(sed -n 's/^  \([^ ]*\)$/\1/p' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
run_kf init --example fashon other
expect_eq "init unknown example: exit code" 2 "$RC"
expect_eq "init unknown example: message" 'error: unknown example "fashon": the examples are "intents", "fashion-cnn"' "$ERR"
cd clothes

# 2. kf.yaml validates; the model fields are the trainer's flags.
run_kf validate
expect_eq "validate: exit code" 0 "$RC"
run_kf render train -o json
args=$(json '" ".join(a for a in d["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["args"] if a.split("=")[0] in ("--model", "--layers", "--conv-channels", "--batch-norm", "--dropout", "--augment"))' <<<"$OUT")
expect_eq "render: model flags" "--model=cnn --layers=128 --conv-channels=32,64 --batch-norm --dropout=0.25 --augment=crop,flip" "$args"
run_kf validate --set training.model.dropout=1
expect_eq "validate dropout 1: exit code" 2 "$RC"
expect_eq "validate dropout 1: message" "--set training.model.dropout=1: spec.training.model.dropout: must be a probability in [0, 1)" "$ERR"

# 3. A short kf train (two workers, a few hundred images each).
run_kf train --set training.hyperparameters.epochs=1 --set training.hyperparameters.train-limit=1200
expect_eq "train: exit code" 0 "$RC"
run_kf status clothes-train-1 -o json
expect_eq "train: state" "Succeeded" "$(json 'd["state"]' <<<"$OUT")"
model=.kf/runs/clothes-train-1/output
expect_eq "train: layers" "conv2d batchnorm2d maxpool2d relu conv2d batchnorm2d maxpool2d relu flatten dense batchnorm1d relu dropout dense" \
  "$(json '" ".join(l["type"] for l in d["model"]["layers"])' <"$model/model.json")"
expect_eq "train: running statistics saved" "True" \
  "$(python3 -c 'import json,struct,sys; b=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",b[:8])[0]; print("layers.1.running_var" in json.loads(b[8:8+n]))' "$model/model.safetensors")"

# 4. Served: an answer for a test image.
run_kf serve --detach
expect_eq "serve: exit code" 0 "$RC"
run_kf predict --index 3 -o json
expect_eq "predict: exit code" 0 "$RC"
expect_eq "predict: outputs" "probabilities label" "$(json '" ".join(o["name"] for o in d["outputs"])' <<<"$OUT")"
run_kf delete clothes-1
expect_eq "delete: exit code" 0 "$RC"

finish
