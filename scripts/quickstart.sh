#!/usr/bin/env bash
# The README's main-job command: install dependencies, build kf (release),
# then run the local quickstart in ./quickstart-demo: create a project,
# render every Kubernetes object it would submit, validate it, train its
# model with `kf train` (the PyTorchJob's two replicas as kf-trainer
# processes on this machine, on Fashion-MNIST), show `kf status`, serve the
# model with `kf serve` and answer a test image with `kf predict`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
kf="$root/build/release/cli/kf"

demo="$root/quickstart-demo"
rm -rf "$demo"
echo "==> kf init $demo"
"$kf" init "$demo"
cd "$demo"
echo "==> kf render all -o table"
"$kf" render all -o table
echo "==> kf validate   (kf.yaml, and every rendered object against the upstream CRDs built into kf)"
"$kf" validate -o table

echo "==> kf train   (2 workers on Fashion-MNIST, this machine)"
"$kf" train
echo
echo "==> kf status"
"$kf" status
run=$("$kf" status @latest -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])')
echo
echo "==> kf serve --detach   (the InferenceService: kf-server on this machine)"
url=$("$kf" serve --detach)
served=$("$kf" status -o json | python3 -c 'import json, sys; print([r["name"] for r in json.load(sys.stdin) if r["kind"] == "InferenceService"][0])')
echo
echo "==> kf predict --index 0   (a test image, over HTTP to $url/v2/models/$served/infer)"
"$kf" predict --index 0
echo
echo "Done. The project is in $demo; the trained model is in"
echo "$demo/.kf/runs/$run/output (model.safetensors + model.json)."
echo "It is served at $url/v2/models/$served (stop it: cd $demo && $kf delete $served)."
echo "More: cd $demo && $kf status $run   (conditions, metrics, artifacts, lineage)"
