#!/usr/bin/env bash
# The real kubectl against kube-sim: discovery, get, server-side apply of
# a ConfigMap, a CRD and a PyTorchJob, schema errors, field conflicts,
# pagination, watch (kubectl wait) and delete. This is how we know kube-sim
# speaks Kubernetes. Then each --faults kind, one at a time, as kubectl and
# curl see it (TLS and authentication: test_kube_sim_tls.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
DATA="$KF_SOURCE_DIR/tests/testdata/kube"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"

KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
if [ -z "$KUBECTL" ]; then
  echo "SKIP: no kubectl (looked for /usr/lib/google-cloud-sdk/bin/kubectl.1.32 and kubectl on PATH)"
  exit 77
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

# A Secret's stringData is stored base64-encoded under data, over a data key of the same name, and never shown.
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  user: b2xk\n  keep: a2VlcA==\nstringData:\n  user: admin\n  pass: "p@ss word"\n' >"$WORK/secret.yaml"
kc apply --server-side -f "$WORK/secret.yaml"
expect_eq "apply secret" "secret/creds serverside-applied" "$OUT"
kc get secret creds -o jsonpath='{.data.user} {.data.pass} {.data.keep} [{.stringData}]'
expect_eq "secret: stringData folded into data" "YWRtaW4= cEBzcyB3b3Jk a2VlcA== []" "$OUT"

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

# kube-apiserver's limits: bodies over 3 MiB get 413 RequestEntityTooLarge
# (kubectl, still sending, reads it), header bytes over 1 MiB get 431; a
# body announced past what is dropped is refused unread, and the connection
# closes. (kf-server's hostile client sends the raw requests.)
big_configmap() { python3 -c 'import json, sys; print(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": sys.argv[1]}, "data": {"a": "x" * int(sys.argv[2])}}))' "$@"; }
big_configmap big $((4 << 20)) >"$WORK/big.json"
kc create -f "$WORK/big.json"
expect_eq "4 MiB ConfigMap" "1 Error from server (RequestEntityTooLarge): error when creating \"$WORK/big.json\": Request entity too large: limit is 3145728" "$RC $ERR"
big_configmap fits $((2 << 20)) >"$WORK/fits.json"
kc create -f "$WORK/fits.json" -o name
expect_eq "2 MiB ConfigMap" "0 configmap/fits" "$RC $OUT"
raw() { python3 "$KF_SOURCE_DIR/tests/runtime/server/hostile_client.py" "${SIM_URL##*:}" raw "$WORK/$1.req" >"$WORK/$1.out"; }
{ printf 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n'
  head -c 5000 /dev/zero; } >"$WORK/gib.req"
raw gib
expect_eq "1 GiB announced: the answer" "HTTP/1.1 413 Payload Too Large|Connection: close|Request entity too large: limit is 3145728" \
  "$(grep -o '^HTTP/1.1 .*\|^Connection: close\|Request entity too large: limit is [0-9]*\|still open' "$WORK/gib.out" | paste -sd'|')"
{ printf 'GET /version HTTP/1.1\r\nHost: k\r\n'; for i in $(seq 140); do printf 'X-Filler-%d: %08000d\r\n' "$i" 0; done; printf '\r\n'; } >"$WORK/headers.req"
raw headers
expect_eq "1.1 MB of headers: the answer" "HTTP/1.1 431 Request Header Fields Too Large|Connection: close|request headers too large: limit is 1048576" \
  "$(grep -o '^HTTP/1.1 .*\|^Connection: close\|request headers too large: limit is [0-9]*\|still open' "$WORK/headers.out" | paste -sd'|')"
kc delete configmap fits
# 300 idle, half-sent and trickling (slowloris) connections: /healthz and kubectl still answered
# (a fixed pool of 64 threads answered neither until they let go).
python3 "$KF_SOURCE_DIR/tests/runtime/server/hostile_client.py" "${SIM_URL##*:}" hold 300 3 /healthz >"$WORK/hold.json"
expect_eq "300 held connections: health never failed" "0 True" \
  "$(json 'str(d["failed"]) + " " + str(d["answered"] > 0)' <"$WORK/hold.json")"
kc get namespace default -o name
expect_eq "after 300 held connections: kubectl" "0 namespace/default" "$RC $OUT"

# A watch delivers events while it is open (the stream is not held back by
# compression): new namespaces until kubectl prints one (readiness, up to a minute).
"$KUBECTL" --kubeconfig "$SIM_KUBECONFIG" --cache-dir "$CACHE" get namespaces -w --watch-only -o name >"$WORK/watch.out" 2>&1 &
WATCH=$!
for i in $(seq 1 300); do
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: watched-%s\n' "$i" >"$WORK/ns.yaml"
  kc apply --server-side -f "$WORK/ns.yaml"
  grep -q . "$WORK/watch.out" && break
  sleep 0.1
