#!/usr/bin/env bash
# The seed's second case on the local target: `kf init --example intents`
# writes a text-classification project with BANKING77 in data/; kf.yaml
# validates and renders the trainer's text flags for a cluster; kf train
# reads the CSV's text and category columns (relative paths anchored at the
# project); kf serve, then kf predict --text answers a class name, and
# kf status of the server shows its requests, latency and answers by class.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
: "${KF_TRAINER:?set KF_TRAINER}" "${KF_SERVER:?set KF_SERVER to the kf-server binary}"
cd "$WORK"

# 1. The project and its data (byte for byte what third_party/banking77 holds).
run_kf init --example intents bot
expect_eq "init: exit code" 0 "$RC"
expect_eq "init: files" ".gitignore README.md data/LICENSE data/README.md data/test.csv data/train.csv kf.yaml" \
  "$(sed -n 's/^  \([^ ]*\)$/\1/p' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
for f in train.csv test.csv LICENSE README.md; do
  cmp -s "bot/data/$f" "$KF_SOURCE_DIR/third_party/banking77/$f" || fail "init: data/$f differs from third_party/banking77/$f"
done
run_kf init --example faces other
expect_eq "init unknown example: exit code" 2 "$RC"
expect_eq "init unknown example: message" 'error: unknown example "faces": the examples are "intents", "fashion-cnn"' "$ERR"
cd bot

# 2. kf.yaml validates; the rendered trainer gets the text flags, paths as written.
run_kf validate
expect_eq "validate: exit code" 0 "$RC"
run_kf render train -o json
args=$(json '" ".join(d["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["args"][:7])' <<<"$OUT")
expect_eq "render: args" "--data=data/train.csv --data-format=text --test-data=data/test.csv --text-column=text --label-column=category --model=transformer --layers=none" "$args"

# A text model on image data (and the other way round) is refused at the field.
run_kf validate --set training.data.format=idx
expect_eq "mismatch: exit code" 2 "$RC"
expect_eq "mismatch: message" 'kf.yaml:32:13: spec.training.model.type: model "transformer" reads text: set training.data.format to "text"' "$ERR"
run_kf validate --set training.model.type=mlp
expect_eq "mismatch mlp: message" '--set training.model.type=mlp: spec.training.model.type: model "mlp" takes images, but training.data.format is "text": use "transformer" or "embeddingbag"' "$ERR"

# 3. kf train (a short run of a narrower transformer, for the sanitizer
# builds' sake): the model exports its vocabulary and class names.
run_kf train --set training.hyperparameters.epochs=1 --set training.hyperparameters.hash-buckets=8192 \
  --set training.hyperparameters.warmup-steps=100 --set training.hyperparameters.embedding-dim=64 \
  --set training.hyperparameters.ffn-dim=128
expect_eq "train: exit code" 0 "$RC"
run_kf status bot-train-1 -o json
expect_eq "train: state" "Succeeded" "$(json 'd["state"]' <<<"$OUT")"
model=.kf/runs/bot-train-1/output
[ -s "$model/vocab.txt" ] || fail "train: no vocab.txt in $model"
expect_eq "train: classes" "77 card_arrival" \
  "$(json '"%d %s" % (len(d["labels"]), d["labels"][12])' <"$model/model.json")"
acc=$(json 'd["metrics"]["accuracy"]' <"$model/model.json")
python3 -c "import sys; sys.exit(0 if float('$acc') > 0.6 else 1)" || fail "train: accuracy $acc after one epoch"

# 4. Served: kf predict --text answers the intent and its runners-up.
run_kf serve --detach
expect_eq "serve: exit code" 0 "$RC"
run_kf predict --text "my card has not arrived yet"
expect_eq "predict: exit code" 0 "$RC"
[[ "$(head -n 1 <<<"$OUT")" =~ ^card_arrival\ \([0-9.]+%\)$ ]] || fail "predict: $OUT"
expect_eq "predict: runners-up" 2 "$(grep -c '^  then ' <<<"$OUT")"
run_kf predict --text "I want my money back for this purchase" -o json
expect_eq "predict json: outputs" "probabilities label class_name" "$(json '" ".join(o["name"] for o in d["outputs"])' <<<"$OUT")"
# 5. kf status of the server: requests, latency, answers by class against
# the training set's classes (class_counts in model.json), a drift score.
run_kf status bot-1 -o json
expect_eq "status: serving" "2 0 2" "$(json '"%d %d %d" % (d["serving"]["requests"], d["serving"]["errors"], d["serving"]["answers"])' <<<"$OUT")"
expect_eq "status: first class" "True True" \
  "$(json '"%s %s" % (d["serving"]["classes"][0]["served"] == 0.5, d["serving"]["drift"]["level"] in ("moderate", "high"))' <<<"$OUT")"
