#include <doctest/doctest.h>

#include <atomic>

#include "libkf/action/apply.h"
#include "libkf/kube/fake_client.h"
#include "libkf/util/error.h"
#include "libkf/platform/record.h"

using namespace kf;

namespace {
const char* k_manifests = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1"}
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: job, namespace: ml}
spec: {}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: pytorchjobs.kubeflow.org}
spec:
  group: kubeflow.org
  names: {kind: PyTorchJob, plural: pytorchjobs}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: v1
kind: Namespace
metadata: {name: ml}
)";
} // namespace

TEST_CASE("apply: namespaces, then CRDs, then the rest - a second run is unchanged") {
  kube::FakeClient client;
  action::NullReporter reporter;
  action::ApplyOptions opts;
  opts.files = {"-"};
  opts.stdin_text = k_manifests;
  auto r = action::apply(action::Context{reporter}, opts, client);
  REQUIRE(r.objects.size() == 4);
  CHECK(r.objects[0].display == "namespace/ml");
  CHECK(r.objects[1].display == "customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org");
  CHECK(r.objects[2].display == "configmap/cfg");
  CHECK(r.objects[2].namespace_ == "default");
  CHECK(r.objects[3].display == "pytorchjob.kubeflow.org/job");
  for (const auto& o : r.objects) CHECK(o.change == "created");
  r = action::apply(action::Context{reporter}, opts, client);
  for (const auto& o : r.objects) CHECK(o.change == "unchanged");
}

TEST_CASE("apply: errors") {
  kube::FakeClient client;
  action::NullReporter reporter;
  action::ApplyOptions opts;
  CHECK_THROWS_WITH_AS(action::apply(action::Context{reporter}, opts, client), "kf apply -f needs FILE, DIR or -",
                       UsageError);
  opts.files = {"-"};
  opts.stdin_text = "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\n";
  CHECK_THROWS_WITH_AS(action::apply(action::Context{reporter}, opts, client),
                       "<stdin>:1:1: Thing \"t\": the server fake:// does not serve kind \"Thing\" in version "
                       "\"example.com/v1\" (is its CRD installed?)",
                       Error);
  opts.stdin_text = "just: text\n";
  CHECK_THROWS_WITH_AS(action::apply(action::Context{reporter}, opts, client),
                       "<stdin>:1:1: not a Kubernetes object (apiVersion and kind are required)", SpecError);
}

// fuzz_manifests found these reaching nlohmann's type_error ("internal error").
TEST_CASE("kf apply -f: apiVersion, kind and metadata of the wrong type are errors at their place") {
  const std::pair<const char*, const char*> cases[] = {
      {"apiVersion: 5\nkind: ConfigMap\nmetadata: {name: a}\n",
       "<stdin>:1:13: apiVersion: must be a non-empty string (such as v1 or apps/v1), not 5"},
      {"apiVersion: v1\nkind: [a]\nmetadata: {name: a}\n",
       "<stdin>:2:7: kind: must be a non-empty string (such as ConfigMap), not [\"a\"]"},
      {"apiVersion: v1\nkind: \"\"\nmetadata: {name: a}\n",
       "<stdin>:2:7: kind: must be a non-empty string (such as ConfigMap), not \"\""},
      {"apiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n", "<stdin>:3:11: metadata: must be an object, not [\"a\"]"},
      {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {a: 1}}\n",
       "<stdin>:3:18: metadata.name: must be a string, not {\"a\":1}"},
      {"apiVersion: v1\nkind: List\nitems:\n- 5\n", "<stdin>:4:3: not a Kubernetes object (apiVersion and kind are required)"},
      {"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: 3}\n",
       "<stdin>:6:34: metadata.namespace: must be a string, not 3"},
  };
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    std::vector<platform::Manifest> out;
    CHECK_THROWS_WITH_AS(platform::parse_manifests(text, "<stdin>", "manifests", out), message, SpecError);
  }
}

namespace {

action::ApplyOptions stdin_options(const std::string& text) {
  action::ApplyOptions opts;
  opts.files = {"-"};
  opts.stdin_text = text;
  return opts;
}

std::vector<std::string> displays(const std::vector<action::AppliedObject>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o.display + " " + o.change);
  return out;
}

} // namespace

