#!/usr/bin/env bash
# kf's Kubernetes client (libkf/kube) against kube-sim, driven by
# kube-probe: list with label and field selectors, server-side apply to the
# status subresource, and a kubeconfig proxy-url that requests go through.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
: "${KUBE_PROBE:?set KUBE_PROBE to the kube-probe binary}"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"

mkdir -p "$WORK/crds"
cp "$CRDS/kubeflow.org_pytorchjobs.yaml" "$WORK/crds/"
start_kube_sim --no-controllers --crds "$WORK/crds"
KC=$SIM_KUBECONFIG

# probe ARGS...: kube-probe, capturing OUT, ERR and RC.
probe() {
  set +e
  OUT=$("$KUBE_PROBE" --kubeconfig "$KC" "$@" 2>"$WORK/stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/stderr")
}
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1"; }

# Selectors.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: kf}}\n---\n' >"$WORK/cms.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, labels: {app: db}}\n' >>"$WORK/cms.yaml"
run_kf apply -f "$WORK/cms.yaml" --kubeconfig "$KC"
probe list v1 ConfigMap -n default --field-selector metadata.name=b
expect_eq "field selector" "b" "$(cut -d' ' -f1 <<<"$OUT")"
probe list v1 ConfigMap -n default -l 'app in (kf,x)'
expect_eq "label selector" "a" "$(cut -d' ' -f1 <<<"$OUT")"
probe list v1 ConfigMap -n default --field-selector metadata.name
expect_eq "bad field selector: exit code" 1 "$RC"
expect_eq "bad field selector" "kube-probe: error: invalid field selector: metadata.name" "$ERR"

# The status subresource: only .status is applied there.
sed 's/^  name: mnist$/  name: mnist\n  namespace: default/' "$KF_SOURCE_DIR/tests/testdata/kube/pytorchjob.yaml" >"$WORK/job.yaml"
probe apply "$WORK/job.yaml"
expect_eq "job: exit code" 0 "$RC"
cat >"$WORK/status.yaml" <<'EOF'
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: mnist, namespace: default}
status:
  conditions:
  - {type: Created, status: "True", reason: PyTorchJobCreated}
EOF
probe apply "$WORK/status.yaml" --subresource status --field-manager kf-test-operator
expect_eq "status: exit code" 0 "$RC"
expect_eq "status stored" "Created" "$(field status.conditions.0.type <<<"$OUT")"
expect_eq "spec kept" "kf-trainer:v1" "$(field spec.pytorchReplicaSpecs.Master.template.spec.containers.0.image <<<"$OUT")"
probe apply "$WORK/status.yaml" --subresource scale
expect_eq "unknown subresource: exit code" 1 "$RC"
expect_eq "unknown subresource" "kube-probe: error: the server could not find the requested resource" "$ERR"

# proxy-url: every request goes through the proxy (a small forwarding one here).
cat >"$WORK/proxy.py" <<'EOF'
import http.client, http.server, sys, urllib.parse
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)  # absolute-form: the proxy's request line
        upstream = http.client.HTTPConnection(url.hostname, url.port)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "proxy-connection")}
        upstream.request("GET", url.path + ("?" + url.query if url.query else ""), headers=headers)
        r = upstream.getresponse()
        data = r.read()
        self.send_response(r.status)
        self.send_header("Content-Type", r.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(sys.argv[2], "a") as log:
            log.write("GET " + self.path + "\n")
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
EOF
python3 "$WORK/proxy.py" "$WORK/proxy.port" "$WORK/proxy.log" &
SIM_PIDS+=("$!") # stopped with the kube-sims at exit
for i in $(seq 1 1200); do [ -f "$WORK/proxy.port" ] && break; sleep 0.05; done # readiness
sed "s|^    server: .*|&\n    proxy-url: http://127.0.0.1:$(cat "$WORK/proxy.port")|" "$SIM_KUBECONFIG" >"$WORK/proxied.yaml"
KC=$WORK/proxied.yaml
probe list v1 ConfigMap -n default --field-selector metadata.name=a
expect_eq "through the proxy" "a" "$(cut -d' ' -f1 <<<"$OUT")$ERR"
grep -qx "GET $SIM_URL/api/v1/namespaces/default/configmaps?limit=500&fieldSelector=metadata.name%3Da" "$WORK/proxy.log" ||
  fail "the proxy did not see the list: $(cat "$WORK/proxy.log" 2>/dev/null)"
sed "s|^    server: .*|&\n    proxy-url: http://127.0.0.1:9|" "$SIM_KUBECONFIG" >"$WORK/noproxy.yaml"
KC=$WORK/noproxy.yaml
probe --max-retries 0 list v1 ConfigMap -n default
expect_eq "proxy down: exit code" 1 "$RC"
expect_eq "proxy down" "kube-probe: error: cannot reach $SIM_URL: Failed to connect to 127.0.0.1 port 9 after N ms: Couldn't connect to server (1 attempts)" \
  "$(sed 's/after [0-9]* ms/after N ms/' <<<"$ERR")"

finish
