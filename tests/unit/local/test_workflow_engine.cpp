#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "libkf/local/fake_pod_processes.h"
#include "libkf/local/workflow_engine.h"
#include "tests/unit/temp_dir.h"

using namespace kf;

namespace {

struct Fixture {
  test::TempDir dir;
  local::FakePodProcesses pods;
  local::WorkflowSettings settings() const {
    local::WorkflowSettings s;
    s.container = {"kf/trainer:test", "/nonexistent/kf-trainer"};
    s.artifacts = dir.path / "artifacts";
    s.cache = dir.path / "cache";
    s.cache_enabled = false;
    return s;
  }
  local::WorkflowEngine engine(const std::string& workflow) {
    std::filesystem::create_directories(dir.path / "run" / "logs");
    return local::WorkflowEngine(Json::parse(workflow), settings(), local::RunDir{dir.path / "run"}, pods);
  }
  // One pass, then every pod started so far ends with `exit_code`.
  void pass(local::WorkflowEngine& e, int exit_code = 0) {
    e.operate();
    for (const pid_t pid : pods.take_started()) e.exited(pid, exit_code);
  }
};

Json node_named(const Json& workflow, const std::string& name) {
  for (const auto& [id, n] : workflow["status"]["nodes"].items())
    if (n.value("name", "") == name) return n;
  FAIL("no node " << name);
  return Json();
}

std::string workflow_with(const std::string& templates) {
  return R"({"apiVersion":"argoproj.io/v1alpha1","kind":"Workflow","metadata":{"name":"wf"},)"
         R"("spec":{"entrypoint":"main","templates":)" + templates + "}}";
}

} // namespace

TEST_CASE("WorkflowEngine: steps run in order, each pod started only after the group before it ended") {
  Fixture f;
  auto e = f.engine(workflow_with(R"([{"name":"main","steps":[[{"name":"a","template":"echo"}],[{"name":"b","template":"echo"}]]},)"
                                  R"({"name":"echo","container":{"image":"alpine","command":["echo","hi"]}}])"));
  e.operate();
  REQUIRE(f.pods.started().size() == 1);
  CHECK(f.pods.commands.begin()->second == std::vector<std::string>{"echo", "hi"});
  e.operate(); // a still runs: b waits
  CHECK(f.pods.started().size() == 1);
  const pid_t first = f.pods.take_started().front();
  e.exited(first, 0);
  CHECK(f.pods.killed == std::vector<pid_t>{first}); // what it left behind ends with it
  f.pass(e);
  CHECK(f.pods.commands.size() == 2);
  f.pass(e);
  REQUIRE(e.done());
  const Json wf = e.object();
  CHECK(wf["status"]["phase"] == "Succeeded");
  CHECK(node_named(wf, "wf[0].a")["phase"] == "Succeeded");
  CHECK(node_named(wf, "wf[1].b")["phase"] == "Succeeded");
}

TEST_CASE("WorkflowEngine: a failed pod is retried as retryStrategy.limit allows, as Argo names the attempts") {
  Fixture f;
  auto e = f.engine(workflow_with(R"([{"name":"main","retryStrategy":{"limit":2},"container":{"image":"alpine","command":["false"]}}])"));
  f.pass(e, 1);
  f.pass(e, 0);
  for (int i = 0; i < 3 && !e.done(); ++i) f.pass(e, 0);
  REQUIRE(e.done());
  const Json wf = e.object();
  CHECK(wf["status"]["phase"] == "Succeeded");
  CHECK(node_named(wf, "wf(0)")["phase"] == "Failed");
  CHECK(node_named(wf, "wf(0)")["message"] == "Error (exit code 1)");
  CHECK(node_named(wf, "wf(1)")["phase"] == "Succeeded");
  CHECK(f.pods.commands.size() == 2);
}

// "/tmp/../etc" is "/etc": the check that a step's paths are under /tmp
// reads them as the step would, and a relative output path may not leave
// the run's directory.
TEST_CASE("WorkflowEngine: a step's paths are read lexically normal: none escapes /tmp, the run's directory or the root") {
  Fixture f;
  SUBCASE("an input artifact under /tmp/.. needs bubblewrap") {
    auto e = f.engine(workflow_with(R"([{"name":"main","inputs":{"artifacts":[{"name":"x","path":"/tmp/../etc/kf-x","raw":{"data":"1"}}]},)"
                                    R"("container":{"image":"alpine","command":["true"]}}])"));
    f.pass(e);
    const Json wf = e.object();
    CHECK(f.pods.commands.empty());
    CHECK(node_named(wf, "wf")["phase"] == "Error");
    CHECK(node_named(wf, "wf")["message"] ==
          "path /etc/kf-x: a step's own paths outside /tmp need bubblewrap (apt-get install bubblewrap), "
          "which gives each step its private view of them");
  }
  SUBCASE("a relative output path that leaves the run's directory") {
    auto e = f.engine(workflow_with(R"([{"name":"main","outputs":{"parameters":[{"name":"p","valueFrom":{"path":"a/../../../x"}}]},)"
                                    R"("container":{"image":"alpine","command":["true"]}}])"));
    f.pass(e);
    f.pass(e);
    const Json wf = e.object();
    CHECK(node_named(wf, "wf")["phase"] == "Error");
    CHECK(node_named(wf, "wf")["message"] == "path \"a/../../../x\" leaves the run's directory");
  }
  SUBCASE("the root itself") {
    auto e = f.engine(workflow_with(R"([{"name":"main","outputs":{"artifacts":[{"name":"all","path":"/tmp/.."}]},)"
                                    R"("container":{"image":"alpine","command":["true"]}}])"));
    f.pass(e);
    const Json wf = e.object();
    CHECK(f.pods.commands.empty());
    CHECK(node_named(wf, "wf")["message"] == "path /: a step's path must name a file or directory under the root, not the root itself");
  }
}

TEST_CASE("WorkflowEngine: stop terminates every running pod and fails the workflow with the message") {
  Fixture f;
  auto e = f.engine(workflow_with(R"([{"name":"main","steps":[[{"name":"a","template":"sleep"},{"name":"b","template":"sleep"}]]},)"
                                  R"({"name":"sleep","container":{"image":"alpine","command":["sleep","60"]}}])"));
  e.operate();
  REQUIRE(f.pods.started().size() == 2);
  e.stop("Stopped with signal 15", std::chrono::milliseconds(0));
  CHECK(f.pods.terminated == f.pods.started());
  REQUIRE(e.done());
  const Json wf = e.object();
  CHECK(wf["status"]["phase"] == "Failed");
  CHECK(wf["status"]["message"] == "Stopped with signal 15");
  CHECK(node_named(wf, "wf[0].a")["phase"] == "Failed");
}
