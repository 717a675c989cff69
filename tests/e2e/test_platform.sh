#!/usr/bin/env bash
# kf apply of kf.yaml's platform against kube-sim: three fixture components
# (tests/testdata/platform: two kustomizations, one plain YAML) served from
# a local git repository tagged v1. A client dry run needs no cluster; the
# first apply creates, the second reports no changes; with 20% of requests
# failing (429/500/503/resets) a fresh kube-sim ends with the same objects;
# --wait; --prune after a component leaves kf.yaml deletes exactly its
# objects; kf delete --platform leaves nothing labelled by kf. Errors pinned.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
export XDG_CACHE_HOME="$WORK/cache"

KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
[ -n "$KUBECTL" ] || { echo "SKIP: kubectl renders the fixtures' kustomizations and is not installed"; exit 77; }

# The fixtures as a git repository with a tag (and a later commit the tag does not have).
REPO="$WORK/repo"
cp -r "$KF_SOURCE_DIR/tests/testdata/platform" "$REPO"
git -C "$REPO" init -q -b main
git -C "$REPO" add -A
git -C "$REPO" -c user.name=kf -c user.email=kf@localhost commit -qm fixtures
git -C "$REPO" tag v1
echo "# after v1" >>"$REPO/README.md"
git -C "$REPO" -c user.name=kf -c user.email=kf@localhost commit -qam later
URL="file://$REPO"

PROJ="$WORK/proj"
mkdir -p "$PROJ"
write_spec() { # write_spec COMPONENT... (each NAME or NAME:VERSION)
  {
    printf 'apiVersion: kf.dev/v1alpha1\nkind: Project\nmetadata:\n  name: demo\nspec:\n  platform:\n'
    printf '    source: %s#v1\n    components:\n' "$URL"
    for c in "$@"; do
      printf '      - name: %s\n' "${c%%:*}"
      [ "${c#*:}" = "$c" ] || printf '        version: %s\n' "${c#*:}"
    done
  } >"$PROJ/kf.yaml"
}
write_spec training-operator katib notebooks
kfp() { run_kf -C "$PROJ" "$@"; }

# What kf.yaml installs, one line per object (the order kf applies them in).
ALL="namespace/kf-training
namespace/kf-katib
namespace/kf-notebooks
customresourcedefinition.apiextensions.k8s.io/trainjobs.training.fixtures.kf.dev
customresourcedefinition.apiextensions.k8s.io/suggestions.katib.fixtures.kf.dev
customresourcedefinition.apiextensions.k8s.io/notebooks.notebooks.fixtures.kf.dev
serviceaccount/training-operator
serviceaccount/katib-controller
serviceaccount/notebook-controller
configmap/training-operator-config-b7h5k2t47f
configmap/training-operator-defaults
configmap/katib-config
configmap/notebook-controller-config
service/training-operator
deployment.apps/training-operator
deployment.apps/katib-controller
deployment.apps/notebook-controller
suggestion.katib.fixtures.kf.dev/default-random"
with() { printf '%s\n' "$ALL" | sed "s/\$/ $1/"; }

# 1. A client dry run: rendered, ordered and labelled, without any cluster.
KUBECONFIG=$WORK/none kfp apply --dry-run=client -o yaml
expect_eq "client dry run: exit code" 0 "$RC"
expect_eq "client dry run: objects" "$(with "")" "$(printf '%s\n' "$OUT" | python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    l = d["metadata"]["labels"]
    assert l["app.kubernetes.io/managed-by"] == "kf" and l["kf.dev/applied-by"] == "demo", l
    assert l["kf.dev/component"] in ("training-operator", "katib", "notebooks"), l
    g = d["apiVersion"].split("/")[0] if "/" in d["apiVersion"] else ""
    print(d["kind"].lower() + ("." + g if g else "") + "/" + d["metadata"]["name"] + " ")')"
KUBECONFIG=$WORK/none kfp apply --dry-run=client
expect_eq "client dry run: text" "$(with "(client dry run)")" "$OUT"

# 2. Install, then again: no changes.
start_kube_sim
KC=$SIM_KUBECONFIG
URL1=$SIM_URL
kfp apply --kubeconfig "$KC"
expect_eq "first apply: exit code" 0 "$RC"
expect_eq "first apply" "$(with created)" "$OUT"
expect_eq "first apply: summary" "18 created" "$ERR"
kfp apply --kubeconfig "$KC" -o json
expect_eq "second apply: exit code" 0 "$RC"
expect_eq "second apply: summary" "no changes (18 objects unchanged)" "$ERR"
snapshot() { # the objects kf printed with -o json, without what the server assigns
  python3 -c '
import json, sys
for o in json.load(sys.stdin)["items"]:
    m = o["metadata"]
    keep = {k: o[k] for k in o if k not in ("metadata", "status")}
    print(json.dumps([o["kind"], m.get("namespace", ""), m["name"], m.get("labels"), keep], sort_keys=True))' | sort
}
SNAP=$(printf '%s' "$OUT" | snapshot)
kc() { # kc KUBECONFIG [KINDS]: the objects labelled app.kubernetes.io/managed-by=kf
  "$KUBECTL" --kubeconfig "$1" --cache-dir "$WORK/kubectl-cache" get "${2:-ns,crd,sa,cm,svc,deploy,suggestions.katib.fixtures.kf.dev}" \
    -A -l app.kubernetes.io/managed-by=kf -o name
}
LISTED=$(kc "$KC")
expect_eq "kubectl sees kf's objects (and its record)" 19 "$(printf '%s\n' "$LISTED" | wc -l)"
printf '%s\n' "$LISTED" | grep -qx configmap/kf-applied-demo || fail "no record kube-system/kf-applied-demo"

