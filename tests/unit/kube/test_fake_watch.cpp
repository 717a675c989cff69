#include <doctest/doctest.h>

#include <thread>

#include "libkf/kube/fake_client.h"

using namespace kf;
using namespace std::chrono_literals;

namespace {

Json cm(const std::string& name, const std::string& value, const Json& labels = Json::object(), const std::string& ns = "ml") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
          {"data", {{"v", value}}}};
}

kube::ObjectRef ref(const std::string& name, const std::string& ns = "ml") { return {"v1", "ConfigMap", ns, name}; }

std::string line(const kube::WatchEvent& e) {
  return e.type + " " + e.object["metadata"].value("name", "") + " " + e.object["metadata"].value("resourceVersion", "");
}

// Collects events until `last` (a line prefix) arrives.
struct Collector {
  std::string last;
  std::vector<std::string> lines;
  bool operator()(const kube::WatchEvent& e) {
    lines.push_back(line(e));
    return lines.back().rfind(last, 0) != 0;
  }
};

} // namespace

TEST_CASE("fake watch: without a resourceVersion, the current objects as ADDED, then the changes") {
  kube::FakeClient client;
  client.apply(cm("a", "1"), {});
  client.apply(cm("b", "1"), {});
  client.apply(cm("other-kind", "1"), {});
  client.remove(ref("other-kind"), {});
  std::vector<std::string> lines;
  // The callback itself makes the next change (it runs without the client's lock).
  const std::string rv = client.watch("v1", "ConfigMap", {}, [&](const kube::WatchEvent& e) {
    lines.push_back(line(e));
    if (lines.size() == 2) client.apply(cm("a", "2"), {});
    if (lines.size() == 3) client.remove(ref("b"), {});
    return lines.size() < 4;
  });
  CHECK(lines == std::vector<std::string>{"ADDED a 1", "ADDED b 2", "MODIFIED a 5", "DELETED b 6"});
  CHECK(rv == "6");
}

TEST_CASE("fake watch: from a resourceVersion, blocking for changes another thread makes") {
  kube::FakeClient client;
  const std::string start = client.apply(cm("a", "1"), {})["metadata"]["resourceVersion"];
  Collector seen{"DELETED a", {}};
  std::string rv;
  kube::WatchOptions o;
  o.resource_version = start;
  std::thread watcher([&] { rv = client.watch("v1", "ConfigMap", o, std::ref(seen)); });
  client.apply(cm("a", "2"), {});
  client.apply(cm("a", "3"), {});
  client.remove(ref("a"), {});
  watcher.join();
  CHECK(seen.lines == std::vector<std::string>{"MODIFIED a 2", "MODIFIED a 3", "DELETED a 4"});
  CHECK(rv == "4");
  // Resuming from what it returned: only later changes.
  client.apply(cm("c", "1"), {});
  o.resource_version = rv;
  Collector again{"ADDED", {}};
  client.watch("v1", "ConfigMap", o, std::ref(again));
  CHECK(again.lines == std::vector<std::string>{"ADDED c 5"});
}

TEST_CASE("fake watch: namespace and selectors - objects entering and leaving the selection") {
  kube::FakeClient client;
  client.apply(cm("in", "1", {{"app", "kf"}}), {});
  client.apply(cm("out", "1", {{"app", "db"}}), {});
  client.apply(cm("in", "1", {{"app", "kf"}}, "prod"), {});
  kube::WatchOptions o;
  o.namespace_ = "ml";
  o.label_selector = "app=kf";
  Collector seen{"ADDED last", {}};
  client.apply(cm("out", "2", {{"app", "kf"}}), {}); // starts to match
  client.apply(cm("in", "2", {{"app", "db"}}), {});  // stops matching
  client.apply(cm("last", "1", {{"app", "kf"}}), {});
  o.resource_version = "3";
  client.watch("v1", "ConfigMap", o, std::ref(seen));
  CHECK(seen.lines == std::vector<std::string>{"ADDED out 4", "DELETED in 5", "ADDED last 6"});

  o = {};
  o.field_selector = "metadata.name=last";
  Collector one{"ADDED last", {}};
  client.watch("v1", "ConfigMap", o, std::ref(one));
  CHECK(one.lines == std::vector<std::string>{"ADDED last 6"});
}

TEST_CASE("fake watch: the timeout ends a quiet watch - errors") {
  kube::FakeClient client;
  client.apply(cm("a", "1"), {});
  kube::WatchOptions o;
  o.timeout = 20ms;
  std::vector<std::string> lines;
  CHECK(client.watch("v1", "ConfigMap", o, [&](const kube::WatchEvent& e) {
    lines.push_back(line(e));
    return true;
  }) == "1");
  CHECK(lines == std::vector<std::string>{"ADDED a 1"});
  o.resource_version = "x1";
  CHECK_THROWS_WITH_AS(client.watch("v1", "ConfigMap", o, [](const kube::WatchEvent&) { return true; }),
                       "resourceVersion: Invalid value: \"x1\": must be an integer", kube::ApiError);
  CHECK_THROWS_WITH_AS(client.watch("example.com/v1", "Thing", {}, [](const kube::WatchEvent&) { return true; }),
                       "the server fake:// does not serve kind \"Thing\" in version \"example.com/v1\"", Error);
}

TEST_CASE("fake pod logs: all, the tail, and errors") {
  kube::FakeClient client;
  client.set_pod_log("ml", "p", "one\ntwo\nthree\n");
  std::string got;
  auto keep = [&](std::string_view d) {
    got += d;
    return true;
  };
  client.pod_logs("ml", "p", {}, keep);
  CHECK(got == "one\ntwo\nthree\n");
  got.clear();
  kube::PodLogOptions o;
  o.tail_lines = 2;
  client.pod_logs("ml", "p", o, keep);
  CHECK(got == "two\nthree\n");
  CHECK_THROWS_WITH_AS(client.pod_logs("ml", "nope", {}, keep), "pods \"nope\" not found", kube::ApiError);
  o = {};
  o.previous = true;
  CHECK_THROWS_WITH_AS(client.pod_logs("ml", "p", o, keep),
                       "previous terminated container \"p\" in pod \"p\" not found", kube::ApiError);
}

TEST_CASE("fake pod logs: follow until the container ends, or until on_data says stop") {
  kube::FakeClient client;
  client.set_pod_log("ml", "p", "start\n");
  kube::PodLogOptions o;
  o.follow = true;
  std::string got;
  std::thread reader([&] {
    client.pod_logs("ml", "p", o, [&](std::string_view d) {
      got += d;
      return true;
    });
  });
  client.append_pod_log("ml", "p", "epoch=1\n");
  client.append_pod_log("ml", "p", "epoch=2\n");
  client.end_pod_log("ml", "p");
  reader.join();
  CHECK(got == "start\nepoch=1\nepoch=2\n");

  client.set_pod_log("ml", "q", "a\n");
  int calls = 0;
  client.pod_logs("ml", "q", o, [&](std::string_view) { return ++calls < 1; }); // never ended: stops on false
  CHECK(calls == 1);
  client.set_log_follow_timeout(10ms);
  got.clear();
  client.pod_logs("ml", "q", o, [&](std::string_view d) {
    got += d;
    return true;
  });
  CHECK(got == "a\n");
}
