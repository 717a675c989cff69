#!/usr/bin/env bash
# The README's main-job command: install dependencies, build kf (release),
# then run the local quickstart in ./quickstart-demo: create a project,
# render every Kubernetes object it would submit, and validate it.
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
echo
echo "Done. The project is in $demo; its manifests: $kf render all"
