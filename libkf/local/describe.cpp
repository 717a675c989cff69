// LocalTarget::describe, for `kf status`: a run's record in the metadata
// store (parameters, git commit, metrics per epoch, artifacts, lineage) with
// what its object and local.json say now (conditions, replicas, progress),
// and for a failed run its failing replica's last log lines.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "libkf/local/local_target.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/target/katib.h"
#include "libkf/target/summary.h"
#include "libkf/target/workflow_tree.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

Json artifact_json(const metadata::ArtifactRecord& a) {
  Json j = {{"type", a.type}, {"name", a.name}, {"uri", a.uri}, {"direction", a.direction}};
  if (!a.sha256.empty()) j["sha256"] = a.sha256;
  if (a.size > 0) j["size"] = a.size;
  return j;
}

// The last `n` lines of a file.
std::vector<std::string> tail_lines(const std::filesystem::path& p, std::size_t n) {
  std::vector<std::string> lines;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > n) lines.erase(lines.begin());
  }
  return lines;
}

// An Experiment: its best trial (status.currentOptimalTrial) and, in full,
// every trial (trials/*/trial.json), the best first by the objective.
void experiment_view(Json& v, const Json& object, const std::filesystem::path& run_dir, bool full) {
  const Json& status = json_field(object, "status");
  const Json& best = json_field(status, "currentOptimalTrial");
  if (!json_text(best, "bestTrialName").empty()) {
    v["bestTrial"] = {{"name", json_text(best, "bestTrialName")},
                      {"parameters", target::katib_assignments(json_field(best, "parameterAssignments"))},
                      {"metrics", target::katib_observed(json_field(best, "observation"),
                                                         json_field(json_field(object, "spec"), "objective"))}};
    v["metrics"] = v["bestTrial"]["metrics"];
  }
  v["progressText"] = target::summarize(object).progress;
  if (!full) return;
  const std::string metric = json_text(json_field(json_field(object, "spec"), "objective"), "objectiveMetricName");
  const bool maximize = json_text(json_field(json_field(object, "spec"), "objective"), "type") == "maximize";
  struct Listed {
    long index; // kf.dev/index: the order of creation
    Json view;
  };
  std::vector<Listed> trials;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(run_dir / "trials", ec)) {
    std::optional<Json> t;
    try {
      t = read_json(e.path() / "trial.json");
    } catch (const Error&) {
    }
    if (!t) continue;
    const std::string index = json_text(json_field(json_field(*t, "metadata"), "annotations"), "kf.dev/index");
    trials.push_back({std::strtol(index.c_str(), nullptr, 10),
                      {{"name", e.path().filename().string()},
                      {"state", json_text(json_field(*t, "status"), "kf.dev/state")},
                      {"lineage", target::katib_lineage(json_field(*t, "metadata"))},
                      {"parameters", target::katib_assignments(json_field(json_field(*t, "spec"), "parameterAssignments"))},
                      {"metrics", target::katib_observed(json_field(json_field(*t, "status"), "observation"),
                                                         json_field(json_field(*t, "spec"), "objective"))}}});
  }
  auto value = [&](const Json& t) -> std::optional<double> {
    const Json& m = json_field(json_field(t, "metrics"), metric.c_str());
    return m.is_number() ? std::optional<double>(m.get<double>()) : std::nullopt;
  };
  // Best first; of equal trials the first created (the directory's order is
  // the file system's), as currentOptimalTrial has it.
  std::stable_sort(trials.begin(), trials.end(), [&](const Listed& a, const Listed& b) {
    const auto va = value(a.view), vb = value(b.view);
    if (va && vb && *va != *vb) return maximize ? *va > *vb : *va < *vb;
    if (va.has_value() != vb.has_value()) return va.has_value();
    return a.index < b.index;
  });
  Json listed = Json::array();
  for (auto& t : trials) listed.push_back(std::move(t.view));
  v["trials"] = std::move(listed);
}

