#!/usr/bin/env bash
# The local target hands out GPUs as a cluster's NVIDIA device plugin does
# (libkf/local/gpus.h): each pod that requests nvidia.com/gpu sees only its
# own devices through CUDA_VISIBLE_DEVICES, no two running pods share one, a
# run that asks for more than the machine has is refused, and one whose
# devices others hold waits Pending. The machine's GPUs are what
# CUDA_VISIBLE_DEVICES gives kf, so this runs without a GPU: the pods are
# shell one-liners, and last two kf-trainer workers run the CUDA engine over
# the CUDA emulator (tests/cuda_emu), whose NCCL refuses two ranks on one
# device as NCCL does.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export KF_GPU_LOCK_DIR="$WORK/gpu-locks" # this test's devices are its own
cd "$WORK"
# pytorchjob NAME WORKERS GPUS COMMAND: a PyTorchJob (a Master and WORKERS Workers, GPUS each) on stdout.
pytorchjob() {
  local name=$1 workers=$2 gpus=$3 command type replicas
  command=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$4")
  printf 'apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: %s\nspec:\n  pytorchReplicaSpecs:\n' "$name"
  for type in Master Worker; do
    replicas=1
    [ "$type" = Worker ] && replicas=$workers
    printf '    %s:\n      replicas: %s\n      restartPolicy: Never\n      template:\n        spec:\n' "$type" "$replicas"
    printf '          containers:\n          - name: pytorch\n            image: busybox:1.36\n'
    printf '            command: [sh, -c, %s]\n            resources:\n              limits:\n' "$command"
    printf '                nvidia.com/gpu: %s\n' "$gpus"
  done
}
runs() { ls .kf/runs 2>/dev/null | tr '\n' ' '; }

"$KF" init demo >/dev/null 2>&1
cd demo

# 1. Three pods of one GPU each on a machine of three: each sees its own.
pytorchjob gpu 2 1 'echo "rank=$RANK visible=$CUDA_VISIBLE_DEVICES"' >gpu.yaml
CUDA_VISIBLE_DEVICES=3,5,7 run_kf submit -f gpu.yaml
expect_eq "own devices: exit code" 0 "$RC"
expect_eq "own devices: master-0" "rank=0 visible=3" "$("$KF" logs gpu-1 --replica master-0)"
expect_eq "own devices: worker-0" "rank=1 visible=5" "$("$KF" logs gpu-1 --replica worker-0)"
expect_eq "own devices: worker-1" "rank=2 visible=7" "$("$KF" logs gpu-1 --replica worker-1)"

# 2. More than the machine has: refused before anything starts, no run left behind.
CUDA_VISIBLE_DEVICES=3,5 run_kf submit -f gpu.yaml
expect_eq "too many: exit code" 1 "$RC"
expect_eq "too many: message" 'error: PyTorchJob "gpu": requests 3 nvidia.com/gpu (master-0 1, worker-0 1, worker-1 1) and this machine has 2 (3,5); a cluster would leave its pods Pending: ask for fewer' "$ERR"
expect_eq "too many: runs" "gpu-1 " "$(runs)"

# 3. No GPU on the machine: nothing handed out, nothing refused (the pods run
#    without); a pod sees the CUDA_VISIBLE_DEVICES kf was given.
CUDA_VISIBLE_DEVICES= run_kf submit -f gpu.yaml
expect_eq "no GPU: exit code" 0 "$RC"
expect_eq "no GPU: worker-1" "rank=2 visible=" "$("$KF" logs gpu-2 --replica worker-1)"

# 4. Two runs that each need both GPUs: the second waits Pending until the first ends.
pytorchjob hold 1 1 'echo "holding $CUDA_VISIBLE_DEVICES"; while [ ! -e '"$PWD"'/release ]; do sleep 0.1; done' >hold.yaml
pytorchjob next 1 1 'echo "got $CUDA_VISIBLE_DEVICES"' >next.yaml
export CUDA_VISIBLE_DEVICES=0,1
run_kf submit -f hold.yaml --detach
expect_eq "hold: exit code" 0 "$RC"
wait_for "the first run holds both GPUs" grep -qs holding .kf/runs/hold-1/logs/worker-0.log
run_kf submit -f next.yaml --detach
expect_eq "next: exit code" 0 "$RC"
wait_for "the second run waits" grep -q "FailedScheduling" .kf/runs/next-1/supervisor.log
run_kf status next-1 -o json
expect_eq "next: its pods are Pending" "Pending Pending" "$(json '" ".join(p["state"] for p in d["processes"])' <<<"$OUT")"
expect_eq "next: as upstream, Created while its pods wait" "Created" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "next: the event says why" \
  "Warning FailedScheduling Pod/master-0 waiting for 2 nvidia.com/gpu: other pods hold this machine's GPUs (0,1)" \
  "$(json '" ".join(d["events"][0][k] for k in ("type", "reason", "object", "message"))' <<<"$OUT")"