expect_eq "status: training share of card_arrival (153 of 10003)" "0.0153" \
  "$(json '"%.4f" % [c for c in d["serving"]["classes"] if c["class"] == "card_arrival"][0]["training"]' <<<"$OUT")"
run_kf status bot-1
[[ "$OUT" == *$'Serving:\n  requests:   2 (0 errors, 0.0%)\n  latency:    p50 '* ]] || fail "status: no serving section: $OUT"
[[ "$OUT" == *"  CLASS"*"SERVED"*"TRAINING"* ]] || fail "status: no class table: $OUT"
# 6. The answers were logged (serving.logger); kf monitor scores them
# against labels that came later, matched by text or by request id.
[ "$(wc -l <.kf/runs/bot-1/predictions.jsonl)" -eq 2 ] || fail "logger: $(cat .kf/runs/bot-1/predictions.jsonl)"
expect_eq "logger: first answer" "my card has not arrived yet card_arrival" \
  "$(head -n 1 .kf/runs/bot-1/predictions.jsonl | json '"%s %s" % (d["input"], d["class"])')"
printf 'text,label\n"my card has not arrived yet",card_arrival\n"I want my money back for this purchase",card_arrival\nnever asked,refund\n' >labels.csv
run_kf monitor --labels labels.csv -o json
expect_eq "monitor: exit code" 0 "$RC"
expect_eq "monitor: counts" "bot-1 2 3 2 1 1 0.5" \
  "$(json '"%s %d %d %d %d %d %s" % (d["run"], d["answers"], d["labeled"], d["matched"], d["correct"], d["unmatchedLabels"], d["accuracy"])' <<<"$OUT")"
run_kf monitor bot-1 --labels labels.csv
[[ "$OUT" == *"accuracy 50.0% (1 of 2); on the test set in training: "*"most confused:"* ]] || fail "monitor: $OUT"
run_kf monitor --labels missing.csv
expect_eq "monitor missing labels: exit code" 1 "$RC"
printf 'label,when\nrefund,today\n' >nokey.csv
run_kf monitor --labels nokey.csv
expect_eq "monitor no key: message" 'error: nokey.csv: no key column: name the answers by "id" (the request id) or "text" (what was asked); the columns are: label, when' "$ERR"
# kf status -w of a model server, not on a terminal: the detail once, then
# a line per second of what that second served.
"$KF" status bot-1 -w >watch.out 2>&1 &
watcher=$!
wait_for "status -w: the detail" grep -q '^Serving:' watch.out
for _ in 1 2 3; do run_kf predict --text "lost card"; sleep 0.4; done
wait_for "status -w: a line with requests" grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}  [1-9][0-9.]* req/s  errors 0\.0%  p50 [0-9.]+ ms  p99 [0-9.]+ ms$' watch.out
# It ends by itself when the server stops.
run_kf stop bot-1
expect_eq "stop: exit code" 0 "$RC"
wait_for "status -w: the end once the server stopped" bash -c "! kill -0 $watcher 2>/dev/null"
wait "$watcher" || fail "status -w: exit code $?"
run_kf predict --text "x" --index 2
expect_eq "predict --text --index: exit code" 2 "$RC"
run_kf delete bot-1
expect_eq "delete: exit code" 0 "$RC"

# 7. kf tune: the example's Experiment (lr, encoder-layers, heads, dropout)
# runs here; the best trial's parameters go to stdout.
run_kf tune --set tuning.maxTrials=2 --set training.hyperparameters.epochs=1 \
  --set training.hyperparameters.train-limit=1000 --set training.hyperparameters.hash-buckets=4096 \
  --set training.hyperparameters.warmup-steps=10 --set training.hyperparameters.embedding-dim=32
expect_eq "tune: exit code" 0 "$RC"
[[ "$(tail -n 1 <<<"$OUT")" =~ ^lr=[0-9.e-]+\ encoder-layers=[123]\ heads=(2|4|8)\ dropout=[0-9.e-]+$ ]] || fail "tune: best parameters: $OUT"

finish
