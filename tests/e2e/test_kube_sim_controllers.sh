#!/usr/bin/env bash
# kube-sim's simulated Kubeflow controllers, judged by the real kubectl: the
# objects kf renders (tests/golden) run to completion with the status shapes
# of the operators, pods and their logs (kubectl logs, -f, --previous), the
# sim.kf.dev/* annotations make them fail or restart, and garbage collection
# deletes what a deleted object owned; the Events the operator, the
# scheduler and the kubelet record (kubectl get events, kubectl events,
# kubectl describe); kubectl get's default output from server-side Tables.
# No timings are asserted: everything waits with kubectl wait and generous
# timeouts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
DATA="$KF_SOURCE_DIR/tests/testdata/kube/controllers"
DEMO="$KF_SOURCE_DIR/tests/golden/demo"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"

KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
if [ -z "$KUBECTL" ]; then
  echo "SKIP: no kubectl (looked for /usr/lib/google-cloud-sdk/bin/kubectl.1.32 and kubectl on PATH)"
  exit 77
fi

start_kube_sim --crds "$CRDS" --controller-step-ms 50
CACHE=$(mktemp -d -p "$WORK")
kc() {
  set +e
  OUT=$("$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" --cache-dir "$CACHE" "$@" 2>"$WORK/stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/stderr")
}
# must WHAT KUBECTL-ARGS...: runs kubectl; a failure is reported (with its stderr).
must() {
  local what=$1
  shift
  kc "$@"
  [ "$RC" = 0 ] || fail "$what: kubectl $* exited $RC: $ERR"
}
# annotated SRC NAME KEY VALUE: SRC (one object) renamed NAME, with one annotation.
annotated() {
  local out="$WORK/$2.yaml"
  sed "0,/^  name: .*/s||  name: $2\n  annotations:\n    $3: \"$4\"|" "$1" >"$out"
  printf '%s\n' "$out"
}
# conditions KIND/NAME: "Type=Status ..." in order.
conditions() {
  kc get "$1" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}'
  printf '%s' "${OUT% }"
}
# watched_conditions RV PATH NAME: every condition type that was ever True in the events after RV.
watched_conditions() {
  kc get --raw "$2?watch=true&resourceVersion=$1&fieldSelector=metadata.name%3D$3&timeoutSeconds=1"
  printf '%s\n' "$OUT" | python3 -c '
import json, sys
seen = []
for line in sys.stdin:
    if not line.strip(): continue
    for c in json.loads(line)["object"].get("status", {}).get("conditions", []):
        if c["status"] == "True" and c["type"] not in seen: seen.append(c["type"])
print(" ".join(seen))'
}

# --- PyTorchJob: pods, labels, status, logs ---------------------------------
must "apply train" apply --server-side -f "$DEMO/train.yaml"
must "wait train" wait --for=condition=Succeeded pytorchjob/demo-train --timeout=60s
kc get pods -l training.kubeflow.org/job-name=demo-train -o name
expect_eq "train: pods" "pod/demo-train-master-0
pod/demo-train-worker-0" "$OUT"
kc get pod demo-train-master-0 -o jsonpath='{.metadata.labels.training\.kubeflow\.org/replica-type} {.metadata.labels.training\.kubeflow\.org/replica-index} {.metadata.labels.training\.kubeflow\.org/operator-name} {.metadata.labels.training\.kubeflow\.org/job-role} {.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.status.phase} {.status.containerStatuses[0].state.terminated.reason}'
expect_eq "train: master pod" "master 0 pytorchjob-controller master PyTorchJob/demo-train Succeeded Completed" "$OUT"
kc get pod demo-train-worker-0 -o jsonpath='{.metadata.labels.training\.kubeflow\.org/replica-type} {.metadata.labels.training\.kubeflow\.org/job-role}|{range .spec.containers[0].env[*]}{.name}={.value} {end}'
expect_eq "train: worker pod" "worker |KF_PROJECT=demo MASTER_ADDR=demo-train-master-0 MASTER_PORT=23456 WORLD_SIZE=2 RANK=1 PYTHONUNBUFFERED=1 " "$OUT"
expect_eq "train: conditions" "Created=True Running=False Succeeded=True" "$(conditions pytorchjob/demo-train)"
kc get pytorchjob demo-train -o jsonpath='{.status.conditions[0].reason}: {.status.conditions[0].message} {.status.conditions[2].reason}: {.status.conditions[2].message}'
expect_eq "train: messages" "PyTorchJobCreated: PyTorchJob demo-train is created. PyTorchJobSucceeded: PyTorchJob demo-train is successfully completed." "$OUT"
kc get pytorchjob demo-train -o jsonpath='{.status.replicaStatuses.Master.succeeded} {.status.replicaStatuses.Worker.succeeded} {.status.replicaStatuses.Worker.selector}'
expect_eq "train: replicaStatuses" "1 1 training.kubeflow.org/job-name=demo-train,training.kubeflow.org/operator-name=pytorchjob-controller,training.kubeflow.org/replica-type=worker" "$OUT"
kc get pytorchjob demo-train -o jsonpath='{.status.startTime}|{.status.completionTime}'
[[ "$OUT" =~ ^20[0-9-]+T[0-9:]+Z\|20[0-9-]+T[0-9:]+Z$ ]] || fail "train: startTime|completionTime: $OUT"

