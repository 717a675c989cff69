// The local Argo Workflows controller: plan_workflow() checks a Workflow
// at submit (what this machine cannot run is refused before anything
// starts); run_workflow() is its run's supervisor process, which passes
// over the workflow (workflow_engine.h) whenever a step ends or 100 ms go
// by, and writes object.json (at most every 100 ms, or ten times as long as
// the last write took, and at the end; the journal nodes.log has every
// finished node as it finishes). LocalTarget::workflow_settings() is here
// too: what the controller is given (the trainer, the artifact store, the
// cache, bubblewrap when it works on this machine).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "libkf/local/container.h"
#include "libkf/local/controllers.h"
#include "libkf/local/local_target.h"
#include "libkf/local/plan.h"
#include "libkf/local/workflow_engine.h"
#include "libkf/metadata/runs.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::local {

namespace stdfs = std::filesystem;

namespace {

// The template kinds only Argo's controller on a cluster runs.
const char* cluster_only(const Json& t) {
  for (const char* k : {"resource", "containerSet", "data", "http", "plugin"})
    if (t.contains(k)) return k;
  return nullptr;
}

} // namespace

JobPlan plan_workflow(const Json& wf, const WorkflowSettings& settings) {
  check_schema(wf);
  const Json& spec = json_field(wf, "spec");
  if (spec.contains("workflowTemplateRef"))
    throw FieldError("spec.workflowTemplateRef", "WorkflowTemplates live on a cluster (--target); give the workflow's own templates");
  const Json& templates = json_field(spec, "templates");
  if (!templates.is_array() || templates.empty()) throw FieldError("spec.templates", "a Workflow needs templates");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < templates.size(); ++i) {
    const Json& t = templates[i];
    const std::string at = "spec.templates[" + std::to_string(i) + "]";
    names.push_back(json_text(t, "name"));
    if (const char* k = cluster_only(t))
      throw FieldError(at + "." + k, "template " + str::quote(t.value("name", "")) + ": " + k +
                                         " templates need Argo's controller on a cluster (--target); the local target runs container, "
                                         "script, steps, dag and suspend templates");
    for (const char* k : {"container", "script"})
      if (t.contains(k) && !json_field(t[k], "command").is_array() && !(k == std::string("container") && json_text(t[k], "image") == settings.container.trainer_image && !settings.container.trainer_image.empty()))
        throw FieldError(at + "." + k + ".command", "the local target runs a container's command on this machine: give one (the image's entrypoint is not known here)");
  }
  for (const char* k : {"entrypoint", "onExit"}) {
    if (!spec.contains(k)) continue;
    const std::string name = json_text(spec, k);
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw FieldError(std::string("spec.") + k, "template " + str::quote(name) + " not found" + str::did_you_mean(name, names));
  }
  if (!spec.contains("entrypoint")) throw FieldError("spec.entrypoint", "a Workflow needs an entrypoint");
  JobPlan plan;
  plan.kind = "Workflow";
  plan.name = json_text(json_field(wf, "metadata"), "name");
  plan.controller = to_json(settings);
  return plan;
}

namespace {

// A step's artifact as the metadata store records it: by its content in
// the artifact store (a file's blob, a directory's tree; one named "model" is
// a kf.Model). nullopt for one
// that is not there (optional and missing, or not local).
std::optional<metadata::ArtifactRecord> artifact_record(const Json& node, const Json& a, const char* direction, const stdfs::path& store) {
  const Json& local = json_field(a, "local");
  const std::string key = json_text(local, "key");
  if (key.size() != 7 + 64) return std::nullopt;
  metadata::ArtifactRecord r;
  r.type = json_text(a, "name") == "model" ? "kf.Model" : "kf.Artifact";
  r.name = json_text(node, "displayName") + "." + json_text(a, "name");
  r.uri = (json_text(local, "type") == "directory" ? store / "trees" / (key.substr(7) + ".json") : store / "blobs" / "sha256" / key.substr(7)).string();
  r.sha256 = key.substr(7);
  r.size = json_field(local, "size").is_number_integer() ? json_field(local, "size").get<std::int64_t>() : 0;
  r.direction = direction == std::string("inputs") ? "input" : "output";
  return r;
}

// Each step (Pod node) as an execution with the artifacts it read and wrote,
// and every artifact as one of the run's own too (runs that share one are
// linked: lineage). Best effort: a store that cannot be written loses
// nothing of the run.
void record_steps(metadata::Runs& runs, const std::string& run, const Json& wf, const stdfs::path& store) {
  const Json& nodes = json_field(json_field(wf, "status"), "nodes");
  std::vector<metadata::StepRecord> steps;
  for (auto it = nodes.begin(); nodes.is_object() && it != nodes.end(); ++it) {
    const Json& n = it.value();
    if (json_text(n, "type") != "Pod") continue;
    metadata::StepRecord step{json_text(n, "displayName"), json_text(n, "id"), json_text(n, "templateName"), json_text(n, "phase"),
                              json_field(json_field(n, "memoizationStatus"), "hit") == Json(true), {}};
    for (const char* direction : {"inputs", "outputs"})
      for (const auto& a : json_field(json_field(n, direction), "artifacts"))
        if (auto r = artifact_record(n, a, direction, store)) step.artifacts.push_back(*r);
    steps.push_back(std::move(step));
  }
  std::stable_sort(steps.begin(), steps.end(), [&](const auto& x, const auto& y) {
    return json_text(nodes[x.node], "startedAt") < json_text(nodes[y.node], "startedAt");
  });
  try {
    runs.add_steps(run, steps);
    for (const auto& s : steps)
      for (const auto& a : s.artifacts) runs.add_artifact(run, a);
  } catch (const std::exception&) {
  }
}

} // namespace

