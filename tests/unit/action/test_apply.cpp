#include <doctest/doctest.h>

#include "libkf/action/apply.h"
#include "libkf/kube/fake_client.h"
#include "libkf/util/error.h"

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
  CHECK_THROWS_AS(action::apply(action::Context{reporter}, opts, client), UsageError);
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
