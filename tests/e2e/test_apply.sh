#!/usr/bin/env bash
# kf apply -f against kube-sim: CRDs and namespaces first (whatever the file
# order), waiting until the CRD is Established; idempotent re-runs; server
# dry runs; schema errors, field conflicts and kubeconfig errors with
# pinned messages; and the same result under injected faults.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
DATA="$KF_SOURCE_DIR/tests/testdata/kube"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/../shared/upstream/crds}"

# The manifests, in an order kubectl apply would fail on: the job before its CRD.
M="$WORK/manifests"
mkdir -p "$M"
cp "$DATA/pytorchjob.yaml" "$M/a-job.yaml"
cp "$DATA/configmap.yaml" "$M/b-configmap.yaml"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n' >"$M/c-namespace.yaml"
cp "$CRDS/kubeflow.org_pytorchjobs.yaml" "$M/z-crd.yaml"

start_kube_sim --token kf-test-token --establish-delay-ms 100
KC=$SIM_KUBECONFIG

run_kf apply -f "$M" --kubeconfig "$KC"
expect_eq "first apply: exit code" 0 "$RC"
expect_eq "first apply" "namespace/ml created
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org created
pytorchjob.kubeflow.org/mnist created
configmap/kf-cfg created" "$OUT"

run_kf apply -f "$M" --kubeconfig "$KC"
expect_eq "second apply" "namespace/ml unchanged
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org unchanged
pytorchjob.kubeflow.org/mnist unchanged
configmap/kf-cfg unchanged" "$OUT"

# A change: a server dry run reports it and stores nothing; then applying it.
sed 's/"0.01"/"0.02"/' "$DATA/configmap.yaml" >"$WORK/cm.yaml"
run_kf apply -f "$WORK/cm.yaml" --kubeconfig "$KC" --dry-run=server
expect_eq "dry run" "configmap/kf-cfg configured (server dry run)" "$OUT"
run_kf apply -f - --kubeconfig "$KC" -o json <"$DATA/configmap.yaml"
expect_eq "dry run stored nothing" '"0.01"' "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]["lr"]))')"
run_kf apply -f "$WORK/cm.yaml" --kubeconfig "$KC" -o yaml
expect_eq "-o yaml: exit code" 0 "$RC"
printf '%s\n' "$OUT" | grep -q '^  lr: "0.02"$' || fail "-o yaml shows the stored object: $OUT"

# -n: objects without a namespace go there.
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$KC" -n ml -o json
expect_eq "-n ml" "ml" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["namespace"])')"

# Errors, with pinned messages.
run_kf apply -f "$DATA/pytorchjob-invalid.yaml" --kubeconfig "$KC"
expect_eq "invalid: exit code" 1 "$RC"
expect_eq "invalid: message" "error: $DATA/pytorchjob-invalid.yaml:1:1: PyTorchJob \"mnist\" is invalid: spec.pytorchReplicaSpecs.Master.replicas: Invalid value: \"string\": must be of type integer" "$ERR"
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$KC" --field-manager other
expect_eq "conflict: exit code" 1 "$RC"
expect_eq "conflict: message" "error: $DATA/configmap.yaml:1:1: Apply failed with 1 conflict: conflict with \"kf\": .data.lr (--force-conflicts takes these fields over)" "$ERR"
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$KC" --field-manager other --force-conflicts
expect_eq "force-conflicts" "configmap/kf-cfg configured" "$OUT"
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$KC" --context nope
expect_eq "unknown context" "error: context \"nope\" not found in kubeconfig $KC" "$ERR"
sed 's/kf-test-token/wrong-token/' "$KC" >"$WORK/wrong.yaml"
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$WORK/wrong.yaml"
expect_eq "wrong token: exit code" 1 "$RC"
expect_eq "wrong token: message" "error: $SIM_URL refused kf's credentials (Unauthorized); check the user of the kubeconfig context" "$ERR"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' >"$WORK/noname.yaml"
run_kf apply -f "$WORK/noname.yaml" --kubeconfig "$KC"
expect_eq "no name" "$WORK/noname.yaml:1:1: ConfigMap without metadata.name" "$ERR"
run_kf apply --kubeconfig "$KC"
expect_eq "no -f: exit code" 2 "$RC"
expect_eq "no -f: message" "error: kf apply needs -f FILE, DIR or - (installing kf.yaml's platform components comes later)" "$ERR"

# Faults: 30% of requests fail (429 with Retry-After: 0, 500, 503, dropped
# connections); the same manifests give the same objects, then "unchanged".
stop_kube_sim
start_kube_sim --fault-rate 0.3 --retry-after 0 --fault-seed 7 --establish-delay-ms 100
run_kf apply -f "$M" --kubeconfig "$SIM_KUBECONFIG"
expect_eq "faults: first apply" "namespace/ml created
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org created
pytorchjob.kubeflow.org/mnist created
configmap/kf-cfg created" "$OUT$ERR"
run_kf apply -f "$M" --kubeconfig "$SIM_KUBECONFIG"
expect_eq "faults: second apply" "namespace/ml unchanged
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org unchanged
pytorchjob.kubeflow.org/mnist unchanged
configmap/kf-cfg unchanged" "$OUT$ERR"

finish