done
kill "$WATCH" 2>/dev/null || true
wait "$WATCH" 2>/dev/null || true
[[ $(head -1 "$WORK/watch.out") =~ ^namespace/watched-[0-9]+$ ]] || fail "watch: kubectl printed no event: $(head -3 "$WORK/watch.out")"

# Faults, one kind at a time with --fault-rate 1. /healthz never fails.
fault_sim() {
  stop_kube_sim
  start_kube_sim --fault-rate 1 "$@"
}
curl_api() { # curl_api PATH [CURL ARGS...]: sets OUT (body, then the HTTP code) and RC
  local path=$1
  shift
  set +e
  OUT=$(curl -sS -w ' %{http_code}' "$@" "$SIM_URL$path" 2>"$WORK/stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/stderr")
}
fault_sim --faults 429 --retry-after 7
curl_api /api/v1/namespaces -D "$WORK/headers"
expect_eq "429" '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server has received too many requests and has asked us to try again later","reason":"TooManyRequests","details":{"retryAfterSeconds":7},"code":429}
 429' "$OUT"
expect_eq "429: headers" "Retry-After: 7
X-Kube-Sim-Fault: 429" "$(grep -E '^(Retry-After|X-Kube-Sim-Fault):' "$WORK/headers" | tr -d '\r' | sort)"
curl_api /healthz
expect_eq "/healthz never fails" "ok 200" "$OUT"
fault_sim --faults 500
curl_api '/api/v1/namespaces?watch=true'
expect_eq "watches fail too" "500 InternalError" "${OUT##* } $(printf '%s' "${OUT% *}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reason"])')"
fault_sim --faults 503 --fault-paths '/configmaps$'
kc get configmaps
expect_eq "503 (kubectl)" "1 Error from server (ServiceUnavailable): the server is currently unable to handle the request" "$RC $ERR"
kc get namespaces -o name
expect_eq "--fault-paths: other paths work" "0 namespace/default" "$RC $(printf '%s\n' "$OUT" | head -1)"
fault_sim --faults reset
curl_api /api/v1/namespaces
expect_eq "reset: headers, then no body" "18 curl: (18) transfer closed with 64 bytes remaining to read" "$RC $ERR"
fault_sim --faults drop
curl_api /api/v1/namespaces
expect_eq "drop: no response at all" "52 curl: (52) Empty reply from server" "$RC $ERR"

# watch-break: only watches fail; one ends after 1-3 of its 5 events, without the last chunk.
fault_sim --faults watch-break
for n in 1 2; do
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml-%s\n' "$n" >"$WORK/ns.yaml"
  kc apply --server-side -f "$WORK/ns.yaml"
  expect_eq "watch-break: other requests work ($n)" "0 namespace/ml-$n serverside-applied" "$RC $OUT"
done
kc get --raw '/api/v1/namespaces?watch=true'
expect_eq "watch-break: kubectl's error" "1 error: unexpected EOF" "$RC $ERR"
EVENTS=$(printf '%s\n' "$OUT" | grep -c '"type":"ADDED"' || true)
[ "$EVENTS" -ge 1 ] && [ "$EVENTS" -le 3 ] || fail "watch-break: $EVENTS events before the break (want 1-3): $OUT"
curl_api '/api/v1/namespaces?watch=true'
expect_eq "watch-break: curl sees no last chunk" "18 curl: (18) transfer closed with outstanding read data remaining" "$RC $ERR"

# kf retries dropped connections.
stop_kube_sim
start_kube_sim --faults drop --fault-rate 0.5 --fault-seed 3
run_kf apply -f "$DATA/configmap.yaml" --kubeconfig "$SIM_KUBECONFIG"
expect_eq "kf under drop faults" "0 configmap/kf-cfg created" "$RC $OUT"

# Bad fault flags.
set +e
ERR=$("$KUBE_SIM" --faults 429,nope 2>&1)
RC=$?
set -e
expect_eq "unknown fault kind" "2 kube-sim: --faults: unknown kind \"nope\" (known: 429, 500, 503, reset, drop, slow, watch-break)" "$RC $ERR"
set +e
ERR=$("$KUBE_SIM" --faults 500 --fault-paths '(' 2>&1)
RC=$?
set -e
[[ $RC == 1 && $ERR == "kube-sim: --fault-paths (: not a regular expression ("* ]] || fail "bad --fault-paths: $RC $ERR"

finish
