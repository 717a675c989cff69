#!/usr/bin/env bash
# kf apply -f vs kubectl apply --server-side: 500 objects (a Namespace, a CRD,
# 148 ConfigMaps, 100 Services, 100 Deployments, 150 custom resources of the
# CRD) against kube-sim, at 0 ms and 10 ms of added latency per request.
#
#   first apply:  a fresh kube-sim before every run (hyperfine --prepare).
#     kf:      kf apply -f objects/            (orders it itself: CRD, waits, the rest)
#     kf -c1:  the same, one request at a time (--concurrency 1)
#     kubectl: what kubectl needs for the same result without its CRD race:
#              apply --server-side the Namespace and CRD, kubectl wait for
#              condition=established, apply --server-side the rest
#   no changes:   the same objects again, on a kube-sim each tool filled once.
#
# Usage: bench/apply.sh [BUILD_DIR]   (default: build/ci; needs cli/kf and tests/kube-sim/kube-sim)
# Environment: RUNS (default 5), LATENCIES (default "0 10"), KUBECTL (default kubectl.1.32 of google-cloud-sdk).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/ci}" && pwd)
kf=$build/cli/kf
sim=$build/tests/kube-sim/kube-sim
runs=${RUNS:-5}
kubectl=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.32}
[ -x "$kubectl" ] || kubectl=$(command -v kubectl)
command -v hyperfine >/dev/null || { echo "hyperfine is missing: bash scripts/install-deps.sh" >&2; exit 1; }
[ -x "$kf" ] && [ -x "$sim" ] || { echo "build kf and kube-sim first (cmake --build --preset ci --target kf kube-sim)" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work NO_COLOR=1

# The objects: objects/all.yaml for kf (CRD last: kf orders), pre.yaml + rest.yaml for kubectl.
mkdir -p "$work/objects" "$work/kubectl"
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}
crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "widgets.bench.kf.dev"},
       "spec": {"group": "bench.kf.dev", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                    "type": "object", "properties": {"spec": {"type": "object", "properties": {
                        "size": {"type": "integer"}, "color": {"type": "string"}}}}}}}]}}
rest = []
for i in range(148):
    rest.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cfg-{i}", "namespace": "bench"},
                 "data": {"index": str(i), "payload": "x" * 200}})
for i in range(100):
    rest.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}", "namespace": "bench"},
                 "spec": {"selector": {"app": f"app-{i}"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
for i in range(100):
    labels = {"app": f"app-{i}"}
    rest.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app-{i}", "namespace": "bench"},
                 "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                          "spec": {"containers": [{"name": "app", "image": "registry.example/app:1", "ports": [{"containerPort": 8080}]}]}}}})
for i in range(150):
    rest.append({"apiVersion": "bench.kf.dev/v1", "kind": "Widget", "metadata": {"name": f"widget-{i}", "namespace": "bench"},
                 "spec": {"size": i, "color": "blue"}})
docs = lambda objs: "".join("---\n" + json.dumps(o) + "\n" for o in objs)
assert len(rest) + 2 == 500
open(f"{w}/objects/all.yaml", "w").write(docs(rest + [ns, crd]))
open(f"{w}/kubectl/pre.yaml", "w").write(docs([ns, crd]))
open(f"{w}/kubectl/rest.yaml", "w").write(docs(rest))
PY

# fresh-sim.sh NAME LATENCY: (re)starts kube-sim NAME; its kubeconfig is $work/NAME.kubeconfig.
cat >"$work/fresh-sim.sh" <<EOF
#!/usr/bin/env bash
set -e
name=\$1
[ -f "$work/\$name.pid" ] && { kill "\$(cat "$work/\$name.pid")" 2>/dev/null || true; sleep 0.05; }
rm -f "$work/\$name.kubeconfig"
"$sim" --port 0 --latency-ms "\$2" --no-controllers --kubeconfig-out "$work/\$name.kubeconfig" >/dev/null 2>&1 &
echo \$! >"$work/\$name.pid"
for i in \$(seq 1 400); do [ -f "$work/\$name.kubeconfig" ] && exit 0; sleep 0.025; done
echo "kube-sim did not start" >&2; exit 1
EOF
cat >"$work/kubectl-apply.sh" <<EOF
#!/usr/bin/env bash
set -e
k() { "$kubectl" --kubeconfig "$work/\$1.kubeconfig" --cache-dir "$work/kubectl-cache-\$1" "\${@:2}" >/dev/null; }
k \$1 apply --server-side -f "$work/kubectl/pre.yaml"
k \$1 wait --for condition=established --timeout 60s crd/widgets.bench.kf.dev
k \$1 apply --server-side -f "$work/kubectl/rest.yaml"
EOF
chmod +x "$work/fresh-sim.sh" "$work/kubectl-apply.sh"

summary() { # summary JSON: every command against the first (kf)
  python3 - "$1" "$work/" "$kf" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
name = lambda x: x["command"].replace(sys.argv[3], "kf").replace(sys.argv[2], "")
for x in r:
    print(f"  {name(x):70s} {x['mean']*1000:8.0f} ms ± {x['stddev']*1000:5.0f} (median {x['median']*1000:.0f})")
for x in r[1:]:
    print(f"  {name(x)[:40]:40s} / kf: {x['mean']/r[0]['mean']:.2f}x (medians {x['median']/r[0]['median']:.2f}x)")
PY
}

echo "kf: $kf ($("$kf" version)); kubectl: $kubectl; $runs runs; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for lat in ${LATENCIES:-0 10}; do
  echo "== first apply of 500 objects, fresh kube-sim each run, latency ${lat} ms"
  hyperfine -N --runs "$runs" --prepare "$work/fresh-sim.sh first $lat" --export-json "$work/first-$lat.json" \
    "$kf apply -f $work/objects --kubeconfig $work/first.kubeconfig" \
    "$kf apply -f $work/objects --kubeconfig $work/first.kubeconfig --concurrency 1" \
    "$work/kubectl-apply.sh first" >/dev/null
  summary "$work/first-$lat.json"

  echo "== no changes: the same 500 objects again, latency ${lat} ms"
  "$work/fresh-sim.sh" kfsim "$lat" && "$kf" apply -f "$work/objects" --kubeconfig "$work/kfsim.kubeconfig" >/dev/null 2>&1
  "$work/fresh-sim.sh" kcsim "$lat" && "$work/kubectl-apply.sh" kcsim
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/again-$lat.json" \
    "$kf apply -f $work/objects --kubeconfig $work/kfsim.kubeconfig" \
    "$work/kubectl-apply.sh kcsim" >/dev/null
  summary "$work/again-$lat.json"
done
