#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>

#include "libkf/action/runs.h"
#include "libkf/action/cluster_status.h"
#include "libkf/local/local_target.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::action {

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

Json view(const metadata::RunRecord* rec, const std::optional<Json>& object, const Json& details, bool full,
          const std::filesystem::path& run_dir) {
  Json v = Json::object();
  v["name"] = rec ? rec->name : json_text(json_field(*object, "metadata"), "name");
  v["kind"] = rec ? rec->kind : json_text(*object, "kind");
  v["target"] = rec ? rec->target : "local";
  std::string state = rec ? rec->state : "";
  std::string message = rec ? rec->message : "";
  if (object) { // the object's conditions are the truth; the store follows them
    const std::string s = target::state_of(*object);
    if (!s.empty()) {
      const Json& conditions = json_field(json_field(*object, "status"), "conditions");
      for (const auto& c : conditions.is_array() ? conditions : Json::array())
        if (json_text(c, "type") == s) {
          message = json_text(c, "message");
          state = json_text(c, "reason") == "Stopped" ? "Stopped" : s;
        }
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
  }
  if (details.contains("restarts")) v["restarts"] = details["restarts"];
  if (details.contains("progress") && !details["progress"].empty()) v["progress"] = details["progress"];
  if (full) {
    if (details.contains("replicas")) v["processes"] = details["replicas"];
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
      v["logTail"] = tail_lines(local::RunDir{run_dir}.log(replica), 10);
    }
  }
  return v;
}

} // namespace

std::vector<Json> status(const Context& ctx, const StatusOptions& o, ProjectTarget& pt) {
  if (auto* cluster = dynamic_cast<cluster::ClusterTarget*>(pt.target.get())) return cluster_status(ctx, o, *cluster);
  auto* local = dynamic_cast<local::LocalTarget*>(pt.target.get());
  std::unique_ptr<metadata::Runs> runs;
  const auto db = local::metadata_db(pt.loaded.dir);
  std::error_code ec;
  if (std::filesystem::exists(db, ec)) runs = std::make_unique<metadata::Runs>(db);
  std::vector<Json> out;
  if (!o.run.empty()) {
    const std::string run = local ? local->resolve(o.run) : o.run;
    const auto object = pt.target->get(run);
    const auto rec = runs ? runs->get(run) : std::nullopt;
    if (!object && !rec) throw Error("run " + str::quote(run) + " does not exist (kf status lists the runs)");
    Json v = view(rec ? &*rec : nullptr, object, local ? local->details(run) : Json::object(), true,
                  local && object ? local->run_dir(run) : std::filesystem::path());
    if (runs) {
      Json lineage = Json::array();
      for (const auto& l : runs->lineage(run))
        lineage.push_back({{"run", l.run}, {"artifact", l.artifact_uri}, {"relation", l.relation}});
      v["lineage"] = lineage;
    }
    out.push_back(std::move(v));
    return out;
  }
  // Every run the store knows, newest first, with what its target says now.
  std::vector<std::string> names;
  if (runs)
    for (const auto& r : runs->list()) names.push_back(r.name);
  for (const auto& n : pt.target->list())
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  for (const auto& name : names) {
    const auto rec = runs ? runs->get(name) : std::nullopt;
    const auto object = pt.target->get(name);
    out.push_back(view(rec ? &*rec : nullptr, object, local ? local->details(name) : Json::object(), false, {}));
  }
  ctx.reporter.debug(std::to_string(out.size()) + " runs");
  return out;
}

std::vector<std::string> delete_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt) {
  auto* local = dynamic_cast<local::LocalTarget*>(pt.target.get());
  auto* cluster = dynamic_cast<cluster::ClusterTarget*>(pt.target.get());
  std::vector<std::string> removed, missing;
  for (const auto& name : runs) {
    const std::string run = local ? local->resolve(name) : cluster ? cluster->resolve(name) : name;
    if (pt.target->remove(run)) {
      removed.push_back(run);
      ctx.reporter.debug("deleted " + run);
    } else {
      missing.push_back(run);
    }
  }
  if (!missing.empty())
    throw Error(std::string(missing.size() == 1 ? "no run " : "no runs ") + str::join(missing, ", ") +
                (removed.empty() ? "" : " (deleted " + str::join(removed, ", ") + ")"));
  return removed;
}

} // namespace kf::action
