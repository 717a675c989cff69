#include "libkf/metadata/run_record.h"

#include <algorithm>

#include "libkf/util/error.h"

namespace kf::metadata::detail {
namespace {

struct State {
  const char* name;
  ExecutionState mlmd;
};
constexpr State k_states[] = {
    {"Created", ExecutionState::New},        {"Running", ExecutionState::Running},
    {"Restarting", ExecutionState::Running}, {"Succeeded", ExecutionState::Complete},
    {"Failed", ExecutionState::Failed},      {"Stopped", ExecutionState::Canceled},
    {"Ready", ExecutionState::Running}, // a service (InferenceService) that answers
};

std::int64_t int_property(const Properties& p, const std::string& name) {
  auto it = p.find(name);
  if (it == p.end()) return 0;
  const auto* v = std::get_if<std::int64_t>(&it->second);
  return v ? *v : 0;
}

Json json_property(const Properties& p, const std::string& name) {
  std::string text = string_property(p, name);
  if (text.empty()) return Json::object();
  Json j = json::parse_or_discarded(text);
  return j.is_discarded() ? Json::object() : j;
}

} // namespace

PropertySchema run_properties() {
  using P = PropertyType;
  return {{"project", P::String}, {"kind", P::String},       {"target", P::String},
          {"state", P::String},   {"message", P::String},    {"parameters", P::String},
          {"object", P::String},  {"git_commit", P::String}, {"git_dirty", P::Int}};
}

PropertySchema step_properties() {
  using P = PropertyType;
  return {{"run", P::String}, {"name", P::String}, {"node", P::String}, {"template", P::String}, {"phase", P::String}, {"cached", P::Int}};
}

// MLMD's state of a step: Complete, Cached, Failed, Canceled (skipped or omitted), else Running.
Execution to_execution(const std::string& run, const StepRecord& step) {
  Execution e;
  e.type = k_step_type;
  e.name = run + "/" + step.node;
  e.last_known_state = step.cached                                          ? ExecutionState::Cached
                       : step.phase == "Succeeded"                          ? ExecutionState::Complete
                       : step.phase == "Failed" || step.phase == "Error"    ? ExecutionState::Failed
                       : step.phase == "Skipped" || step.phase == "Omitted" ? ExecutionState::Canceled
                                                                            : ExecutionState::Running;
  e.properties = {{"run", run},           {"name", step.name},   {"node", step.node},
                  {"template", step.template_name}, {"phase", step.phase}, {"cached", std::int64_t{step.cached ? 1 : 0}}};
  return e;
}

StepRecord to_step(const Execution& e) {
  StepRecord s;
  s.name = string_property(e.properties, "name");
  s.node = string_property(e.properties, "node");
  s.template_name = string_property(e.properties, "template");
  s.phase = string_property(e.properties, "phase");
  s.cached = int_property(e.properties, "cached") != 0;
  return s;
}

const std::vector<std::string>& artifact_types() {
  static const std::vector<std::string> k_types = {"kf.Dataset", "kf.Model", "kf.Checkpoint", "kf.Metrics",
                                                             "kf.Image",   "kf.Artifact"}; // kf.Artifact: a workflow step's
  return k_types;
}

PropertySchema artifact_properties() { return {{"sha256", PropertyType::String}, {"size", PropertyType::Int}}; }

void check_state(const std::string& state) { mlmd_state(state); }

ExecutionState mlmd_state(const std::string& state) {
  for (const auto& s : k_states)
    if (state == s.name) return s.mlmd;
  throw Error("unknown run state '" + state + "' (expected Created, Running, Restarting, Ready, Succeeded, Failed or Stopped)");
}

void check_artifact(const ArtifactRecord& a) {
  const auto& types = artifact_types();
  if (std::find(types.begin(), types.end(), a.type) == types.end())
    throw Error("unknown artifact type '" + a.type + "' (expected kf.Dataset, kf.Model, kf.Checkpoint, kf.Metrics, kf.Image or kf.Artifact)");
  if (a.direction != "input" && a.direction != "output")
    throw Error("artifact " + a.uri + ": direction must be \"input\" or \"output\", got \"" + a.direction + "\"");
  if (a.uri.empty()) throw Error("artifact " + a.name + " has no uri");
}

std::vector<Metric> epoch_metrics(const std::string& run, const EpochRecord& epoch) {
  std::string where = "run " + run + ": epoch " + std::to_string(epoch.epoch);
  if (epoch.epoch < 1) throw Error(where + ": epochs are numbered from 1");
  if (!epoch.values.is_null() && !epoch.values.is_object()) throw Error(where + ": values must be an object of numbers");
  std::vector<Metric> out;
  if (epoch.values.is_null()) return out;
  for (const auto& [name, value] : epoch.values.items()) {
    if (!value.is_number()) throw Error(where + ": metric '" + name + "' is not a number");
    out.push_back({0, epoch.epoch, name, value.get<double>(), epoch.time_ms});
  }
  return out;
}

std::string string_property(const Properties& p, const std::string& name) {
  auto it = p.find(name);
  if (it == p.end()) return {};
  const auto* v = std::get_if<std::string>(&it->second);
  return v ? *v : std::string();
}

Execution to_execution(const RunRecord& r) {
  Execution e;
  e.type = k_run_type;
  e.name = r.name;
  e.last_known_state = mlmd_state(r.state);
  e.properties = {{"project", r.project},
                  {"kind", r.kind},
                  {"target", r.target},
                  {"state", r.state},
                  {"message", r.message},
                  {"parameters", r.parameters.dump()},
                  {"object", r.object.dump()},
                  {"git_commit", r.git_commit},
                  {"git_dirty", std::int64_t{r.git_dirty ? 1 : 0}}};
  return e;
}

RunRecord to_record(const Execution& e) {
  RunRecord r;
  const auto& p = e.properties;
  r.name = e.name;
  r.project = string_property(p, "project");
  r.kind = string_property(p, "kind");
  r.target = string_property(p, "target");
  r.state = string_property(p, "state");
  r.message = string_property(p, "message");
  r.parameters = json_property(p, "parameters");
  r.object = json_property(p, "object");
  r.git_commit = string_property(p, "git_commit");
  r.git_dirty = int_property(p, "git_dirty") != 0;
  r.create_time_ms = e.create_time_ms;
  r.update_time_ms = e.update_time_ms;
  return r;
}

std::vector<EpochRecord> to_epochs(const std::vector<Metric>& metrics) {
  std::vector<EpochRecord> out;
  for (const auto& m : metrics) {
    if (out.empty() || out.back().epoch != m.epoch) out.push_back({m.epoch, Json::object(), m.time_ms});
    out.back().values[m.name] = m.value;
  }
  return out;
}

Artifact to_artifact(const ArtifactRecord& a) {
  Artifact out;
  out.type = a.type;
  out.uri = a.uri;
  out.name = a.name;
  out.state = ArtifactState::Live;
  out.properties = {{"sha256", a.sha256}, {"size", a.size}};
  return out;
}

ArtifactRecord to_artifact_record(const Artifact& a, const Event& e) {
  ArtifactRecord r;
  r.type = a.type;
  r.name = a.name;
  r.uri = a.uri;
  r.sha256 = string_property(a.properties, "sha256");
  r.size = int_property(a.properties, "size");
  r.direction = e.type == EventType::Input ? "input" : "output";
  r.create_time_ms = a.create_time_ms;
  return r;
}

} // namespace kf::metadata::detail
