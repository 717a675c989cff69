#!/usr/bin/env bash
# Kubeflow Trainer v2 TrainJob, and PyTorchJob, on the local target with real
# PyTorch (Debian's python3-torch 1.13 and its torchrun) as the client of the
# operators' environment contract:
#   1. upstream's 01-multi-node example (tests/testdata/trainer/): torchrun on
#      3 nodes over Gloo, via kf submit -f on kf's torch-distributed runtime;
#   2. a PyTorchJob whose containers call dist.init_process_group("gloo") from
#      python3 -c: one all_reduce across Master and 2 Workers;
#   3. a command that is not torchrun: numNodes x numProcPerNode processes with
#      torchrun's RANK/WORLD_SIZE/LOCAL_RANK;
#   4. a TrainingRuntime given beside the TrainJob: its dataset initializer
#      runs first (STORAGE_URI), a node that fails fails the TrainJob (FailedJobs);
#   5. refusals, with file:line:col;
#   6. kf train and kf tune with training.operator v2: kf-trainer on 3 nodes
#      (Gloo) as a TrainJob on the project's TrainingRuntime; TrainJob trials.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
# Debian's python3 has torch; a python3 earlier in PATH (pyenv, a venv) may not.
export PATH=/usr/bin:$PATH
/usr/bin/python3 -c 'import torch' 2>/dev/null || die "python3-torch is not installed (scripts/install-deps.sh installs it)"
cd "$WORK"

"$KF" init demo >/dev/null 2>&1
cd demo

# 1. Upstream's example, verbatim but for two things Debian's torch 1.13 needs:
#    its torchrun spells --no-python --no_python, and under Python 3.11 it
#    reads its default --redirects/--tee "0" as None (an IntFlag lookup that
#    changed in 3.11), so the TrainJob's env sets them (PET_REDIRECTS/PET_TEE
#    are torchrun's own variables, not the operator's reserved ones).
python3 - "$KF_SOURCE_DIR/tests/testdata/trainer/01-multi-node.yaml" >multi-node.yaml <<'EOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
t = doc["spec"]["trainer"]
t["command"] = ["--no_python" if a == "--no-python" else a for a in t["command"]]
t["env"] = [{"name": "PET_REDIRECTS", "value": "1"}, {"name": "PET_TEE", "value": "1"}]
yaml.safe_dump(doc, sys.stdout, sort_keys=False)
EOF
run_kf submit -f multi-node.yaml
expect_eq "multi-node: exit code" 0 "$RC"
grep -qx 'multi-node-example-1 Complete: jobset completed successfully' <<<"$ERR" || fail "multi-node: no summary in: $ERR"
run_kf status multi-node-example-1 -o json
expect_eq "multi-node: condition" "Complete True AllJobsCompleted" \
  "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason"))' <<<"$OUT")"
expect_eq "multi-node: Created first" "Created JobsCreationSucceeded" \
  "$(json '" ".join(d["status"]["conditions"][0][k] for k in ("type", "reason"))' <<<"$OUT")"
expect_eq "multi-node: jobsStatus" '[{"name": "node", "ready": 0, "active": 0, "succeeded": 1, "failed": 0, "suspended": 0}]' \
  "$(json 'json.dumps(d["status"]["jobsStatus"])' <<<"$OUT")"
for i in 0 1 2; do
  run_kf logs multi-node-example-1 --replica "node-$i"
  grep -q "WORLD_SIZE: 3$" <<<"$OUT" || fail "multi-node: node-$i did not see a world of 3: $OUT"
  grep -q "RANK: $i$" <<<"$OUT" || fail "multi-node: node-$i is not rank $i: $OUT"
done

# 2. PyTorchJob: the operator's MASTER_ADDR/MASTER_PORT/WORLD_SIZE/RANK are what torch.distributed reads.
python3 - >ddp.yaml <<'EOF'
import sys, yaml
program = """import torch, torch.distributed as dist
dist.init_process_group("gloo")
t = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(t)
print(f"rank {dist.get_rank()} of {dist.get_world_size()}: sum {t.item():.0f}")
"""
def replicas(n):
    container = {"name": "pytorch", "image": "docker.io/pytorch/pytorch:latest", "command": ["python3", "-c"], "args": [program]}
    return {"replicas": n, "restartPolicy": "Never", "template": {"spec": {"containers": [container]}}}
job = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "ddp"},
       "spec": {"pytorchReplicaSpecs": {"Master": replicas(1), "Worker": replicas(2)}}}
yaml.safe_dump(job, sys.stdout, sort_keys=False)
EOF
run_kf submit -f ddp.yaml
expect_eq "pytorchjob: exit code" 0 "$RC"
seen=""
for r in master-0 worker-0 worker-1; do
  run_kf logs ddp-1 --replica "$r"
  seen+="$(grep -o 'rank [0-9] of 3: sum 6' <<<"$OUT") / "
