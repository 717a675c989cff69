#!/usr/bin/env python3
"""The objects of test_apply_kill.sh, and what a cluster must hold after it.

  apply_campaign.py gen DIR a|b      writes DIR/all.yaml: 300 objects
  apply_campaign.py check URL a|b    prints what kube-sim at URL holds, as JSON

Set a: a Namespace, a CRD, 100 ConfigMaps, 50 Secrets, 50 Services,
48 Deployments and 50 custom resources of the CRD, all at revision "a".
Set b (applied with --prune over a): 20 ConfigMaps and 8 Deployments
fewer, 28 new ConfigMaps, everything else at revision "b".

check lists every kind kf applied under "manifests" by kf's labels and
compares with the set: "missing" (expected, absent), "extra" (labelled, not
expected: a leftover or a duplicate), "strangers" (labelled and in neither
set, or listed twice), "stale" (present with the other revision),
"unrecorded" (a labelled object whose kind the kf-applied record does not
list: prune could never find it), "recorded" (the record's kinds) and
"count".
"""
import base64
import json
import os
import sys
import urllib.parse
import urllib.request

NS = "camp"
KINDS = [  # (apiVersion, kind, list path)
    ("v1", "Namespace", "/api/v1/namespaces"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"),
    ("v1", "ConfigMap", f"/api/v1/namespaces/{NS}/configmaps"),
    ("v1", "Secret", f"/api/v1/namespaces/{NS}/secrets"),
    ("v1", "Service", f"/api/v1/namespaces/{NS}/services"),
    ("apps/v1", "Deployment", f"/apis/apps/v1/namespaces/{NS}/deployments"),
    ("camp.kf.dev/v1", "Widget", f"/apis/camp.kf.dev/v1/namespaces/{NS}/widgets"),
]


def objects(phase):
    rev = phase
    crd_schema = {"openAPIV3Schema": {"type": "object", "properties": {"spec": {
        "type": "object", "properties": {"size": {"type": "integer"}, "rev": {"type": "string"}}}}}}
    out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
           {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.camp.kf.dev"},
            "spec": {"group": "camp.kf.dev", "scope": "Namespaced",
                     "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": crd_schema}]}}]
    meta = lambda name: {"name": name, "namespace": NS}
    for i in range(100) if phase == "a" else [*range(80), *range(100, 128)]:
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(f"cfg-{i}"), "data": {"rev": rev}})
    for i in range(50):
        out.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta(f"sec-{i}"), "stringData": {"rev": rev}})
    for i in range(50):
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(f"svc-{i}"),
                    "spec": {"selector": {"app": f"app-{i}"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    for i in range(48 if phase == "a" else 40):
        labels = {"app": f"app-{i}"}
        out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(f"app-{i}"),
                    "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": "app", "image": "registry.example/app:" + rev}]}}}})
    for i in range(50):
        out.append({"apiVersion": "camp.kf.dev/v1", "kind": "Widget", "metadata": meta(f"w-{i}"),
                    "spec": {"size": i, "rev": rev}})
    return out


def revision(obj):
    kind = obj["kind"]
    if kind in ("ConfigMap", "Secret"):
        data = obj.get("data", {})
        value = data.get("rev", "")
        return base64.b64decode(value).decode() if kind == "Secret" and value else value
    if kind == "Deployment":
        return obj["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]
    if kind == "Widget":
        return obj["spec"].get("rev")
    return None


def get(url, path, query=None):
    full = url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    try:
        with urllib.request.urlopen(full, timeout=30) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def check(url, phase):
    expected = {(o["kind"], o["metadata"]["name"]) for o in objects(phase)}
    known = {(o["kind"], o["metadata"]["name"]) for o in objects("a") + objects("b")}
    record = get(url, "/api/v1/namespaces/kube-system/configmaps/kf-applied-manifests")
    recorded = set((record or {}).get("data", {}).get("kinds", "").split())
    found, stale, unrecorded = [], [], []
    for api_version, kind, path in KINDS:
        listed = get(url, path, {"labelSelector": "kf.dev/applied-by=manifests"})
        for obj in (listed or {}).get("items", []):
            key = (kind, obj["metadata"]["name"])
            found.append(key)
            if f"{api_version}/{kind}" not in recorded:
                unrecorded.append("/".join(key))
            rev = revision({**obj, "kind": kind})
            if rev is not None and rev != phase and key in expected:
                stale.append("/".join(key))
    present = set(found)
    print(json.dumps({
        "count": len(found),
        "missing": sorted("/".join(k) for k in expected - present),
        "extra": sorted("/".join(k) for k in present - expected),
        "strangers": sorted("/".join(k) for k in present - known) + sorted(
            "/".join(k) + " (twice)" for k in present if found.count(k) > 1),
        "stale": sorted(stale),
        "unrecorded": sorted(unrecorded),
        "recorded": sorted(recorded),
    }))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("gen", "check") or sys.argv[3] not in ("a", "b"):
        sys.exit(__doc__)
    if sys.argv[1] == "gen":
        os.makedirs(sys.argv[2], exist_ok=True)
        with open(os.path.join(sys.argv[2], "all.yaml"), "w") as f:
            for obj in reversed(objects(sys.argv[3])):  # custom resources first, the CRD last: kf orders
                f.write("---\n" + json.dumps(obj) + "\n")
    else:
        check(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
