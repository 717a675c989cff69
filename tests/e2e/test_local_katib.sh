#!/usr/bin/env bash
# Katib Experiments (kubeflow.org/v1beta1) on the local target through
# kf submit -f: the upstream examples for the File metrics collector (TEXT and
# JSON) and for medianstop early stopping (tests/testdata/katib, with only their
# container command adapted: a python3 -c program writes the metric lines the
# upstream PyTorch MNIST image would), a Branin experiment whose status is
# Katib's, a trial template from a ConfigMap, MetricsUnavailable and
# maxFailedTrialCount, kf logs --trial, kill -9 of the experiment's supervisor
# and kf resume, and the refusals (file:line:col, exit 2).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/katib_lib.sh" # KATIB, adapt, runs, started, refused
cd "$WORK"

# The stand-ins for mnist.py. Each trains for 3 "epochs" whose accuracy and loss
# follow from --lr and --momentum; on stdout a decoy in the StdOut collector's
# format, which the File collector must not read.
cat >mnist_text.py <<'PY'
import os, sys
a = dict(x.split("=", 1) for x in sys.argv[1:])
lr, momentum = float(a["--lr"]), float(a["--momentum"])
path = a["--log-path"].lstrip("/")  # /katib/mnist.log: relative to the trial's directory
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    for epoch in (1, 2, 3):
        f.write("{metricName: accuracy, metricValue: %.4f}\n" % (0.5 + epoch * lr * momentum))
        f.write("{metricName: loss, metricValue: %.4f}\n" % (1 / (epoch * lr * 100)))
print("accuracy=0.0001 loss=99")
PY
cat >mnist_json.py <<'PY'
import json, os, sys
a = dict(x.split("=", 1) for x in sys.argv[1:])
lr, momentum = float(a["--lr"]), float(a["--momentum"])
path = a["--log-path"].lstrip("/")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:  # as hypertune writes it: one JSON object a line, values as strings
    for epoch in (1, 2, 3):
        f.write(json.dumps({"accuracy": "%.4f" % (0.5 + epoch * lr * momentum), "loss": "%.4f" % (1 / (epoch * lr * 100)),
                            "epoch": epoch, "trial": "0"}) + "\n")
print("accuracy=0.0001 loss=99")
PY
# medianstop: below lr 0.03 (the "bad feasible space" of the upstream example)
# the loss stays above 2 from the first epoch; above it, it falls under 1.2 at
# once. Eight epochs a trial, flushed one by one, so that kf sees the early ones.
cat >mnist_median.py <<'PY'
import sys, time
a = dict(x.split("=", 1) for x in sys.argv[1:])
lr = float(a["--lr"])
for epoch in range(1, 9):
    loss = 2.3 - 0.01 * epoch if lr < 0.03 else 1 / (epoch * lr * 30)
    print(f"epoch {epoch}: loss={loss:.4f}", flush=True)
    time.sleep(0.2)
PY
# The expected File-collector observation of a trial: [name, min, max, latest] per metric, rounded as written.
expected_observation() {
  python3 -c '
import sys
lr, m = float(sys.argv[1]), float(sys.argv[2])
acc = [round(0.5 + e * lr * m, 4) for e in (1, 2, 3)]
loss = [round(1 / (e * lr * 100), 4) for e in (1, 2, 3)]
print([["accuracy", min(acc), max(acc), acc[-1]], ["loss", min(loss), max(loss), loss[-1]]])' "$@"
}
observed() { # the run's currentOptimalTrial observation, as numbers
  json '[[x["name"], float(x["min"]), float(x["max"]), float(x["latest"])] for x in d["status"]["currentOptimalTrial"]["observation"]["metrics"]]'
}
best_params() { json '" ".join(p["value"] for p in d["status"]["currentOptimalTrial"]["parameterAssignments"])'; }

"$KF" init demo >/dev/null 2>&1
cd demo

