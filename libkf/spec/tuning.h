#pragma once
// kf.yaml's spec.tuning as the Katib Experiment's fields it becomes: the
// search space (spec.parameters) and the algorithm's settings with kf's
// defaults. Shared by the renderer (render/values.cpp) and the check of
// kf.yaml (check.cpp), which asks libkf/tune whether the algorithm can run
// them, so a bad setting is reported at its line in kf.yaml.

#include <string>
#include <utility>
#include <vector>

#include "libkf/spec/project.h"
#include "libkf/util/json.h"

namespace kf::spec {

// pbt: where a trial's checkpoints are, unless the settings name it
// (suggestion_trial_dir): the trainer's --output.
inline constexpr const char* k_pbt_trial_dir = "/var/log/katib/checkpoints";

// spec.parameters of the Experiment.
Json katib_parameters(const TuningSpec& t);

// spec.algorithm.algorithmSettings: kf.yaml's, then kf's defaults (pbt's
// suggestion_trial_dir).
std::vector<std::pair<std::string, std::string>> katib_algorithm_settings(const TuningSpec& t);

// pbt: suggestion_trial_dir as the settings give it (tune::pbt_trial_dir); "" for the other algorithms.
std::string pbt_trial_dir(const TuningSpec& t);

class Diagnostics;
// Whether the algorithm can search the parameters with these settings, as
// the local Experiment controller (and Katib's suggestion service) will
// check them: errors at their place in kf.yaml.
void check_algorithm(const TuningSpec& t, Diagnostics& diag);

} // namespace kf::spec
