#!/usr/bin/env bash
# Benchmarks kf against its peer tools, side by side in one hyperfine run each:
#   1. start-up:  kf version            vs  kubectl version --client
#   2. render:    kf render all         vs  kubectl kustomize (a kustomization of the same objects)
#   3. completion: kf __complete status ''   (what a shell runs on <TAB>; no peer: its time alone)
#   4. validate:  kf validate           (against kf's built-in CRDs; no peer offline: its time alone)
# Usage: bench/run.sh [KF_BINARY]   (default: build/release/cli/kf; a relative path is fine)
# Prints hyperfine's tables and the ratios; bench/RESULTS.md records a run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kf=${1:-$root/build/release/cli/kf}
# The benchmarks run in other directories: make a relative path absolute.
case "$kf" in /*) ;; */*) kf="$(cd "$(dirname "$kf")" && pwd)/$(basename "$kf")" ;; *) kf=$(command -v "$kf" || echo "$kf") ;; esac
# /usr/bin/kubectl on these machines is gcloud's dispatcher, which starts the
# real kubectl.1.NN binary: measure the real one when it is there.
real_kubectl=$(ls /usr/lib/google-cloud-sdk/bin/kubectl.1.3[0-9] 2>/dev/null | sort -V | tail -n 1 || true)
kubectl=${KUBECTL:-${real_kubectl:-kubectl}}
runs=${RUNS:-30}
command -v hyperfine >/dev/null || { echo "hyperfine is missing: bash scripts/install-deps.sh" >&2; exit 1; }
[ -x "$kf" ] || { echo "no kf at $kf: cmake --preset release && cmake --build --preset release" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work NO_COLOR=1 GIT_CONFIG_GLOBAL=/dev/null

ratio() { python3 "$root/bench/ratio.py" "$1"; }

echo "== start-up: kf version vs kubectl version --client"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/startup.json" \
  "$kf version" "$kubectl version --client"
ratio "$work/startup.json"

echo "== render: kf render all vs kubectl kustomize of the same objects"
(cd "$work" && "$kf" init demo >/dev/null)
mkdir "$work/kustomize"
(cd "$work/demo" && "$kf" render all) >"$work/all.yaml"
python3 - "$work/all.yaml" "$work/kustomize" <<'PY'
import sys, os
docs = open(sys.argv[1]).read().split("\n---\n")
names = []
for i, d in enumerate(docs):
    name = f"obj{i}.yaml"
    open(os.path.join(sys.argv[2], name), "w").write(d.rstrip("\n") + "\n")
    names.append(name)
with open(os.path.join(sys.argv[2], "kustomization.yaml"), "w") as f:
    f.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
    for n in names:
        f.write(f"  - {n}\n")
PY
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/render.json" \
  "$kf -C $work/demo render all" "$kubectl kustomize $work/kustomize"
ratio "$work/render.json"

echo "== completion: kf __complete status '' in a project with 200 runs (what <TAB> costs)"
for i in $(seq 1 200); do
  mkdir -p "$work/demo/.kf/runs/demo-train-$i"
  (cd "$work/demo" && "$kf" render train -o json) >"$work/demo/.kf/runs/demo-train-$i/object.json"
done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/complete.json" \
  "$kf __complete -C $work/demo status ''" "$kf __complete -C $work/demo --target ''"

echo "== validate: kf validate of the same 7 objects against kf's built-in CRDs (no peer offline: its time alone)"
# kubectl validates only against a server's OpenAPI; kf carries the upstream CRDs.
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/validate.json" "$kf -C $work/demo validate"