touch release
timeout 60 "$KF" logs next-1 -f >/dev/null
expect_eq "next: ran on the freed GPUs" "got 0 got 1" "$("$KF" logs next-1 --replica master-0) $("$KF" logs next-1 --replica worker-0)"
run_kf status next-1 -o json
expect_eq "next: state" "Succeeded" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "next: which pod got which GPU" "Scheduled assigned GPUs: master-0 0, worker-0 1" \
  "$(json '" ".join(d["events"][-1][k] for k in ("reason", "message"))' <<<"$OUT")"
unset CUDA_VISIBLE_DEVICES

# 5. A batch Job whose pods need the machine's one GPU: they run one at a time
#    (a second one at once would find the directory made and fail).
cat >one.yaml <<'EOF'
apiVersion: batch/v1
kind: Job
metadata:
  name: one
spec:
  completions: 3
  parallelism: 2
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: [sh, -c, 'mkdir busy || exit 9; echo "on $CUDA_VISIBLE_DEVICES"; sleep 0.3; rmdir busy']
        resources:
          limits:
            nvidia.com/gpu: 1
EOF
CUDA_VISIBLE_DEVICES=GPU-42 run_kf submit -f one.yaml
expect_eq "one GPU: exit code" 0 "$RC"
for pod in pod-0 pod-1 pod-2; do expect_eq "one GPU: $pod" "on GPU-42" "$("$KF" logs one-1 --replica "$pod")"; done
run_kf status one-1 -o json
expect_eq "one GPU: each pod's Scheduled event" "pod-0 assigned GPUs: pod-0 GPU-42|pod-1 assigned GPUs: pod-1 GPU-42|pod-2 assigned GPUs: pod-2 GPU-42" \
  "$(json '"|".join(e["object"].split("/")[1] + " " + e["message"] for e in d["events"] if e["reason"] == "Scheduled")' <<<"$OUT")"
grep -q "FailedScheduling.*waiting for 1 nvidia.com/gpu: other pods hold this machine's GPUs (GPU-42)" .kf/runs/one-1/supervisor.log ||
  fail "one GPU: the second pod did not wait: $(cat .kf/runs/one-1/supervisor.log)"

# 6. A Katib Experiment of two parallel trials whose Jobs need the machine's
#    one GPU: the second trial's pod waits for the first's to end.
cat >exp.yaml <<EOF
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: exp
spec:
  objective: {type: minimize, objectiveMetricName: value}
  algorithm: {algorithmName: random, algorithmSettings: [{name: random_state, value: "3"}]}
  parallelTrialCount: 2
  maxTrialCount: 2
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{name: x, reference: x}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            restartPolicy: Never
            containers:
              - name: main
                image: busybox:1.36
                command: [sh, -c, 'mkdir $PWD/busy || exit 9; sleep 0.3; rmdir $PWD/busy; echo "gpu=\$CUDA_VISIBLE_DEVICES value=\${trialParameters.x}"']
                resources: {limits: {nvidia.com/gpu: 1}}
EOF
CUDA_VISIBLE_DEVICES=0 run_kf submit -f exp.yaml
expect_eq "trials: exit code" 0 "$RC"
run_kf status exp-1 -o json
expect_eq "trials: both succeeded" "2 0" "$(json 'str(d["status"]["trialsSucceeded"]) + " " + str(d["status"].get("trialsFailed", 0))' <<<"$OUT")"
for t in $(ls .kf/runs/exp-1/trials); do
  grep -q "^gpu=0 value=" .kf/runs/exp-1/trials/$t/logs/pod-0.log || fail "trials: $t: $(cat .kf/runs/exp-1/trials/$t/logs/pod-0.log)"
done

