#include <doctest/doctest.h>

#include "libkf/local/experiment_spec.h"
#include "libkf/local/experiment_status.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {

Json experiment() {
  return Json::parse(R"({
    "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": {"name": "branin", "namespace": "ml"},
    "spec": {
      "objective": {"type": "minimize", "objectiveMetricName": "value", "additionalMetricNames": ["loss"]},
      "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "3"}]},
      "maxTrialCount": 6,
      "parameters": [
        {"name": "x1", "parameterType": "double", "feasibleSpace": {"min": "-5", "max": "10"}},
        {"name": "opt", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}}],
      "trialTemplate": {
        "trialParameters": [{"name": "x", "reference": "x1"}, {"name": "optimizer", "reference": "opt"},
                            {"name": "me", "reference": "${trialSpec.Name}"}],
        "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
          "restartPolicy": "Never",
          "containers": [{"name": "training-container", "image": "python:3.11",
                          "command": ["python3", "train.py", "--x=${trialParameters.x}", "--opt=${trialParameters.optimizer}",
                                      "--name=${trialParameters.me}"]}]}}}}}}})");
}

std::string refusal(const Json& e, const std::vector<Json>& supporting = {}) {
  try {
    local::read_experiment(e, supporting);
  } catch (const FieldError& err) {
    return err.what();
  }
  return "no error";
}

} // namespace

TEST_CASE("experiment: Katib's defaults - parallelTrialCount 3, every metric by the objective's type, a Job's Complete") {
  const auto e = local::read_experiment(experiment());
  CHECK(e.parallel_trials == 3);
  CHECK(e.max_trials == 6);
  CHECK(e.max_failed_trials == -1);
  REQUIRE(e.metrics.size() == 2);
  CHECK(e.metrics[0].name == "value");
  CHECK(e.metrics[0].strategy == local::MetricStrategy::Min);
  CHECK(e.metrics[1].strategy == local::MetricStrategy::Min);
  CHECK(e.success_condition == "Complete");
  CHECK(e.failure_condition == "Failed");
  CHECK(e.collector.kind == "StdOut");
  CHECK(e.primary_container == "training-container");
  Json pytorch = experiment();
  pytorch["spec"]["trialTemplate"]["trialSpec"]["kind"] = "PyTorchJob";
  pytorch["spec"]["objective"]["metricStrategies"] = Json::parse(R"([{"name": "loss", "value": "latest"}])");
  const auto p = local::read_experiment(pytorch);
  CHECK(p.success_condition == "Succeeded");
  CHECK(p.metrics[1].strategy == local::MetricStrategy::Latest);
}

TEST_CASE("experiment: a trial's object has its parameters, its name and Katib's labels") {
  const auto e = local::read_experiment(experiment());
  const Json trial = local::trial_object(e, "branin-abc", "ml", {"2.5", "adam"});
  CHECK(trial["spec"]["template"]["spec"]["containers"][0]["command"] ==
        Json::parse(R"(["python3", "train.py", "--x=2.5", "--opt=adam", "--name=branin-abc"])"));
  CHECK(trial["metadata"]["name"] == "branin-abc");
  CHECK(trial["metadata"]["labels"]["katib.kubeflow.org/experiment"] == "branin");
  CHECK(trial["metadata"]["labels"]["katib.kubeflow.org/trial"] == "branin-abc");
}

