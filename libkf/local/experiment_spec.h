#pragma once
// A Katib Experiment (kubeflow.org/v1beta1) as the local controller reads
// it: the spec with Katib's defaults applied (as its admission webhook
// would) and everything this machine cannot do refused up front, with the
// field's path (FieldError). Pure: no processes, no files.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libkf/tune/suggest.h"
#include "libkf/util/json.h"

namespace re2 {
class RE2;
}

namespace kf::local {

enum class MetricStrategy { Min, Max, Latest };

struct MetricSpec {
  std::string name;
  MetricStrategy strategy = MetricStrategy::Latest;
};

struct CollectorSpec {
  std::string kind = "StdOut";              // StdOut | File | TensorFlowEvent | None
  std::string file_path;                    // File, TensorFlowEvent: source.fileSystemPath.path (inside the trial's directory)
  std::string file_format = "TEXT";         // File: TEXT | JSON
  std::vector<std::string> metrics_format;  // source.filter.metricsFormat: regexes with (name)(value) groups
};

struct EarlyStoppingSpec {
  std::string algorithm;        // "" = none; "medianstop"
  int min_trials_required = 3;  // medianstop's settings
  int start_step = 4;
};

struct TrialParameterSpec {
  std::string name;       // ${trialParameters.NAME}
  std::string reference;  // a parameter's name, or ${trialSpec.Name|Namespace|Kind|APIVersion}
};

struct ExperimentSpec {
  std::string name;
  tune::SearchSpace space;
  tune::Algorithm algorithm;
  tune::Objective objective;
  std::string objective_metric;
  std::optional<double> goal;
  std::vector<MetricSpec> metrics;   // the objective's first, then additionalMetricNames
  int max_trials = 0;                // maxTrialCount (0 = no limit: until the suggestion ends)
  int parallel_trials = 3;           // parallelTrialCount (Katib's default 3)
  int max_failed_trials = -1;        // maxFailedTrialCount (-1 = no limit)
  CollectorSpec collector;
  EarlyStoppingSpec early_stopping;
  std::vector<TrialParameterSpec> trial_parameters;
  Json trial_spec;                   // the trial's object, ${...} not yet substituted
  std::string primary_container = "training-container";
  std::string success_condition;     // the condition type whose True status is success ("Succeeded", "Complete")
  std::string failure_condition;
};

// Throws FieldError (paths from "spec.") for what Katib's validation refuses
// and for what the local target does not run: a trial kind other than Job,
// PyTorchJob or TFJob; PrometheusMetric/Custom collectors; algorithms and
// settings tune::make_suggester refuses; conditions other than the
// `status.conditions.#(type=="X")#|#(status=="True")#` form. `supporting`
// holds the ConfigMaps a trialTemplate.configMap may name.
ExperimentSpec read_experiment(const Json& experiment, const std::vector<Json>& supporting = {});

// The trial's object for an assignment: ${trialParameters.NAME} and
// ${trialSpec.Name|Namespace|Kind|APIVersion} substituted, metadata.name =
// `trial`, Katib's labels (katib.kubeflow.org/experiment, /trial).
Json trial_object(const ExperimentSpec& spec, const std::string& trial, const std::string& namespace_,
                  const tune::Assignment& assignment);

// One metric value a trial reported, in order.
struct MetricLog {
  std::string name;
  double value = 0;
};

// Reads metrics out of a trial's output per the collector: StdOut and File
// TEXT lines by the metricsFormat regexes (compiled once, here), File JSON as
// one object per line (and TensorFlowEvent: kf-tfevent-collector's lines, the
// same). Only names in `wanted` are kept.
class MetricsParser {
public:
  MetricsParser(const CollectorSpec& collector, std::vector<std::string> wanted);
  ~MetricsParser();
  MetricsParser(MetricsParser&&) noexcept;
  MetricsParser& operator=(MetricsParser&&) noexcept;
  std::vector<MetricLog> parse(const std::string& text) const; // whole lines
private:
  bool keep(const std::string& name) const;
  bool m_json;
  std::vector<std::string> m_wanted;
  std::vector<std::unique_ptr<re2::RE2>> m_formats; // read_experiment refused any that does not compile
};

// MetricsParser(collector, wanted).parse(text), for one text.
std::vector<MetricLog> parse_metrics(const CollectorSpec& collector, const std::string& text,
                                     const std::vector<std::string>& wanted);

// Katib's observation of a metric: min, max and latest of what was reported.
struct Observed {
  double min = 0, max = 0, latest = 0;
  int count = 0;
  double value(MetricStrategy s) const { return s == MetricStrategy::Min ? min : s == MetricStrategy::Max ? max : latest; }
};

} // namespace kf::local