# 1. The File collector, TEXT with the upstream metricsFormat: 6 trials (upstream: 12), 3 at once, all succeed.
adapt "$KATIB/file-metrics-collector.yaml" "$WORK/mnist_text.py" maxTrialCount=6 >file-text.yaml
run_kf submit -f file-text.yaml
expect_eq "file text: exit code" 0 "$RC"
expect_eq "file text: stderr" "" "$(grep -E '^[^ :]+\.yaml:[0-9]+:[0-9]+: ' <<<"$ERR" || true)"
if [ "$RC" = 0 ]; then
  run=$(started)
  expect_eq "file text: run" "file-metrics-collector-1" "$run"
  run_kf status "$run" -o json
  status=$OUT
  expect_eq "file text: condition" "Succeeded True ExperimentMaxTrialsReached" \
    "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason"))' <<<"$status")"
  expect_eq "file text: trials" "6 6" "$(json 'str(d["status"]["trials"]) + " " + str(d["status"]["trialsSucceeded"])' <<<"$status")"
  expect_eq "file text: currentOptimalTrial's observation is the File collector's" \
    "$(expected_observation $(best_params <<<"$status"))" "$(observed <<<"$status")"
  expect_eq "file text: the best has the highest accuracy" \
    "$(json 'max(t["metrics"]["accuracy"] for t in d["trials"])' <<<"$status")" \
    "$(json 'float(d["status"]["currentOptimalTrial"]["observation"]["metrics"][0]["max"])' <<<"$status")"
  best=$(json 'd["status"]["currentOptimalTrial"]["bestTrialName"]' <<<"$status")
  [ -s ".kf/runs/$run/trials/$best/katib/mnist.log" ] || fail "file text: no $best/katib/mnist.log (the path is relative to the trial's directory)"
fi

# 2. The File collector, JSON format: the same, from hypertune-style lines.
adapt "$KATIB/file-metrics-collector-with-json-format.yaml" "$WORK/mnist_json.py" maxTrialCount=6 >file-json.yaml
run_kf submit -f file-json.yaml
expect_eq "file json: exit code" 0 "$RC"
if [ "$RC" = 0 ]; then
  run=$(started)
  expect_eq "file json: run" "file-metrics-collector-with-json-format-1" "$run"
  run_kf status "$run" -o json
  status=$OUT
  expect_eq "file json: condition" "Succeeded True ExperimentMaxTrialsReached" \
    "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason"))' <<<"$status")"
  expect_eq "file json: trials" "6 6" "$(json 'str(d["status"]["trials"]) + " " + str(d["status"]["trialsSucceeded"])' <<<"$status")"
  expect_eq "file json: currentOptimalTrial's observation is the File collector's" \
    "$(expected_observation $(best_params <<<"$status"))" "$(observed <<<"$status")"
  best=$(json 'd["status"]["currentOptimalTrial"]["bestTrialName"]' <<<"$status")
  [ -s ".kf/runs/$run/trials/$best/katib/mnist.json" ] || fail "file json: no $best/katib/mnist.json"
fi

# 3. medianstop (min_trials_required 1, start_step 2): one trial at a time, random_state
#    set, so the trials are the same every run; the bad ones are stopped after epoch 2.
adapt "$KATIB/median-stop.yaml" "$WORK/mnist_median.py" maxTrialCount=6 parallelTrialCount=1 |
  sed 's/^    algorithmName: random$/&\n    algorithmSettings:\n      - name: random_state\n        value: "3"/' >median.yaml
grep -q 'value: "3"' median.yaml || die "median: random_state not set"
run_kf submit -f median.yaml
expect_eq "median: exit code" 0 "$RC"
run=$(started)
expect_eq "median: run" "median-stop-1" "$run"
run_kf status "$run" -o json
status=$OUT
expect_eq "median: condition" "Succeeded ExperimentMaxTrialsReached 6" \
  "$(json 'd["status"]["conditions"][-1]["type"] + " " + d["status"]["conditions"][-1]["reason"] + " " + str(d["status"]["trials"])' <<<"$status")"
stopped=$(json '" ".join(t["name"] for t in d["trials"] if t["state"] == "EarlyStopped")' <<<"$status")
[ -n "$stopped" ] || fail "median: no trial was early stopped: $(json '[(t["state"], t["parameters"]["lr"]) for t in d["trials"]]' <<<"$status")"
expect_eq "median: trialsEarlyStopped and earlyStoppedTrialList" \
  "$(json 'd["status"]["trialsEarlyStopped"]' <<<"$status")" "$(json 'len(d["status"]["earlyStoppedTrialList"])' <<<"$status")"
