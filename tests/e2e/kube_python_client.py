"""Debian's official Kubernetes Python client (python3-kubernetes) against
kube-sim: a second real client, beside kubectl, judges the simulator.

Usage: kube_python_client.py KUBECONFIG TRAIN_RUN TUNE_RUN WORKFLOW_RUN
(the runs kf created there with --target). Prints "ok: WHAT" per check and
"FAIL: WHAT: why" per failure; exits 1 if any check failed.
"""
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

kubeconfig, train_run, tune_run, workflow_run = sys.argv[1:5]
config.load_kube_config(config_file=kubeconfig)
v1 = client.CoreV1Api()
co = client.CustomObjectsApi()
failures = 0


def check(what, got, want):
    global failures
    if got == want:
        print("ok:", what)
    else:
        failures += 1
        print(f"FAIL: {what}: got {got!r}, want {want!r}")


def status_of(call):
    try:
        call()
    except ApiException as e:
        return e.status
    return 200


# --- discovery, with the trailing slashes this client sends (/version/, /apis/, /api/)
check("GET /version/", client.VersionApi().get_code().git_version.startswith("v1."), True)
groups = {g.name for g in client.ApisApi().get_api_versions().groups}
check("GET /apis/ lists Kubeflow's groups", {"kubeflow.org", "argoproj.io", "serving.kserve.io"} <= groups, True)
check("GET /api/", client.CoreApi().get_api_versions().versions, ["v1"])
check("GET /api/v1/ has configmaps", "configmaps" in {r.name for r in v1.get_api_resources().resources}, True)
crds = {c.metadata.name for c in client.ApiextensionsV1Api().list_custom_resource_definition().items}
check("CRDs", "pytorchjobs.kubeflow.org" in crds and "experiments.kubeflow.org" in crds, True)

# --- CRUD and conflicts
ns = "pyclient"
v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
meta = lambda name, **labels: client.V1ObjectMeta(name=name, labels=labels or None)
a = v1.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("a", app="x", tier="db"), data={"k": "v"}))
v1.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("b", app="y")))
check("create twice: 409", status_of(lambda: v1.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("a")))), 409)
check("read", v1.read_namespaced_config_map("a", ns).data, {"k": "v"})
stale = v1.read_namespaced_config_map("a", ns)
v1.replace_namespaced_config_map("a", ns, v1.read_namespaced_config_map("a", ns))
check("replace with a stale resourceVersion: 409", status_of(lambda: v1.replace_namespaced_config_map("a", ns, stale)), 409)

# --- patch kinds: strategic merge (a dict), JSON patch (a list), merge patch
check("strategic merge patch", v1.patch_namespaced_config_map("a", ns, {"data": {"k2": "v2"}}).data, {"k": "v", "k2": "v2"})
check("JSON patch", v1.patch_namespaced_config_map("a", ns, [{"op": "add", "path": "/data/k3", "value": "v3"},
                                                          {"op": "remove", "path": "/data/k"}]).data,
      {"k2": "v2", "k3": "v3"})
check("JSON patch whose test fails: 422", status_of(lambda: v1.patch_namespaced_config_map(
    "a", ns, [{"op": "test", "path": "/data/k2", "value": "other"}])), 422)
merged = client.ApiClient().call_api(
    f"/api/v1/namespaces/{ns}/configmaps/a", "PATCH", body={"data": {"k2": None}},
    header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
    response_type="V1ConfigMap", auth_settings=["BearerToken"], _return_http_data_only=True)
check("merge patch (null deletes)", merged.data, {"k3": "v3"})