# 6b. A Workflow's steps: two parallel ones that need the machine's one GPU
#     run one at a time (the second Pending with the scheduler's message
#     until the first, held by a release file, ends), each seeing it; the
#     next, asking for two, is an Error. A step's env sets a
#     variable kf also passes (HOME): the step sees it once, its own value.
cat >wf.yaml <<'EOF'
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: one}
      - {name: b, template: one}
    - - {name: c, template: two}
  - name: one
    container:
      image: busybox
      command: [sh, -c, 'mkdir "$KF_TEST_WORK/wfbusy" || exit 9; while [ ! -e "$KF_TEST_WORK/wfrelease" ]; do sleep 0.05; done; rmdir "$KF_TEST_WORK/wfbusy"; echo "gpu=$CUDA_VISIBLE_DEVICES home=$HOME homes=$(env | grep -c ^HOME=)"']
      env: [{name: HOME, value: /nowhere}]
      resources: {limits: {nvidia.com/gpu: 1}}
  - name: two
    container:
      image: busybox
      command: [sh, -c, 'echo never']
      resources: {limits: {nvidia.com/gpu: 2}}
EOF
sed -i "s|\$KF_TEST_WORK|$WORK|g" wf.yaml
(CUDA_VISIBLE_DEVICES=GPU-7 "$KF" submit -f wf.yaml --no-cache >wf.out 2>wf.err) &
wf_pid=$!
wait_for "a step waits for the GPU" grep -qs "waiting for 1 nvidia.com/gpu: other pods hold this machine's GPUs (GPU-7)" .kf/runs/wf-1/object.json
touch "$WORK/wfrelease" # the first step ends; the second takes the GPU
wait "$wf_pid" && fail "workflow: a step asking for 2 GPUs did not fail the run"
for step in a b; do expect_eq "workflow: $step's log" "gpu=GPU-7 home=/nowhere homes=1" "$("$KF" logs wf-1 --node "$step")"; done
run_kf status wf-1 -o json
expect_eq "workflow: the step asking for 2" "Error its pod requests 2 nvidia.com/gpu and this machine has 1 (GPU-7); a cluster would leave its pods Pending: ask for fewer" \
  "$(json '" ".join(next((n["phase"], n["message"]) for n in d["status"]["nodes"].values() if n["displayName"] == "c"))' <<<"$OUT")"

# 7. The refusals: an Experiment whose trials would each ask for more than
#    the machine has; a model server asking for more than the machine has;
#    a run resumed (after its supervisor was killed) on a machine with fewer
#    GPUs than it asks for; lock files that cannot be made.
sed 's/name: exp$/name: exp2/; s/nvidia.com\/gpu: 1/nvidia.com\/gpu: 2/' exp.yaml >exp2.yaml
CUDA_VISIBLE_DEVICES=0 run_kf submit -f exp2.yaml
expect_eq "trials too big: exit code" 1 "$RC"
expect_eq "trials too big: message" 'error: Experiment "exp2": each trial requests 2 nvidia.com/gpu and this machine has 1 (0); a cluster would leave its pods Pending: ask for fewer' "$ERR"
# A trial parameter as the request: the sample trial kf checks asks for 1,
# the grid's second trial for 2, which its Job's controller refuses.
sed 's/name: exp$/name: exp3/; s/algorithmName: random, algorithmSettings: \[{name: random_state, value: "3"}\]/algorithmName: grid/;
     s/parallelTrialCount: 2/parallelTrialCount: 1/;
     s/{name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}/{name: x, parameterType: int, feasibleSpace: {min: "1", max: "2"}}/;
     s/nvidia.com\/gpu: 1/nvidia.com\/gpu: "${trialParameters.x}"/' exp.yaml >exp3.yaml
CUDA_VISIBLE_DEVICES=0 run_kf submit -f exp3.yaml
run_kf status exp3-1 -o json
expect_eq "a trial asking for 2: trials" "1 1" "$(json 'str(d["status"]["trialsSucceeded"]) + " " + str(d["status"]["trialsFailed"])' <<<"$OUT")"
grep -qs "has failed: each pod requests 2 nvidia.com/gpu and this machine has 1 (0); a cluster would leave its pods Pending: ask for fewer." \
  .kf/runs/exp3-1/trials/*/object.json || fail "a trial asking for 2: no refusal in its Job: $(cat .kf/runs/exp3-1/trials/*/object.json)"