TEST_CASE("apply: every object carries kf's labels, and its kind is recorded") {
  kube::FakeClient client;
  action::NullReporter reporter;
  action::apply(action::Context{reporter}, stdin_options(k_manifests), client);
  const auto cm = client.get(kube::ObjectRef{"v1", "ConfigMap", "default", "cfg"});
  REQUIRE(cm);
  CHECK((*cm)["metadata"]["labels"] == Json{{"app.kubernetes.io/managed-by", "kf"},
                                            {"kf.dev/applied-by", "manifests"},
                                            {"kf.dev/component", "manifests"}});
  CHECK(platform::read_record(client, "manifests") ==
        std::vector<std::string>{"apiextensions.k8s.io/v1/CustomResourceDefinition", "kubeflow.org/v1/PyTorchJob",
                                 "v1/ConfigMap", "v1/Namespace"});
}

TEST_CASE("apply: the result is in apply order whatever the concurrency") {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-" + std::to_string(i) + "}\n";
  text += "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n";
  for (int concurrency : {1, 16}) {
    kube::FakeClient client;
    action::NullReporter reporter;
    auto opts = stdin_options(text);
    opts.concurrency = concurrency;
    const auto r = action::apply(action::Context{reporter}, opts, client);
    REQUIRE(r.objects.size() == 41);
    CHECK(r.objects[0].display == "serviceaccount/sa");
    for (int i = 0; i < 40; ++i) CHECK(r.objects[static_cast<std::size_t>(i) + 1].display == "configmap/cm-" + std::to_string(i));
    // Again: the 40 ConfigMaps are listed once instead of a GET each.
    const auto before = client.requests();
    const auto again = action::apply(action::Context{reporter}, opts, client);
    CHECK_FALSE(again.changed());
    CHECK(client.requests() - before == 41 + 1 + 1 + 2); // 41 applies, a LIST, a GET (the ServiceAccount), the record
  }
}

TEST_CASE("apply --prune: deletes what kf applied before and no longer renders, nothing else") {
  kube::FakeClient client;
  action::NullReporter reporter;
  const action::Context ctx{reporter};
  action::apply(ctx, stdin_options(k_manifests), client);
  // Someone else's ConfigMap, without kf's labels.
  client.apply(Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"theirs","namespace":"default"}})"), {});
  auto opts = stdin_options("apiVersion: v1\nkind: Namespace\nmetadata: {name: ml}\n");
  opts.prune = true;
  opts.dry_run = action::DryRun::server;
  auto r = action::apply(ctx, opts, client);
  CHECK(displays(r.pruned) == std::vector<std::string>{"pytorchjob.kubeflow.org/job pruned", "configmap/cfg pruned",
                                                       "customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org pruned"});
  CHECK(client.get(kube::ObjectRef{"v1", "ConfigMap", "default", "cfg"})); // a dry run deletes nothing
  opts.dry_run = action::DryRun::none;
  r = action::apply(ctx, opts, client);
  CHECK(r.pruned.size() == 3);
  CHECK(r.changed());
  CHECK_FALSE(client.get(kube::ObjectRef{"v1", "ConfigMap", "default", "cfg"}));
  CHECK(client.get(kube::ObjectRef{"v1", "ConfigMap", "default", "theirs"}));
  CHECK(client.get(kube::ObjectRef{"v1", "Namespace", "", "ml"}));
  r = action::apply(ctx, opts, client);
  CHECK(r.pruned.empty());
  CHECK_FALSE(r.changed());
}

TEST_CASE("apply --dry-run=client: ordered and labelled, without a client") {
  action::NullReporter reporter;
  auto opts = stdin_options(k_manifests);
  opts.dry_run = action::DryRun::client;
  const auto r = action::apply_manifests(action::Context{reporter}, opts, nullptr,
                                         platform::read_manifests(opts.files, opts.stdin_text), "manifests");
  CHECK(r.server.empty());
  CHECK(displays(r.objects) == std::vector<std::string>{"namespace/ml ", "customresourcedefinition.apiextensions.k8s.io/pytorchjobs.kubeflow.org ",
                                                        "configmap/cfg ", "pytorchjob.kubeflow.org/job "});
  CHECK(r.objects[2].object["metadata"]["labels"]["kf.dev/applied-by"] == "manifests");
  CHECK_FALSE(r.objects[2].object["metadata"].contains("namespace"));
  opts.kubeconfig.namespace_ = "team"; // -n: where kf would put objects without a namespace
  const auto n = action::apply_manifests(action::Context{reporter}, opts, nullptr,
                                         platform::read_manifests(opts.files, opts.stdin_text), "manifests");
  CHECK(n.objects[0].namespace_.empty());
  CHECK(n.objects[1].namespace_.empty());
  CHECK(n.objects[2].namespace_ == "team");
  CHECK(n.objects[3].namespace_ == "ml");
}

