#!/usr/bin/env bash
# Runs on a cluster target, end to end against kube-sim and its simulated
# operators: kf train / tune / serve / pipeline run with --wait (exit 0 and
# 1), kf status tables and JSON (with the run's events), kf logs (also -f
# across a replica restart), kf delete, a kubeconfig context as --target,
# status under a broken watch, and a served model's requests and latency
# read through the API server's pod proxy.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"
GOLDEN="$KF_SOURCE_DIR/tests/golden/cluster"
# Ages, times and commits differ from run to run (and so do column widths): the rest of a table is golden.
normalize() { sed -E 's/ [0-9]+(s|m[0-9]{2}s) / AGE /; s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/TIME/g; s/ [0-9a-f]{7}\+?$/ COMMIT/; s/ +/ /g'; }

# A real kf-server, which the API proxy of kube-sim's pods reaches (their IPs are made up;
# a cluster's API server reaches the pod's IP): section 6a reads a served model's /metrics.
"$KF_TRAINER" --data=synthetic --synthetic-samples=256 --epochs=1 --layers=16 --threads=1 --quiet --output="$WORK/model" \
  >"$WORK/model.out" 2>&1 || fail "training the served model: $(cat "$WORK/model.out")"
"$KF_SERVER" --host 127.0.0.1 --port 0 --port-file "$WORK/server.port" --model-dir "$WORK/model" 2>"$WORK/server.log" &
SERVER=$!
SIM_PIDS+=("$SERVER") # stopped at exit with kube-sim
wait_for "kf-server to listen" test -s "$WORK/server.port"
PORT=$(cat "$WORK/server.port")
start_kube_sim --crds "$CRDS" --controller-step-ms 100 --proxy-pods-to "127.0.0.1:$PORT"
KC=$SIM_KUBECONFIG
cd "$WORK"
"$KF" init demo >/dev/null 2>&1
cd demo
# A cluster target named "sim" in kf.yaml.
sed -i "s|^      type: local$|      type: local\n    - name: sim\n      type: cluster\n      kubeconfig: $KC\n      namespace: default|" kf.yaml

# 0. kf validate takes its schemas from the cluster's CRDs.
run_kf validate --target sim
expect_eq "validate against the cluster: exit code" 0 "$RC"
expect_eq "validate against the cluster: summary" "7 objects, 6 checked against schemas, 0 invalid" "$(tail -n 1 <<<"$ERR")"

# 1. Train, waiting: exit 0, Succeeded.
run_kf train --target sim --wait --timeout 120
expect_eq "train --wait: exit code" 0 "$RC"
expect_eq "train --wait: run name" "demo-train-1" "$OUT"
expect_eq "train --wait: outcome" "demo-train-1 Succeeded: PyTorchJob demo-train-1 is successfully completed." \
  "$(grep '^demo-train-1 Succeeded' <<<"$ERR")"
run_kf status --target sim
expect_eq "status: exit code" 0 "$RC"
golden "$GOLDEN/status-train.table" "$(normalize <<<"$OUT")"
run_kf status demo-train-1 --target sim -o json
expect_eq "status json: state" "Succeeded" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "status json: pods" "master-0:Succeeded worker-0:Succeeded" \
  "$(json '" ".join(p["replica"] + ":" + p["phase"] for p in d["pods"])' <<<"$OUT")"
expect_eq "status json: replicas" '{"Master": {"succeeded": 1}, "Worker": {"succeeded": 1}}' \
  "$(json 'json.dumps({k: {"succeeded": v.get("succeeded")} for k, v in d["replicas"].items()}, sort_keys=True)' <<<"$OUT")"
expect_eq "status json: metrics from the log" "True" "$(json '"accuracy" in d["metrics"]' <<<"$OUT")"
expect_eq "status json: parameters" "0.001" "$(json 'd["parameters"]["lr"]' <<<"$OUT")"
# two_replica_events RUN LAST: the Events section of a master + worker run's
# detail view, oldest first, ending with the operator's LAST line; the first
# event, "Created pod: RUN-master-0", is one too many for the last 10.
two_replica_events() {
  local r=$1
  printf '%s\n' "Events:" " TYPE REASON OBJECT AT MESSAGE" \
    " Normal SuccessfulCreatePod PyTorchJob/$r TIME Created pod: $r-worker-0"
  for pod in "$r-master-0" "$r-worker-0"; do
    printf '%s\n' " Normal Scheduled Pod/$pod TIME Successfully assigned default/$pod to kube-sim-node" \
      " Normal Pulled Pod/$pod TIME Container image \"demo-trainer:latest\" already present on machine" \
      " Normal Created Pod/$pod TIME Created container: pytorch" " Normal Started Pod/$pod TIME Started container pytorch"
  done
  printf ' %s\n' "$2"
}

