// libkf/platform/objects.cpp and record.cpp: ordering, labels, pruning selection.
#include <doctest/doctest.h>

#include "libkf/kube/fake_client.h"
#include "libkf/platform/objects.h"
#include "libkf/platform/record.h"

using namespace kf;

namespace {

platform::Manifest obj(const std::string& api_version, const std::string& kind, const std::string& name,
                       const std::string& ns = "") {
  Json o = {{"apiVersion", api_version}, {"kind", kind}, {"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  return {o, "test", "c"};
}

std::vector<std::string> names(const std::vector<platform::Manifest>& tier) {
  std::vector<std::string> out;
  for (const auto& m : tier) out.push_back(m.object["kind"].get<std::string>() + "/" + m.object["metadata"]["name"].get<std::string>());
  return out;
}

Json labelled(platform::Manifest m, const std::string& applied_by) {
  platform::set_labels(m.object, applied_by, m.component);
  return m.object;
}

} // namespace

TEST_CASE("apply order: namespaces, CRDs, built-in kinds in helm's order, custom resources, webhooks last") {
  const auto tiers = platform::apply_order({
      obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "hook"),
      obj("kubeflow.org/v1", "PyTorchJob", "job", "ml"),
      obj("apps/v1", "Deployment", "ctrl", "ml"),
      obj("v1", "ConfigMap", "cfg", "ml"),
      obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "pytorchjobs.kubeflow.org"),
      obj("v1", "ServiceAccount", "sa", "ml"),
      obj("rbac.authorization.k8s.io/v1", "ClusterRole", "role"),
      obj("v1", "Namespace", "ml"),
      obj("v1", "Service", "svc", "ml"),
  });
  REQUIRE(tiers.size() == platform::k_tiers);
  CHECK(names(tiers[0]) == std::vector<std::string>{"Namespace/ml"});
  CHECK(names(tiers[1]) == std::vector<std::string>{"CustomResourceDefinition/pytorchjobs.kubeflow.org"});
  CHECK(names(tiers[2]) ==
        std::vector<std::string>{"ServiceAccount/sa", "ConfigMap/cfg", "ClusterRole/role", "Service/svc", "Deployment/ctrl"});
  CHECK(names(tiers[3]) == std::vector<std::string>{"PyTorchJob/job"});
  CHECK(names(tiers[4]) == std::vector<std::string>{"ValidatingWebhookConfiguration/hook"});
}

TEST_CASE("apply order: an object given twice is applied once, as given last") {
  auto first = obj("v1", "ConfigMap", "cfg", "ml");
  first.object["data"] = {{"a", "1"}};
  auto second = obj("v1", "ConfigMap", "cfg", "ml");
  second.object["data"] = {{"a", "2"}};
  const auto tiers = platform::apply_order({first, obj("v1", "ConfigMap", "other", "ml"), second});
  REQUIRE(tiers[2].size() == 2);
  CHECK(tiers[2][0].object["metadata"]["name"] == "other");
  CHECK(tiers[2][1].object["data"]["a"] == "2");
}

TEST_CASE("delete order: custom resources first, then built-in kinds in reverse, CRDs, namespaces last") {
  std::vector<Json> objects;
  for (const auto& m : {obj("v1", "Namespace", "ml"), obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "x.y"),
                        obj("v1", "ServiceAccount", "sa", "ml"), obj("apps/v1", "Deployment", "d", "ml"),
                        obj("y/v1", "X", "x", "ml"), obj("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "h")})
    objects.push_back(m.object);
  std::vector<std::string> kinds;
  for (const auto& o : platform::delete_order(objects)) kinds.push_back(o["kind"]);
  CHECK(kinds == std::vector<std::string>{"MutatingWebhookConfiguration", "X", "Deployment", "ServiceAccount",
                                          "CustomResourceDefinition", "Namespace"});
}

TEST_CASE("labels: kf's three labels join the object's own") {
  auto m = obj("v1", "ConfigMap", "cfg", "ml");
  m.object["metadata"]["labels"] = {{"app", "x"}};
  platform::set_labels(m.object, "mnist", "katib");
  CHECK(m.object["metadata"]["labels"] ==
        Json{{"app", "x"}, {"app.kubernetes.io/managed-by", "kf"}, {"kf.dev/applied-by", "mnist"}, {"kf.dev/component", "katib"}});
  CHECK(platform::has_kf_labels(m.object, "mnist"));
  CHECK_FALSE(platform::has_kf_labels(m.object, "other"));
  CHECK(platform::label_selector("mnist") == "app.kubernetes.io/managed-by=kf,kf.dev/applied-by=mnist");
  CHECK(platform::display_kind(m.object) == "configmap");
  CHECK(platform::display_kind(obj("apps/v1", "Deployment", "d").object) == "deployment.apps");
  CHECK(platform::identity(obj("apps/v1beta1", "Deployment", "d", "ml").object) == "apps/Deployment/ml/d");
}

TEST_CASE("prune selection: only kf's objects for this name that were not rendered again") {
  const Json kept = labelled(obj("v1", "ConfigMap", "kept", "ml"), "mnist");
  const Json stale = labelled(obj("v1", "ConfigMap", "stale", "ml"), "mnist");
  const Json other_project = labelled(obj("v1", "ConfigMap", "theirs", "ml"), "other");
  Json foreign = obj("v1", "ConfigMap", "foreign", "ml").object; // a server that ignored the label selector
  foreign["metadata"]["labels"] = {{"kf.dev/applied-by", "mnist"}};
  const auto selected =
      platform::prune_selection({kept, stale, other_project, foreign}, {platform::identity(kept)}, "mnist");
  REQUIRE(selected.size() == 1);
  CHECK(selected[0]["metadata"]["name"] == "stale");
}

TEST_CASE("record: the kinds kf applied accumulate in kube-system/kf-applied-NAME") {
  kube::FakeClient client;
  CHECK(platform::read_record(client, "mnist").empty());
  platform::write_record(client, "mnist", {"v1/ConfigMap", "apps/v1/Deployment"}, "kf");
  const auto all = platform::write_record(client, "mnist", {"v1/ConfigMap", "kubeflow.org/v1/PyTorchJob"}, "kf");
  CHECK(all == std::vector<std::string>{"apps/v1/Deployment", "kubeflow.org/v1/PyTorchJob", "v1/ConfigMap"});
  CHECK(platform::read_record(client, "mnist") == all);
  const auto cm = client.get(kube::ObjectRef{"v1", "ConfigMap", "kube-system", "kf-applied-mnist"});
  REQUIRE(cm);
  CHECK((*cm)["metadata"]["labels"]["kf.dev/record-of"] == "mnist");
  CHECK_FALSE(platform::has_kf_labels(*cm, "mnist")); // never selected for pruning
  platform::delete_record(client, "mnist");
  CHECK(platform::read_record(client, "mnist").empty());
}
