// libFuzzer target: a Katib Experiment as a whole, as `kf submit -f` and
// `kf tune` give it to the local controller (libkf/local/experiment*.cpp,
// trial.cpp): read_experiment's checks and defaults, with the ConfigMaps of
// the same input as a trialTemplate.configMap may name them; the suggester
// of its algorithm (libkf/tune); then three rounds of trials as the
// controller makes them: each assignment substituted into the trial
// template and planned as the job it names (plan_job), metrics read from a
// made-up output by the collector's own parser, medianstop asked, and the
// Experiment's status written in Katib's shape. Nothing is started.
//
// Bad input may only raise kf::Error (FieldError among them): never crash,
// hang or leak.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/local/experiment_spec.h"
#include "libkf/local/experiment_status.h"
#include "libkf/local/plan.h"
#include "libkf/platform/objects.h"
#include "libkf/tune/suggest.h"
#include "libkf/util/error.h"

namespace {

using kf::Json;
namespace local = kf::local;

// What a trial printed: each wanted metric once per step, as text lines and
// as a JSON line (whichever the collector reads), values from the trial's index.
std::string output_of(const std::vector<std::string>& wanted, int index) {
  std::string text;
  for (int step = 0; step < 5; ++step) {
    Json line = Json::object();
    for (const auto& name : wanted) {
      const std::string value = std::to_string(0.1 * (index % 7) + 0.01 * step);
      text += name + "=" + value + "\n";
      line[name] = value;
    }
    text += line.dump() + "\n";
  }
  return text;
}

void run_trials(const local::ExperimentSpec& spec) {
  auto suggester = kf::tune::make_suggester(spec.algorithm, spec.space, spec.objective, 1);
  std::vector<std::string> wanted;
  for (const auto& m : spec.metrics) wanted.push_back(m.name);
  const local::MetricsParser parser(spec.collector, wanted);
  const local::PlanOptions po{"kf/trainer:fuzz", "/nonexistent/kf-trainer", [] { return 30000; },
                              local::builtin_training_runtimes()};
  std::vector<local::TrialRecord> records;
  for (int round = 0; round < 3; ++round) {
    const int count = std::clamp(spec.parallel_trials, 1, 4);
    const auto proposals = suggester->propose(local::history(spec, records), count);
    if (proposals.empty()) break;
    for (const auto& p : proposals) {
      local::TrialRecord t;
      t.index = static_cast<int>(records.size());
      t.name = spec.name + "-" + std::to_string(t.index);
      t.assignment = p.assignment;
      try {
        (void)local::plan_job(local::trial_object(spec, t.name, "fuzz", p.assignment), po);
        for (const auto& m : parser.parse(output_of(wanted, t.index))) local::observe(spec, t, m);
        t.state = local::objective_of(spec, t) ? kf::tune::TrialState::Succeeded : kf::tune::TrialState::MetricsUnavailable;
        if (!spec.early_stopping.algorithm.empty() && local::median_stop(spec, t, records)) t.state = kf::tune::TrialState::EarlyStopped;
      } catch (const kf::Error&) {
        t.state = kf::tune::TrialState::Failed;
      }
      records.push_back(std::move(t));
    }
  }
  Json status = Json::object();
  local::write_trial_status(spec, records, status);
  for (const auto& t : records) (void)local::observation_json(spec, t);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<kf::platform::Manifest> objects;
  try {
    kf::platform::parse_manifests(text, "fuzz.yaml", "experiment", objects);
  } catch (const kf::Error&) {
    return 0;
  }
  std::vector<Json> supporting;
  for (const auto& m : objects)
    if (m.object.is_object() && m.object.value("kind", Json()) == "ConfigMap") supporting.push_back(m.object);
  for (const auto& m : objects) {
    if (!m.object.is_object() || m.object.value("kind", Json()) != "Experiment") continue;
    try {
      run_trials(local::read_experiment(m.object, supporting));
    } catch (const kf::Error&) {
    }
  }
  return 0;
}