must "logs" logs demo-train-master-0
expect_eq "train: master log" "kf-trainer[0/2]: no GPU (kube-sim); using the CPU path
kf-trainer[0/2]: rendezvous complete at demo-train-master-0:23456
epoch=1 loss=1.0051 accuracy=0.6705 test_loss=1.0855 train_accuracy=0.6585
epoch=2 loss=0.6551 accuracy=0.7922 test_loss=0.7110 train_accuracy=0.7802
epoch=3 loss=0.4801 accuracy=0.8470 test_loss=0.5237 train_accuracy=0.8350
epoch=4 loss=0.3926 accuracy=0.8716 test_loss=0.4301 train_accuracy=0.8596
epoch=5 loss=0.3489 accuracy=0.8827 test_loss=0.3833 train_accuracy=0.8707" "$OUT"
kc logs demo-train-worker-0 --tail=1
expect_eq "logs --tail" "epoch=5 loss=0.3489 accuracy=0.8827 test_loss=0.3833 train_accuracy=0.8707" "$OUT"
kc logs demo-train-worker-0 --tail=1 --timestamps
[[ "$OUT" =~ ^20[0-9-]+T[0-9:]+\.[0-9]{9}Z\ epoch=5\ loss= ]] || fail "logs --timestamps: $OUT"
kc logs demo-train-worker-0 --previous
expect_eq "logs --previous without a restart" 'Error from server (BadRequest): previous terminated container "pytorch" in pod "demo-train-worker-0" not found' "$ERR"
kc logs no-such-pod
expect_eq "logs of an unknown pod" 'error: error from server (NotFound): pods "no-such-pod" not found in namespace "default"' "$ERR"
kc get --raw /api/v1/namespaces/default/pods/no-such-pod/log
expect_eq "log of an unknown pod" 'Error from server (NotFound): pods "no-such-pod" not found' "$ERR"

# --- a replica that fails ---------------------------------------------------
must "apply failing job" apply --server-side -f "$(annotated "$DEMO/train.yaml" train-fail sim.kf.dev/fail worker-0)"
must "wait failed" wait --for=condition=Failed pytorchjob/train-fail --timeout=60s
kc get pytorchjob train-fail -o jsonpath='{.status.conditions[-1:].reason}: {.status.conditions[-1:].message}'
expect_eq "fail: condition" "PyTorchJobFailed: PyTorchJob train-fail is failed because 1 Worker replica(s) failed." "$OUT"
expect_eq "fail: conditions" "Created=True Running=False Failed=True" "$(conditions pytorchjob/train-fail)"
kc get pod train-fail-worker-0 -o jsonpath='{.status.phase} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}'
expect_eq "fail: pod" "Failed 1 Error" "$OUT"
kc logs train-fail-worker-0 --tail=1
expect_eq "fail: last log line" "kf-trainer: error: loss is NaN at epoch 2" "$OUT"

