#!/bin/sh
# A client.authentication.k8s.io/v1 credential plugin for
# tests/e2e/test_kube_sim_tls.sh. Appends a line to $KF_EXEC_COUNTER on every
# run, then prints an ExecCredential:
#   exec-credential.sh token     token kf-exec-token, valid for an hour
#   exec-credential.sh expired   the same token, expired an hour ago
#   exec-credential.sh cert      client.crt and client.key (beside this script), valid for an hour
set -eu
echo "$1" >>"${KF_EXEC_COUNTER:?}"
dir=$(dirname "$0")
case "$1" in
  expired) when=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ) ;;
  *) when=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ) ;;
esac
json_text() { awk '{ printf "%s\\n", $0 }' "$1"; }
case "$1" in
  cert) status="\"clientCertificateData\":\"$(json_text "$dir/client.crt")\",\"clientKeyData\":\"$(json_text "$dir/client.key")\"" ;;
  *) status='"token":"kf-exec-token"' ;;
esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{%s,"expirationTimestamp":"%s"}}\n' "$status" "$when"
