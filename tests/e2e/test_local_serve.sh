#!/usr/bin/env bash
# kf serve and kf predict on the local target: the InferenceService's
# runtime (kf-server) serves the model a kf train run produced; Ready with a
# URL, predictions, restarts, lineage, stop and delete.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
: "${KF_TRAINER:?set KF_TRAINER}" "${KF_SERVER:?set KF_SERVER to the kf-server binary}"
[ -d /usr/share/datasets/fashion-mnist ] || { echo "dataset-fashion-mnist is not installed" >&2; exit 1; }
cd "$WORK"

"$KF" init demo >/dev/null 2>&1
cd demo

# No model yet.
run_kf serve --detach
expect_eq "serve before train: exit code" 1 "$RC"
expect_eq "serve before train: message" "error: no trained model yet: run kf train first (or kf serve DIR with a model directory)" "$ERR"

"$KF" train --set training.workers=1 --set training.hyperparameters.epochs=1 --set training.hyperparameters.train-limit=2000 \
  >/dev/null 2>&1 || fail "train failed"

# 1. Serve the newest model, detached: Ready with a URL.
run_kf serve --detach
expect_eq "serve: exit code" 0 "$RC"
url=$OUT
[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "serve: not a URL: $url"
expect_eq "serve: first line" "run demo-1 serving $PWD/.kf/runs/demo-train-1/output (trained by demo-train-1)" "$(head -n 1 <<<"$ERR")"
run_kf status demo-1 -o json
expect_eq "serve: state" "Ready" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "serve: kind" "InferenceService" "$(json 'd["kind"]' <<<"$OUT")"
expect_eq "serve: conditions" "Created:True PredictorReady:True Ready:True" \
  "$(json '" ".join(c["type"] + ":" + c["status"] for c in d["conditions"])' <<<"$OUT")"
expect_eq "serve: live" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/live")"
expect_eq "serve: model ready" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/models/demo-1/ready")"

# 2. kf predict: a test sample through /v2/models/NAME/infer.
run_kf predict --index 3
expect_eq "predict: exit code" 0 "$RC"
[[ "$OUT" =~ ^sample\ 3\ of\ /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte(\.gz)?:\ label\ 1,\ predicted\ [0-9]\ \(p=0\.[0-9]+\)\ -\ (correct|wrong)$ ]] ||
  fail "predict: unexpected answer: $OUT"
run_kf predict demo-1 --index 3 -o json
expect_eq "predict json: outputs" "probabilities label" "$(json '" ".join(o["name"] for o in d["outputs"])' <<<"$OUT")"
run_kf predict --index 10000
expect_eq "predict out of range: exit code" 1 "$RC"
[[ "$ERR" =~ ^error:\ sample\ 10000\ is\ out\ of\ range:\ .*t10k-images-idx3-ubyte.*\ has\ 10000$ ]] || fail "predict out of range: $ERR"

# 3. Lineage: the training run's model is the serving run's input.
run_kf status demo-train-1 -o json
expect_eq "lineage" "demo-1 consumed-output" "$(json '" ".join([l["run"], l["relation"]][i] for l in d["lineage"] for i in (0, 1))' <<<"$OUT")"

# 4. The server killed: restarted (restartPolicy Always), Ready again.
pid=$(json '[r["pid"] for r in d["replicas"]][0]' <.kf/runs/demo-1/local.json)
kill -9 "$pid"
restarted() { [ "$("$KF" status demo-1 -o json | json '"%s %s" % (d["state"], d.get("restarts"))')" = "Ready 1" ]; }
wait_for "the server to be Ready again" restarted
expect_eq "restart: still answers" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/ready")"

# 5. Errors: an unknown run, a directory that is not a model, serving a failed run.
run_kf serve nope-1
expect_eq "serve unknown: message" 'error: no run "nope-1" and no directory of that name (kf status lists the runs)' "$ERR"
mkdir empty
run_kf serve empty
expect_eq "serve empty dir: message" "error: empty is not a kf model directory (it needs model.safetensors and model.json, as kf-trainer writes them)" "$ERR"
run_kf predict demo-train-1
expect_eq "predict a training run: message" "error: run demo-train-1 is a PyTorchJob, not a model server" "$ERR"

# 6. kf delete stops the server and frees its port.
run_kf delete demo-1
expect_eq "delete: output" "run demo-1 deleted" "$OUT"
expect_eq "delete: port closed" "000" "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/live" || true)"

# 7. Attached: Ctrl-C stops the server; exit 0.
"$KF" serve demo-train-1 >"$WORK/serve.out" 2>"$WORK/serve.err" &
kfpid=$!
ready() { [ -s "$WORK/serve.out" ]; }
wait_for "the attached server" ready
url=$(cat "$WORK/serve.out")
expect_eq "attached: answers" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/live")"
run=$(sed -n 's/^run \([^ ]*\) serving.*/\1/p' "$WORK/serve.err")
kill -INT "$kfpid"
set +e; wait "$kfpid"; rc=$?; set -e
expect_eq "attached: exit code" 0 "$rc"
expect_eq "attached: last line" "stopped $run" "$(tail -n 1 "$WORK/serve.err")"
expect_eq "attached: state" "Stopped" "$("$KF" status "$run" -o json | json 'd["state"]')"

finish
