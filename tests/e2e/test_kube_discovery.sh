#!/usr/bin/env bash
# kf's Kubernetes client keeps discovery on disk (RestOptions::cache_dir),
# like kubectl's ~/.kube/cache/discovery: a kind the file lacks (a CRD just
# installed) asks the server again and rewrites it; later processes answer
# from the file even with the server gone; the files hold no credentials.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
: "${KUBE_PROBE:?set KUBE_PROBE to the kube-probe binary}"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"
SECRET=kf-secret-token-0815

start_kube_sim --token "$SECRET" --establish-delay-ms 50
KC=$SIM_KUBECONFIG
CACHE=$WORK/cache
FILE="$CACHE/$(printf '%s' "${SIM_URL#http://}" | tr ':' '_')/kubeflow.org/v1/serverresources.json"

resource() { # resource KIND: kube-probe's answer, with the disk cache
  set +e
  OUT=$("$KUBE_PROBE" --kubeconfig "$KC" --cache-dir "$CACHE" resource kubeflow.org/v1 "$1" 2>"$WORK/stderr")
  RC=$?
  set -e
}

run_kf apply -f "$CRDS/kubeflow.org_tfjobs.yaml" --kubeconfig "$KC"
expect_eq "TFJob CRD" "customresourcedefinition.apiextensions.k8s.io/tfjobs.kubeflow.org created" "$OUT"
resource TFJob
expect_eq "first lookup" "tfjobs namespaced" "$OUT"
[ -f "$FILE" ] || fail "no discovery cache file $FILE"
expect_eq "the file" '{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"kubeflow.org/v1","resources":[{"name":"tfjobs","kind":"TFJob","namespaced":true}]}' \
  "$(cat "$FILE")"

# A CRD installed after the file was written: the miss asks the server again.
run_kf apply -f "$CRDS/kubeflow.org_pytorchjobs.yaml" --kubeconfig "$KC"
resource PyTorchJob
expect_eq "a new kind" "pytorchjobs namespaced" "$OUT"
grep -q '"kind":"PyTorchJob"' "$FILE" || fail "the file was not rewritten: $(cat "$FILE")"
resource Nope
expect_eq "an unknown kind: exit code" 3 "$RC"
expect_eq "an unknown kind" "none" "$OUT"

# With the server gone, both kinds still come from the file.
stop_kube_sim
resource TFJob
expect_eq "server gone: from the file" "tfjobs namespaced" "$OUT$(cat "$WORK/stderr")"
resource PyTorchJob
expect_eq "server gone: the new kind too" "pytorchjobs namespaced" "$OUT$(cat "$WORK/stderr")"

if grep -rq "$SECRET" "$CACHE"; then fail "the token is in the discovery cache"; fi
finish
