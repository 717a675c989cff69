#include "libkf/local/experiment_spec.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <re2/re2.h>

#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"

namespace kf::local {

namespace {

constexpr const char* k_default_format = R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))";

// An integer field: a JSON integer or Katib's string form; `fallback` when absent.
int int_field(const Json& spec, const char* key, int fallback, int minimum) {
  const Json& v = json_field(spec, key);
  if (v.is_null()) return fallback;
  if (!v.is_number_integer() || v.get<long long>() < minimum || v.get<long long>() > 1000000)
    throw FieldError(std::string("spec.") + key, "must be an integer of at least " + std::to_string(minimum) + ", not " + v.dump());
  return v.get<int>();
}

std::optional<double> number_of(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return d;
  }
  return std::nullopt;
}

void read_objective(const Json& spec, ExperimentSpec& e) {
  const Json& objective = json_field(spec, "objective");
  if (!objective.is_object()) throw FieldError("spec.objective", "required");
  const std::string type = json_text(objective, "type");
  if (type != "minimize" && type != "maximize")
    throw FieldError("spec.objective.type", "must be minimize or maximize, not " + str::quote(type));
  e.objective.maximize = type == "maximize";
  e.objective_metric = json_text(objective, "objectiveMetricName");
  if (e.objective_metric.empty()) throw FieldError("spec.objective.objectiveMetricName", "required");
  if (const Json& goal = json_field(objective, "goal"); !goal.is_null()) {
    e.goal = number_of(goal);
    if (!e.goal) throw FieldError("spec.objective.goal", "must be a number, not " + goal.dump());
  }
  const MetricStrategy by_type = e.objective.maximize ? MetricStrategy::Max : MetricStrategy::Min;
  e.metrics.push_back({e.objective_metric, by_type});
  const Json& additional = json_field(objective, "additionalMetricNames");
  if (additional.is_array())
    for (std::size_t i = 0; i < additional.size(); ++i) {
      if (!additional[i].is_string() || additional[i].get<std::string>() == e.objective_metric)
        throw FieldError("spec.objective.additionalMetricNames[" + std::to_string(i) + "]",
                         "must be a metric name other than the objective's");
      e.metrics.push_back({additional[i].get<std::string>(), by_type}); // Katib's default: the objective's type
    }
  const Json& strategies = json_field(objective, "metricStrategies");
  if (strategies.is_array())
    for (std::size_t i = 0; i < strategies.size(); ++i) {
      const std::string at = "spec.objective.metricStrategies[" + std::to_string(i) + "]";
      const std::string name = json_text(strategies[i], "name"), value = json_text(strategies[i], "value");
      auto it = std::find_if(e.metrics.begin(), e.metrics.end(), [&](const MetricSpec& m) { return m.name == name; });
      if (it == e.metrics.end()) throw FieldError(at + ".name", str::quote(name) + " is not the objective or an additional metric");
      if (value == "min") it->strategy = MetricStrategy::Min;
      else if (value == "max") it->strategy = MetricStrategy::Max;
      else if (value == "latest") it->strategy = MetricStrategy::Latest;
      else throw FieldError(at + ".value", "must be min, max or latest, not " + str::quote(value));
    }
}

void read_algorithm(const Json& spec, ExperimentSpec& e) {
  const Json& algorithm = json_field(spec, "algorithm");
  e.algorithm.name = json_text(algorithm, "algorithmName");
  if (e.algorithm.name.empty()) throw FieldError("spec.algorithm.algorithmName", "required");
  const Json& settings = json_field(algorithm, "algorithmSettings");
  if (settings.is_array())
    for (const auto& s : settings) e.algorithm.settings.emplace_back(json_text(s, "name"), json_text(s, "value"));
  // Every refusal of the algorithm and its settings now, not in the controller.
  tune::check_algorithm(e.algorithm, e.space);
}