expect_eq "median: only the clearly worse trials (lr < 0.03) were stopped" "[]" \
  "$(json '[t["name"] for t in d["trials"] if t["state"] == "EarlyStopped" and float(t["parameters"]["lr"]) >= 0.03]' <<<"$status")"
expect_eq "median: no good trial stopped or failed" "[]" \
  "$(json '[t["name"] for t in d["trials"] if float(t["parameters"]["lr"]) >= 0.03 and t["state"] != "Succeeded"]' <<<"$status")"
expect_eq "median: the best trial is a good one" "True" "$(json 'float(d["bestTrial"]["parameters"]["lr"]) >= 0.03' <<<"$status")"
for t in $stopped; do
  n=$("$KF" logs "$run" --trial "$t" | grep -c '^epoch [0-9]*: loss=' || true)
  [ "$n" -ge 2 ] || fail "median: $t was stopped after $n epoch(s), before start_step 2"
done

# 4. Branin (tpe, random_state): Katib's status, kf's summary, and kf logs --trial.
cat >branin.yaml <<'YAML'
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: branin
spec:
  objective:
    type: minimize
    goal: 0.4
    objectiveMetricName: value
  algorithm:
    algorithmName: tpe
    algorithmSettings:
      - name: random_state
        value: "7"
      - name: n_startup_trials
        value: "3"
  parallelTrialCount: 1
  maxTrialCount: 5
  parameters:
    - name: x
      parameterType: double
      feasibleSpace: {min: "-5", max: "10"}
    - name: y
      parameterType: double
      feasibleSpace: {min: "0", max: "15"}
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - name: x
        reference: x
      - name: y
        reference: y
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                image: python:3
                command:
                  - python3
                  - -c
                  - |
                    import math, sys
                    x, y = float(sys.argv[1]), float(sys.argv[2])
                    v = (y - 5.1 / (4 * math.pi**2) * x * x + 5 / math.pi * x - 6)**2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
                    print(f"value={v}")
                  - "${trialParameters.x}"
                  - "${trialParameters.y}"
            restartPolicy: Never
YAML
run_kf submit -f branin.yaml
expect_eq "branin: exit code" 0 "$RC"
expect_eq "branin: run" "branin-1" "$(started)"
grep -qx 'branin-1 Succeeded: Experiment has succeeded because max trial count has reached' <<<"$ERR" || fail "branin: no summary in: $ERR"
run_kf status branin-1 -o json
status=$OUT
expect_eq "branin: kf state" "Succeeded" "$(json 'd["state"]' <<<"$status")"
expect_eq "branin: conditions" "Created/True/ExperimentCreated Running/False/ExperimentRunning Succeeded/True/ExperimentMaxTrialsReached" \
  "$(json '" ".join("/".join(c[k] for k in ("type", "status", "reason")) for c in d["status"]["conditions"])' <<<"$status")"
expect_eq "branin: Succeeded message" "Experiment has succeeded because max trial count has reached" \
  "$(json 'd["status"]["conditions"][-1]["message"]' <<<"$status")"
expect_eq "branin: counters" "trials=5 trialsSucceeded=5 trialsFailed=0 trialsKilled=0 trialsEarlyStopped=0 trialMetricsUnavailable=0 trialsRunning=0" \
  "$(json '" ".join(k + "=" + str(d["status"][k]) for k in ("trials", "trialsSucceeded", "trialsFailed", "trialsKilled", "trialsEarlyStopped", "trialMetricsUnavailable", "trialsRunning"))' <<<"$status")"
expect_eq "branin: succeededTrialList is every trial" "$(json '" ".join(sorted(t["name"] for t in d["trials"]))' <<<"$status")" \
  "$(json '" ".join(sorted(d["status"]["succeededTrialList"]))' <<<"$status")"
expect_eq "branin: trial names are <experiment>-<8 characters>" "[]" \
  "$(json '[t["name"] for t in d["trials"] if not __import__("re").fullmatch(r"branin-1-[a-z0-9]{8}", t["name"])]' <<<"$status")"
