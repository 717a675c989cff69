#!/usr/bin/env bash
# Katib's TensorFlowEvent metrics collector on the local target: the upstream
# tfjob-mnist-with-summaries example (tests/testdata/katib; its script
# replaced by a program that writes TensorFlow event files, trials lowered)
# through kf submit -f. kf-tfevent-collector reads the trial's event files
# when its TFJob ends, as Katib's collector does beside the trial's
# container: TF2 scalar tensors (float_val and tensor_content) under the
# collector's directory, TF1 simple values and metrics named by directory
# ("train/loss"), a file that is not an event file skipped, and a trial
# whose files hold no objective MetricsUnavailable.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/katib_lib.sh" # KATIB, adapt, runs, started, refused
cd "$WORK"
# The upstream command is "python" (its image's); Debian has python3.
mkdir -p bin && ln -s "$(command -v python3)" bin/python
export PATH=$WORK/bin:$PATH

# mnist.py's stand-in: worker 0 (TF_CONFIG) writes, as the upstream script's
# tf.summary.scalar does, test/ and train/ summaries under --log-path (inside
# the trial's directory): accuracy rises with the learning rate.
cat >summaries.py <<PY
import json, os, sys
sys.path.insert(0, "$KF_SOURCE_DIR/tests/e2e")
import tfevents
a = dict(x.split("=", 1) for x in sys.argv[1:])
lr = float(a["--learning-rate"])
if json.loads(os.environ["TF_CONFIG"])["task"]["index"] != 0:
    sys.exit(0)
root = a["--log-path"].lstrip("/")
test, train = tfevents.EventWriter(os.path.join(root, "test")), tfevents.EventWriter(os.path.join(root, "train"))
for epoch in (0, 1, 2):
    test.scalar("accuracy", 0.5 + lr * (epoch + 1), epoch, raw=epoch == 2)
    test.scalar("loss", 1 - lr * (epoch + 1), epoch)
    train.simple("loss", 2 - lr * (epoch + 1), epoch)
test.close(); train.close()
open(os.path.join(root, "test", "README"), "w").write("not an event file, but longer than a record's header\n")
print("accuracy=0.0001 (stdout: not what the TensorFlowEvent collector reads)")
PY

"$KF" init demo >/dev/null 2>&1
cd demo

# 1. The upstream example, 4 trials (upstream: 12), loss as an additional metric.
adapt "$KATIB/tfjob-mnist-with-summaries.yaml" "$WORK/summaries.py" --script /opt/tf-mnist-with-summaries/mnist.py \
  maxTrialCount=4 parallelTrialCount=2 |
  sed 's/^    objectiveMetricName: accuracy$/&\n    additionalMetricNames: [loss]/' >tfevent.yaml
grep -q 'additionalMetricNames: \[loss\]' tfevent.yaml || die "tfevent: additionalMetricNames not set"
run_kf submit -f tfevent.yaml
expect_eq "tfevent: exit code" 0 "$RC"
run=$(started)
expect_eq "tfevent: run" "tfjob-mnist-with-summaries-1" "$run"
status=$("$KF" status "$run" -o json)
expect_eq "tfevent: outcome" "Succeeded ExperimentMaxTrialsReached 4 4" \
  "$(json 'd["state"] + " " + d["status"]["conditions"][-1]["reason"] + " " + str(d["status"]["trials"]) + " " + str(d["status"]["trialsSucceeded"])' <<<"$status")"