TEST_CASE("apply --wait: Deployments become Available, or the timeout names what is pending") {
  kube::FakeClient client;
  action::NullReporter reporter;
  const char* deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ctrl, namespace: ml}\nspec: {replicas: 1}\n";
  auto opts = stdin_options(deployment);
  opts.wait = true;
  opts.timeout = std::chrono::milliseconds(100);
  std::vector<platform::WaitProgress> seen;
  opts.on_wait = [&](const platform::WaitProgress& p) { seen.push_back(p); };
  CHECK_THROWS_WITH_AS(action::apply(action::Context{reporter}, opts, client),
                       "timed out after 100ms waiting for 1 of 1 Deployments to become Available: ml/ctrl", Error);
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.front().ready == 0);
  CHECK(seen.front().pending == std::vector<std::string>{"ml/ctrl"});
  // What a Deployment controller reports once the replicas are up.
  client.apply(Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"ctrl","namespace":"ml"},
    "status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"True"}]}})"), {});
  seen.clear();
  const auto r = action::apply(action::Context{reporter}, opts, client);
  CHECK(r.available == 1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].ready == 1);
  CHECK(platform::deployment_available(Json::parse(
      R"({"metadata":{"generation":1},"status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"True"}]}})")));
  CHECK_FALSE(platform::deployment_available(Json::parse(
      R"({"metadata":{"generation":2},"status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"True"}]}})")));
  CHECK_FALSE(platform::deployment_available(Json::parse(
      R"({"metadata":{"generation":1},"status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"False"}]}})")));
}

namespace {
// A cluster whose controller writes an object's status between kf's read of
// it and kf's apply (kube-sim's Deployment controller did, and test_platform
// saw "1 configured" on a second apply that changed nothing).
class StatusWritingClient final : public kube::Client {
public:
  explicit StatusWritingClient(kube::FakeClient& inner) : m_inner(inner) {}
  std::string server() const override { return m_inner.server(); }
  std::optional<kube::ResourceInfo> resource(std::string_view v, std::string_view k) override { return m_inner.resource(v, k); }
  Json apply(const Json& obj, const kube::ApplyOptions& options) override {
    if (obj["kind"] != "CustomResourceDefinition" && m_inner.get(kube::ObjectRef::of(obj))) { // kf applies in parallel
      Json status = {{"apiVersion", obj["apiVersion"]}, {"kind", obj["kind"]}, {"metadata", obj["metadata"]},
                     {"status", {{"observedGeneration", ++m_writes}}}};
      kube::ApplyOptions by_controller;
      by_controller.field_manager = "controller";
      by_controller.subresource = "status";
      m_inner.apply(status, by_controller);
    }
    return m_inner.apply(obj, options);
  }
  Json create(const Json& obj, const kube::CreateOptions& o) override { return m_inner.create(obj, o); }
  std::optional<Json> get(const kube::ObjectRef& ref) override { return m_inner.get(ref); }
  std::vector<Json> list(std::string_view v, std::string_view k, const kube::ListOptions& o) override { return m_inner.list(v, k, o); }
  bool remove(const kube::ObjectRef& ref, const kube::DeleteOptions& o) override { return m_inner.remove(ref, o); }
  std::string watch(std::string_view v, std::string_view k, const kube::WatchOptions& o,
                    const std::function<bool(const kube::WatchEvent&)>& on_event) override {
    return m_inner.watch(v, k, o, on_event);
  }
  void pod_logs(const std::string& ns, const std::string& pod, const kube::PodLogOptions& o,
                const std::function<bool(std::string_view)>& on_data) override {
    m_inner.pod_logs(ns, pod, o, on_data);
  }

private:
  kube::FakeClient& m_inner;
  std::atomic<int> m_writes{0};
};
} // namespace

TEST_CASE("apply: a status a controller writes between kf's read and its apply is not kf's change") {
  kube::FakeClient fake;
  action::NullReporter reporter;
  action::ApplyOptions opts;
  opts.files = {"-"};
  opts.stdin_text = k_manifests;
  auto r = action::apply(action::Context{reporter}, opts, fake);
  StatusWritingClient client(fake);
  r = action::apply(action::Context{reporter}, opts, client);
  for (const auto& o : r.objects) {
    CAPTURE(o.display);
    CHECK(o.change == "unchanged");
  }
  opts.stdin_text = std::string(k_manifests).replace(std::string(k_manifests).find("a: \"1\""), 6, "a: \"2\"");
  r = action::apply(action::Context{reporter}, opts, client);
  CHECK(r.objects[2].display == "configmap/cfg");
  CHECK(r.objects[2].change == "configured");
}