done
expect_eq "pytorchjob: every rank reduced the same world" "rank 0 of 3: sum 6 / rank 1 of 3: sum 6 / rank 2 of 3: sum 6 / " "$seen"

# 3. Not torchrun: every process is started by kf with torchrun's environment.
cat >procs.yaml <<'EOF'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: procs
spec:
  runtimeRef:
    name: torch-distributed
  trainer:
    numNodes: 2
    numProcPerNode: 2
    command: [sh, -c, 'echo "rank $RANK/$WORLD_SIZE local $LOCAL_RANK node $PET_NODE_RANK master $MASTER_ADDR"']
EOF
run_kf submit -f procs.yaml
expect_eq "procs: exit code" 0 "$RC"
seen=""
for r in node-0-0 node-0-1 node-1-0 node-1-1; do
  run_kf logs procs-1 --replica "$r"
  seen+="$OUT / "
done
expect_eq "procs: environment" \
  "rank 0/4 local 0 node 0 master 127.0.0.1 / rank 1/4 local 1 node 0 master 127.0.0.1 / rank 2/4 local 0 node 1 master 127.0.0.1 / rank 3/4 local 1 node 1 master 127.0.0.1 / " \
  "$seen"

# 3b. spec.suspend: Suspended, nothing runs, until kf resume.
sed -e 's/^spec:$/spec:\n  suspend: true/' procs.yaml >suspended.yaml
run_kf submit -f suspended.yaml
expect_eq "suspend: exit code" 0 "$RC"
run_kf status procs-2 -o json
expect_eq "suspend: state" "Suspended" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "suspend: condition" "Suspended True Suspended TrainJob is suspended" \
  "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason", "message"))' <<<"$OUT")"
[ ! -d .kf/runs/procs-2/logs ] || [ -z "$(ls .kf/runs/procs-2/logs)" ] || fail "suspend: something ran"
run_kf resume procs-2 --set x=1
expect_eq "resume --set: message" "error: a suspended TrainJob resumes as it was submitted: kf resume procs-2 takes no --set" "$ERR"
run_kf resume procs-2
expect_eq "resume: exit code" 0 "$RC"
run_kf status procs-2 -o json
expect_eq "resume: Complete" "Complete" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "resume: Suspended turned False" "False Resumed TrainJob is resumed" \
  "$(json '" ".join([c for c in d["status"]["conditions"] if c["type"] == "Suspended"][0][k] for k in ("status", "reason", "message"))' <<<"$OUT")"
run_kf resume procs-2
expect_eq "resume again: message" "error: run procs-2 is not suspended (Complete); a TrainJob starts again: kf train, kf submit -f" "$ERR"

# 4. A TrainingRuntime given beside the TrainJob: the dataset initializer
#    first; node 1 fails, restartPolicy Never and backoffLimit 0 fail the job.
cat >runtime.yaml <<'EOF'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainingRuntime
metadata:
  name: torch-with-init
  labels:
    trainer.kubeflow.org/framework: torch
spec:
  mlPolicy:
    numNodes: 1
    torch: {}
  template:
    spec:
      replicatedJobs:
      - name: dataset-initializer
        template:
          metadata:
            labels:
              trainer.kubeflow.org/trainjob-ancestor-step: dataset-initializer
          spec:
            template:
              spec:
                containers:
                - name: dataset-initializer
                  image: ghcr.io/kubeflow/trainer/dataset-initializer
                  command: [sh, -c, 'echo "$STORAGE_URI" >dataset.txt']
      - name: node
        template:
          metadata:
            labels:
              trainer.kubeflow.org/trainjob-ancestor-step: trainer
          spec:
            backoffLimit: 0
            template:
              spec:
                restartPolicy: Never
                containers:
                - name: node
                  image: pytorch/pytorch:latest
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: steps
spec:
  runtimeRef:
    kind: TrainingRuntime
    name: torch-with-init
  initializer:
    dataset:
      storageUri: hf://tatsu-lab/alpaca
  trainer:
    numNodes: 2
    command: [sh, -c, 'echo "node $PET_NODE_RANK read $(cat dataset.txt)"; [ "$PET_NODE_RANK" != 1 ] || exit 3']
EOF
run_kf submit -f runtime.yaml
expect_eq "steps: exit code" 1 "$RC"
run_kf logs steps-1 --replica node-1 # (node 0 may be stopped before it prints: node 1 fails the job)
expect_eq "steps: the initializer ran first" "node 1 read hf://tatsu-lab/alpaca" "$OUT"
run_kf logs steps-1 --replica dataset-initializer-0
expect_eq "steps: the initializer's log" "" "$OUT"
run_kf status steps-1 -o json
expect_eq "steps: condition" "Failed True FailedJobs" \
  "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason"))' <<<"$OUT")"
