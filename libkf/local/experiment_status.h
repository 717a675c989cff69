#pragma once
// The local Experiment controller's bookkeeping of trials, and the status
// it writes in Katib's shape (experiment.cpp runs the loop). A trial lives
// in <experiment run dir>/trials/<trial>/: a run directory of its own (its
// job's object.json, plan.json, local.json and logs, kept by the job's own
// supervisor) plus trial.json, the Katib Trial object, written only by the
// experiment's controller.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libkf/local/experiment_spec.h"
#include "libkf/util/json.h"

namespace kf::local {

struct TrialRecord {
  std::string name;
  int index = 0;                          // creation order
  tune::Assignment assignment;            // in the search space's order
  tune::TrialState state = tune::TrialState::Running;
  std::map<std::string, Observed> observed;
  std::vector<double> objective_values;   // as reported, in order (medianstop)
  std::map<std::string, std::size_t> read; // bytes of each metrics source already parsed
  Json object;                            // the Katib Trial (trial.json)
  bool finished() const { return state != tune::TrialState::Running; }
};

// Katib's text for a number ("0.91", "1e-05"): the shortest that reads back the same.
std::string metric_text(double v);

// "Succeeded", "Failed", "EarlyStopped", "MetricsUnavailable", "Killed", "Running".
std::string state_name(tune::TrialState s);
std::optional<tune::TrialState> state_from_name(const std::string& s);

// One value a trial reported, into its observation (min, max, latest, count)
// and, for the objective, its values in order.
void observe(const ExperimentSpec& spec, TrialRecord& t, const MetricLog& m);

// The objective's value as its strategy reads it; nullopt when never reported.
std::optional<double> objective_of(const ExperimentSpec& spec, const TrialRecord& t);

// Observations in Katib's shape: {metrics: [{name, min, max, latest}]} (strings).
Json observation_json(const ExperimentSpec& spec, const TrialRecord& t);

// The trials as the suggestion algorithms see them, in creation order.
std::vector<tune::Trial> history(const ExperimentSpec& spec, const std::vector<TrialRecord>& trials);

// The best trial so far among those with an objective (Succeeded, EarlyStopped); nullptr when none.
const TrialRecord* best_trial(const ExperimentSpec& spec, const std::vector<TrialRecord>& trials);

// Writes Katib's counters, trial lists and currentOptimalTrial into `status`.
void write_trial_status(const ExperimentSpec& spec, const std::vector<TrialRecord>& trials, Json& status);

// medianstop: whether a running trial should stop now, given the trials
// that succeeded (Katib's rule: at step S >= start_step, with at least
// min_trials_required completed trials, its best value is worse than the
// median of their running averages up to step S).
bool median_stop(const ExperimentSpec& spec, const TrialRecord& running, const std::vector<TrialRecord>& trials);

} // namespace kf::local