expect_eq "branin: startTime and completionTime" "True" "$(json 'bool(d["status"]["startTime"]) and bool(d["status"]["completionTime"])' <<<"$status")"
expect_eq "branin: kf's trials are sorted best first" "True" \
  "$(json '[t["metrics"]["value"] for t in d["trials"]] == sorted(t["metrics"]["value"] for t in d["trials"])' <<<"$status")"
expect_eq "branin: currentOptimalTrial is kf's bestTrial" \
  "$(json 'd["bestTrial"]["name"] + " " + json.dumps(d["bestTrial"]["parameters"])' <<<"$status")" \
  "$(json 'd["status"]["currentOptimalTrial"]["bestTrialName"] + " " + json.dumps({p["name"]: p["value"] for p in d["status"]["currentOptimalTrial"]["parameterAssignments"]})' <<<"$status")"
expect_eq "branin: the observation is the Branin function of the assignment" "True" \
  "$(json '(lambda o, x, y, math: o["name"] == "value" and o["min"] == o["max"] == o["latest"] and abs(float(o["latest"]) - ((y - 5.1 / (4 * math.pi**2) * x * x + 5 / math.pi * x - 6)**2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)) < 1e-9)(d["status"]["currentOptimalTrial"]["observation"]["metrics"][0], float(d["bestTrial"]["parameters"]["x"]), float(d["bestTrial"]["parameters"]["y"]), __import__("math"))' <<<"$status")"
best=$(json 'd["bestTrial"]["name"]' <<<"$status")
latest=$(json 'd["status"]["currentOptimalTrial"]["observation"]["metrics"][0]["latest"]' <<<"$status")
run_kf submit -f branin.yaml --name branin-again
expect_eq "branin: stdout is the best trial's assignment" \
  "$(json '" ".join(p["name"] + "=" + p["value"] for p in d["status"]["currentOptimalTrial"]["parameterAssignments"])' <<<"$status")" "$OUT"
expect_eq "branin: random_state: a second run proposes the same trials" \
  "$(json 'sorted(json.dumps(t["parameters"]) for t in d["trials"])' <<<"$status")" \
  "$("$KF" status branin-again -o json | json 'sorted(json.dumps(t["parameters"]) for t in d["trials"])')"
run_kf status
grep -qE '^branin-1 +Experiment +Succeeded .* 5/5 trials, best value=' <<<"$OUT" || fail "branin: status table: $OUT"

# 4b. Every suggestion algorithm runs (3 trials at once, random_state where it has one);
#     grid walks its finite grid and ends with ExperimentSuggestionEndReached.
for alg in random sobol multivariate-tpe bayesianoptimization cmaes; do
  sed "/- name: n_startup_trials\$/,+1d; s/algorithmName: tpe/algorithmName: $alg/; s/^  name: branin\$/  name: alg-$alg/; s/maxTrialCount: 5/maxTrialCount: 3/; s/parallelTrialCount: 1/parallelTrialCount: 3/" branin.yaml >alg.yaml
  run_kf submit -f alg.yaml
  expect_eq "$alg: exit code" 0 "$RC"
  expect_eq "$alg: status" "Succeeded 3 3" "$("$KF" status "alg-$alg-1" -o json | json 'd["state"] + " " + str(d["status"]["trials"]) + " " + str(d["status"]["trialsSucceeded"])')"
done
sed '/- name: n_startup_trials$/,+1d; /- name: random_state$/,+1d; s/algorithmSettings:$/algorithmSettings: []/; s/algorithmName: tpe/algorithmName: grid/; s/^  name: branin$/  name: grid/; s/maxTrialCount: 5/maxTrialCount: 12/; s/parallelTrialCount: 1/parallelTrialCount: 3/' branin.yaml >grid.yaml
run_kf submit -f grid.yaml
expect_eq "grid without a step: exit code" 2 "$RC"
expect_eq "grid without a step: message" "grid.yaml:18:22: spec.parameters[0].feasibleSpace.step: grid needs a step for parameterType double (the grid must be finite)" "$ERR"
sed -i 's/{min: "-5", max: "10"}/{min: "-5", max: "10", step: "5"}/; s/{min: "0", max: "15"}/{min: "0", max: "15", step: "15"}/' grid.yaml
run_kf submit -f grid.yaml
expect_eq "grid: exit code" 0 "$RC"
run_kf status grid-1 -o json
expect_eq "grid: the whole grid, then the end" "ExperimentSuggestionEndReached 8" "$(json 'd["status"]["conditions"][-1]["reason"] + " " + str(d["status"]["trials"])' <<<"$OUT")"
expect_eq "grid: every point once" "-5/0 -5/15 0/0 0/15 5/0 5/15 10/0 10/15" \
  "$(json '" ".join(sorted((t["parameters"]["x"] + "/" + t["parameters"]["y"] for t in d["trials"]), key=lambda s: tuple(map(float, s.split("/")))))' <<<"$OUT")"

