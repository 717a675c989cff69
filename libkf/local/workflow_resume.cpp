// kf resume and kf retry of a local Workflow (local_target.h): resume
// releases its suspend steps while it runs, or carries on after its
// controller ended (kill -9: the nodes that finished stay finished); retry
// runs again the steps that failed or were omitted, and the steps, groups
// and DAGs above them, keeping every step that succeeded.
#include <map>
#include <optional>
#include <set>

#include "libkf/local/local_target.h"
#include "libkf/local/workflow_engine.h"
#include "libkf/target/summary.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace stdfs = std::filesystem;

namespace {

bool node_done(const Json& n) {
  const std::string p = json_text(n, "phase");
  return p == "Succeeded" || p == "Failed" || p == "Error" || p == "Skipped" || p == "Omitted";
}

// Whether `child` is part of `node` (an attempt of a Retry node, an item of
// a loop's TaskGroup, a step of a StepGroup) rather than what runs after it
// (a task that depends on it, the next steps group): Argo lists both as children.
bool owns(const Json& node, const Json& child) {
  const std::string type = json_text(node, "type");
  if (type != "Retry" && type != "TaskGroup" && type != "StepGroup") return false;
  const std::string prefix = json_text(node, "name") + (type == "StepGroup" ? "." : "(");
  return json_text(child, "name").rfind(prefix, 0) == 0;
}

// The object with the journal's nodes in (what a killed controller had not written yet).
Json with_journal(const RunDir& dir, Json object) {
  replay_journal(object, dir.root / "nodes.log");
  return object;
}

} // namespace

target::Submitted LocalTarget::resume_workflow(const std::string& run, const Json& object, const Json& patch) {
  if (!patch.empty()) throw UsageError("kf resume " + run + ": a Workflow resumes as it was submitted; it takes no --set");
  const RunDir dir{run_dir(run)};
  std::optional<FileLock> lock;
  lock.emplace(dir.lock(), false);
  const Json current = with_journal(dir, object);
  const Json& nodes = json_field(json_field(current, "status"), "nodes");
  if (!lock->locked()) { // running: release its suspend steps
    bool suspended = false;
    for (auto it = nodes.begin(); nodes.is_object() && it != nodes.end(); ++it)
      suspended = suspended || (json_text(it.value(), "type") == "Suspend" && !node_done(it.value()));
    if (!suspended) throw UsageError("run " + run + " is running and no step of it is suspended");
    fs::write_file_atomic(dir.root / "resume", "");
    return {run, object, dir.root.string()};
  }
  const Json& root = json_field(nodes, run.c_str());
  if (target::is_finished(object) && root.is_object() && node_done(root))
    throw UsageError("run " + run + " " + (json_text(root, "phase") == "Succeeded" ? "succeeded: there is nothing to resume"
                                                                                    : "failed: kf retry " + run + " runs its failed steps again"));
  Json resumed = current;
  resumed["status"]["phase"] = "Running";
  resumed["status"].erase("finishedAt");
  resumed["status"].erase("message");
  return hand_over(dir, run, resumed, lock, "");
}

// argo retry: every node that failed, errored or was omitted goes, and so
// does every node it is part of (its steps group, steps, DAG, retry or loop
// node: not the tasks it depends on), and the exit handler's; what succeeded stays, so the new
// controller runs only what is missing.
target::Submitted LocalTarget::retry(const std::string& name) {
  const std::string run = resolve(name);
  const RunDir dir{run_dir(run)};
  const auto object = get(run);
  if (!object) throw Error("run " + str::quote(run) + " does not exist (kf status lists the runs)");
  if (object->value("kind", "") != "Workflow")
    throw UsageError("kf retry reruns a Workflow's failed steps; a " + object->value("kind", "") + " starts again: kf train, kf submit -f");
  std::optional<FileLock> lock;
  lock.emplace(dir.lock(), false);
  if (!lock->locked()) throw UsageError("run " + run + " is still running (kf status " + run + ")");
  Json retried = with_journal(dir, *object);
  const std::string phase = json_text(json_field(retried, "status"), "phase");
  if (phase == "Succeeded") throw UsageError("run " + run + " succeeded: there is nothing to retry");
  Json& nodes = retried["status"]["nodes"];
  std::map<std::string, std::string> owner_of; // an attempt, item or step -> its Retry, TaskGroup or StepGroup
  for (auto it = nodes.begin(); it != nodes.end(); ++it)
    for (const auto& c : json_field(it.value(), "children"))
      if (c.is_string() && nodes.contains(c.get<std::string>()) && owns(it.value(), nodes[c.get<std::string>()]))
        owner_of.emplace(c.get<std::string>(), it.key());
  std::set<std::string> drop;
  for (auto it = nodes.begin(); it != nodes.end(); ++it) {
    const std::string p = json_text(it.value(), "phase");
    const bool exit = json_text(it.value(), "name").rfind(run + ".onExit", 0) == 0;
    if (exit || !node_done(it.value()) || p == "Failed" || p == "Error" || p == "Omitted") drop.insert(it.key());
  }
  for (auto todo = std::vector<std::string>(drop.begin(), drop.end()); !todo.empty();) { // and everything above them
    const std::string id = todo.back();
    todo.pop_back();
    const std::string boundary = json_text(json_field(nodes, id.c_str()), "boundaryID");
    for (const std::string& up : {boundary, owner_of.count(id) ? owner_of[id] : std::string()})
      if (!up.empty() && nodes.contains(up) && json_text(nodes[up], "type") != "Pod" && drop.insert(up).second) todo.push_back(up);
  }
  for (const auto& id : drop) nodes.erase(id);
  for (auto it = nodes.begin(); it != nodes.end(); ++it)
    if (it.value().contains("children")) {
      Json kept = Json::array();
      for (const auto& c : it.value()["children"])
        if (!drop.count(c.get<std::string>())) kept.push_back(c);
      it.value()["children"] = kept;
    }
  retried["status"]["phase"] = "Running";
  for (const char* k : {"finishedAt", "message"}) retried["status"].erase(k);
  write_json(dir.object(), retried); // the journal is folded in before it goes
  std::error_code ec;
  stdfs::remove(dir.root / "nodes.log", ec);
  return hand_over(dir, run, retried, lock, "");
}

} // namespace kf::local
