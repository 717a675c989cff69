// libkf/action/platform.cpp: kf apply of kf.yaml's platform (from a local
// source directory of plain YAML) and kf delete --platform, on a FakeClient.
#include <doctest/doctest.h>

#include "libkf/action/platform.h"
#include "libkf/kube/fake_client.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
namespace stdfs = std::filesystem;
using test::TempDir;

namespace {

class Recorder final : public action::Reporter {
public:
  void info(std::string_view m) override { infos.emplace_back(m); }
  void warn(std::string_view m) override { infos.emplace_back(m); }
  void debug(std::string_view) override {}
  std::vector<std::string> infos;
};

std::string crd(const std::string& group, const std::string& kind, const std::string& plural) {
  return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: " + plural + "." + group +
         "}\nspec:\n  group: " + group + "\n  names: {kind: " + kind + ", plural: " + plural +
         "}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true}]\n";
}

// A project whose spec.platform.source is a directory with one directory per component.
struct Project {
  TempDir tmp;
  Project() {
    for (const char* c : {"training-operator", "katib"}) {
      stdfs::create_directories(tmp.path / "platform" / c);
      const std::string name = c;
      fs::write_file_atomic(tmp.path / "platform" / c / "objects.yaml",
                            "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n---\n"
                            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "-controller, namespace: " + name +
                            "}\nspec: {replicas: 1}\n---\n"
                            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "-config}\n" // no namespace: kubeflow
                            "data: {a: \"1\"}\n---\n" + crd(name + ".example.com", "Thing", "things"));
    }
    write_spec({"training-operator", "katib"});
  }
  void write_spec(const std::vector<std::string>& components, const std::string& extra = "") const {
    std::string text = "apiVersion: kf.dev/v1alpha1\nkind: Project\nmetadata: {name: demo}\nspec:\n" + extra +
                       "  platform:\n    source: platform\n    components:\n";
    for (const auto& c : components) text += "      - name: " + c + "\n";
    tmp.write("kf.yaml", text);
  }
  action::PlatformOptions options() const {
    action::PlatformOptions o;
    o.load.start = tmp.path;
    o.tools = platform::RenderTools{};
    return o;
  }
};

std::vector<std::string> lines(const std::vector<action::AppliedObject>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o.display + " " + o.change);
  return out;
}

// Every object labelled as applied by kf for "demo", of the kinds these tests use.
std::vector<std::string> kf_objects(kube::FakeClient& client) {
  std::vector<std::string> out;
  for (const auto& [v, k] : std::vector<std::pair<std::string, std::string>>{
           {"v1", "Namespace"}, {"v1", "ConfigMap"}, {"apps/v1", "Deployment"}, {"apiextensions.k8s.io/v1", "CustomResourceDefinition"}})
    for (const auto& o : client.list(v, k, {}))
      if (platform::has_kf_labels(o, "demo"))
        out.push_back(k + "/" + o["metadata"].value("namespace", "") + "/" + o["metadata"]["name"].get<std::string>() +
                      " " + o["metadata"]["labels"]["kf.dev/component"].get<std::string>());
  return out;
}

} // namespace

TEST_CASE("platform: components in order, labelled, the platform namespace added - a second run changes nothing") {
  Project p;
  kube::FakeClient client;
  Recorder reporter;
  auto r = action::apply_platform(action::Context{reporter}, p.options(), &client);
  REQUIRE(r.plan.components.size() == 2);
  CHECK(r.plan.components[0].name == "training-operator");
  CHECK(r.plan.components[0].objects == 4);
  CHECK(r.plan.components[0].from == (p.tmp.path / "platform" / "training-operator").string());
  CHECK(lines(r.applied.objects) == std::vector<std::string>{
                                       "namespace/kubeflow created", "namespace/training-operator created", "namespace/katib created",
                                       "customresourcedefinition.apiextensions.k8s.io/things.training-operator.example.com created",
                                       "customresourcedefinition.apiextensions.k8s.io/things.katib.example.com created",
                                       "configmap/training-operator-config created", "configmap/katib-config created",
                                       "deployment.apps/training-operator-controller created", "deployment.apps/katib-controller created"});
  CHECK(r.applied.objects[5].namespace_ == "kubeflow");
  CHECK(kf_objects(client) == std::vector<std::string>{
                                  "Namespace//katib katib", "Namespace//kubeflow platform",
                                  "Namespace//training-operator training-operator", "ConfigMap/kubeflow/katib-config katib",
                                  "ConfigMap/kubeflow/training-operator-config training-operator",
                                  "Deployment/katib/katib-controller katib",
                                  "Deployment/training-operator/training-operator-controller training-operator",
                                  "CustomResourceDefinition//things.katib.example.com katib",
                                  "CustomResourceDefinition//things.training-operator.example.com training-operator"});
  r = action::apply_platform(action::Context{reporter}, p.options(), &client);
  CHECK_FALSE(r.applied.changed());
}