# 5. kf logs --trial: the trial's job log, with its metric line.
run_kf logs branin-1 --trial "$best"
expect_eq "logs --trial: exit code" 0 "$RC"
expect_eq "logs --trial: the metric line" "value=$latest" "$OUT"
run_kf logs branin-1
expect_eq "logs without --trial: exit code" 2 "$RC"
expect_eq "logs without --trial: message" \
  "error: an Experiment's logs are its trials': name one with --trial (it has $("$KF" status branin-1 -o json | json '", ".join(d["status"]["succeededTrialList"])'))" "$ERR"
run_kf logs branin-1 --trial branin-1-nope
expect_eq "logs unknown trial: exit code" 2 "$RC"
grep -q '^error: run branin-1 has no trial "branin-1-nope" (it has branin-1-' <<<"$ERR" || fail "logs unknown trial: $ERR"

# 6. A trial template from a ConfigMap given as another -f file.
cat >templates.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: trial-templates
  namespace: kubeflow
data:
  quadratic.yaml: |-
    apiVersion: batch/v1
    kind: Job
    spec:
      template:
        spec:
          containers:
            - name: main
              image: python:3
              command:
                - python3
                - -c
                - "import sys; x, y = map(float, sys.argv[1:]); print(f'value={(x - 1) ** 2 + (y - 2) ** 2}')"
                - "${trialParameters.x}"
                - "${trialParameters.y}"
          restartPolicy: Never
YAML
python3 - <<'PY'
s = open("branin.yaml").read()
s = s.replace("name: branin\n", "name: quadratic\n").replace("maxTrialCount: 5", "maxTrialCount: 3")
s = s[:s.index("    trialSpec:")] + "    configMap:\n      configMapName: trial-templates\n      configMapNamespace: kubeflow\n      templatePath: quadratic.yaml\n"
open("quadratic.yaml", "w").write(s)
PY
before=$(runs)
run_kf submit -f quadratic.yaml
expect_eq "configMap missing: exit code" 2 "$RC"
expect_eq "configMap missing: message" 'quadratic.yaml:34:22: spec.trialTemplate.configMap.configMapName: ConfigMap "trial-templates" not given: pass its manifest too (kf submit -f experiment.yaml -f configmap.yaml)' "$ERR"
expect_eq "configMap missing: no run left" "$before" "$(runs)"
run_kf submit -f quadratic.yaml -f templates.yaml
expect_eq "configMap: exit code" 0 "$RC"
run_kf status quadratic-1 -o json
expect_eq "configMap: trials from the template" "Succeeded 3" "$(json 'd["state"] + " " + str(d["status"]["trialsSucceeded"])' <<<"$OUT")"
expect_eq "configMap: the metric is the template's" "True" \
  "$(json 'all(abs(t["metrics"]["value"] - ((float(t["parameters"]["x"]) - 1) ** 2 + (float(t["parameters"]["y"]) - 2) ** 2)) < 1e-9 for t in d["trials"])' <<<"$OUT")"

# 7. A job that exits 0 without the objective metric: MetricsUnavailable.
sed 's/^  name: branin$/  name: nometric/; s/print(f"value={v}")/print(f"result: {v:.3f}")/; s/maxTrialCount: 5/maxTrialCount: 2/' branin.yaml >nometric.yaml
run_kf submit -f nometric.yaml
expect_eq "metrics unavailable: exit code" 0 "$RC"
run_kf status nometric-1 -o json
status=$OUT
expect_eq "metrics unavailable: trial states" "MetricsUnavailable MetricsUnavailable" "$(json '" ".join(t["state"] for t in d["trials"])' <<<"$status")"
expect_eq "metrics unavailable: counters" "2 0 2" \
  "$(json '" ".join(str(d["status"][k]) for k in ("trialMetricsUnavailable", "trialsSucceeded")) + " " + str(len(d["status"]["metricsUnavailableTrialList"]))' <<<"$status")"