TEST_CASE("experiment: what Katib or the local target refuses names the field") {
  Json e = experiment();
  e["spec"]["metricsCollectorSpec"]["collector"]["kind"] = "PrometheusMetric";
  CHECK(refusal(e) == "spec.metricsCollectorSpec.collector.kind: the local target does not run the PrometheusMetric collector "
                      "(it collects StdOut, File, TensorFlowEvent and None)");
  e["spec"]["metricsCollectorSpec"]["collector"]["kind"] = "TensorFlowEvent";
  CHECK(refusal(e) == "spec.metricsCollectorSpec.source.fileSystemPath.path: required by the TensorFlowEvent collector (the "
                      "directory of the event files)");
  e = experiment();
  e["spec"]["metricsCollectorSpec"]["collector"]["kind"] = "Stdout";
  CHECK(refusal(e) == "spec.metricsCollectorSpec.collector.kind: \"Stdout\" is not a Katib collector (StdOut, File, "
                      "TensorFlowEvent, PrometheusMetric, Custom, None)");
  e = experiment();
  e["spec"]["metricsCollectorSpec"]["collector"]["kind"] = "File";
  CHECK(refusal(e) == "spec.metricsCollectorSpec.source.fileSystemPath.path: required by the File collector");
  e = experiment();
  e["spec"]["trialTemplate"]["trialSpec"]["kind"] = "Notebook";
  CHECK(refusal(e) == "spec.trialTemplate.trialSpec.kind: the local target runs trials of kind Job, PyTorchJob, TFJob and TrainJob, "
                      "not \"Notebook\"");
  e = experiment();
  e["spec"]["trialTemplate"]["successCondition"] = "status.succeeded > 0";
  CHECK(refusal(e) == "spec.trialTemplate.successCondition: the local target evaluates conditions of the form "
                      "status.conditions.#(type==\"TYPE\")#|#(status==\"True\")#, not \"status.succeeded > 0\"");
  // 200 KB: refused, where std::regex's matcher overflowed the stack.
  e = experiment();
  e["spec"]["trialTemplate"]["successCondition"] = "status.conditions.#(type==\"" + std::string(200000, 'S') + "\")#|x";
  CHECK(refusal(e).starts_with("spec.trialTemplate.successCondition: the local target evaluates conditions of the form "));
  e = experiment();
  e["spec"]["trialTemplate"]["successCondition"] = "status.conditions.#(type==\"" + std::string(200000, 'S') + "\")#|#(status==\"True\")#";
  CHECK(refusal(e) == "no error");
  e = experiment();
  e["spec"]["trialTemplate"]["trialParameters"][0]["reference"] = "x2";
  CHECK(refusal(e) == "spec.trialTemplate.trialParameters[0].reference: \"x2\" is not a parameter (did you mean 'x1'?) "
                      "(parameters: x1, opt; or ${trialSpec.Name})");
  e = experiment();
  e["spec"]["earlyStopping"] = Json::parse(R"({"algorithmName": "medianstop", "algorithmSettings": [{"name": "min_trial_required", "value": "2"}]})");
  CHECK(refusal(e) == "spec.earlyStopping.algorithmSettings[0].name: unknown medianstop setting \"min_trial_required\" "
                      "(did you mean 'min_trials_required'?) (it has min_trials_required, start_step)");
  e["spec"]["earlyStopping"]["algorithmSettings"][0] = {{"name", "start_step"}, {"value", "0"}};
  CHECK(refusal(e) == "spec.earlyStopping.algorithmSettings[0].value: start_step must be a positive integer, not \"0\"");
  e = experiment();
  e["spec"]["objective"]["type"] = "minimise";
  CHECK(refusal(e) == "spec.objective.type: must be minimize or maximize, not \"minimise\"");
  e = experiment();
  e["spec"]["parallelTrialCount"] = 0;
  CHECK(refusal(e) == "spec.parallelTrialCount: must be an integer of at least 1, not 0");
  e = experiment();
  e["spec"]["trialTemplate"].erase("trialSpec");
  e["spec"]["trialTemplate"]["configMap"] = {{"configMapName", "templates"}, {"templatePath", "job.yaml"}};
  CHECK(refusal(e) == "spec.trialTemplate.configMap.configMapName: ConfigMap \"templates\" not given: pass its manifest too "
                      "(kf submit -f experiment.yaml -f configmap.yaml)");
  const Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "templates"}}},
                   {"data", {{"job.yaml", "apiVersion: batch/v1\nkind: Job\nspec: {}\n"}}}};
  CHECK(local::read_experiment(e, {cm}).trial_spec["kind"] == "Job");
  e["spec"]["algorithm"]["algorithmName"] = "darts";
  CHECK(refusal(e, {cm}).rfind("spec.algorithm.algorithmName: ", 0) == 0);
}