# The detail view ends with the last 10 events of the run and its pods (the operator's, the
# scheduler's, the kubelet's).
run_kf status demo-train-1 --target sim
expect_eq "status: events" "$(two_replica_events demo-train-1 \
  "Normal PyTorchJobSucceeded PyTorchJob/demo-train-1 TIME PyTorchJob demo-train-1 is successfully completed.")" \
  "$(sed -n '/^Events:/,/^$/p' <<<"$OUT" | normalize)"

# 2. Logs: the master's, a worker's, an unknown replica.
run_kf logs demo-train-1 --target sim
expect_eq "logs: exit code" 0 "$RC"
grep -q '^epoch=1 loss=' <<<"$OUT" || fail "logs: no epoch line in: $OUT"
run_kf logs demo-train-1 --target sim --replica worker-0 --tail 1
expect_eq "logs --tail 1: one line" "1" "$(wc -l <<<"$OUT")"
run_kf logs demo-train-1 --target sim --replica worker-7
expect_eq "logs unknown replica: exit code" 2 "$RC"
expect_eq "logs unknown replica: message" \
  'error: run demo-train-1 has no replica "worker-7" (it has master-0, worker-0)' "$ERR"

# 3. A job told to fail: exit 1, the reason and the failing replica's last lines.
run_kf train --target sim --wait --timeout 120 --set metadata.labels.sim\\.kf\\.dev/fail=worker-0
expect_eq "failing train: exit code" 1 "$RC"
expect_eq "failing train: outcome" \
  "demo-train-2 Failed: PyTorchJob demo-train-2 is failed because 1 Worker replica(s) failed." \
  "$(grep '^demo-train-2 Failed' <<<"$ERR")"
grep -q '^    kf-trainer: error: loss is NaN' <<<"$ERR" || fail "failing train: no log tail in: $ERR"
run_kf status demo-train-2 --target sim
expect_eq "failing status: exit code" 0 "$RC"
grep -q "^Last lines of worker-0's log:" <<<"$OUT" || fail "failing status: no log tail: $OUT"
grep -q '^State:     Failed — PyTorchJob demo-train-2 is failed because 1 Worker replica(s) failed.$' <<<"$OUT" ||
  fail "failing status: state line: $OUT"
expect_eq "failing status: events" "$(two_replica_events demo-train-2 \
  "Normal PyTorchJobFailed PyTorchJob/demo-train-2 TIME PyTorchJob demo-train-2 is failed because 1 Worker replica(s) failed.")" \
  "$(sed -n '/^Events:/,/^$/p' <<<"$OUT" | normalize)"

# 4. Logs -f across a replica restart: both containers' lines, the restart marked.
run_kf train --target sim --detach --set metadata.labels.sim\\.kf\\.dev/restart=master-0 --set 'metadata.labels.sim\.kf\.dev/slow=1500'
expect_eq "restarting train: exit code" 0 "$RC"
run_kf logs demo-train-3 --target sim -f
expect_eq "logs -f across a restart: exit code" "0 " "$RC $ERR"
grep -q '^--- master-0 restarted (restart 1) ---$' <<<"$OUT" || fail "logs -f: no restart marker in: $OUT"
expect_eq "logs -f: both containers' first epochs" "2" "$(grep -c '^epoch=1 ' <<<"$OUT")"
# The restart in the events: the kubelet's BackOff and the operator's Restarting (Warning), the
# restarted container's Pulled/Created/Started counted twice.
run_kf status demo-train-3 --target sim -o json
expect_eq "restart: warning events" "Warning BackOff Pod/demo-train-3-master-0: Back-off restarting failed container pytorch in pod demo-train-3-master-0_default(UID)
Warning PyTorchJobRestarting PyTorchJob/demo-train-3: PyTorchJob demo-train-3 is restarting because 1 Master replica(s) failed." \
  "$(json '"\n".join(e["type"] + " " + e["reason"] + " " + e["object"] + ": " + e["message"] for e in d["events"] if e["type"] == "Warning")' <<<"$OUT" |
     sed -E 's/\([0-9a-f-]{36}\)$/(UID)/')"
