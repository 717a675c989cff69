#pragma once
// Checks on a decoded Project that span several fields: ranges that depend
// on each other, unique names, references between names, pipeline cycles.

#include "contract/trainer_flags.h"
#include "libkf/spec/fields.h"
#include "libkf/spec/project.h"

namespace kf::spec {

void check_project(const Project& project, Diagnostics& diag);

// The message for a hyperparameter or tuned parameter that kf's trainer
// (contract/trainer_flags.h) has no flag for, with a did-you-mean.
std::string not_a_trainer_flag(const std::string& name);
// An error at `loc` when kf's trainer does not take --FLAG=text.
void check_trainer_value(const contract::TrainerFlag& flag, const std::string& text, const yaml::Loc& loc,
                         const std::string& path, Diagnostics& diag);

// Kubernetes resource quantity: "500m", "2", "1.5", "4Gi", "1e3".
bool is_quantity(const std::string& s);

// The first dependency cycle of a pipeline as step names ("a", "b", "a"), or
// empty when the steps form a DAG. Dependencies include those implied by inputs.
std::vector<std::string> find_cycle(const PipelineSpec& pipeline);

// Names of the steps `step` depends on: dependsOn plus producers of its inputs.
std::vector<std::string> step_dependencies(const PipelineSpec& pipeline, const StepSpec& step);

} // namespace kf::spec