// A run's state and its sentence. The object's conditions are the truth (the
// store follows them); a run stopped or culled reads "Stopped".
std::pair<std::string, std::string> state_and_message(const metadata::RunRecord* rec, const std::optional<Json>& object) {
  std::string state = rec ? rec->state : "";
  std::string message = rec ? rec->message : "";
  const std::string s = object ? target::state_of(*object) : "";
  if (s.empty()) return {state, message};
  const Json& conditions = json_field(json_field(*object, "status"), "conditions");
  for (const auto& c : conditions.is_array() ? conditions : Json::array())
    if (json_text(c, "type") == s) {
      message = json_text(c, "message");
      const std::string reason = json_text(c, "reason");
      state = reason == "Stopped" || reason == "ExperimentStopped" || reason == "Culled" ? "Stopped" : s;
    }
  return {state, message};
}

Json view(const metadata::RunRecord* rec, const std::optional<Json>& object, const Json& details, bool full,
          const std::filesystem::path& run_dir) {
  Json v = Json::object();
  v["name"] = rec ? rec->name : json_text(json_field(*object, "metadata"), "name");
  v["kind"] = rec ? rec->kind : json_text(*object, "kind");
  v["target"] = rec ? rec->target : "local";
  auto [state, message] = state_and_message(rec, object);
  if (object && json_text(*object, "kind") == "Notebook") // "1/1 ready", "0/1 ready": never "0/1 succeeded"
    v["progressText"] = target::summarize(*object).progress;
  if (object && json_text(*object, "kind") == "Workflow") { // Argo's status: a phase, a message, nodes
    const auto s = target::summarize(*object);
    state = s.state;
    message = s.message;
    if (!s.progress.empty()) v["progressText"] = s.progress;
    if (full) {
      v["nodes"] = target::workflow_tree(*object, now_ms() / 1000);
      for (auto& n : v["nodes"]) // why a step ran: what differs from its last run (workflow_pod.cpp)
        if (const auto why = read_json(run_dir / "why" / (json_text(n, "id") + ".json")); why && why->is_object()) n["why"] = *why;
    }
  }
  v["state"] = state;
  v["message"] = message;
  if (rec) {
    v["created"] = rfc3339(rec->create_time_ms / 1000);
    v["updated"] = rfc3339(rec->update_time_ms / 1000);
    v["parameters"] = rec->parameters;
    v["git"] = {{"commit", rec->git_commit}, {"dirty", rec->git_dirty}};
    v["metrics"] = rec->final_metrics;
    Json artifacts = Json::array();
    for (const auto& a : rec->artifacts) {
      artifacts.push_back(artifact_json(a));
      if (a.type == "kf.Model" && a.direction == "output") v["model"] = a.uri;
      if (a.type == "kf.Image" && a.direction == "output") v["image"] = a.uri;
    }
    v["artifacts"] = artifacts;
  }
  if (object && object->contains("status")) {
    const Json& st = (*object)["status"];
    if (st.contains("replicaStatuses")) v["replicas"] = st["replicaStatuses"];
    if (st.contains("startTime")) v["startTime"] = st["startTime"];
    if (st.contains("completionTime")) v["completionTime"] = st["completionTime"];
    if (st.contains("url") && state == "Ready") v["url"] = st["url"]; // a serving endpoint
    if (full && st.contains("conditions")) v["conditions"] = st["conditions"];
    if (json_text(*object, "kind") == "Experiment") experiment_view(v, *object, run_dir, full);
    v["status"] = st; // as the controller wrote it, for scripts written against Kubeflow's
  }
  if (details.contains("restarts")) v["restarts"] = details["restarts"];
  if (details.contains("progress") && !details["progress"].empty()) v["progress"] = details["progress"];
  if (full) {
    if (details.contains("replicas")) v["processes"] = details["replicas"];
    if (details.contains("events")) v["events"] = details["events"]; // the supervisor's: GPUs waited for, assigned
    if (rec) {
      Json epochs = Json::array();
      for (const auto& e : rec->epochs) {
        Json row = {{"epoch", e.epoch}};
        for (auto it = e.values.begin(); it != e.values.end(); ++it) row[it.key()] = it.value();
        epochs.push_back(row);
      }
      v["epochs"] = epochs;
    }
    if (!run_dir.empty()) v["runDir"] = run_dir.string();
    if (state == "Failed" && details.contains("failedReplica")) {
      const std::string replica = details["failedReplica"];
      v["failedReplica"] = replica;
      v["logTail"] = tail_lines(RunDir{run_dir}.log(replica), 10);
    }
  }
  return v;
}