# --- a replica restarted once -----------------------------------------------
kc get --raw /apis/kubeflow.org/v1/namespaces/default/pytorchjobs
RV=$(printf '%s' "$OUT" | python3 -c 'import json, sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
must "apply restarting job" apply --server-side -f "$(annotated "$DEMO/train.yaml" train-restart sim.kf.dev/restart worker-0)"
must "wait restarted job" wait --for=condition=Succeeded pytorchjob/train-restart --timeout=60s
expect_eq "restart: conditions ever True" "Created Running Restarting Succeeded" \
  "$(watched_conditions "$RV" /apis/kubeflow.org/v1/namespaces/default/pytorchjobs train-restart)"
kc get pod train-restart-worker-0 -o jsonpath='{.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.exitCode} {.status.phase}'
expect_eq "restart: pod" "1 1 Succeeded" "$OUT"
kc logs train-restart-worker-0 --previous
expect_eq "restart: previous log" "kf-trainer[1/2]: no GPU (kube-sim); using the CPU path
kf-trainer[1/2]: rendezvous complete at train-restart-master-0:23456
epoch=1 loss=1.0051 accuracy=0.6705 test_loss=1.0855 train_accuracy=0.6585
kf-trainer: error: loss is NaN at epoch 2" "$OUT"
kc logs train-restart-worker-0
expect_eq "restart: current log" "kf-trainer[1/2]: resuming from rank 0's checkpoint at epoch 1" "$(printf '%s\n' "$OUT" | head -1)"
expect_eq "restart: current log length" 6 "$(printf '%s\n' "$OUT" | wc -l)"

# --- Events, as the operator, the scheduler and the kubelet record them ------
# kubectl lists them in name order, <object>.<hex nanoseconds>: each object's in the order they happened.
events() { # events OBJECT-NAME: one line per event
  kc get events --field-selector "involvedObject.name=$1" \
    -o custom-columns='TYPE:.type,REASON:.reason,OF:.involvedObject.kind,COUNT:.count,FROM:.source.component,MESSAGE:.message' --no-headers
  printf '%s\n' "$OUT" | sed -E 's/ +/ /g; s/ $//'
}
expect_eq "events: a job that succeeded" "Normal SuccessfulCreatePod PyTorchJob 1 pytorchjob-controller Created pod: demo-train-master-0
Normal SuccessfulCreatePod PyTorchJob 1 pytorchjob-controller Created pod: demo-train-worker-0
Normal PyTorchJobSucceeded PyTorchJob 1 pytorchjob-controller PyTorchJob demo-train is successfully completed." "$(events demo-train)"
expect_eq "events: a job that failed (Normal, as the training operator records it)" \
  "Normal PyTorchJobFailed PyTorchJob 1 pytorchjob-controller PyTorchJob train-fail is failed because 1 Worker replica(s) failed." \
  "$(events train-fail | tail -1)"
expect_eq "events: a restarted job" "Warning PyTorchJobRestarting PyTorchJob 1 pytorchjob-controller PyTorchJob train-restart is restarting because 1 Worker replica(s) failed." \
  "$(events train-restart | grep Restarting)"
kc get pod train-restart-worker-0 -o jsonpath='{.metadata.uid}'
expect_eq "events: a restarted pod (the scheduler's has no source or count: events.k8s.io)" "Normal Scheduled Pod <none> <none> Successfully assigned default/train-restart-worker-0 to kube-sim-node
Normal Pulled Pod 2 kubelet Container image \"demo-trainer:latest\" already present on machine
Normal Created Pod 2 kubelet Created container: pytorch
Normal Started Pod 2 kubelet Started container pytorch
Warning BackOff Pod 1 kubelet Back-off restarting failed container pytorch in pod train-restart-worker-0_default($OUT)" \
  "$(events train-restart-worker-0)"
kc get events --field-selector involvedObject.name=train-restart-worker-0,reason=Scheduled \
  -o jsonpath='{.items[0].reportingComponent} {.items[0].reportingInstance} {.items[0].action} {.items[0].eventTime}'
[[ "$OUT" =~ ^default-scheduler\ default-scheduler-kube-sim-node\ Binding\ 20[0-9-]+T[0-9:]+\.[0-9]{6}Z$ ]] || fail "events: Scheduled: $OUT"
kc get events --field-selector involvedObject.name=train-restart-worker-0,reason=Started \
  -o jsonpath='{.items[0].involvedObject.fieldPath} {.items[0].reportingComponent} {.items[0].reportingInstance} {.items[0].source.host}'
expect_eq "events: a container's" "spec.containers{pytorch} kubelet kube-sim-node kube-sim-node" "$OUT"
# kubectl events --for selects by involvedObject kind, apiVersion and name; -A, --types as usual.
must "kubectl events" events --for pytorchjob/train-restart --types=Warning
expect_eq "kubectl events --for --types" "TYPE REASON OBJECT MESSAGE
Warning PyTorchJobRestarting PyTorchJob/train-restart PyTorchJob train-restart is restarting because 1 Worker replica(s) failed." \
  "$(printf '%s\n' "$OUT" | sed -E 's/^(LAST SEEN|[0-9][0-9smhd]*) +//; s/ +/ /g')"
# kubectl describe finds them by involvedObject name, namespace, kind and uid.
must "describe" describe pytorchjob train-fail
expect_eq "describe: events" "Normal SuccessfulCreatePod AGE pytorchjob-controller Created pod: train-fail-master-0
Normal SuccessfulCreatePod AGE pytorchjob-controller Created pod: train-fail-worker-0
Normal PyTorchJobFailed AGE pytorchjob-controller PyTorchJob train-fail is failed because 1 Worker replica(s) failed." \
  "$(printf '%s\n' "$OUT" | sed -n '/^Events:/,$p' | tail -n +4 | sed -E 's/ +/ /g; s/^ //; s/ [0-9][0-9smhd]* / AGE /')"
kc get ev --field-selector involvedObject.nope=x
expect_eq "events: an unknown field" 'Error from server (BadRequest): Unable to find "/v1, Resource=events" that match label selector "", field selector "involvedObject.nope=x": field label not supported: involvedObject.nope' "$ERR"

# --- logs -f follows a running container until it terminates -----------------
must "apply slow job" apply --server-side -f "$(annotated "$DEMO/train.yaml" train-slow sim.kf.dev/slow 300)"
must "wait running" wait --for=condition=Running pytorchjob/train-slow --timeout=60s
must "logs -f" logs -f train-slow-master-0
FOLLOWED=$OUT
kc get pod train-slow-master-0 -o jsonpath='{.status.phase}'
expect_eq "logs -f returned when the container terminated" "Succeeded" "$OUT"
kc logs train-slow-master-0
expect_eq "logs -f saw every line" "$OUT" "$FOLLOWED"

# --- garbage collection -----------------------------------------------------
must "delete job" delete pytorchjob demo-train
must "pods collected" wait --for=delete pod/demo-train-master-0 pod/demo-train-worker-0 --timeout=60s
kc get pods -l training.kubeflow.org/job-name=demo-train -o name
expect_eq "no pods left" "" "$OUT"
# Events have no owner: as on a real cluster they stay (until kube-apiserver's --event-ttl, an hour).
expect_eq "events outlive their objects" "3 4" "$(events demo-train | wc -l) $(events demo-train-master-0 | wc -l)"
must "apply slow job again" apply --server-side -f "$(annotated "$DEMO/train.yaml" train-gone sim.kf.dev/slow 300)"
must "wait running" wait --for=condition=Running pytorchjob/train-gone --timeout=60s
must "delete mid-run" delete pytorchjob train-gone
must "its pods collected" wait --for=delete pod/train-gone-master-0 pod/train-gone-worker-0 --timeout=60s
kc get pytorchjob train-gone
expect_eq "deleted mid-run stays deleted" 'Error from server (NotFound): pytorchjobs.kubeflow.org "train-gone" not found' "$ERR"

# --- Katib Experiment ---------------------------------------------------------
must "apply tune" apply --server-side -f "$DEMO/tune.yaml"
must "wait tune" wait --for=condition=Succeeded experiment/demo-tune --timeout=60s
kc get experiment demo-tune -o jsonpath='{.status.conditions[-1:].reason} {.status.trials} {.status.trialsSucceeded} {.status.currentOptimalTrial.observation.metrics[0].name}'
expect_eq "tune: status" "ExperimentGoalReached 3 3 accuracy" "$OUT"
kc get experiment demo-tune -o jsonpath='{.status.currentOptimalTrial.bestTrialName} {.status.currentOptimalTrial.observation.metrics[0].latest} {range .status.currentOptimalTrial.parameterAssignments[*]}{.name}={.value} {end}'
read -r BEST LATEST PARAMS <<<"$OUT"
python3 -c "import sys; sys.exit(0 if float('$LATEST') >= 0.9 else 1)" || fail "tune: best accuracy $LATEST is below the goal 0.9"
[[ "$PARAMS" =~ ^lr=0\.[0-9]+\ optimizer=(sgd|adam)$ ]] || fail "tune: best parameters: $PARAMS"
kc get trial "$BEST" -o jsonpath='{.metadata.labels.katib\.kubeflow\.org/experiment} {.metadata.ownerReferences[0].kind} {.status.conditions[-1:].type} {.spec.runSpec.kind}'
expect_eq "tune: best trial" "demo-tune Experiment Succeeded PyTorchJob" "$OUT"
must "apply failing tune" apply --server-side -f "$(annotated "$DEMO/tune.yaml" tune-fail sim.kf.dev/fail true)"
must "wait failing tune" wait --for=condition=Failed experiment/tune-fail --timeout=60s
kc get experiment tune-fail -o jsonpath='{.status.conditions[-1:].reason}: {.status.conditions[-1:].message} {.status.trialsFailed}'
expect_eq "tune-fail: status" "ExperimentFailed: Experiment has failed because max failed count has reached 3" "$OUT"
must "delete tune" delete experiment demo-tune
must "trials collected" wait --for=delete trial/"$BEST" --timeout=60s

# --- InferenceService ---------------------------------------------------------
must "apply serve" apply --server-side -f "$DEMO/serve.yaml"
must "wait serve" wait --for=condition=Ready isvc/demo --timeout=60s
kc get isvc demo -o jsonpath='{.status.url} {.status.address.url} {.status.components.predictor.latestReadyRevision} {.status.modelStatus.states.activeModelState}'
expect_eq "serve: status" "http://demo.default.example.com http://demo-predictor.default.svc.cluster.local demo-predictor-00001 Loaded" "$OUT"
expect_eq "serve: conditions" "IngressReady=True PredictorReady=True Ready=True" "$(conditions isvc/demo)"
kc get pods -l serving.kserve.io/inferenceservice=demo,component=predictor -o jsonpath='{.items[0].metadata.name} {.items[0].spec.containers[0].image}'
read -r PREDICTOR IMAGE <<<"$OUT"
[[ "$PREDICTOR" =~ ^demo-predictor-00001-deployment-[a-z0-9]+-[a-z0-9]{5}$ ]] || fail "serve: predictor pod name $PREDICTOR"
expect_eq "serve: runtime image" "demo-trainer:latest" "$IMAGE"
kc logs "$PREDICTOR"
expect_eq "serve: predictor log" "kf-server: loading /mnt/models (storage pvc://demo-models/model)
kf-server: serving demo on http://0.0.0.0:8080" "$OUT"
python3 -c 'import sys; print(next(d for d in open(sys.argv[1]).read().split("---\n") if "kind: InferenceService" in d), end="")' "$DEMO/serve.yaml" >"$WORK/isvc.yaml"
must "apply failing isvc" apply --server-side -f "$(annotated "$WORK/isvc.yaml" serve-fail sim.kf.dev/fail true)"
must "wait not ready" wait --for=condition=Ready=False isvc/serve-fail --timeout=60s
kc get isvc serve-fail -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason} {.status.modelStatus.transitionStatus}'
expect_eq "serve-fail: status" "RevisionFailed BlockedByFailedLoad" "$OUT"