expect_eq "restart: counted events" "Pulled 2 Created 2 Started 2" \
  "$(json '" ".join(e["reason"] + " " + str(e["count"]) for e in d["events"] if e["object"] == "Pod/demo-train-3-master-0" and e["count"] > 1)' <<<"$OUT")"

# 5. Tune: the best trial's parameters on stdout.
run_kf tune --target sim --wait --timeout 120
expect_eq "tune --wait: exit code" 0 "$RC"
expect_eq "tune --wait: run name" "demo-tune-1" "$(head -n 1 <<<"$OUT")"
[[ "$(sed -n 2p <<<"$OUT")" =~ ^lr=[0-9.e-]+\ optimizer=(sgd|adam)$ ]] || fail "tune --wait: best parameters: $OUT"
run_kf status demo-tune-1 --target sim -o json
expect_eq "tune status: best trial is a trial" "True" "$(json 'd["bestTrial"]["name"] in [t["name"] for t in d["trials"]]' <<<"$OUT")"

# 5b. A tuning run whose trials fail: exit 1 with Katib's reason.
run_kf tune --target sim --wait --timeout 120 --set 'metadata.labels.sim\.kf\.dev/fail=true'
expect_eq "failing tune: exit code" 1 "$RC"
expect_eq "failing tune: outcome" "demo-tune-2 Failed: Experiment has failed because max failed count has reached" \
  "$(grep '^demo-tune-2 Failed' <<<"$ERR")"

# 6. Serve: Ready, the URL on stdout.
run_kf serve --target sim --wait --timeout 120
expect_eq "serve --wait: exit code" 0 "$RC"
expect_eq "serve --wait: output" "demo-1
http://demo-1.default.example.com" "$OUT"
# 6a. kf status of the served model: its requests, errors, latency and answers, read from the
#     predictor pods' /metrics through the API server's pod proxy.
python3 -c 'import json; print(json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64], "data": [0.5] * 64}]}))' >"$WORK/infer.json"
for _ in 1 2 3 4 5; do
  curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary "@$WORK/infer.json" "http://127.0.0.1:$PORT/v2/models/model/infer" ||
    fail "a request to kf-server failed"
done
curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary '{"inputs": 7}' "http://127.0.0.1:$PORT/v2/models/model/infer"
run_kf status demo-1 --target sim -o json
expect_eq "status of a served model: requests, errors, answers" "6 1 5" \
  "$(json '" ".join(str(d["serving"][k]) for k in ("requests", "errors", "answers"))' <<<"$OUT")"
run_kf status demo-1 --target sim
grep -q '^  requests:   6 (1 errors, 16.7%)$' <<<"$OUT" || fail "status of a served model: no requests line in: $OUT"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
run_kf status demo-1 --target sim -o json
expect_eq "status of a served model whose server is gone: no serving section" "0 False" "$RC $(json '"serving" in d' <<<"$OUT")"
run_kf serve --target sim --wait --timeout 120 --set 'metadata.labels.sim\.kf\.dev/fail=true'
expect_eq "failing serve: exit code" 1 "$RC"
grep -q '^demo-2 Failed: Revision "demo-2-predictor-00001" failed with message: ' <<<"$ERR" || fail "failing serve: outcome: $ERR"
run_kf serve --target sim ./some-dir
expect_eq "serve a directory on a cluster: exit code" 2 "$RC"
expect_eq "serve a directory on a cluster: message" \
  'error: on a cluster target kf serve takes a model URI (pvc://, s3://, gs://, http(s)://), not "./some-dir"; the default is serving.storageUri of kf.yaml' "$ERR"

# 7. A pipeline: the node tree.
run_kf pipeline run --target sim --wait --timeout 120
expect_eq "pipeline run --wait: exit code" 0 "$RC"
expect_eq "pipeline run --wait: run name" "demo-train-and-evaluate-1" "$OUT"
# The node tree as argo get draws it: the phase's symbol, the indented name, the template, the duration.
for line in '^  ✔ demo-train-and-evaluate-1 +main +[0-9]+s *$' '^    ✔ train +train +[0-9]+s *$' '^    ✔ evaluate +evaluate +[0-9]+s *$'; do
  grep -Eq "$line" <<<"$ERR" || fail "pipeline run: no line $line in the node tree: $ERR"