// A pipeline run's steps as the metadata store has them (what each read
// and wrote, by digest), and where its model came from, step by step.
void add_steps(Json& v, const metadata::RunRecord& rec, const std::vector<metadata::StepRecord>& steps) {
  if (steps.empty()) return;
  const auto digests = [](const metadata::StepRecord& s, const char* direction) {
    Json out = Json::array();
    for (const auto& a : s.artifacts)
      if (a.direction == direction) out.push_back({{"name", a.name}, {"sha256", a.sha256}});
    return out;
  };
  Json out = Json::array();
  for (const auto& s : steps)
    out.push_back({{"name", s.name}, {"node", s.node}, {"template", s.template_name}, {"phase", s.phase}, {"cached", s.cached},
                   {"inputs", digests(s, "input")}, {"outputs", digests(s, "output")}});
  v["steps"] = out;
  for (const auto& a : rec.artifacts)
    if (a.type == "kf.Model" && a.direction == "output") {
      Json lineage = Json::array();
      for (const auto& o : metadata::origins(steps, a.sha256))
        lineage.push_back({{"depth", o.depth}, {"artifact", o.artifact}, {"sha256", o.sha256}, {"step", o.step}, {"cached", o.cached}});
      v["modelLineage"] = lineage;
    }
}

// A run whose files kf cannot read (damaged by hand or by another tool):
// listed as Unknown with the reason, so that it does not hide the others.
Json unreadable_view(const metadata::RunRecord* rec, const std::string& run, const std::string& why) {
  Json v = {{"name", run},     {"kind", rec ? rec->kind : ""}, {"target", "local"},
            {"state", "Unknown"}, {"message", why},                 {"unreadable", true}};
  if (rec) {
    v["created"] = rfc3339(rec->create_time_ms / 1000);
    v["updated"] = rfc3339(rec->update_time_ms / 1000);
  }
  return v;
}

} // namespace

std::vector<Json> LocalTarget::describe(const std::string& name) const {
  std::unique_ptr<metadata::Runs> runs;
  const auto db = metadata_db(m_o.project_dir);
  std::error_code ec;
  if (std::filesystem::exists(db, ec)) runs = std::make_unique<metadata::Runs>(db);
  std::vector<Json> out;
  if (!name.empty()) {
    const std::string run = resolve(name);
    const auto object = get(run);
    const auto rec = runs ? runs->get(run) : std::nullopt;
    if (!object && !rec) throw Error("run " + str::quote(run) + " does not exist (kf status lists the runs)");
    Json v = view(rec ? &*rec : nullptr, object, details(run), true, object ? run_dir(run) : std::filesystem::path());
    if (runs) {
      Json lineage = Json::array();
      for (const auto& l : runs->lineage(run))
        lineage.push_back({{"run", l.run}, {"artifact", l.artifact_uri}, {"relation", l.relation}});
      v["lineage"] = lineage;
      if (rec) add_steps(v, *rec, runs->steps(run));
    }
    out.push_back(std::move(v));
    return out;
  }
  // Every run the store knows, newest first, with what its directory says
  // now; an Experiment's trials are its own (kf status EXPERIMENT).
  std::vector<std::string> names, trials;
  const auto dirs = list();
  for (const auto& n : dirs) {
    const Json d = details(n);
    const Json& listed = json_field(d, "trials");
    if (listed.is_array())
      for (const auto& t : listed) trials.push_back(json_text(t, "name"));
  }
  if (runs)
    for (const auto& r : runs->list())
      if (std::find(trials.begin(), trials.end(), r.name) == trials.end()) names.push_back(r.name);
  for (const auto& n : dirs)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  for (const auto& run : names) {
    const auto rec = runs ? runs->get(run) : std::nullopt;
    try {
      out.push_back(view(rec ? &*rec : nullptr, get(run), details(run), false, run_dir(run)));
    } catch (const Error& e) {
      out.push_back(unreadable_view(rec ? &*rec : nullptr, run, e.what()));
    }
  }
  return out;
}

} // namespace kf::local