# --- Argo Workflow ------------------------------------------------------------
must "apply pipeline" apply --server-side -f "$DEMO/pipeline.yaml"
must "wait pipeline" wait --for=jsonpath='{.status.phase}'=Succeeded wf/demo-train-and-evaluate --timeout=60s
nodes() {
  kc get wf "$1" -o json
  printf '%s' "$OUT" | python3 -c '
import json, sys
s = json.load(sys.stdin)["status"]
print(s["progress"], s.get("message", "-"))
for n in sorted(s["nodes"].values(), key=lambda n: n["name"]):
    print(n["displayName"], n["type"], n["phase"], n.get("boundaryID", "-"), len(n.get("children", [])))'
}
expect_eq "pipeline: nodes" "2/2 -
demo-train-and-evaluate DAG Succeeded - 1
evaluate Pod Succeeded demo-train-and-evaluate 0
train Pod Succeeded demo-train-and-evaluate 1" "$(nodes demo-train-and-evaluate)"
kc get pods -l workflows.argoproj.io/workflow=demo-train-and-evaluate -o name
expect_eq "pipeline: pods" 2 "$(printf '%s\n' "$OUT" | grep -c '^pod/demo-train-and-evaluate-\(train\|evaluate\)-[0-9]*$')"
TRAIN_POD=$(printf '%s\n' "$OUT" | sed -n 's|^pod/\(demo-train-and-evaluate-train-.*\)|\1|p')
kc logs "$TRAIN_POD" --tail=1
expect_eq "pipeline: train log (kf-trainer's defaults)" "epoch=5 loss=0.2797 accuracy=0.9251 test_loss=0.3093 train_accuracy=0.9131" "$OUT"
must "apply failing pipeline" apply --server-side -f "$(annotated "$DEMO/pipeline.yaml" pipeline-fail sim.kf.dev/fail train)"
must "wait failing pipeline" wait --for=jsonpath='{.status.phase}'=Failed wf/pipeline-fail --timeout=60s
NODES=$(nodes pipeline-fail)
expect_eq "pipeline-fail: nodes" "0/2
pipeline-fail DAG Failed - 1
evaluate Skipped Omitted pipeline-fail 0
train Pod Failed pipeline-fail 1" "$(printf '%s\n' "$NODES" | sed '1s/ .*//')"
[[ "$(printf '%s\n' "$NODES" | head -1)" =~ ^0/2\ child\ \'pipeline-fail-[0-9]+\'\ failed$ ]] || fail "pipeline-fail: message: $NODES"
must "apply steps" apply --server-side -f "$DATA/workflow-steps.yaml"
must "wait steps" wait --for=jsonpath='{.status.phase}'=Succeeded wf/steps --timeout=60s
expect_eq "steps: nodes" "3/3 -
steps Steps Succeeded - 1
[0] StepGroup Succeeded steps 1
prepare Pod Succeeded steps 1
[1] StepGroup Succeeded steps 2
left Pod Succeeded steps 0
right Pod Succeeded steps 0" "$(nodes steps)"
kc get pods -l workflows.argoproj.io/workflow=steps -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.annotations.workflows\.argoproj\.io/node-name}{"\n"}{end}'
expect_eq "steps: pods" 3 "$(printf '%s\n' "$OUT" | grep -c '^steps-say-[0-9]* steps\[[01]\]\.')"
while read -r pod node; do
  kc logs "$pod"
  expect_eq "steps: log of $node" "${node##*.}" "$OUT"
done <<<"$OUT"

# --- Notebook, Deployment, a bare Pod, and all of tf-ps in namespace ml ------------
must "apply namespace" apply --server-side -f "$DATA/namespace-ml.yaml"
must "apply tf-ps" apply --server-side -f "$KF_SOURCE_DIR/tests/golden/tf-ps/all.yaml"
must "wait tf-ps jobs" wait -n ml --for=condition=Succeeded tfjob/tf-ps-train experiment/tf-ps-tune --timeout=60s
must "wait tf-ps serving" wait -n ml --for=condition=Ready isvc/tf-ps notebook/tf-ps-explore --timeout=60s
must "wait tf-ps pipeline" wait -n ml --for=jsonpath='{.status.phase}'=Succeeded wf/tf-ps-nightly --timeout=60s
kc get pods -n ml -l training.kubeflow.org/job-name=tf-ps-train -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.labels.training\.kubeflow\.org/job-role} {end}'
expect_eq "tf-ps: TFJob pods" "tf-ps-train-chief-0=master tf-ps-train-ps-0= tf-ps-train-ps-1= tf-ps-train-worker-0= tf-ps-train-worker-1= " "$OUT"
kc get experiment -n ml tf-ps-tune -o jsonpath='{.status.conditions[-1:].reason} {.status.trials} {.status.currentOptimalTrial.observation.metrics[0].name}'
expect_eq "tf-ps: grid experiment" "ExperimentMaxTrialsReached 20 loss" "$OUT"
kc get pods -n ml -l serving.kserve.io/inferenceservice=tf-ps -o name
expect_eq "tf-ps: minReplicas predictors" 2 "$(printf '%s\n' "$OUT" | wc -l)"
kc get notebook -n ml tf-ps-explore -o jsonpath='{.status.readyReplicas} {.status.containerState.running.startedAt}'
[[ "$OUT" =~ ^1\ 20[0-9-]+T ]] || fail "notebook: status: $OUT"
kc get pod -n ml tf-ps-explore-0 -o jsonpath='{.metadata.labels.notebook-name} {.metadata.labels.statefulset} {.status.phase}'
expect_eq "notebook: pod" "tf-ps-explore tf-ps-explore Running" "$OUT"
must "apply deployment" apply --server-side -f "$DATA/deployment.yaml"
must "rollout status" rollout status deployment/web --timeout=60s
expect_eq "deployment: rollout" 'deployment "web" successfully rolled out' "$(printf '%s\n' "$OUT" | tail -1)"
must "wait available" wait --for=condition=Available deployment/web --timeout=60s
kc get deployment web -o jsonpath='{.status.readyReplicas} {.status.availableReplicas} {.status.conditions[?(@.type=="Progressing")].reason}'
expect_eq "deployment: status" "2 2 NewReplicaSetAvailable" "$OUT"
must "apply pod" apply --server-side -f "$DATA/pod.yaml"
must "wait pod" wait --for=jsonpath='{.status.phase}'=Succeeded pod/hello --timeout=60s
kc logs hello
expect_eq "bare pod: log" "hello from a bare pod" "$OUT"