done
# kf logs of a workflow, as argo logs: every step's pod, each line prefixed by its step; --node one step.
run_kf logs demo-train-and-evaluate-1 --target sim
expect_eq "logs of a workflow: its steps in order, prefixed" "train: 5 evaluate: 1" \
  "$(sed -E 's/^([a-z]+: ).*/\1/' <<<"$OUT" | uniq -c | awk '{print $2, $1}' | tr '\n' ' ' | sed 's/ $//')"
run_kf logs demo-train-and-evaluate-1 --target sim -f
expect_eq "logs -f of a finished workflow: the same, then it ends" "0 6" "$RC $(grep -cE '^(train|evaluate): ' <<<"$OUT")"
run_kf logs demo-train-and-evaluate-1 --target sim --node evaluate
expect_eq "logs --node on a cluster: that step's log as it is" "0 loss=" "$RC $(cut -c1-5 <<<"$OUT")"
run_kf logs demo-train-and-evaluate-1 --target sim --node evalute
expect_eq "logs --node typo on a cluster" "2 error: run demo-train-and-evaluate-1 has no step \"evalute\" (did you mean 'evaluate'?) (its steps: train, evaluate)" "$RC $ERR"
run_kf pipeline run --target sim --wait --timeout 120 --set 'metadata.labels.sim\.kf\.dev/fail=train'
expect_eq "failing pipeline: exit code" 1 "$RC"
grep -Eq '^    ✖ train +train +[0-9]+s +Error \(exit code 1\)$' <<<"$ERR" || fail "failing pipeline: train's node in: $ERR"
grep -Eq '^    ○ evaluate +evaluate +[0-9]+s +omitted: depends condition not met$' <<<"$ERR" || fail "failing pipeline: evaluate's node in: $ERR"
run_kf pipeline run nope --target sim
expect_eq "unknown pipeline: message" \
  "error: unknown pipeline \"nope\"; pipelines: train-and-evaluate" "$ERR"

# 8. Every run in one table; JSON for scripts; @latest.
run_kf status --target sim
golden "$GOLDEN/status-all.table" "$(normalize <<<"$OUT")"
run_kf status --target sim -o json
expect_eq "status -o json: kinds" "Workflow Workflow InferenceService InferenceService Experiment Experiment PyTorchJob PyTorchJob PyTorchJob" \
  "$(json '" ".join(r["kind"] for r in d)' <<<"$OUT")"
run_kf status @latest --target sim -o json
expect_eq "status @latest" "demo-train-and-evaluate-2" "$(json 'd["name"]' <<<"$OUT")"

# 9. kf retry belongs to the local target, where kf is Argo's controller; on a cluster, argo retry.
run_kf retry demo-train-and-evaluate-2 --target sim
expect_eq "retry on a cluster: exit code" 2 "$RC"
expect_eq "retry on a cluster: message" \
  "error: the sim target cannot retry runs (demo-train-and-evaluate-2); on a cluster, argo retry demo-train-and-evaluate-2 does" "$ERR"

# 10. A kubeconfig context works as --target; kf delete removes a run and its pods.
KUBECONFIG=$KC run_kf status demo-train-1 --target kube-sim -o json
expect_eq "context as target" "Succeeded" "$(json 'd["state"]' <<<"$OUT")"
# kf stop of a run that ended keeps it as it ended (the operators have no stop, so a running
# job is deleted; a finished one never is).
run_kf stop demo-train-1 --target sim
expect_eq "stop an ended job: output" "0 run demo-train-1 had already ended (Succeeded): kept as it was" "$RC $OUT"
run_kf status demo-train-1 --target sim -o json
expect_eq "stop an ended job: still there" "Succeeded" "$(json 'd["state"]' <<<"$OUT")"
run_kf delete demo-train-1 --target sim
expect_eq "delete: output" "run demo-train-1 deleted" "$OUT"
run_kf status demo-train-1 --target sim
expect_eq "deleted: message" 'error: run "demo-train-1" does not exist on sim (kf status lists the runs)' "$ERR"
for bad in "" "demo-train-2/status"; do # never the kind's collection or a subresource
  run_kf delete "$bad" --target sim
  expect_eq "delete '$bad' on a cluster: message" "2 error: \"$bad\" is not a run name (kf status lists the runs)" "$RC $ERR"