# observed RUN_STATUS: the best trial's [name, min, max, latest] per metric, as float32 (as written).
observed() {
  json '[[m["name"], float(m["min"]), float(m["max"]), float(m["latest"])] for m in d["status"]["currentOptimalTrial"]["observation"]["metrics"]]' <<<"$1" |
    python3 -c 'import ast, struct, sys
f = lambda v: float(struct.unpack("<f", struct.pack("<f", v))[0])
print([[m[0]] + [f(x) for x in m[1:]] for m in ast.literal_eval(sys.stdin.read())])'
}
# expected LR NAME=BASE:SIGN...: the stand-in's values of each metric for a learning rate.
expected() {
  python3 -c 'import struct, sys
lr = float(sys.argv[1])
f = lambda v: float(struct.unpack("<f", struct.pack("<f", v))[0])
out = []
for spec in sys.argv[2:]:
    name, rest = spec.split("=")
    base, sign = rest.split(":")
    vs = [f(float(base) + float(sign) * lr * e) for e in (1, 2, 3)]
    out.append([name, min(vs), max(vs), vs[-1]])
print(out)' "$@"
}
lr=$(json 'next(p["value"] for p in d["status"]["currentOptimalTrial"]["parameterAssignments"] if p["name"] == "learning_rate")' <<<"$status")
expect_eq "tfevent: the best trial's observation, from its event files" \
  "$(expected "$lr" accuracy=0.5:1 loss=1:-1)" "$(observed "$status")"
expect_eq "tfevent: the best has the highest learning rate" \
  "$(json 'max(float(t["parameters"]["learning_rate"]) for t in d["trials"])' <<<"$status")" "$lr"
grep -q "kf-tfevent-collector: .*README.*skipped" ".kf/runs/$run/supervisor.log" ||
  fail "tfevent: the README beside the event files was not reported as skipped: $(grep -i tfevent ".kf/runs/$run/supervisor.log" | head -3)"

# 1b. Metrics named by directory, as Katib's collector takes them: the collector's path one level
#     up, the objective test/accuracy (TF2 tensors) and train/loss (TF1 simple values).
sed 's|^        path: /mnist-with-summaries-logs/test$|        path: /mnist-with-summaries-logs|; s|^    objectiveMetricName: accuracy$|    objectiveMetricName: test/accuracy\n    additionalMetricNames: [train/loss]|' \
  tfevent.yaml | sed '/^    additionalMetricNames: \[loss\]$/d; s/^  name: tfjob-mnist-with-summaries$/  name: by-directory/' >by-directory.yaml
run_kf submit -f by-directory.yaml
expect_eq "by directory: exit code" 0 "$RC"
status=$("$KF" status by-directory-1 -o json)
lr=$(json 'next(p["value"] for p in d["status"]["currentOptimalTrial"]["parameterAssignments"] if p["name"] == "learning_rate")' <<<"$status")
expect_eq "by directory: the best trial's observation" \
  "$(expected "$lr" test/accuracy=0.5:1 train/loss=2:-1)" "$(observed "$status")"

# 2. A trial whose event files hold no objective: MetricsUnavailable, at once.
sed 's/test.scalar("accuracy"/test.scalar("acc"/' "$WORK/summaries.py" >"$WORK/no-accuracy.py"
adapt "$KATIB/tfjob-mnist-with-summaries.yaml" "$WORK/no-accuracy.py" --script /opt/tf-mnist-with-summaries/mnist.py \
  maxTrialCount=1 parallelTrialCount=1 maxFailedTrialCount=1 >no-accuracy.yaml
run_kf submit -f no-accuracy.yaml
expect_eq "no objective: exit code" 1 "$RC"
run=$(started)
expect_eq "no objective: the trial" "MetricsUnavailable" \
  "$("$KF" status "$run" -o json | json '" ".join(t["state"] for t in d["trials"])')"

# 3. Refusals: file:line:col, exit 2, and no run left behind.
before=$(runs)
sed 's/^        kind: Directory$/        kind: File/' "$KATIB/tfjob-mnist-with-summaries.yaml" >file-kind.yaml
refused "file kind" file-kind.yaml \
  'file-kind.yaml:21:15: spec.metricsCollectorSpec.source.fileSystemPath.kind: the TensorFlowEvent collector reads a Directory, not "File"'
sed '/^        path: \/mnist-with-summaries-logs\/test$/d' "$KATIB/tfjob-mnist-with-summaries.yaml" >no-path.yaml
refused "no path" no-path.yaml \
  'no-path.yaml:20:9: spec.metricsCollectorSpec.source.fileSystemPath.path: required by the TensorFlowEvent collector (the directory of the event files)'
finish
