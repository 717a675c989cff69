#pragma once
// Internal to Runs: how kf's records (runs.h) map onto MLMD's (model.h) —
// the kf.* types and their properties, run states, and the checks on what
// callers pass in (each throws kf::Error with the reason).

#include <string>
#include <vector>

#include "libkf/metadata/model.h"
#include "libkf/metadata/runs.h"

namespace kf::metadata::detail {

inline constexpr const char* k_run_type = "kf.Run";
inline constexpr const char* k_project_type = "kf.Project";
inline constexpr const char* k_step_type = "kf.Step";
inline constexpr const char* k_pipeline_run_type = "kf.PipelineRun";

PropertySchema run_properties();
PropertySchema step_properties();
Execution to_execution(const std::string& run, const StepRecord& step);
StepRecord to_step(const Execution& e); // no artifacts
const std::vector<std::string>& artifact_types(); // kf.Dataset, kf.Model, kf.Checkpoint, kf.Metrics
PropertySchema artifact_properties();

void check_state(const std::string& state);
ExecutionState mlmd_state(const std::string& state);
void check_artifact(const ArtifactRecord& artifact);
// The epoch's values as metric rows; checks the epoch number and the values.
std::vector<Metric> epoch_metrics(const std::string& run, const EpochRecord& epoch);

std::string string_property(const Properties& p, const std::string& name); // "" when missing

Execution to_execution(const RunRecord& run);
RunRecord to_record(const Execution& e); // no epochs, artifacts or final_metrics
std::vector<EpochRecord> to_epochs(const std::vector<Metric>& metrics);
Artifact to_artifact(const ArtifactRecord& a);
ArtifactRecord to_artifact_record(const Artifact& a, const Event& e);

// The artifact with that uri and sha256, stored when it is not yet.
std::int64_t artifact_id(Store& s, const ArtifactRecord& artifact);

} // namespace kf::metadata::detail
