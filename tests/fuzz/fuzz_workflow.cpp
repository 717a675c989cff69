// libFuzzer target: an Argo Workflow as a whole, as `kf submit -f` and `kf
// pipeline run` give it to the local controller: plan_workflow's checks
// (libkf/local/workflow.cpp: first Argo's CRD schema, as an API server
// checks it), then the operator's passes (WorkflowEngine:
// steps, loops, when, DAG depends, retries, outputs, the cache) up to its
// end or 64 passes, then `kf stop`, then what `kf status` makes of the result
// (libkf/target). Pods are started by FakePodProcesses, which starts nothing: each pod
// "exits" after the pass that started it, 0 or 1 by its pid, so no command
// of the input ever runs. The run's files go to a private directory, with a
// bubblewrap path set so that every path a step declares lands under its
// node's own root, never on this machine's /tmp.
//
// plan_workflow may only raise kf::Error. The operator's passes may also
// raise other std::exceptions, as the controller (run_workflow) expects: it
// ends the run with Error saying so. Nothing may crash, hang or leak.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "libkf/local/fake_pod_processes.h"
#include "libkf/local/plan.h"
#include "libkf/local/workflow_engine.h"
#include "libkf/platform/objects.h"
#include "libkf/target/summary.h"
#include "libkf/target/workflow_tree.h"
#include "libkf/util/error.h"

namespace {

namespace stdfs = std::filesystem;

const stdfs::path& scratch() {
  static const stdfs::path dir = [] {
    char tmpl[] = "/tmp/kf-fuzz-workflow.XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    return stdfs::path(made ? made : "/tmp/kf-fuzz-workflow");
  }();
  return dir;
}

void operate(kf::local::WorkflowEngine& engine, kf::local::FakePodProcesses& pods) {
  for (int pass = 0; pass < 64 && !engine.done(); ++pass) {
    try {
      engine.operate();
    } catch (const std::exception& e) {
      engine.stop(std::string("the local workflow controller failed: ") + e.what(), std::chrono::milliseconds(0), "Error");
    }
    (void)engine.take_changed();
    for (const pid_t pid : pods.take_started()) engine.exited(pid, pid % 5 == 4 ? 1 : 0);
  }
  if (!engine.done()) engine.stop("Stopped with signal 15", std::chrono::milliseconds(0));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<kf::platform::Manifest> objects;
  try {
    kf::platform::parse_manifests(text, "fuzz.yaml", "workflow", objects);
  } catch (const kf::Error&) {
    return 0;
  }
  for (const auto& m : objects) {
    if (!m.object.is_object() || m.object.value("kind", kf::Json()) != "Workflow") continue;
    const stdfs::path run = scratch() / "run";
    std::error_code ec;
    stdfs::remove_all(scratch(), ec);
    stdfs::create_directories(run / "logs");
    kf::local::WorkflowSettings settings;
    settings.container = {"kf/trainer:fuzz", "/nonexistent/kf-trainer"};
    settings.artifacts = scratch() / "artifacts";
    settings.cache = scratch() / "cache";
    settings.bwrap = "/nonexistent/bwrap"; // never run: FakePodProcesses starts nothing
    try {
      (void)kf::local::plan_workflow(m.object, settings);
    } catch (const kf::Error&) {
      continue;
    }
    kf::local::FakePodProcesses pods;
    kf::Json object = m.object;
    if (!object["metadata"].is_object()) continue; // kf submit -f refuses it: "metadata.name: required"
    if (object["metadata"].value("name", "").empty()) object["metadata"]["name"] = "fuzz";
    try {
      kf::local::WorkflowEngine engine(object, settings, kf::local::RunDir{run}, pods);
      operate(engine, pods);
      const kf::Json final = engine.object();
      (void)kf::target::summarize(final);
      (void)kf::target::workflow_tree(final, 1800000000);
    } catch (const kf::Error&) {
    }
  }
  return 0;
}