expect_eq "metrics unavailable: no optimal trial" "" "$(json 'd["status"]["currentOptimalTrial"]["bestTrialName"]' <<<"$status")"
t=$(json 'd["trials"][0]["name"]' <<<"$status")
grep -q '^result: [0-9.]*$' <<<"$("$KF" logs nometric-1 --trial "$t")" || fail "metrics unavailable: the trial's log"

# 8. maxFailedTrialCount as Katib counts it (experiment/util/status_util.go): failed trials
#    are Failed + MetricsUnavailable, and the experiment fails when they reach the count,
#    with reason ExperimentFailed.
sed 's/^  name: nometric$/  name: nometric-limit/; s/maxTrialCount: 2/maxTrialCount: 3\n  maxFailedTrialCount: 1/' nometric.yaml >nometric-limit.yaml
run_kf submit -f nometric-limit.yaml
expect_eq "maxFailedTrialCount (MetricsUnavailable): exit code" 1 "$RC"
expect_eq "maxFailedTrialCount (MetricsUnavailable): status" "Failed ExperimentFailed Experiment has failed because max failed count has reached; 1 trial(s)" \
  "$("$KF" status nometric-limit-1 -o json | json 'd["status"]["conditions"][-1]["type"] + " " + d["status"]["conditions"][-1]["reason"] + " " + d["status"]["conditions"][-1]["message"] + "; " + str(d["status"]["trials"]) + " trial(s)"')"
sed 's/^  name: branin$/  name: crashing/; s/print(f"value={v}")/sys.exit(3)/; s/maxTrialCount: 5/maxTrialCount: 4\n  maxFailedTrialCount: 2/; s/^        template:$/        backoffLimit: 0\n&/' branin.yaml >crashing.yaml
run_kf submit -f crashing.yaml
expect_eq "maxFailedTrialCount (Failed): exit code" 1 "$RC"
expect_eq "maxFailedTrialCount (Failed): status" "Failed ExperimentFailed 2 failed of 2" \
  "$("$KF" status crashing-1 -o json | json 'd["status"]["conditions"][-1]["type"] + " " + d["status"]["conditions"][-1]["reason"] + " " + str(d["status"]["trialsFailed"]) + " failed of " + str(d["status"]["trials"])')"

# 9. kill -9 of the experiment's supervisor mid-run, then kf resume: the finished trials
#    are kept, the running ones adopted, and the total is exactly maxTrialCount.
sed '/- name: n_startup_trials$/,+1d; s/^  name: branin$/  name: resumable/; s/algorithmName: tpe/algorithmName: random/; s/parallelTrialCount: 1/parallelTrialCount: 2/; s/maxTrialCount: 5/maxTrialCount: 8/; s/print(f"value={v}")/import time; time.sleep(0.5); print(f"value={v}")/' branin.yaml >resumable.yaml
run_kf submit -f resumable.yaml --detach
expect_eq "resume: detach" "0 resumable-1" "$RC $OUT"
run=resumable-1
succeeded_in_local_json() {
  [ "$(python3 -c 'import json,sys; print(sum(t["state"] == "Succeeded" for t in json.load(open(sys.argv[1])).get("trials", [])))' ".kf/runs/$run/local.json" 2>/dev/null || echo 0)" -ge 2 ]
}
wait_for "two trials of $run to succeed" succeeded_in_local_json
pid=$(json 'd["supervisor"]["pid"]' <".kf/runs/$run/local.json")
kill -9 "$pid" || fail "resume: the supervisor (pid $pid) was not running"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
run_kf status "$run" -o json
kept=$(json 'sorted(t["name"] + " " + json.dumps(t["parameters"]) for t in d["trials"] if t["state"] == "Succeeded")' <<<"$OUT")
expect_eq "resume: after kill -9" "Failed SupervisorLost Experiment $run lost its supervisor (the kf process running it ended without finishing it)." \
  "$(json 'd["state"] + " " + d["status"]["conditions"][-1]["reason"] + " " + d["message"]' <<<"$OUT")"
