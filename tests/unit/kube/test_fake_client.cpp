#include <doctest/doctest.h>

#include "libkf/kube/fake_client.h"

using namespace kf;

namespace {

Json cm(const std::string& name, const std::string& ns, const Json& labels = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
          {"data", {{"k", name}}}};
}

std::vector<std::string> names(const std::vector<Json>& objs) {
  std::vector<std::string> out;
  for (const auto& o : objs) out.push_back(o["metadata"].value("namespace", "") + "/" + o["metadata"].value("name", ""));
  return out;
}

} // namespace

TEST_CASE("fake client: list by namespace, labels and fields") {
  kube::FakeClient client;
  client.apply(cm("a", "ml", {{"app", "kf"}}), {});
  client.apply(cm("b", "ml", {{"app", "other"}}), {});
  client.apply(cm("a", "prod", {{"app", "kf"}}), {});
  kube::ListOptions o;
  CHECK(names(client.list("v1", "ConfigMap", o)) == std::vector<std::string>{"ml/a", "ml/b", "prod/a"});
  o.namespace_ = "ml";
  CHECK(names(client.list("v1", "ConfigMap", o)) == std::vector<std::string>{"ml/a", "ml/b"});
  o.label_selector = "app=kf";
  CHECK(names(client.list("v1", "ConfigMap", o)) == std::vector<std::string>{"ml/a"});
  o = {};
  o.field_selector = "metadata.name=a";
  CHECK(names(client.list("v1", "ConfigMap", o)) == std::vector<std::string>{"ml/a", "prod/a"});
  o.field_selector = "metadata.name=a,metadata.namespace!=ml";
  CHECK(names(client.list("v1", "ConfigMap", o)) == std::vector<std::string>{"prod/a"});
  o.field_selector = "metadata.name";
  CHECK_THROWS_WITH_AS(client.list("v1", "ConfigMap", o), "invalid field selector: metadata.name", kube::ApiError);
}

TEST_CASE("fake client: resourceVersions, dry runs, deletes") {
  kube::FakeClient client;
  const Json first = client.apply(cm("a", "ml"), {});
  CHECK(first["metadata"]["resourceVersion"] == "1");
  CHECK(client.apply(cm("a", "ml"), {})["metadata"]["resourceVersion"] == "1"); // unchanged
  Json changed = cm("a", "ml");
  changed["data"]["k"] = "new";
  kube::ApplyOptions dry;
  dry.dry_run = true;
  CHECK(client.apply(changed, dry)["data"]["k"] == "new");
  CHECK(client.get(kube::ObjectRef::of(changed))->at("data")["k"] == "a"); // a dry run stores nothing
  CHECK(client.apply(changed, {})["metadata"]["resourceVersion"] == "2");
  kube::DeleteOptions del;
  del.dry_run = true;
  CHECK(client.remove(kube::ObjectRef::of(changed), del));
  CHECK(client.get(kube::ObjectRef::of(changed)));
  CHECK(client.remove(kube::ObjectRef::of(changed), {}));
  CHECK_FALSE(client.remove(kube::ObjectRef::of(changed), {}));
  CHECK_FALSE(client.get(kube::ObjectRef::of(changed)));
}

TEST_CASE("fake client: create stores a new object and refuses a taken name with AlreadyExists") {
  kube::FakeClient client;
  Json with_status = cm("a", "ml");
  with_status["status"] = {{"phase", "Made up"}};
  const Json made = client.create(with_status, {});
  CHECK(made["metadata"]["resourceVersion"] == "1");
  CHECK_FALSE(made.contains("status")); // as the status subresource has it
  CHECK_THROWS_WITH_AS(client.create(cm("a", "ml"), {}), "configmaps \"a\" already exists", kube::AlreadyExists);
  try {
    client.create(cm("a", "ml"), {});
  } catch (const kube::ApiError& e) { // one of the API errors, for callers that catch those
    CHECK(e.code() == 409);
    CHECK(e.reason() == "AlreadyExists");
  }
  CHECK(client.get(kube::ObjectRef::of(cm("a", "ml")))->at("data")["k"] == "a"); // unchanged
  CHECK(client.create(cm("a", "prod"), {})["metadata"]["resourceVersion"] == "2");
  kube::CreateOptions dry;
  dry.dry_run = true;
  CHECK(client.create(cm("b", "ml"), dry)["metadata"]["name"] == "b");
  CHECK_FALSE(client.get(kube::ObjectRef::of(cm("b", "ml"))));
  kube::WatchOptions wo;
  wo.resource_version = "0";
  wo.timeout = std::chrono::milliseconds(100);
  std::vector<std::string> seen;
  client.watch("v1", "ConfigMap", wo, [&](const kube::WatchEvent& e) {
    seen.push_back(e.type + " " + e.object["metadata"].value("namespace", ""));
    return true;
  });
  CHECK(seen == std::vector<std::string>{"ADDED ml", "ADDED prod"});
}

TEST_CASE("fake client: apply to the status subresource") {
  kube::FakeClient client;
  kube::ApplyOptions status;
  status.subresource = "status";
  const Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "p"}, {"namespace", "ml"}}},
                    {"spec", {{"containers", Json::array()}}}};
  CHECK_THROWS_WITH_AS(client.apply({{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", pod["metadata"]},
                                     {"status", {{"phase", "Running"}}}}, status),
                       "pods \"p\" not found", kube::ApiError);
  client.apply(pod, {});
  Json update = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", pod["metadata"]},
                 {"spec", {{"nodeName", "ignored"}}}, {"status", {{"phase", "Running"}}}};
  const Json stored = client.apply(update, status);
  CHECK(stored["status"]["phase"] == "Running");
  CHECK_FALSE(stored["spec"].contains("nodeName")); // only .status is applied
  CHECK(stored["metadata"]["resourceVersion"] == "2");
  status.subresource = "scale";
  CHECK_THROWS_WITH_AS(client.apply(update, status), "the server could not find the requested resource", kube::ApiError);
}