void read_collector(const Json& spec, ExperimentSpec& e) {
  const Json& mc = json_field(spec, "metricsCollectorSpec");
  const std::string kind = json_text(json_field(mc, "collector"), "kind");
  e.collector.kind = kind.empty() ? "StdOut" : kind;
  const std::string at = "spec.metricsCollectorSpec.collector.kind";
  if (e.collector.kind == "PrometheusMetric" || e.collector.kind == "Custom")
    throw FieldError(at, "the local target does not run the " + e.collector.kind +
                             " collector (it collects StdOut, File, TensorFlowEvent and None)");
  if (e.collector.kind != "StdOut" && e.collector.kind != "File" && e.collector.kind != "TensorFlowEvent" &&
      e.collector.kind != "None")
    throw FieldError(at, str::quote(e.collector.kind) + " is not a Katib collector (StdOut, File, TensorFlowEvent, "
                                                         "PrometheusMetric, Custom, None)");
  const Json& source = json_field(mc, "source");
  const Json& formats = json_field(json_field(source, "filter"), "metricsFormat");
  if (formats.is_array())
    for (std::size_t i = 0; i < formats.size(); ++i) {
      // A Go regexp, as Katib's collector compiles it: RE2 has its syntax (a
      // brace that makes no repetition, as in {metricName: ...}, is a literal).
      const std::string written = formats[i].is_string() ? formats[i].get<std::string>() : "";
      const std::string format_at = "spec.metricsCollectorSpec.source.filter.metricsFormat[" + std::to_string(i) + "]";
      const re2::RE2 re(written, re2::RE2::Quiet);
      if (!re.ok()) throw FieldError(format_at, "not a regular expression (" + re.error() + "): " + str::quote(written));
      if (re.NumberOfCapturingGroups() < 2)
        throw FieldError(format_at, "must be a regular expression with two groups (the name and the value), not " + str::quote(written));
      e.collector.metrics_format.push_back(written);
    }
  if (e.collector.metrics_format.empty()) e.collector.metrics_format.push_back(k_default_format);
  if (e.collector.kind == "TensorFlowEvent") {
    const Json& fs = json_field(source, "fileSystemPath");
    e.collector.file_path = json_text(fs, "path");
    if (e.collector.file_path.empty())
      throw FieldError("spec.metricsCollectorSpec.source.fileSystemPath.path", "required by the TensorFlowEvent collector "
                                                                               "(the directory of the event files)");
    if (!json_text(fs, "kind").empty() && json_text(fs, "kind") != "Directory")
      throw FieldError("spec.metricsCollectorSpec.source.fileSystemPath.kind",
                       "the TensorFlowEvent collector reads a Directory, not " + str::quote(json_text(fs, "kind")));
  }
  if (e.collector.kind == "File") {
    const Json& fs = json_field(source, "fileSystemPath");
    e.collector.file_path = json_text(fs, "path");
    if (e.collector.file_path.empty())
      throw FieldError("spec.metricsCollectorSpec.source.fileSystemPath.path", "required by the File collector");
    e.collector.file_format = json_text(fs, "format").empty() ? "TEXT" : json_text(fs, "format");
    if (e.collector.file_format != "TEXT" && e.collector.file_format != "JSON")
      throw FieldError("spec.metricsCollectorSpec.source.fileSystemPath.format", "must be TEXT or JSON, not " +
                                                                                     str::quote(e.collector.file_format));
  }
}

void read_early_stopping(const Json& spec, ExperimentSpec& e) {
  const Json& es = json_field(spec, "earlyStopping");
  if (es.is_null()) return;
  e.early_stopping.algorithm = json_text(es, "algorithmName");
  if (e.early_stopping.algorithm != "medianstop")
    throw FieldError("spec.earlyStopping.algorithmName", "the local target stops trials early with medianstop, not " +
                                                             str::quote(e.early_stopping.algorithm));
  const Json& settings = json_field(es, "algorithmSettings");
  if (!settings.is_array()) return;
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const std::string at = "spec.earlyStopping.algorithmSettings[" + std::to_string(i) + "]";
    const std::string name = json_text(settings[i], "name"), value = json_text(settings[i], "value");
    int* target = name == "min_trials_required" ? &e.early_stopping.min_trials_required
                  : name == "start_step"        ? &e.early_stopping.start_step
                                                : nullptr;
    if (!target)
      throw FieldError(at + ".name", "unknown medianstop setting " + str::quote(name) +
                                         str::did_you_mean(name, {"min_trials_required", "start_step"}) +
                                         " (it has min_trials_required, start_step)");
    char* end = nullptr;
    const long v = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || v < 1) throw FieldError(at + ".value", name + " must be a positive integer, not " + str::quote(value));
    *target = static_cast<int>(v);
  }
}

// `status.conditions.#(type=="Succeeded")#|#(status=="True")#` -> "Succeeded".
std::string condition_type(const std::string& expr, const std::string& at) {
  // RE2: linear in the expression's length (std::regex's matcher recurses per character).
  static const re2::RE2 form(R"re(status\.conditions\.#\(type=="([A-Za-z]+)"\)#\|#\(status=="True"\)#)re");
  std::string type;
  if (!re2::RE2::FullMatch(expr, form, &type))
    throw FieldError(at, "the local target evaluates conditions of the form status.conditions.#(type==\"TYPE\")#|"
                         "#(status==\"True\")#, not " + str::quote(expr));
  return type;
}