TEST_CASE("experiment: metrics from StdOut lines by Katib's default format, a custom one, and File JSON lines") {
  local::CollectorSpec stdout_collector;
  stdout_collector.metrics_format = {R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))"};
  const auto m = local::parse_metrics(stdout_collector, "epoch=1 loss=0.41 accuracy=0.86\nvalue = -1.5e-3\nnoise\n",
                                      {"accuracy", "value"});
  REQUIRE(m.size() == 2);
  CHECK(m[0].name == "accuracy");
  CHECK(m[0].value == doctest::Approx(0.86));
  CHECK(m[1].name == "value");
  CHECK(m[1].value == doctest::Approx(-0.0015));
  local::CollectorSpec custom = stdout_collector;
  custom.metrics_format = {R"(\{metricName: ([\w|-]+), metricValue: ([+-]?\d*(\.\d+)?)\})"};
  const auto c = local::parse_metrics(custom, "{metricName: accuracy, metricValue: 0.5}\naccuracy=0.9\n", {"accuracy"});
  REQUIRE(c.size() == 1);
  CHECK(c[0].value == doctest::Approx(0.5));
  local::CollectorSpec json;
  json.kind = "File";
  json.file_format = "JSON";
  const auto j = local::parse_metrics(json, "{\"accuracy\": \"0.7\", \"loss\": 0.3, \"timestamp\": 1}\nnot json\n{\"accuracy\": 0.8}\n",
                                      {"accuracy", "loss"});
  REQUIRE(j.size() == 3);
  CHECK(j[0].value == doctest::Approx(0.7));
  CHECK(j[2].value == doctest::Approx(0.8));
}

namespace {

local::TrialRecord trial(const std::string& name, tune::TrialState s, std::vector<double> values) {
  local::TrialRecord t;
  t.name = name;
  t.state = s;
  t.assignment = {"1", "sgd"};
  t.objective_values = values;
  for (double v : values) {
    auto& o = t.observed["value"];
    o.min = o.count ? std::min(o.min, v) : v;
    o.max = o.count ? std::max(o.max, v) : v;
    o.latest = v;
    ++o.count;
  }
  return t;
}

} // namespace

TEST_CASE("experiment: medianstop stops a trial worse than the median of completed trials' running averages") {
  Json e = experiment();
  e["spec"]["earlyStopping"] = Json::parse(R"({"algorithmName": "medianstop", "algorithmSettings": [
      {"name": "min_trials_required", "value": "2"}, {"name": "start_step", "value": "2"}]})");
  const auto spec = local::read_experiment(e);
  std::vector<local::TrialRecord> trials = {trial("a", tune::TrialState::Succeeded, {4, 2, 1}),
                                            trial("b", tune::TrialState::Succeeded, {6, 4, 2}),
                                            trial("bad", tune::TrialState::Running, {9, 8}),
                                            trial("good", tune::TrialState::Running, {5, 3}),
                                            trial("early", tune::TrialState::Running, {9})};
  // running averages up to step 2: a 3, b 5 -> median 4 (minimize: best so far above it stops)
  CHECK(local::median_stop(spec, trials[2], trials));
  CHECK_FALSE(local::median_stop(spec, trials[3], trials));
  CHECK_FALSE(local::median_stop(spec, trials[4], trials)); // before start_step
  trials.erase(trials.begin() + 1);
  CHECK_FALSE(local::median_stop(spec, trials[1], trials)); // fewer than min_trials_required
}