# --- selectors and paging
names = lambda items: sorted(i.metadata.name for i in items)
check("labelSelector app=x", names(v1.list_namespaced_config_map(ns, label_selector="app=x").items), ["a"])
check("labelSelector set-based", names(v1.list_namespaced_config_map(ns, label_selector="app in (x,y),tier!=web").items), ["a", "b"])
check("labelSelector !tier", names(v1.list_namespaced_config_map(ns, label_selector="!tier").items), ["b"])
check("fieldSelector metadata.name", names(v1.list_namespaced_config_map(ns, field_selector="metadata.name=b").items), ["b"])
check("fieldSelector across namespaces", names(v1.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={ns}").items), ["a", "b"])
page = v1.list_namespaced_config_map(ns, limit=1)
rest = v1.list_namespaced_config_map(ns, limit=1, _continue=page.metadata._continue)
check("limit and continue", names(page.items + rest.items), ["a", "b"])

# --- watch from a resourceVersion, with bookmarks (watch=True is sent as "True")
rv = v1.list_namespaced_config_map(ns).metadata.resource_version


def later():
    time.sleep(0.3)
    v1.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("c")))
    v1.delete_namespaced_config_map("b", ns)


threading.Thread(target=later).start()
events = []
for ev in watch.Watch().stream(v1.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=20,
                               allow_watch_bookmarks=True):
    events.append((ev["type"], ev["raw_object"]["metadata"].get("name", "")))
    if ev["type"] == "BOOKMARK":
        break
check("watch: events after the resourceVersion, then a bookmark", events, [("ADDED", "c"), ("DELETED", "b"), ("BOOKMARK", "")])
check("delete", status_of(lambda: v1.delete_namespaced_config_map("a", ns)), 200)
check("read deleted: 404", status_of(lambda: v1.read_namespaced_config_map("a", ns)), 404)

# --- the objects kf created with --target
job = co.get_namespaced_custom_object("kubeflow.org", "v1", "default", "pytorchjobs", train_run)
check("kf train's PyTorchJob succeeded", job["status"]["conditions"][-1]["type"], "Succeeded")
check("its status subresource", co.get_namespaced_custom_object_status(
    "kubeflow.org", "v1", "default", "pytorchjobs", train_run)["status"]["conditions"][-1]["type"], "Succeeded")
pods = v1.list_namespaced_pod("default", label_selector=f"training.kubeflow.org/job-name={train_run}").items
check("its pods by label", sorted(p.metadata.name for p in pods), [f"{train_run}-master-0", f"{train_run}-worker-0"])
log = v1.read_namespaced_pod_log(f"{train_run}-master-0", "default")
check("pod log has the trainer's epochs", "epoch=" in log, True)
check("pod log tailLines=1", v1.read_namespaced_pod_log(f"{train_run}-master-0", "default", tail_lines=1).count("\n"), 1)
labelled = co.patch_namespaced_custom_object("kubeflow.org", "v1", "default", "pytorchjobs", train_run,
                                             {"metadata": {"labels": {"reviewed": "yes"}}})
check("merge patch of a custom object", labelled["metadata"]["labels"]["reviewed"], "yes")
found = co.list_namespaced_custom_object("kubeflow.org", "v1", "default", "pytorchjobs", label_selector="reviewed=yes")
check("custom objects by label", [i["metadata"]["name"] for i in found["items"]], [train_run])
exp = co.get_namespaced_custom_object("kubeflow.org", "v1beta1", "default", "experiments", tune_run)
check("kf tune's Experiment succeeded", exp["status"]["conditions"][-1]["type"], "Succeeded")
trials = co.list_namespaced_custom_object("kubeflow.org", "v1beta1", "default", "trials",
                                          label_selector=f"katib.kubeflow.org/experiment={tune_run}")
check("its trials by label", len(trials["items"]) >= 1, True)
wf = co.get_namespaced_custom_object("argoproj.io", "v1alpha1", "default", "workflows", workflow_run)
check("kf pipeline run's Workflow succeeded", wf["status"]["phase"], "Succeeded")
seen = [e["type"] for e in watch.Watch().stream(co.list_namespaced_custom_object, "argoproj.io", "v1alpha1", "default",
                                                "workflows", timeout_seconds=1)]
check("watch of custom objects starts with ADDED", seen[:1], ["ADDED"])
check("delete a custom object", status_of(lambda: co.delete_namespaced_custom_object(
    "kubeflow.org", "v1", "default", "pytorchjobs", train_run)), 200)

sys.exit(1 if failures else 0)
