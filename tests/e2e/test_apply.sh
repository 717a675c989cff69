#!/usr/bin/env bash
# kf apply -f against kube-sim: CRDs and namespaces first (whatever the file
# order), waiting until the CRD is Established, custom resources after the
# built-in kinds; kf's labels; idempotent re-runs; server dry runs; --prune
# and kf delete -f; schema errors, field conflicts and kubeconfig errors with
# pinned messages; and the same result under injected faults.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
DATA="$KF_SOURCE_DIR/tests/testdata/kube"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"

# The manifests, in an order kubectl apply would fail on: the job before its CRD.
M="$WORK/manifests"
mkdir -p "$M"
cp "$DATA/pytorchjob.yaml" "$M/a-job.yaml"
cp "$DATA/configmap.yaml" "$M/b-configmap.yaml"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n' >"$M/c-namespace.yaml"
cp "$CRDS/kubeflow.org_pytorchjobs.yaml" "$M/z-crd.yaml"

start_kube_sim --token kf-test-token --establish-delay-ms 100
KC=$SIM_KUBECONFIG

CREATED="namespace/ml created
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org created
configmap/kf-cfg created
pytorchjob.kubeflow.org/mnist created"
UNCHANGED="namespace/ml unchanged
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org unchanged
configmap/kf-cfg unchanged
pytorchjob.kubeflow.org/mnist unchanged"

run_kf apply -f "$M" --kubeconfig "$KC"
expect_eq "first apply: exit code" 0 "$RC"
expect_eq "first apply" "$CREATED" "$OUT"
expect_eq "first apply: summary" "4 created" "$ERR"

run_kf apply -f "$M" --kubeconfig "$KC" -o json
expect_eq "second apply" "no changes (4 objects unchanged)" "$ERR"
expect_eq "kf's labels" '{"app.kubernetes.io/managed-by": "kf", "kf.dev/applied-by": "manifests", "kf.dev/component": "manifests"}' \
  "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["items"][3]["metadata"]["labels"]))')"
run_kf apply -f "$M" --kubeconfig "$KC" --concurrency 1
expect_eq "second apply, one request at a time" "$UNCHANGED" "$OUT"

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
run_kf -C "$WORK" apply --kubeconfig "$KC"
expect_eq "no -f, no kf.yaml: exit code" 2 "$RC"
expect_eq "no -f, no kf.yaml: message" "error: kf apply without -f installs the platform of kf.yaml, and there is no kf.yaml in $WORK or any parent directory (kf init creates one; kf apply -f FILE applies manifests)" "$ERR"
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$KC" --timeout 5x
expect_eq "bad --timeout" "error: --timeout 5x: expected a duration such as 90s, 5m or 1h" "$ERR"

# --prune: what kf applied with -f before and is not in these manifests goes: the job, the
# ConfigMap applied with -n ml, the CRD and the namespace (a server dry run: nothing is deleted).
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$KC" --prune --dry-run=server
expect_eq "prune: dry run" "configmap/kf-cfg unchanged (server dry run)
pytorchjob.kubeflow.org/mnist pruned (server dry run)
configmap/kf-cfg pruned (server dry run)
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org pruned (server dry run)
namespace/ml pruned (server dry run)" "$OUT"

# kf delete -f: the objects kf applied, custom resources before their CRD, namespaces last.
run_kf delete -f "$M" --kubeconfig "$KC"
expect_eq "delete -f: exit code" 0 "$RC"
expect_eq "delete -f" "pytorchjob.kubeflow.org/mnist deleted
configmap/kf-cfg deleted
customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org deleted
namespace/ml deleted" "$OUT"
run_kf delete -f "$M" --kubeconfig "$KC"
expect_eq "delete -f again" "nothing to delete" "$ERR"
run_kf delete -f "$M" mnist-train-1
expect_eq "delete: runs and -f" "error: kf delete: give RUN names, or -f / --platform, not both" "$ERR"
run_kf delete
expect_eq "delete: nothing named" "error: kf delete needs RUN names, -f FILE|DIR|- or --platform" "$ERR"

# Faults: 30% of requests fail (429 with Retry-After: 0, 500, 503, dropped
# connections); the same manifests give the same objects, then "unchanged".
stop_kube_sim
start_kube_sim --fault-rate 0.3 --retry-after 0 --fault-seed 7 --establish-delay-ms 100
run_kf apply -f "$M" --kubeconfig "$SIM_KUBECONFIG"
expect_eq "faults: first apply" "$CREATED" "$OUT"
expect_eq "faults: first apply: summary" "4 created" "$ERR"
run_kf apply -f "$M" --kubeconfig "$SIM_KUBECONFIG"
expect_eq "faults: second apply" "$UNCHANGED" "$OUT"
expect_eq "faults: second apply: summary" "no changes (4 objects unchanged)" "$ERR"

finish