run_kf resume "$run"
expect_eq "resume: exit code" 0 "$RC"
grep -qx "$run Succeeded: Experiment has succeeded because max trial count has reached" <<<"$ERR" || fail "resume: no summary in: $ERR"
run_kf status "$run" -o json
status=$OUT
expect_eq "resume: state" "Succeeded ExperimentMaxTrialsReached" "$(json 'd["state"] + " " + d["status"]["conditions"][-1]["reason"]' <<<"$status")"
expect_eq "resume: total == maxTrialCount" "8 8 8 8" \
  "$(json 'str(d["status"]["trials"]) + " " + str(d["status"]["trialsSucceeded"]) + " " + str(len(d["trials"]))' <<<"$status") $(ls ".kf/runs/$run/trials" | wc -l)"
expect_eq "resume: the finished trials are kept (same names, same parameters, Succeeded)" "$kept" \
  "$(KEPT=$kept json 'sorted(t["name"] + " " + json.dumps(t["parameters"]) for t in d["trials"] if t["state"] == "Succeeded" and t["name"] in __import__("os").environ["KEPT"])' <<<"$status")"
# As Katib writes them: the resume drops Failed, and each change moves its
# condition to the end, so the newest (Succeeded) is last.
expect_eq "resume: the conditions" "Created=True Restarting=False Running=False Succeeded=True" \
  "$(json '" ".join(c["type"] + "=" + c["status"] for c in d["status"]["conditions"])' <<<"$status")"
run_kf resume "$run"
expect_eq "resume at maxTrialCount: exit code" 2 "$RC"
expect_eq "resume at maxTrialCount: message" "error: run $run already ran its maxTrialCount trials: give it more, as in kf resume $run --set spec.maxTrialCount=16" "$ERR"
run_kf resume "$run" --set maxTrialCount=10
expect_eq "resume --set maxTrialCount=10: exit code" 0 "$RC"
expect_eq "resume --set maxTrialCount=10: trials" "Succeeded 10" "$("$KF" status "$run" -o json | json 'd["state"] + " " + str(d["status"]["trials"])')"
run_kf resume branin-nope
expect_eq "resume unknown: exit code" 1 "$RC"
expect_eq "resume unknown: message" 'error: run "branin-nope" does not exist (kf status lists the runs)' "$ERR"

# 10. Refusals: file:line:col, exit 2, and no run left behind.
before=$(runs)
sed 's/name: n_startup_trials$/name: n_startup_trial/' branin.yaml >bad-setting.yaml
refused "unknown algorithm setting" bad-setting.yaml \
  'bad-setting.yaml:15:15: spec.algorithm.algorithmSettings[1].name: unknown setting "n_startup_trial" for algorithm tpe: known are bandwidth_weighted, gamma, n_EI_candidates, n_ei_candidates, n_startup_trials, prior_weight, random_state (did you mean '"'"'n_startup_trials'"'"'?)'
sed 's/^  parallelTrialCount:/  metricsCollectorSpec:\n    collector:\n      kind: PrometheusMetric\n&/' branin.yaml >prometheus.yaml
refused "PrometheusMetric collector" prometheus.yaml \
  'prometheus.yaml:19:13: spec.metricsCollectorSpec.collector.kind: the local target does not run the PrometheusMetric collector (it collects StdOut, File, TensorFlowEvent and None)'
sed 's|^      apiVersion: batch/v1$|      apiVersion: kubeflow.org/v2beta1|; s|^      kind: Job$|      kind: MPIJob|' branin.yaml >mpi-trial.yaml
refused "unsupported trial kind" mpi-trial.yaml \
  'mpi-trial.yaml:35:13: spec.trialTemplate.trialSpec.kind: the local target runs trials of kind Job, PyTorchJob, TFJob and TrainJob, not "MPIJob"'
sed 's/algorithmName: tpe/algorithmName: hyperband/' branin.yaml >hyperband.yaml
refused "hyperband with tpe's settings" hyperband.yaml \
  'hyperband.yaml:15:15: spec.algorithm.algorithmSettings[1].name: unknown setting "n_startup_trials" for algorithm hyperband: known are eta, r_l, random_state, resource_name'

finish