TEST_CASE("experiment: status in Katib's shape - counters, lists, currentOptimalTrial") {
  const auto spec = local::read_experiment(experiment());
  const std::vector<local::TrialRecord> trials = {trial("a", tune::TrialState::Succeeded, {4, 2}),
                                                  trial("b", tune::TrialState::Succeeded, {0.5}),
                                                  trial("c", tune::TrialState::Failed, {}),
                                                  trial("d", tune::TrialState::MetricsUnavailable, {}),
                                                  trial("e", tune::TrialState::Running, {7})};
  Json status = Json::object();
  local::write_trial_status(spec, trials, status);
  CHECK(status["trials"] == 5);
  CHECK(status["trialsSucceeded"] == 2);
  CHECK(status["trialsFailed"] == 1);
  CHECK(status["trialMetricsUnavailable"] == 1);
  CHECK(status["trialsRunning"] == 1);
  CHECK(status["runningTrialList"] == Json::array({"e"}));
  CHECK(status["currentOptimalTrial"]["bestTrialName"] == "b");
  CHECK(status["currentOptimalTrial"]["parameterAssignments"] ==
        Json::parse(R"([{"name": "x1", "value": "1"}, {"name": "opt", "value": "sgd"}])"));
  CHECK(status["currentOptimalTrial"]["observation"]["metrics"] ==
        Json::parse(R"([{"name": "value", "min": "0.5", "max": "0.5", "latest": "0.5"}])"));
  CHECK(local::metric_text(0.1) == "0.1");
  CHECK(local::metric_text(1e-5) == "1e-05");
  CHECK(local::metric_text(0.8369) == "0.8369");
}

// std::regex's recursive matcher overflowed the controller's stack on a 100 KB
// line (a trial printing a long progress bar, a base64 blob): a segfault of kf.
TEST_CASE("experiment: a trial's very long output line is matched in linear time, without recursion") {
  local::CollectorSpec c;
  c.metrics_format = {R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))"};
  std::string text(4 << 20, 'a'); // 4 MiB of one word, no '='
  text += "\n";
  text += std::string(1 << 20, 'b') + "=0.5 accuracy=0.75\n";
  const auto m = local::parse_metrics(c, text, {"accuracy"});
  REQUIRE(m.size() == 1u);
  CHECK(m[0].value == 0.75);
  // File JSON: a number past a double's range makes its line no metrics line
  // (it threw nlohmann's out_of_range out of the controller; found by fuzz_katib_metrics).
  local::CollectorSpec json;
  json.kind = "File";
  json.file_format = "JSON";
  const auto j = local::parse_metrics(json, "{\"loss\": -1.5e+2222222222}\n{\"loss\": 0.25}\n", {"loss"});
  REQUIRE(j.size() == 1u);
  CHECK(j[0].value == 0.25);
  // A format whose groups can match nothing moves on past each empty match.
  c.metrics_format = {"(a*)=?(b*)"};
  CHECK(local::parse_metrics(c, "xyz\n", {""}).empty());
}

TEST_CASE("experiment: metricsFormat is Go's regexp syntax - a literal brace is a brace, a repetition stays one") {
  Json e = experiment();
  e["spec"]["metricsCollectorSpec"] = Json::parse(R"js({"collector": {"kind": "StdOut"}, "source": {"filter": {"metricsFormat": [
      "{metricName: ([\\w|-]+), metricValue: ((-?\\d+)(\\.\\d+)?)}", "v([0-9]{1,2})=(\\d+)"]}}})js");
  const auto spec = local::read_experiment(e);
  const auto m = local::parse_metrics(spec.collector, "{metricName: value, metricValue: 0.25}\nv12=7\n", {"value", "12"});
  REQUIRE(m.size() == 2);
  CHECK(m[0].value == doctest::Approx(0.25));
  CHECK(m[1].name == "12");
  e["spec"]["metricsCollectorSpec"]["source"]["filter"]["metricsFormat"] = {"only (one) group"};
  CHECK(refusal(e) == "spec.metricsCollectorSpec.source.filter.metricsFormat[0]: must be a regular expression with two "
                      "groups (the name and the value), not \"only (one) group\"");
  e["spec"]["metricsCollectorSpec"]["source"]["filter"]["metricsFormat"] = {"(unbalanced (x)=(y)"};
  const std::string bad = refusal(e);
  CHECK(bad.rfind("spec.metricsCollectorSpec.source.filter.metricsFormat[0]: not a regular expression (", 0) == 0);
  CHECK(bad.find("): \"(unbalanced (x)=(y)\"") != std::string::npos);
}