int run_workflow(const SuperviseOptions& o) {
  const RunDir dir{o.run_dir};
  const auto plan = read_json(dir.plan());
  const auto object = read_json(dir.object());
  if (!plan || !object) throw Error("run " + o.run_dir.filename().string() + " has no plan.json or object.json");
  WorkflowEngine engine(*object, workflow_settings_from_json(json_field(*plan, "controller")), dir);
  const std::string run = o.run_dir.filename().string();
  std::unique_ptr<metadata::Runs> runs;
  try {
    runs = std::make_unique<metadata::Runs>(o.metadata_db);
    runs->set_state(run, "Running", "Workflow " + run + " is running");
  } catch (const std::exception&) {
  }
  write_json(dir.local(), Json{{"supervisor", {{"pid", ::getpid()}}}});
  const proc::ChildExitWait child_exit; // a step's end wakes the loop at once
  auto written = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  std::chrono::steady_clock::duration interval = std::chrono::milliseconds(100);
  bool dirty = false;
  for (;;) {
    if (stop_signal() != 0 && !engine.done()) engine.stop("Stopped with signal " + std::to_string(stop_signal()), o.grace);
    std::error_code ec;
    if (stdfs::remove(dir.root / "resume", ec)) engine.resume_suspended();
    try {
      engine.operate();
    } catch (const std::exception& e) { // a shape kf did not expect: the run ends, saying so
      engine.stop(std::string("the local workflow controller failed: ") + e.what(), o.grace, "Error");
    }
    dirty = engine.take_changed() || dirty;
    const auto now = std::chrono::steady_clock::now();
    if (dirty && (engine.done() || now - written >= interval)) {
      write_json(dir.object(), engine.object());
      written = std::chrono::steady_clock::now();
      // A big workflow's object.json takes a while to write: at most a tenth of the time goes to it.
      interval = std::max(std::chrono::steady_clock::duration(std::chrono::milliseconds(100)), 10 * (written - now));
      dirty = false;
    }
    if (engine.done()) break;
    child_exit.wait(std::chrono::milliseconds(100));
    int st = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &st, WNOHANG)) > 0;) engine.exited(pid, proc::exit_code_of(st));
  }
  const Json final = engine.object();
  const std::string phase = final["status"].value("phase", "");
  if (runs) record_steps(*runs, run, final, workflow_settings_from_json(json_field(*plan, "controller")).artifacts);
  if (runs) try {
      runs->set_state(run, phase, final["status"].value("message", "Workflow " + run + " " + str::lower(phase)));
    } catch (const std::exception&) {
    }
  return phase == "Succeeded" ? 0 : 1;
}

namespace {
// bubblewrap, when it is installed and works here (user namespaces allowed).
std::string working_bwrap() {
  const std::string bwrap = find_command("bwrap", std::getenv("PATH") ? std::getenv("PATH") : "");
  if (bwrap.empty()) return "";
  proc::Command probe;
  probe.argv = {bwrap, "--dev-bind", "/", "/", "--", "true"};
  probe.out = probe.err = proc::Stream::null;
  probe.timeout = std::chrono::seconds(10);
  try {
    return proc::run(probe).exit_code == 0 ? bwrap : "";
  } catch (const Error&) {
    return "";
  }
}
} // namespace

WorkflowSettings LocalTarget::workflow_settings(bool find_binaries) const {
  WorkflowSettings s;
  s.container = {m_o.trainer_image, m_o.trainer_path};
  if (s.container.trainer_path.empty()) {
    s.container.trainer_path = "kf-trainer";
    if (find_binaries) try {
        s.container.trainer_path = find_trainer();
      } catch (const Error&) {
      }
  }
  s.artifacts = m_o.project_dir / ".kf" / "artifacts";
  s.cache = m_o.project_dir / ".kf" / "cache";
  if (find_binaries) s.bwrap = working_bwrap();
  return s;
}

} // namespace kf::local
