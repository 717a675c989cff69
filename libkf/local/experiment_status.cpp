#include "libkf/local/experiment_status.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace kf::local {

std::string metric_text(double v) {
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string state_name(tune::TrialState s) {
  switch (s) {
  case tune::TrialState::Running: return "Running";
  case tune::TrialState::Succeeded: return "Succeeded";
  case tune::TrialState::Failed: return "Failed";
  case tune::TrialState::EarlyStopped: return "EarlyStopped";
  case tune::TrialState::MetricsUnavailable: return "MetricsUnavailable";
  case tune::TrialState::Killed: return "Killed";
  }
  return "Running";
}

std::optional<tune::TrialState> state_from_name(const std::string& s) {
  for (auto t : {tune::TrialState::Running, tune::TrialState::Succeeded, tune::TrialState::Failed,
                 tune::TrialState::EarlyStopped, tune::TrialState::MetricsUnavailable, tune::TrialState::Killed})
    if (state_name(t) == s) return t;
  return std::nullopt;
}

std::vector<tune::Trial> history(const ExperimentSpec& spec, const std::vector<TrialRecord>& trials) {
  std::vector<tune::Trial> h;
  for (const auto& t : trials) h.push_back({t.assignment, t.state, objective_of(spec, t), t.objective_values});
  return h;
}

void observe(const ExperimentSpec& spec, TrialRecord& t, const MetricLog& m) {
  Observed& o = t.observed[m.name];
  o.min = o.count ? std::min(o.min, m.value) : m.value;
  o.max = o.count ? std::max(o.max, m.value) : m.value;
  o.latest = m.value;
  ++o.count;
  if (m.name == spec.objective_metric) t.objective_values.push_back(m.value);
}

std::optional<double> objective_of(const ExperimentSpec& spec, const TrialRecord& t) {
  const auto it = t.observed.find(spec.objective_metric);
  if (it == t.observed.end() || it->second.count == 0) return std::nullopt;
  return it->second.value(spec.metrics.front().strategy);
}

Json observation_json(const ExperimentSpec& spec, const TrialRecord& t) {
  Json metrics = Json::array();
  for (const auto& m : spec.metrics) {
    const auto it = t.observed.find(m.name);
    if (it == t.observed.end() || it->second.count == 0) continue;
    metrics.push_back({{"name", m.name},
                       {"min", metric_text(it->second.min)},
                       {"max", metric_text(it->second.max)},
                       {"latest", metric_text(it->second.latest)}});
  }
  return {{"metrics", metrics}};
}

const TrialRecord* best_trial(const ExperimentSpec& spec, const std::vector<TrialRecord>& trials) {
  const TrialRecord* best = nullptr;
  std::optional<double> best_value;
  for (const auto& t : trials) {
    if (t.state != tune::TrialState::Succeeded && t.state != tune::TrialState::EarlyStopped) continue;
    const auto v = objective_of(spec, t);
    if (!v) continue;
    if (!best_value || (spec.objective.maximize ? *v > *best_value : *v < *best_value)) {
      best = &t;
      best_value = v;
    }
  }
  return best;
}

namespace {

Json assignments_json(const ExperimentSpec& spec, const TrialRecord& t) {
  Json a = Json::array();
  for (std::size_t i = 0; i < spec.space.parameters.size() && i < t.assignment.size(); ++i)
    a.push_back({{"name", spec.space.parameters[i].name}, {"value", t.assignment[i]}});
  return a;
}

} // namespace

void write_trial_status(const ExperimentSpec& spec, const std::vector<TrialRecord>& trials, Json& status) {
  std::map<tune::TrialState, Json> lists;
  for (const auto& t : trials) lists[t.state].push_back(t.name);
  auto list = [&](tune::TrialState s) { return lists.count(s) ? lists[s] : Json::array(); };
  auto count = [&](tune::TrialState s) { return static_cast<int>(list(s).size()); };
  status["trials"] = static_cast<int>(trials.size());
  status["trialsSucceeded"] = count(tune::TrialState::Succeeded);
  status["trialsFailed"] = count(tune::TrialState::Failed);
  status["trialsKilled"] = count(tune::TrialState::Killed);
  status["trialsEarlyStopped"] = count(tune::TrialState::EarlyStopped);
  status["trialMetricsUnavailable"] = count(tune::TrialState::MetricsUnavailable);
  status["trialsRunning"] = count(tune::TrialState::Running);
  status["trialsPending"] = 0;
  status["runningTrialList"] = list(tune::TrialState::Running);
  status["succeededTrialList"] = list(tune::TrialState::Succeeded);
  status["failedTrialList"] = list(tune::TrialState::Failed);
  status["killedTrialList"] = list(tune::TrialState::Killed);
  status["earlyStoppedTrialList"] = list(tune::TrialState::EarlyStopped);
  status["metricsUnavailableTrialList"] = list(tune::TrialState::MetricsUnavailable);
  if (const TrialRecord* best = best_trial(spec, trials))
    status["currentOptimalTrial"] = {{"bestTrialName", best->name},
                                     {"parameterAssignments", assignments_json(spec, *best)},
                                     {"observation", observation_json(spec, *best)}};
  else
    status["currentOptimalTrial"] = {{"bestTrialName", ""}, {"parameterAssignments", Json::array()},
                                     {"observation", {{"metrics", Json::array()}}}};
}

bool median_stop(const ExperimentSpec& spec, const TrialRecord& running, const std::vector<TrialRecord>& trials) {
  const auto& es = spec.early_stopping;
  const std::size_t step = running.objective_values.size();
  if (es.algorithm != "medianstop" || step < static_cast<std::size_t>(es.start_step) || step == 0) return false;
  std::vector<double> averages; // each completed trial's running average up to `step`
  for (const auto& t : trials) {
    if (t.state != tune::TrialState::Succeeded || t.objective_values.empty()) continue;
    const std::size_t n = std::min(step, t.objective_values.size());
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += t.objective_values[i];
    averages.push_back(sum / static_cast<double>(n));
  }
  if (averages.size() < static_cast<std::size_t>(es.min_trials_required)) return false;
  std::sort(averages.begin(), averages.end());
  const std::size_t mid = averages.size() / 2;
  const double median = averages.size() % 2 ? averages[mid] : (averages[mid - 1] + averages[mid]) / 2;
  const auto& v = running.objective_values;
  const double best = spec.objective.maximize ? *std::max_element(v.begin(), v.end()) : *std::min_element(v.begin(), v.end());
  return spec.objective.maximize ? best < median : best > median;
}

} // namespace kf::local
