#!/usr/bin/env bash
# kube-sim over TLS with every kubeconfig auth method: first the real kubectl
# judges it (client certificates, a token, basic auth, a CA that did not sign
# the server, insecure-skip-tls-verify), then kf's libcurl client uses it with
# the fixtures in testdata/kube/auth/: client certificate data and files,
# token, tokenFile, basic auth, an exec credential plugin (run once per kf
# invocation while its credential is valid), and pinned errors for a wrong CA
# and a wrong token (which never shows the token). No credential reaches
# kube-sim's --log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
DATA="$KF_SOURCE_DIR/tests/testdata/kube"
AUTH="$DATA/auth"

KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)

# kube-sim accepts its client certificate, the tokens in $WORK/tokens and kf:kf-secret.
PKI="$WORK/pki"
printf 'kf-token-1\nkf-token-2\nkf-exec-token\n' >"$WORK/tokens"
start_kube_sim --tls --tls-dir "$PKI" --token-file "$WORK/tokens" --basic kf:kf-secret --log
[[ $SIM_URL =~ ^https://127\.0\.0\.1:[0-9]+$ ]] || fail "server URL: $SIM_URL"
for f in ca.crt server.crt server.key client.crt client.key; do
  [ -s "$PKI/$f" ] || fail "--tls-dir lacks $f"
done
expect_eq "client certificate subject" "subject=O = system:masters, CN = kube-sim-admin" \
  "$(openssl x509 -in "$PKI/client.crt" -noout -subject)"
expect_eq "server certificate names" "IP Address:127.0.0.1, DNS:localhost" \
  "$(openssl x509 -in "$PKI/server.crt" -noout -ext subjectAltName | sed -n 2p | sed 's/^ *//')"
expect_eq "server certificate chains to the CA" "$PKI/server.crt: OK" "$(openssl verify -CAfile "$PKI/ca.crt" "$PKI/server.crt")"
grep -q '^    certificate-authority-data: ' "$SIM_KUBECONFIG" || fail "kubeconfig lacks certificate-authority-data"
grep -q '^    client-key-data: ' "$SIM_KUBECONFIG" || fail "kubeconfig lacks client-key-data"

# The fixtures, filled in beside the --tls-dir files (their relative paths point there).
cp "$AUTH/exec-credential.sh" "$PKI/"
echo kf-token-2 >"$PKI/user-token"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-ca \
  -keyout "$PKI/other-ca.key" -out "$PKI/other-ca.crt" 2>/dev/null
COUNTER="$WORK/exec-runs"
for f in "$AUTH"/*.yaml; do
  sed -e "s|@SERVER@|$SIM_URL|" -e "s|@CA_DATA@|$(base64 -w0 "$PKI/ca.crt")|" \
      -e "s|@CERT_DATA@|$(base64 -w0 "$PKI/client.crt")|" -e "s|@KEY_DATA@|$(base64 -w0 "$PKI/client.key")|" \
      -e "s|@COUNTER@|$COUNTER|" "$f" >"$PKI/$(basename "$f")"
done
sed 's/kf-token-1/kf-wrong-token/' "$PKI/token.yaml" >"$PKI/wrong-token.yaml"
sed '/^users:/,$d' "$PKI/token.yaml" >"$PKI/no-user.yaml"

sed -e 's/client\.crt/other-ca.crt/' -e 's/client\.key/other-ca.key/' "$PKI/client-cert-files.yaml" >"$PKI/foreign-cert.yaml"

# Without credentials: 401 with a Status body.
expect_eq "no credentials: 401" '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}
 401' "$(curl -sS --cacert "$PKI/ca.crt" -w ' %{http_code}' "$SIM_URL/api/v1/namespaces")"

if [ -n "$KUBECTL" ]; then
  CACHE=$(mktemp -d -p "$WORK")
  kc() { # kc KUBECONFIG ARGS...
    local config=$1
    shift
    set +e
    OUT=$("$KUBECTL" --kubeconfig "$config" --cache-dir "$CACHE" "$@" 2>"$WORK/stderr")
    RC=$?
    set -e
    ERR=$(cat "$WORK/stderr")
  }
  kc "$PKI/client-cert-data.yaml" apply --server-side -f "$DATA/configmap.yaml"
  expect_eq "kubectl, client certificate: apply" "configmap/kf-cfg serverside-applied" "$OUT$ERR"
  kc "$PKI/client-cert-files.yaml" get configmap kf-cfg -o jsonpath='{.data.lr}'
  expect_eq "kubectl, client certificate files: get" "0.01" "$OUT$ERR"
  kc "$PKI/token.yaml" get configmaps -o name
  expect_eq "kubectl, token: get" "configmap/kf-cfg" "$OUT$ERR"
  kc "$PKI/basic.yaml" get configmaps -o name
  expect_eq "kubectl, basic auth: get" "configmap/kf-cfg" "$OUT$ERR"
  kc "$SIM_KUBECONFIG" delete configmap kf-cfg
  expect_eq "kubectl, kube-sim's kubeconfig: delete" 'configmap "kf-cfg" deleted' "$OUT$ERR"
  kc "$PKI/wrong-ca.yaml" get configmaps
  expect_eq "kubectl, wrong CA" "1 Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority" "$RC $ERR"
  sed -e '/certificate-authority:/d' -e 's/^    server: .*/&\n    insecure-skip-tls-verify: true/' "$PKI/wrong-ca.yaml" >"$PKI/wrong-ca-insecure.yaml"
  kc "$PKI/wrong-ca-insecure.yaml" get namespaces -o name
  expect_eq "kubectl, insecure-skip-tls-verify" "namespace/default
namespace/kube-public
namespace/kube-system" "$OUT$ERR"
  kc "$PKI/wrong-token.yaml" get configmaps
  expect_eq "kubectl, wrong token" "1 error: You must be logged in to the server (Unauthorized)" "$RC $ERR"
  kc "$PKI/foreign-cert.yaml" get configmaps
  # In TLS 1.3 the client's handshake is over before the server has checked its
  # certificate, so kubectl (Go) sees the server's alert, or, when its request
  # was already on the way, the closed connection: either way it is refused.
  last=${ERR##*$'\n'}
  case "$RC $last" in
    "1 Unable to connect to the server: remote error: tls: unknown certificate authority" | \
      "1 Unable to connect to the server: write tcp "*": write: broken pipe" | \
      "1 Unable to connect to the server: read tcp "*": read: connection reset by peer") ;;
    *) expect_eq "kubectl, client certificate from another CA" \
      "1 Unable to connect to the server: remote error: tls: unknown certificate authority" "$RC $last" ;;
  esac
else
  echo "no kubectl (looked for /usr/lib/google-cloud-sdk/bin/kubectl.1.32 and kubectl on PATH): its checks are skipped"
fi

# kf apply with each kubeconfig: three objects, so several requests each.
M="$WORK/manifests"
mkdir -p "$M"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n' >"$M/a-namespace.yaml"
cp "$DATA/configmap.yaml" "$M/b-configmap.yaml"
sed 's/kf-cfg/kf-cfg-2/' "$DATA/configmap.yaml" >"$M/c-configmap.yaml"
run_kf apply -f "$M" --kubeconfig "$PKI/client-cert-data.yaml"
expect_eq "kf, client certificate data" "0 namespace/ml created
configmap/kf-cfg created
configmap/kf-cfg-2 created" "$RC $OUT"
for f in client-cert-files token token-file basic exec insecure; do
  run_kf apply -f "$M" --kubeconfig "$PKI/$f.yaml"
  expect_eq "kf, $f" "0 namespace/ml unchanged
configmap/kf-cfg unchanged
configmap/kf-cfg-2 unchanged" "$RC $OUT"
  [ "$RC" = 0 ] || echo "    stderr: $ERR" >&2
done

# The exec plugin ran once for all of that kf invocation's requests (its
# credential is valid for an hour); an expired credential is not reused; a
# client certificate from the plugin works too.
expect_eq "exec plugin: runs" "token" "$(cat "$COUNTER")"
sed 's/args: \[token\]/args: [expired]/' "$PKI/exec.yaml" >"$PKI/exec-expired.yaml"
run_kf apply -f "$M" --kubeconfig "$PKI/exec-expired.yaml"
expect_eq "exec plugin, expired: exit code" 0 "$RC"
[ "$(grep -c expired "$COUNTER")" -ge 2 ] || fail "an expired exec credential was reused: $(grep -c expired "$COUNTER") run(s)"
sed 's/args: \[token\]/args: [cert]/' "$PKI/exec.yaml" >"$PKI/exec-cert.yaml"
run_kf apply -f "$M" --kubeconfig "$PKI/exec-cert.yaml"
expect_eq "exec plugin, client certificate" "0 1" "$RC $(grep -c cert "$COUNTER")"

# Errors, with pinned messages. A wrong CA: kf retries it like a network
# failure, then names the server and curl's reason.
run_kf apply -f "$M" --kubeconfig "$PKI/wrong-ca.yaml"
expect_eq "kf, wrong CA" "1 error: cannot reach $SIM_URL: SSL certificate problem: unable to get local issuer certificate" "$RC $ERR"
run_kf apply -f "$M" --kubeconfig "$PKI/wrong-token.yaml"
expect_eq "kf, wrong token" "1 error: $SIM_URL refused kf's credentials (Unauthorized); check the user of the kubeconfig context" "$RC $ERR"
case "$OUT$ERR" in *kf-wrong-token*) fail "kf printed the token" ;; esac
run_kf apply -f "$M" --kubeconfig "$PKI/no-user.yaml"
expect_eq "kf, no credentials" "1 error: $SIM_URL refused kf's credentials (Unauthorized); check the user of the kubeconfig context" "$RC $ERR"

