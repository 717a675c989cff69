#!/usr/bin/env bash
# The README's main-job command: install dependencies, build kf (release),
# then run the local quickstart in ./quickstart-demo: create a project,
# render every Kubernetes object it would submit, validate it, and train its
# model with two data-parallel kf-trainer workers on Fashion-MNIST, given
# exactly the command and environment the PyTorchJob's replicas would get.
# (`kf train`, which will do the last step itself, is a later issue.)
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
schemas=()
if [ -d "$root/../shared/upstream/crds" ]; then schemas=(--schemas "$root/../shared/upstream/crds"); fi
echo "==> kf validate ${schemas[*]}"
"$kf" validate "${schemas[@]}" -o table

echo "==> training: the PyTorchJob's command, 2 workers (Master + Worker), 1 epoch"
trainer="$root/build/release/runtime/kf-trainer"
mapfile -t cmd < <("$kf" render train --set training.hyperparameters.epochs=1 -o json | python3 -c '
import json, sys
c = json.load(sys.stdin)["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]
print("\n".join(c["command"][1:] + c.get("args", [])))')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pids=()
for rank in 0 1; do
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2 RANK=$rank \
    "$trainer" "${cmd[@]}" --output="$demo/.kf/model" >"$demo/rank$rank.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
cat "$demo/rank0.log" | grep -E '^epoch=' || true
[ "$status" = 0 ] || { echo "training failed; logs: $demo/rank0.log $demo/rank1.log" >&2; exit 1; }
echo
echo "Done. The project is in $demo; the trained model is in $demo/.kf/model"
echo "(model.safetensors + model.json); its manifests: $kf render all"