done
run_kf train --name x/status --target sim
expect_eq "train --name x/status on a cluster" "2 error: --name \"x/status\": a run's name is its object's name, a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'baseline-2')" "$RC $ERR"
# Events outlive their objects (they have no owner): a new run with a deleted one's name (the
# highest number is free again) and pods of the same names shows only its own events, none of
# the restarted run's (Warnings, counts of 2), which are still there under those names.
run_kf delete demo-train-3 --target sim
run_kf train --target sim --detach --set 'metadata.labels.sim\.kf\.dev/slow=5000'
expect_eq "a name used again" "demo-train-3" "$OUT"
run_kf status demo-train-3 --target sim -o json
expect_eq "a name used again: none of the old run's events" "0" \
  "$(json 'sum(e["type"] == "Warning" or e["count"] > 1 for e in d["events"])' <<<"$OUT")"
expect_eq "a name used again: the old run's warnings are still there" "BackOff PyTorchJobRestarting" \
  "$(curl -s "$SIM_URL/api/v1/namespaces/default/events?fieldSelector=type%3DWarning" |
     json '" ".join(sorted(e["reason"] for e in d["items"] if e["involvedObject"]["name"].startswith("demo-train-3")))')"
run_kf train --target nope
expect_eq "unknown target: message" \
  "error: unknown target \"nope\"; targets: local, sim (declare clusters under spec.targets in kf.yaml)" "$ERR"

# 10b. training.operator v2: the TrainJob and its TrainingRuntime are
#      created; the simulated Trainer (JobSet folded in) runs one pod per node.
cp kf.yaml kf.yaml.v1
sed -i 's/^    framework: pytorch .*/&\n    operator: v2/' kf.yaml
run_kf train --target sim --wait --timeout 120
expect_eq "v2 train --wait: exit code" 0 "$RC"
v2=$OUT
expect_eq "v2 train --wait: outcome" "$v2 Complete: jobset completed successfully" "$(grep "^$v2 Complete" <<<"$ERR")"
expect_eq "v2: kubectl sees the TrainJob" "trainjob.trainer.kubeflow.org/$v2" \
  "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get trainjobs -o name | grep "/$v2$")"
expect_eq "v2: kubectl sees the runtime" "trainingruntime.trainer.kubeflow.org/demo-torch" \
  "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get trainingruntimes -o name)"
run_kf status "$v2" --target sim -o json
expect_eq "v2 status: state" "Complete" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "v2 status: pods" "node-0:Succeeded node-1:Succeeded" \
  "$(json '" ".join(p["replica"] + ":" + p["phase"] for p in d["pods"])' <<<"$OUT")"
expect_eq "v2 status: metrics from node-0's log" "True" "$(json '"accuracy" in d["metrics"]' <<<"$OUT")"
run_kf logs "$v2" --target sim --replica node-1
grep -q '^kf-trainer\[1/2\]' <<<"$OUT" || fail "v2 logs: node-1 is not rank 1 of 2: $OUT"
# spec.suspend: no pods, Suspended, until kf resume sets it false (as kubectl patch does for the Trainer).
"$KF" render train --target sim | /usr/bin/python3 -c '
import sys, yaml
docs = list(yaml.safe_load_all(sys.stdin))
for d in docs:
    if d["kind"] == "TrainJob": d["spec"]["suspend"] = True
yaml.safe_dump_all(docs, sys.stdout)' >suspended.yaml
run_kf submit -f suspended.yaml --target sim --detach
sus=$(printf '%s\n' "$OUT" | head -1)
expect_eq "v2 suspended: a name no run of another kind has" "0 1" \
  "$RC $(kubectl --kubeconfig "$SIM_KUBECONFIG" get pytorchjobs,trainjobs -o name | grep -c "/$sus$")"