# --- kubectl get's default output: server-side Tables ------------------------
# table ARGS...: `kubectl get ARGS` with columns single-spaced and every age as AGE.
table() {
  must "get $*" get "$@"
  printf '%s\n' "$OUT" | sed -E 's/ +/ /g; s/ $//' |
    sed -E ':a; s/(^| |\()[0-9]+[smhdy]([0-9]+[smhd])?( |\)|$)/\1AGE\3/; ta'
}
expect_eq "table: jobs (the CRD's printer columns)" "NAME STATE AGE
train-fail Failed AGE
train-restart Succeeded AGE" "$(table pytorchjobs train-fail train-restart)"
expect_eq "table: pods (kubectl's READY, STATUS, RESTARTS)" "NAME READY STATUS RESTARTS AGE
train-fail-worker-0 0/1 Error 0 AGE
train-restart-worker-0 0/1 Completed 1 (AGE ago) AGE
hello 0/1 Completed 0 AGE" "$(table pods train-fail-worker-0 train-restart-worker-0 hello)"
expect_eq "table: pods -o wide" "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES" \
  "$(table pods hello -o wide | head -1)"
must "get pods -o wide" get pods hello -o wide # a bare pod: bound to the node by "the scheduler" too
[[ "$(printf '%s\n' "$OUT" | tail -1 | sed -E 's/ +/ /g')" =~ ^hello\ 0/1\ Completed\ 0\ [0-9smhd]+\ 10\.[0-9.]+\ kube-sim-node\ \<none\>\ \<none\>$ ]] ||
  fail "table: pods -o wide row: $OUT"
