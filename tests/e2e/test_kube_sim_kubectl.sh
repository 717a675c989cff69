#!/usr/bin/env bash
# The real kubectl against kube-sim: discovery, get, server-side apply of
# a ConfigMap, a CRD and a PyTorchJob, schema errors, field conflicts,
# pagination, watch (kubectl wait) and delete. This is how we know kube-sim
# speaks Kubernetes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
DATA="$KF_SOURCE_DIR/tests/testdata/kube"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/../shared/upstream/crds}"

KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
if [ -z "$KUBECTL" ]; then
  echo "SKIP: no kubectl (looked for /usr/lib/google-cloud-sdk/bin/kubectl.1.32 and kubectl on PATH)"
  exit 0
fi

start_kube_sim --establish-delay-ms 100
CACHE=$(mktemp -d -p "$WORK")
kc() {
  set +e
  OUT=$("$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" --cache-dir "$CACHE" "$@" 2>"$WORK/stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/stderr")
}

# Discovery and built-in objects.
kc get ns -o name
expect_eq "get ns" "namespace/default
namespace/kube-public
namespace/kube-system" "$OUT"
kc api-resources --no-headers
expect_eq "api-resources: exit code" 0 "$RC"
for want in "configmaps *cm *v1 *true *ConfigMap" "deployments *deploy *apps/v1 *true *Deployment" \
            "customresourcedefinitions *crd,crds *apiextensions.k8s.io/v1 *false"; do
  printf '%s\n' "$OUT" | grep -Eq "^$want" || fail "api-resources lacks: $want"
done
kc version -o json
expect_eq "version" '"v1.32.0-kube-sim"' "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["serverVersion"]["gitVersion"]))')"

# Server-side apply of a ConfigMap, then reading it back.
kc apply --server-side -f "$DATA/configmap.yaml"
expect_eq "apply configmap" "configmap/kf-cfg serverside-applied" "$OUT"
kc get configmap kf-cfg -o jsonpath='{.data.lr} {.metadata.managedFields[0].manager} {.metadata.managedFields[0].operation}'
expect_eq "configmap data and owner" "0.01 kubectl Apply" "$OUT"
kc get configmaps -l app=kf -o name
expect_eq "label selector" "configmap/kf-cfg" "$OUT"

# A field conflict with another manager, then taking it over with --force-conflicts.
sed 's/"0.01"/"0.1"/' "$DATA/configmap.yaml" >"$WORK/cm2.yaml"
kc apply --server-side --field-manager other -f "$WORK/cm2.yaml"
expect_eq "conflict: exit code" 1 "$RC"
printf '%s\n' "$ERR" | grep -q 'conflict with "kubectl": .data.lr' || fail "conflict message: $ERR"
kc apply --server-side --field-manager other --force-conflicts -f "$WORK/cm2.yaml"
expect_eq "force-conflicts" "configmap/kf-cfg serverside-applied" "$OUT"
kc get configmap kf-cfg -o jsonpath='{.data.lr}'
expect_eq "forced value" "0.1" "$OUT"

# Pagination: kubectl follows `continue` with --chunk-size.
for n in 1 2 3; do
  sed "s/kf-cfg/page-$n/" "$DATA/configmap.yaml" >"$WORK/page.yaml"
  kc apply --server-side -f "$WORK/page.yaml"
done
kc get configmaps --chunk-size=1 -o name
expect_eq "chunked list" "configmap/kf-cfg
configmap/page-1
configmap/page-2
configmap/page-3" "$OUT"

# A CRD through the API: Established after a delay (kubectl wait watches it), then its resources.
kc apply --server-side -f "$CRDS/kubeflow.org_pytorchjobs.yaml"
expect_eq "apply CRD" "customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org serverside-applied" "$OUT"
kc wait --for condition=established --timeout=60s crd/pytorchjobs.kubeflow.org
expect_eq "wait established" "customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org condition met" "$OUT"
kc apply --server-side -f "$DATA/pytorchjob.yaml"
expect_eq "apply pytorchjob" "pytorchjob.kubeflow.org/mnist serverside-applied" "$OUT"
kc get pytorchjobs -o name
expect_eq "get pytorchjobs" "pytorchjob.kubeflow.org/mnist" "$OUT"

# The CRD's schema is enforced.
kc apply --server-side -f "$DATA/pytorchjob-invalid.yaml"
expect_eq "invalid: exit code" 1 "$RC"
expect_eq "invalid: message" 'The PyTorchJob "mnist" is invalid: spec.pytorchReplicaSpecs.Master.replicas: Invalid value: "string": must be of type integer' "$ERR"

# Unknown paths and objects are 404 Status objects.
kc get --raw /apis/nope.example.com/v1/things
expect_eq "unknown path: exit code" 1 "$RC"
printf '%s\n' "$ERR" | grep -q 'the server could not find the requested resource' || fail "unknown path message: $ERR"

# Delete.
kc delete -f "$DATA/pytorchjob.yaml"
expect_eq "delete pytorchjob" 'pytorchjob.kubeflow.org "mnist" deleted' "$OUT"
kc get pytorchjob mnist
expect_eq "deleted: message" 'Error from server (NotFound): pytorchjobs.kubeflow.org "mnist" not found' "$ERR"
kc delete configmap kf-cfg
expect_eq "delete configmap" 'configmap "kf-cfg" deleted' "$OUT"

finish