# 3. --wait: every Deployment Available (kube-sim's Deployment controller).
kfp apply --kubeconfig "$KC" --wait --timeout 60s
expect_eq "--wait: exit code" 0 "$RC"
expect_eq "--wait: last progress line" "waiting: 3/3 deployments available" "$(printf '%s\n' "$ERR" | grep '^waiting:' | tail -1)"

# 4. Faults on a fresh kube-sim: 20% of requests fail; same objects, then no changes.
start_kube_sim --fault-rate 0.2 --faults 429,500,503,reset --retry-after 0 --fault-seed 11
FAULTY=$SIM_KUBECONFIG
kfp apply --kubeconfig "$FAULTY"
expect_eq "faults: first apply" "$(with created)" "$OUT"
expect_eq "faults: first apply: exit code" 0 "$RC"
kfp apply --kubeconfig "$FAULTY" -o json
expect_eq "faults: second apply" "no changes (18 objects unchanged)" "$ERR"
expect_eq "faults: the same object set" "$SNAP" "$(printf '%s' "$OUT" | snapshot)"
kfp apply --kubeconfig "$FAULTY" --prune --dry-run=server
expect_eq "faults: nothing else carries kf's labels" "no changes (18 objects unchanged) (server dry run)" "$ERR"

# 5. --prune after notebooks leaves kf.yaml: exactly its objects, in delete order.
write_spec training-operator katib
kfp apply --kubeconfig "$KC" --prune
expect_eq "prune: exit code" 0 "$RC"
expect_eq "prune" "deployment.apps/notebook-controller pruned
configmap/notebook-controller-config pruned
serviceaccount/notebook-controller pruned
customresourcedefinition.apiextensions.k8s.io/notebooks.notebooks.fixtures.kf.dev pruned
namespace/kf-notebooks pruned" "$(printf '%s\n' "$OUT" | grep -v ' unchanged$')"
expect_eq "prune: summary" "13 unchanged, 5 pruned" "$ERR"
expect_eq "prune: what is left" 14 "$(kc "$KC" | wc -l)"

# 6. kf delete --platform: custom resources first, namespaces last; nothing of kf's is left.
kfp delete --platform --kubeconfig "$KC"
expect_eq "delete: exit code" 0 "$RC"
expect_eq "delete: first and last" "suggestion.katib.fixtures.kf.dev/default-random deleted
namespace/kf-training deleted" "$(printf '%s\n' "$OUT" | sed -n '1p;$p')"
expect_eq "delete: count" 13 "$(printf '%s\n' "$OUT" | wc -l)"
expect_eq "delete: nothing labelled by kf is left" "" "$(kc "$KC" ns,crd,sa,cm,svc,deploy)"
kfp delete --platform --kubeconfig "$KC"
expect_eq "delete again" "kf has applied nothing for project demo to $URL1" "$ERR"

# 7. Errors, with pinned messages.
write_spec training-operator katbi
kfp apply --dry-run=client
expect_eq "unknown component: exit code" 2 "$RC"
expect_eq "unknown component" "kf.yaml:10:15: spec.platform.components[1].name: unknown component \"katbi\" (did you mean 'katib'?); known: cert-manager, training-operator, katib, kserve, argo-workflows, pipelines, notebooks" "$ERR"
write_spec katib:v9
kfp apply --dry-run=client
expect_eq "missing ref" "error: cannot check out v9 of $URL: no such branch, tag or commit" "$ERR"
write_spec training-operator
TREE="$XDG_CACHE_HOME/kf/sources/$(basename "$WORK")-repo-$(printf '%s' "$URL" | sha256sum | cut -c1-12)/trees/$(git -C "$REPO" rev-parse 'v1^{commit}')"
set +e
ERR=$(PATH=/nonexistent "$KF" -C "$PROJ" apply --dry-run=client 2>&1 >/dev/null)
RC=$?
set -e
expect_eq "no kustomize: exit code" 1 "$RC"
expect_eq "no kustomize" "error: component training-operator: $TREE/training-operator is a kustomization, and neither 'kustomize' nor 'kubectl' is on PATH: install one of them (kf runs 'kustomize build' or 'kubectl kustomize')" "$ERR"
echo "resources: [missing.yaml]" >"$WORK/kustomization.yaml"
mkdir -p "$WORK/local/training-operator" && mv "$WORK/kustomization.yaml" "$WORK/local/training-operator/"
sed -i "s|source: .*|source: $WORK/local|" "$PROJ/kf.yaml"
kfp apply --dry-run=client
expect_eq "kustomize fails: exit code" 1 "$RC"
printf '%s\n' "$ERR" | head -1 | grep -q "^error: component training-operator: kubectl kustomize $WORK/local/training-operator failed (exit status 1):$" ||
  fail "kustomize's failure is reported with its stderr: $ERR"
printf '%s\n' "$ERR" | grep -q "missing.yaml" || fail "kustomize's stderr is shown: $ERR"
kfp apply --dry-run=client --prune
expect_eq "prune needs a cluster" "error: --prune needs the cluster's objects: use it with --dry-run=server, not client" "$ERR"
run_kf -C "$WORK" apply
expect_eq "no kf.yaml" "error: kf apply without -f installs the platform of kf.yaml, and there is no kf.yaml in $WORK or any parent directory (kf init creates one; kf apply -f FILE applies manifests)" "$ERR"

finish