expect_eq "table: inference services (JSONPath filters)" "NAME URL READY PREV LATEST PREVROLLEDOUTREVISION LATESTREADYREVISION AGE
demo http://demo.default.example.com True 100 demo-predictor-00001 AGE
serve-fail False AGE" "$(table isvc demo serve-fail)"
expect_eq "table: deployment" "NAME READY UP-TO-DATE AVAILABLE AGE
web 2/2 2 2 AGE" "$(table deployment web)"
expect_eq "table: events" "LAST SEEN TYPE REASON OBJECT MESSAGE
AGE Normal PyTorchJobFailed pytorchjob/train-fail PyTorchJob train-fail is failed because 1 Worker replica(s) failed." \
  "$(table events --field-selector involvedObject.name=train-fail,reason=PyTorchJobFailed)"
expect_eq "table: namespaces" "NAME STATUS AGE
default Active AGE" "$(table namespace default)"
expect_eq "table: CRDs (kube-apiserver's default columns)" "NAME CREATED AT" \
  "$(table crd pytorchjobs.kubeflow.org | head -1)"
must "get crd" get crd pytorchjobs.kubeflow.org
[[ "$(printf '%s\n' "$OUT" | tail -1)" =~ ^pytorchjobs\.kubeflow\.org\ +20[0-9-]+T[0-9:]+Z$ ]] || fail "table: CRD row: $OUT"
# The Table itself: PartialObjectMetadata rows by default, whole objects on
# request, and one-row Tables in a watch (kubectl get -w).
TABLE='Accept: application/json;as=Table;v=v1;g=meta.k8s.io'
expect_eq "table: row objects" "Table PartialObjectMetadata hello" "$(curl -s -H "$TABLE" "$SIM_URL/api/v1/namespaces/default/pods/hello" |
  python3 -c 'import json, sys; t = json.load(sys.stdin); print(t["kind"], t["rows"][0]["object"]["kind"], t["rows"][0]["object"]["metadata"]["name"])')"