expect_eq "steps: message" "TrainJob steps-1 is failed because 1 node replica(s) failed (node-1 exited with code 3, restartPolicy Never)." \
  "$(json 'd["status"]["conditions"][-1]["message"]' <<<"$OUT")"
expect_eq "steps: jobsStatus" "dataset-initializer:1:0 node:0:1" \
  "$(json '" ".join("%s:%d:%d" % (j["name"], j["succeeded"], j["failed"]) for j in d["status"]["jobsStatus"])' <<<"$OUT")"

# 5. Refusals: file:line:col, nothing left behind.
before=$(ls .kf/runs | sort)
sed -e 's/name: torch-distributed/name: torch-distrbuted/' procs.yaml >typo.yaml
run_kf submit -f typo.yaml
expect_eq "unknown runtime: exit code" 2 "$RC"
expect_eq "unknown runtime: message" "typo.yaml:7:11: spec.runtimeRef.name: no ClusterTrainingRuntime \"torch-distrbuted\" (known here: torch-distributed; give yours beside the TrainJob: kf submit -f runtime.yaml -f trainjob.yaml)" "$ERR"
python3 - <<'EOF' >mpi.yaml
import yaml
docs = list(yaml.safe_load_all(open("runtime.yaml")))
docs[0]["metadata"]["labels"]["trainer.kubeflow.org/framework"] = "mpi"
docs[0]["spec"]["mlPolicy"] = {"numNodes": 1, "mpi": {"mpiImplementation": "OpenMPI"}}
yaml.safe_dump_all(docs, open("/dev/stdout", "w"), sort_keys=False)
EOF
run_kf submit -f mpi.yaml
expect_eq "mpi runtime: exit code" 2 "$RC"
grep -q 'spec.runtimeRef.name: runtime "torch-with-init" is a mpi runtime; the local target runs torch runtimes (mlPolicy.torch)$' <<<"$ERR" ||
  fail "mpi runtime: message: $ERR"
expect_eq "refusals: no run left behind" "$before" "$(ls .kf/runs | sort)"

# 6. training.operator v2: kf train renders a TrainJob and its TrainingRuntime; kf-trainer reads PET_*/RANK.
cat >v2.yaml <<'YAML'
spec:
  training:
    operator: v2
    workers: 3
    hyperparameters:
      epochs: 1
      train-limit: 1200
  tuning:
    maxTrials: 2
    parallelTrials: 2
YAML
run_kf train -f v2.yaml
expect_eq "v2 train: exit code" 0 "$RC"
expect_eq "v2 train: run" "run demo-train-1 started (TrainJob, local) in $PWD/.kf/runs/demo-train-1" "$(head -n 1 <<<"$ERR")"
grep -qx 'demo-train-1 Complete: jobset completed successfully' <<<"$ERR" || fail "v2 train: no summary in: $ERR"
for i in 0 1 2; do
  grep -q "^kf-trainer\[$i/3\]" ".kf/runs/demo-train-1/logs/node-$i.log" || fail "v2 train: node-$i is not rank $i of 3"
done
[ -s .kf/runs/demo-train-1/output/model.safetensors ] || fail "v2 train: no model"
run_kf status demo-train-1 -o json
expect_eq "v2 train: accuracy is a number" "True" "$(json 'isinstance(d["metrics"]["accuracy"], float)' <<<"$OUT")"
# The project's own command: torchrun with real PyTorch on the 3 nodes (kf-trainer's
# flags follow the program as its arguments; torchrun's --redirects/--tee as in 1.).
cat >v2-torch.yaml <<'YAML'
spec:
  training:
    command:
      - torchrun
      - --redirects=1
      - --tee=1
      - --no_python
      - python3
      - -c
      - |
        import torch, torch.distributed as dist
        dist.init_process_group("gloo")
        t = torch.ones(1)
        dist.all_reduce(t)
        print(f"rank {dist.get_rank()} of {dist.get_world_size()}: sum {t.item():.0f}")
YAML
run_kf train -f v2.yaml -f v2-torch.yaml
expect_eq "v2 torchrun: exit code" 0 "$RC"
seen=""
for i in 0 1 2; do seen+="$(grep -o 'rank [0-9] of 3: sum 3' ".kf/runs/demo-train-2/logs/node-$i.log") / "; done
expect_eq "v2 torchrun: every node in one world" "rank 0 of 3: sum 3 / rank 1 of 3: sum 3 / rank 2 of 3: sum 3 / " "$seen"
run_kf tune -f v2.yaml
expect_eq "v2 tune: exit code" 0 "$RC"
run_kf status demo-tune-1 -o json
expect_eq "v2 tune: trials succeeded" 2 "$(json 'd["status"]["trialsSucceeded"]' <<<"$OUT")"
kinds=""
for plan in .kf/runs/demo-tune-1/trials/*/plan.json; do kinds+="$(json 'd["kind"]' <"$plan") "; done
expect_eq "v2 tune: trials are TrainJobs" "TrainJob TrainJob " "$kinds"

finish
