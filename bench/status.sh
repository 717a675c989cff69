#!/usr/bin/env bash
# kf status over 1000 runs on a cluster target vs kubectl reading the same
# objects, side by side in one hyperfine run, against one kube-sim:
#   kf status --target sim -o json      (one list per run kind, concurrently,
#                                        each run summarised per kind)
#   kubectl get <the six kinds> -A -o json
# The runs: 600 PyTorchJobs, 100 TFJobs, 100 Experiments, 100
# InferenceServices, 50 Workflows, 50 Notebooks, cloned from `kf render all`
# and labelled as kf labels its runs; kube-sim runs without its controllers,
# so the objects keep the status they were created with (none).
# Also kf's table output (what a person reads), alone.
# Usage: bench/status.sh [BUILD_DIR]   (default: build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
kf=$build/cli/kf
sim=${KUBE_SIM:-$build/tests/kube-sim/kube-sim} # the release preset builds no tests: KUBE_SIM=build/dev/tests/kube-sim/kube-sim
crds=${KF_UPSTREAM_CRDS:-$root/third_party/crds}
runs=${RUNS:-20}
kubectl=$(command -v kubectl.1.32 || echo /usr/lib/google-cloud-sdk/bin/kubectl.1.32)
command -v hyperfine >/dev/null || { echo "hyperfine is missing: bash scripts/install-deps.sh" >&2; exit 1; }
[ -x "$kf" ] && [ -x "$sim" ] || { echo "build kf and kube-sim first (cmake --build --preset release)" >&2; exit 1; }
[ -x "$kubectl" ] || kubectl=$(command -v kubectl)

work=$(mktemp -d)
trap 'kill $simpid 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME=$work NO_COLOR=1 GIT_CONFIG_GLOBAL=/dev/null
"$sim" --port 0 --kubeconfig-out "$work/kc.yaml" --crds "$crds" --no-controllers 2>"$work/sim.log" &
simpid=$!
for _ in $(seq 600); do [ -f "$work/kc.yaml" ] && break; sleep 0.05; done
(cd "$work" && "$kf" init demo >/dev/null 2>&1)
sed -i "s|^      type: local$|      type: local\n    - name: sim\n      type: cluster\n      kubeconfig: $work/kc.yaml\n      namespace: default|" "$work/demo/kf.yaml"

# 1000 run objects, cloned from the rendered ones.
"$kf" -C "$work/demo" render all -o json | python3 -c '
import json, sys
rendered = json.load(sys.stdin)
objs = {o["kind"]: o for o in (rendered["items"] if isinstance(rendered, dict) else rendered)}
objs["TFJob"] = None
counts = {"PyTorchJob": 600, "TFJob": 100, "Experiment": 100, "InferenceService": 100, "Workflow": 50, "Notebook": 50}
out = []
for kind, n in counts.items():
    base = objs.get(kind)
    if base is None:  # a TFJob from the PyTorchJob: same pod template
        p = objs["PyTorchJob"]
        spec = p["spec"]["pytorchReplicaSpecs"]
        base = {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": dict(p["metadata"]),
                "spec": {"tfReplicaSpecs": {"Chief": spec["Master"], "Worker": spec["Worker"]}}}
    for i in range(1, n + 1):
        o = json.loads(json.dumps(base))
        o["metadata"]["name"] = f"{kind.lower()}-{i}"
        o["metadata"].setdefault("labels", {})["kf.dev/run"] = o["metadata"]["name"]
        out.append(o)
json.dump({"apiVersion": "v1", "kind": "List", "items": out}, open(sys.argv[1], "w"))
' "$work/runs.json"
"$kf" apply -f "$work/runs.json" --kubeconfig "$work/kc.yaml" >/dev/null
kinds=pytorchjobs.kubeflow.org,tfjobs.kubeflow.org,experiments.kubeflow.org,inferenceservices.serving.kserve.io,workflows.argoproj.io,notebooks.kubeflow.org
n=$("$kf" -C "$work/demo" status --target sim -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
m=$("$kubectl" --kubeconfig "$work/kc.yaml" get "$kinds" -A -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
echo "objects: kf status sees $n, kubectl get sees $m"

hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/status.json" \
  "$kf -C $work/demo status --target sim -o json" \
  "$kubectl --kubeconfig $work/kc.yaml get $kinds -A -o json"
python3 "$root/bench/ratio.py" "$work/status.json"
hyperfine -N --warmup 2 --runs "$runs" "$kf -C $work/demo status --target sim"