expect_eq "table: includeObject=Object" "Pod" "$(curl -s -H "$TABLE" "$SIM_URL/api/v1/namespaces/default/pods?includeObject=Object&fieldSelector=metadata.name%3Dhello" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["rows"][0]["object"]["kind"])')"
expect_eq "table: watch events" "ADDED Table hello Completed" "$(curl -s -H "$TABLE" "$SIM_URL/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dhello" |
  python3 -c 'import json, sys; e = json.loads(sys.stdin.readline()); r = e["object"]["rows"][0]["cells"]; print(e["type"], e["object"]["kind"], r[0], r[2])')"
expect_eq "table: plain JSON without the Accept header" "PodList" \
  "$(curl -s "$SIM_URL/api/v1/namespaces/default/pods" | python3 -c 'import json, sys; print(json.load(sys.stdin)["kind"])')"

# --- logs -f streams while the container runs, and ends when kube-sim stops ---------
sed -e 's/name: hello/name: forever/' -e 's/restartPolicy: Never/restartPolicy: Always/' "$DATA/pod.yaml" >"$WORK/forever.yaml"
must "apply running pod" apply --server-side -f "$WORK/forever.yaml"
must "wait running pod" wait --for=jsonpath='{.status.phase}'=Running pod/forever --timeout=60s
"$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" --cache-dir "$CACHE" logs -f forever >"$WORK/follow.out" 2>&1 &
FOLLOWER=$!
for _ in $(seq 1200); do # readiness, not a timing check: up to a minute on a loaded machine
  grep -q . "$WORK/follow.out" && break
  sleep 0.05
done
expect_eq "logs -f of a running container streams" "hello from a bare pod" "$(cat "$WORK/follow.out")"
set +e
kill "$SIM_PID"
wait "$SIM_PID"
expect_eq "kube-sim stops cleanly with a follower" 0 "$?"
for _ in $(seq 1200); do kill -0 "$FOLLOWER" 2>/dev/null || break; sleep 0.05; done
kill -0 "$FOLLOWER" 2>/dev/null && fail "logs -f did not end when kube-sim stopped"
set -e

finish