rm -f release
pytorchjob lost 1 1 'sleep 30' >lost.yaml
CUDA_VISIBLE_DEVICES=0,1 run_kf submit -f lost.yaml --detach
wait_for "lost-1's replicas to run" grep -qs '"Running"' .kf/runs/lost-1/local.json
kill -9 "$(json 'd["supervisor"]["pid"]' <.kf/runs/lost-1/local.json)"
flock -n "$KF_GPU_LOCK_DIR/gpu-0.lock" true &&
  fail "lost supervisor: its pods' GPU 0 was free while they ran"
wait_for "lost-1 to be marked lost" sh -c '"$KF" status lost-1 -o json | grep -q SupervisorLost'
wait_for "lost-1's pods to let GPU 0 go once kf stopped them" flock -n "$KF_GPU_LOCK_DIR/gpu-0.lock" true
CUDA_VISIBLE_DEVICES=0 run_kf resume lost-1 --wait
expect_eq "resumed on fewer GPUs: exit code" 1 "$RC"
run_kf status lost-1 -o json
expect_eq "resumed on fewer GPUs: condition" "PyTorchJobFailed PyTorchJob lost-1 has failed: it requests 2 nvidia.com/gpu (master-0 1, worker-0 1) and this machine has 1 (0); a cluster would leave its pods Pending: ask for fewer." \
  "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("reason", "message"))' <<<"$OUT")"
"$KF_TRAINER" --data=synthetic --synthetic-samples=64 --epochs=1 --output="$WORK/model" >/dev/null 2>&1 || fail "a model to serve: kf-trainer failed"
before=$(runs)
CUDA_VISIBLE_DEVICES=0 run_kf serve "$WORK/model" --set serving.resources.gpus=2 --detach
expect_eq "a model server asking for 2: exit code" 1 "$RC"
expect_eq "a model server asking for 2: message" 'error: InferenceService "demo": requests 2 nvidia.com/gpu and this machine has 1 (0); a cluster would leave its pods Pending: ask for fewer' "$ERR"
expect_eq "a model server asking for 2: no run left" "$before" "$(runs)"
touch not-a-dir
KF_GPU_LOCK_DIR=$PWD/not-a-dir/locks CUDA_VISIBLE_DEVICES=0,1,2 run_kf submit -f gpu.yaml
expect_eq "no lock dir: exit code" 1 "$RC"
run_kf status gpu-3 -o json
expect_eq "no lock dir: condition" "PyTorchJob gpu-3 has failed: cannot make KF_GPU_LOCK_DIR $PWD/not-a-dir/locks: Not a directory." \
  "$(json 'd["status"]["conditions"][-1]["message"]' <<<"$OUT")"

# 8. Two kf-trainer workers of one GPU each on the CUDA engine over the
#    emulator's two devices: each sees one, so NCCL finds two devices (with
#    both devices visible to both, both took device 0 and NCCL refused them).
emu=$KF_BUILD_DIR/runtime/kf-trainer-emu
if [ -x "$emu" ]; then
  # The pods of part 1, running kf's trainer (its image) on the emulator's two devices.
  pytorchjob emu 1 1 TRAIN | sed -e 's/busybox:1.36/demo-trainer:latest/' -e 's|command: \[sh, -c, "TRAIN"\]|command: [kf-trainer]\
            args: [--device=gpu, --data=synthetic, --synthetic-samples=256, --epochs=1, --batch-size=32, --threads=1]\
            env: [{name: KF_CUDA_EMULATOR_DEVICES, value: "2"}]|' >emu.yaml
  KF_TRAINER=$emu CUDA_VISIBLE_DEVICES=0,1 run_kf submit -f emu.yaml
  expect_eq "emulator: exit code" 0 "$RC"
  grep -q "engine gpu cuda:0" .kf/runs/emu-1/logs/master-0.log || fail "emulator: not on the GPU engine: $(cat .kf/runs/emu-1/logs/master-0.log)"
  grep -q "Scheduled: assigned GPUs: master-0 0, worker-0 1" .kf/runs/emu-1/supervisor.log || fail "emulator: supervisor log: $(cat .kf/runs/emu-1/supervisor.log)"
else
  echo "skipped part 8: no $emu"
fi
finish