TEST_CASE("platform: --prune after a component leaves kf.yaml deletes exactly its objects") {
  Project p;
  kube::FakeClient client;
  Recorder reporter;
  action::apply_platform(action::Context{reporter}, p.options(), &client);
  p.write_spec({"training-operator"});
  auto o = p.options();
  o.apply.prune = true;
  const auto r = action::apply_platform(action::Context{reporter}, o, &client);
  CHECK(lines(r.applied.pruned) ==
        std::vector<std::string>{"deployment.apps/katib-controller pruned", "configmap/katib-config pruned",
                                 "customresourcedefinition.apiextensions.k8s.io/things.katib.example.com pruned",
                                 "namespace/katib pruned"});
  for (const auto& line : kf_objects(client)) CHECK(line.find("katib") == std::string::npos);
  CHECK(kf_objects(client).size() == 5);
}

TEST_CASE("platform: kf delete --platform removes everything kf applied for the project, and its record") {
  Project p;
  kube::FakeClient client;
  Recorder reporter;
  action::apply_platform(action::Context{reporter}, p.options(), &client);
  action::DeleteAppliedOptions d;
  d.platform = true;
  d.load.start = p.tmp.path;
  const auto r = action::delete_applied(action::Context{reporter}, d, client);
  CHECK(r.deleted.size() == 9);
  CHECK(r.deleted.back().display == "namespace/training-operator");
  CHECK(kf_objects(client).empty());
  CHECK_FALSE(client.get(kube::ObjectRef{"v1", "ConfigMap", "kube-system", "kf-applied-demo"}));
  d.files = {"x.yaml"};
  CHECK_THROWS_WITH_AS(action::delete_applied(action::Context{reporter}, d, client),
                       "kf delete: give --platform or -f, not both", UsageError);
}

TEST_CASE("kf delete -f: deletes the objects kf applied and leaves the others alone") {
  kube::FakeClient client;
  Recorder reporter;
  action::ApplyOptions a;
  a.files = {"-"};
  a.stdin_text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n";
  action::apply(action::Context{reporter}, a, client);
  client.apply(Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"theirs","namespace":"default"}})"), {});
  action::DeleteAppliedOptions d;
  d.files = {"-"};
  d.stdin_text = a.stdin_text + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: theirs}\n---\n"
                                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\n";
  const auto r = action::delete_applied(action::Context{reporter}, d, client);
  CHECK(lines(r.deleted) == std::vector<std::string>{"configmap/mine deleted"});
  CHECK(r.left_alone == std::vector<std::string>{"configmap/theirs"});
  CHECK(reporter.infos == std::vector<std::string>{
                              "configmap/theirs: not applied by kf (no app.kubernetes.io/managed-by=kf label); left alone"});
  CHECK(client.get(kube::ObjectRef{"v1", "ConfigMap", "default", "theirs"}));
}

TEST_CASE("platform: the project's InferenceService only when a component serves it - never its jobs") {
  Project p;
  stdfs::create_directories(p.tmp.path / "platform" / "kserve");
  fs::write_file_atomic(p.tmp.path / "platform" / "kserve" / "crds.yaml",
                        crd("serving.kserve.io", "InferenceService", "inferenceservices") + "---\n" +
                            crd("serving.kserve.io", "ServingRuntime", "servingruntimes"));
  const auto index = platform::parse_index(R"(components:
  - {name: katib, git: u, ref: v1}
  - {name: kserve, git: u, ref: v1, provides: [InferenceService, ServingRuntime]}
)",
                                           "idx.yaml");
  const std::string serving = "  serving: {replicas: 1}\n";
  Recorder reporter;
  auto o = p.options();
  o.index = &index;
  p.write_spec({"katib"}, serving);
  auto plan = action::plan_platform(action::Context{reporter}, o);
  CHECK(plan.manifests.size() == 4);
  CHECK(reporter.infos == std::vector<std::string>{
                              "spec.serving: not applied (no component of spec.platform provides InferenceService)"});
  p.write_spec({"katib", "kserve"}, serving);
  plan = action::plan_platform(action::Context{reporter}, o);
  std::vector<std::string> own;
  for (const auto& m : plan.manifests)
    if (m.component == "project") own.push_back(m.object["kind"]);
  CHECK(own == std::vector<std::string>{"ServingRuntime", "InferenceService"});
}

TEST_CASE("platform: errors") {
  Project p;
  Recorder reporter;
  p.write_spec({});
  const std::string empty = stdfs::relative(p.tmp.path / "kf.yaml").string() +
                            ": spec.platform.components is empty: name the components to install (known: cert-manager, "
                            "training-operator, katib, kserve, argo-workflows, pipelines, notebooks), or use kf apply -f FILE";
  CHECK_THROWS_WITH_AS(action::plan_platform(action::Context{reporter}, p.options()), empty.c_str(), UsageError);
  p.write_spec({"notebooks"});
  const std::string missing = "component notebooks: " + (p.tmp.path / "platform" / "notebooks").string() + " does not exist";
  CHECK_THROWS_WITH_AS(action::plan_platform(action::Context{reporter}, p.options()), missing.c_str(), Error);
}
