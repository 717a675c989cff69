#!/usr/bin/env bash
# A second real client judges kube-sim (issue 18): Debian's official
# Kubernetes Python client drives discovery, CRUD, the three patch kinds,
# label and field selectors, paging, watch with resourceVersion and
# bookmarks, and pod logs — also on the PyTorchJob, Experiment and Workflow
# that `kf train|tune|pipeline run --target` created. The checks are in
# kube_python_client.py.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"
# Debian's python3 has the client; a python3 earlier in PATH (pyenv, a venv) may not.
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null ||
  die "python3-kubernetes is not installed (scripts/install-deps.sh installs it)"

start_kube_sim --crds "$CRDS" --controller-step-ms 100
cd "$WORK"
"$KF" init demo >/dev/null 2>&1
cd demo
sed -i "s|^      type: local$|      type: local\n    - name: sim\n      type: cluster\n      kubeconfig: $SIM_KUBECONFIG\n      namespace: default|" kf.yaml

run_kf train --target sim --wait --timeout 120
expect_eq "train --wait: exit code" 0 "$RC"
train=$OUT
run_kf tune --target sim --wait --timeout 120
expect_eq "tune --wait: exit code" 0 "$RC"
tune=$(head -n 1 <<<"$OUT")
run_kf pipeline run --target sim --wait --timeout 120
expect_eq "pipeline run --wait: exit code" 0 "$RC"
workflow=$OUT

set +e
/usr/bin/python3 "$KF_SOURCE_DIR/tests/e2e/kube_python_client.py" "$SIM_KUBECONFIG" "$train" "$tune" "$workflow" \
  >"$WORK/client.out" 2>&1
rc=$?
set -e
cat "$WORK/client.out"
expect_eq "python client checks: exit code" 0 "$rc"
expect_eq "python client checks: count" 33 "$(grep -c '^ok: ' "$WORK/client.out")"
finish