wait_for "$sus to be suspended" sh -c "'$KF' status $sus --target sim -o json | grep -q '\"state\": \"Suspended\"'"
expect_eq "v2 suspended: no pods" "" "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get pods -l "jobset.sigs.k8s.io/jobset-name=$sus" -o name)"
run_kf resume "$sus" --target sim --set x=1
expect_eq "v2 resume --set" "2 error: a suspended TrainJob resumes as it was submitted: kf resume $sus takes no --set" "$RC $ERR"
run_kf resume "$sus" --target sim --wait --timeout 60
expect_eq "v2 resume --wait: exit code" 0 "$RC"
expect_eq "v2 resume: Complete, its Suspended condition False (Resumed)" "Complete False Resumed" \
  "$("$KF" status "$sus" --target sim -o json | json '" ".join([d["state"]] + [[c["status"], c["reason"]] for c in d["status"]["conditions"] if c["type"] == "Suspended"][0])')"
expect_eq "v2 resume: kubectl sees spec.suspend false" false \
  "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get trainjob "$sus" -o jsonpath='{.spec.suspend}')"
run_kf resume "$sus" --target sim
expect_eq "v2 resume again" "2 error: run $sus is not suspended (Complete)" "$RC $ERR"
mv kf.yaml.v1 kf.yaml
run_kf resume demo-train-and-evaluate-1 --target sim
expect_eq "resume of a workflow on a cluster" \
  "2 error: on a cluster kf resume releases a suspended TrainJob; a Workflow resumes on the local target, where kf is its controller (on a cluster, argo resume demo-train-and-evaluate-1)" \
  "$RC $ERR"

# 10c. kf notebook on a cluster: the PVC and the Notebook; kf stop stops it as
#      Kubeflow does (the kubeflow-resource-stopped annotation) and keeps it.
run_kf notebook --target sim --wait --timeout 60
expect_eq "notebook --wait: exit code" 0 "$RC"
expect_eq "notebook --wait: run" "demo-lab-1" "$(head -n 1 <<<"$OUT")"
expect_eq "notebook: kubectl sees its PVC" "persistentvolumeclaim/demo-lab-workspace" \
  "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get pvc -o name)"
run_kf stop demo-lab-1 --target sim
expect_eq "stop notebook: output" "run demo-lab-1 stopped" "$OUT"
[[ "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get notebook demo-lab-1 -o jsonpath='{.metadata.annotations.kubeflow-resource-stopped}')" =~ ^20[0-9-]+T ]] ||
  fail "stop notebook: no kubeflow-resource-stopped annotation"
for _ in $(seq 50); do
  [ "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get notebook demo-lab-1 -o jsonpath='{.status.readyReplicas}')" = 0 ] && break
  sleep 0.1
done
expect_eq "stop notebook: scaled to zero" 0 "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get notebook demo-lab-1 -o jsonpath='{.status.readyReplicas}')"
expect_eq "stop notebook: the image kf applied is still there" "kubeflownotebookswg/jupyter-scipy:v1.9.0" \
  "$(kubectl --kubeconfig "$SIM_KUBECONFIG" get notebook demo-lab-1 -o jsonpath='{.spec.template.spec.containers[0].image}')"
run_kf delete demo-lab-1 --target sim

# 11. Waiting through broken watches and failing requests: the same outcome.
stop_kube_sim
start_kube_sim --crds "$CRDS" --controller-step-ms 100 --fault-rate 0.2 --faults watch-break,reset,500,429 --retry-after 0
sed -i "s|kubeconfig: .*|kubeconfig: $SIM_KUBECONFIG|" kf.yaml
run_kf train --target sim --wait --timeout 120
expect_eq "train under faults: exit code" 0 "$RC"
expect_eq "train under faults: outcome" "demo-train-1 Succeeded: PyTorchJob demo-train-1 is successfully completed." \
  "$(grep '^demo-train-1 Succeeded' <<<"$ERR")"
# kf status -w redraws on watch events, and ends with the run, through broken watches.
# (Each controller step takes 1.5 s, so the job outlives kf's first frame even
# under the sanitizers on a loaded machine: at 300 ms it once ended first.)
run_kf train --target sim --detach --set 'metadata.labels.sim\.kf\.dev/slow=1500'
run_kf status demo-train-2 --target sim -w
expect_eq "status -w under faults: exit code" 0 "$RC"
expect_eq "status -w: the last frame" "State:     Succeeded — PyTorchJob demo-train-2 is successfully completed." \
  "$(grep '^State:' <<<"$OUT" | tail -n 1)"
[ "$(grep -c '^State:' <<<"$OUT")" -ge 2 ] || fail "status -w: one frame only: $OUT"

finish