Json config_map_template(const Json& ref, const std::vector<Json>& supporting) {
  const std::string name = json_text(ref, "configMapName"), path = json_text(ref, "templatePath");
  for (const auto& s : supporting)
    if (s.value("kind", "") == "ConfigMap" && json_text(json_field(s, "metadata"), "name") == name) {
      const Json& data = json_field(s, "data");
      if (!data.contains(path))
        throw FieldError("spec.trialTemplate.configMap.templatePath", "ConfigMap " + str::quote(name) + " has no key " + str::quote(path));
      return yaml::to_json(yaml::parse(data[path].get<std::string>(), "ConfigMap " + name + " " + path));
    }
  throw FieldError("spec.trialTemplate.configMap.configMapName",
                   "ConfigMap " + str::quote(name) + " not given: pass its manifest too (kf submit -f experiment.yaml -f configmap.yaml)");
}

void read_trial_template(const Json& spec, const std::vector<Json>& supporting, ExperimentSpec& e) {
  const Json& tt = json_field(spec, "trialTemplate");
  if (!tt.is_object()) throw FieldError("spec.trialTemplate", "required");
  if (tt.contains("trialSpec")) e.trial_spec = tt["trialSpec"];
  else if (tt.contains("configMap")) e.trial_spec = config_map_template(tt["configMap"], supporting);
  else throw FieldError("spec.trialTemplate", "needs trialSpec or configMap");
  const std::string kind = json_text(e.trial_spec, "kind");
  if (kind != "Job" && kind != "PyTorchJob" && kind != "TFJob" && kind != "TrainJob")
    throw FieldError("spec.trialTemplate.trialSpec.kind",
                     "the local target runs trials of kind Job, PyTorchJob, TFJob and TrainJob, not " + str::quote(kind));
  if (!json_text(tt, "primaryContainerName").empty()) e.primary_container = json_text(tt, "primaryContainerName");
  const bool job = kind == "Job" || kind == "TrainJob"; // their success is "Complete"
  const std::string success = json_text(tt, "successCondition"), failure = json_text(tt, "failureCondition");
  e.success_condition = success.empty() ? (job ? "Complete" : "Succeeded") : condition_type(success, "spec.trialTemplate.successCondition");
  e.failure_condition = failure.empty() ? "Failed" : condition_type(failure, "spec.trialTemplate.failureCondition");
  const Json& params = json_field(tt, "trialParameters");
  if (params.is_array())
    for (std::size_t i = 0; i < params.size(); ++i) {
      TrialParameterSpec p{json_text(params[i], "name"), json_text(params[i], "reference")};
      const std::string at = "spec.trialTemplate.trialParameters[" + std::to_string(i) + "]";
      if (p.name.empty()) throw FieldError(at + ".name", "required");
      const bool meta = p.reference == "${trialSpec.Name}" || p.reference == "${trialSpec.Namespace}" ||
                        p.reference == "${trialSpec.Kind}" || p.reference == "${trialSpec.APIVersion}";
      const bool known = std::any_of(e.space.parameters.begin(), e.space.parameters.end(),
                                     [&](const tune::Parameter& q) { return q.name == p.reference; });
      if (!meta && !known) {
        std::vector<std::string> names;
        for (const auto& q : e.space.parameters) names.push_back(q.name);
        throw FieldError(at + ".reference", str::quote(p.reference) + " is not a parameter" + str::did_you_mean(p.reference, names) +
                                                " (parameters: " + str::join(names, ", ") + "; or ${trialSpec.Name})");
      }
      e.trial_parameters.push_back(p);
    }
}

} // namespace

ExperimentSpec read_experiment(const Json& experiment, const std::vector<Json>& supporting) {
  const Json& spec = json_field(experiment, "spec");
  if (!spec.is_object()) throw FieldError("spec", "required");
  ExperimentSpec e;
  e.name = json_text(json_field(experiment, "metadata"), "name");
  read_objective(spec, e);
  const Json& parameters = json_field(spec, "parameters");
  if (!parameters.is_array() || parameters.empty()) throw FieldError("spec.parameters", "required: the search space");
  e.space = tune::parse_space(parameters);
  read_algorithm(spec, e);
  e.max_trials = int_field(spec, "maxTrialCount", 0, 1);
  e.parallel_trials = int_field(spec, "parallelTrialCount", 3, 1);
  e.max_failed_trials = int_field(spec, "maxFailedTrialCount", -1, 0);
  read_collector(spec, e);
  read_early_stopping(spec, e);
  read_trial_template(spec, supporting, e);
  return e;
}

} // namespace kf::local