# --token-file is re-read on every request: a token taken out stops working, put back works again.
printf 'kf-token-2\nkf-exec-token\n' >"$WORK/tokens.new" && mv "$WORK/tokens.new" "$WORK/tokens"
run_kf apply -f "$M" --kubeconfig "$PKI/token.yaml"
expect_eq "rotated out" "1 error: $SIM_URL refused kf's credentials (Unauthorized); check the user of the kubeconfig context" "$RC $ERR"
run_kf apply -f "$M" --kubeconfig "$PKI/token-file.yaml"
expect_eq "the other token still works" 0 "$RC"
printf 'kf-token-1\n' >>"$WORK/tokens"
run_kf apply -f "$M" --kubeconfig "$PKI/token.yaml"
expect_eq "rotated back in" 0 "$RC"

# The log says who was authenticated, never with what.
LOG="$WORK/kube-sim.log"
for who in "(x509:kube-sim-admin)" "(token)" "(basic:kf)" "(unauthenticated)"; do
  grep -qF -- "$who" "$LOG" || fail "--log never shows $who"
done
for secret in kf-token-1 kf-token-2 kf-exec-token kf-wrong-token kf-secret "$(printf kf:kf-secret | base64)" Bearer Basic; do
  if grep -qF -- "$secret" "$LOG"; then fail "--log shows a credential: $secret"; fi
done

finish
