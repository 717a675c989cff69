#include <doctest/doctest.h>

#include "libkf/target/katib.h"
#include "libkf/target/summary.h"

using kf::Json;
using kf::target::summarize;

namespace {
Json with_status(const char* kind, const Json& status, const Json& spec = Json::object()) {
  return {{"kind", kind}, {"metadata", {{"name", "r"}}}, {"spec", spec}, {"status", status}};
}
Json cond(const char* type, const char* status, const char* reason = "", const char* message = "") {
  return {{"type", type}, {"status", status}, {"reason", reason}, {"message", message}};
}
} // namespace

TEST_CASE("summary - a job without status is Pending, not settled") {
  const auto s = summarize({{"kind", "PyTorchJob"}, {"metadata", {{"name", "r"}}}});
  CHECK(s.state == "Pending");
  CHECK_FALSE(s.settled);
}

TEST_CASE("summary - a running job counts active replicas, a finished one succeeded replicas") {
  auto s = summarize(with_status("PyTorchJob", {{"conditions", {cond("Created", "True"), cond("Running", "True")}},
                                                {"replicaStatuses", {{"Master", {{"active", 1}}}, {"Worker", {{"active", 2}}}}}}));
  CHECK(s.state == "Running");
  CHECK(s.progress == "3/3 running");
  CHECK_FALSE(s.finished);
  s = summarize(with_status("TFJob", {{"conditions", {cond("Running", "False"), cond("Succeeded", "True", "TFJobSucceeded", "done.")}},
                                      {"replicaStatuses", {{"Chief", {{"succeeded", 1}}}, {"Worker", {{"succeeded", 1}, {"failed", 1}}}}}}));
  CHECK(s.state == "Succeeded");
  CHECK(s.message == "done.");
  CHECK(s.progress == "2/3 succeeded");
  CHECK((s.finished && s.settled && s.succeeded));
}

TEST_CASE("summary - a failed job is settled and not succeeded") {
  const auto s = summarize(with_status("PyTorchJob", {{"conditions", {cond("Failed", "True", "PyTorchJobFailed", "1 Worker failed")}}}));
  CHECK(s.state == "Failed");
  CHECK((s.settled && !s.succeeded));
}

TEST_CASE("summary - an experiment reports trials done and the best objective value") {
  const Json spec = {{"maxTrialCount", 12}, {"objective", {{"objectiveMetricName", "accuracy"}}}};
  const Json status = {{"conditions", {cond("Running", "True")}},
                       {"trialsSucceeded", 4},
                       {"trialsFailed", 1},
                       {"currentOptimalTrial",
                        {{"bestTrialName", "t-3"},
                         {"observation", {{"metrics", {{{"name", "loss"}, {"latest", "0.3"}}, {{"name", "accuracy"}, {"latest", "0.91"}}}}}}}}};
  const auto s = summarize(with_status("Experiment", status, spec));
  CHECK(s.state == "Running");
  CHECK(s.progress == "5/12 trials, best accuracy=0.91");
}

TEST_CASE("summary - a trial's metrics are the values its experiment ranks it by (Katib's metric strategies)") {
  const Json observation = {{"metrics",
                             {{{"name", "accuracy"}, {"min", "0.80"}, {"max", "0.93"}, {"latest", "0.91"}},
                              {{"name", "loss"}, {"min", "0.2"}, {"max", "0.9"}, {"latest", "0.3"}}}}};
  using kf::target::katib_observed;
  CHECK(katib_observed(observation) == Json{{"accuracy", 0.91}, {"loss", 0.3}}); // no objective: latest
  const Json maximize = {{"type", "maximize"}, {"objectiveMetricName", "accuracy"}};
  CHECK(katib_observed(observation, maximize) == Json{{"accuracy", 0.93}, {"loss", 0.3}}); // Katib's defaults
  const Json minimize = {{"type", "minimize"}, {"objectiveMetricName", "loss"}};
  CHECK(katib_observed(observation, minimize) == Json{{"accuracy", 0.91}, {"loss", 0.2}});
  Json written = maximize;
  written["metricStrategies"] = {{{"name", "accuracy"}, {"value", "latest"}}, {{"name", "loss"}, {"value", "max"}}};
  CHECK(katib_observed(observation, written) == Json{{"accuracy", 0.91}, {"loss", 0.9}});
  const Json spec = {{"maxTrialCount", 4}, {"objective", maximize}};
  const auto s = summarize(with_status("Experiment", {{"trialsSucceeded", 4}, {"currentOptimalTrial", {{"observation", observation}}}}, spec));
  CHECK(s.progress == "4/4 trials, best accuracy=0.93");
}

TEST_CASE("summary - an inference service is Ready with its url, Failed when the model did not load, else Pending") {
  auto s = summarize(with_status("InferenceService", {{"url", "http://m.ns.example.com"},
                                                      {"conditions", {cond("PredictorReady", "True"), cond("Ready", "True")}}}));
  CHECK(s.state == "Ready");
  CHECK(s.url == "http://m.ns.example.com");
  CHECK((s.settled && s.succeeded && !s.finished));
  s = summarize(with_status("InferenceService", {{"url", "http://m"},
                                                 {"conditions", {cond("Ready", "False", "RevisionMissing", "waiting")}}}));
  CHECK(s.state == "Pending");
  CHECK(s.url.empty());
  CHECK_FALSE(s.settled);
  s = summarize(with_status("InferenceService", {{"conditions", {cond("Ready", "False", "RevisionFailed", "model is corrupt")}},
                                                 {"modelStatus", {{"states", {{"activeModelState", "FailedToLoad"}}}}}}));
  CHECK(s.state == "Failed");
  CHECK(s.message == "model is corrupt");
  CHECK((s.settled && !s.succeeded));
}

TEST_CASE("summary - a local inference service's Failed condition wins") {
  const auto s = summarize(with_status("InferenceService", {{"conditions", {cond("Failed", "True", "BackoffLimitExceeded", "gave up")}}}));
  CHECK(s.state == "Failed");
  CHECK(s.settled);
}

TEST_CASE("summary - a workflow follows its phase, Error included") {
  auto s = summarize(with_status("Workflow", {{"phase", "Running"}, {"progress", "1/3"}}));
  CHECK(s.state == "Running");
  CHECK(s.progress == "1/3 nodes");
  s = summarize(with_status("Workflow", {{"phase", "Error"}, {"message", "pod deleted"}}));
  CHECK((s.finished && !s.succeeded));
  CHECK(s.message == "pod deleted");
}

TEST_CASE("summary - a notebook is Ready with a ready replica") {
  CHECK(summarize(with_status("Notebook", {{"readyReplicas", 1}})).state == "Ready");
  CHECK(summarize(with_status("Notebook", Json::object())).state == "Pending");
}

TEST_CASE("summary - a stopped local notebook has ended, none of its one replica ready") {
  const auto s = summarize(with_status(
      "Notebook", {{"readyReplicas", 0},
                   {"replicaStatuses", {{"Notebook", {{"active", 0}, {"succeeded", 0}, {"failed", 1}}}}},
                   {"conditions", Json::array({{{"type", "Failed"}, {"status", "True"}, {"reason", "Stopped"},
                                                {"message", "Notebook demo-lab-1 was stopped (signal 15)."}}})}}));
  CHECK(s.state == "Failed"); // the local target's describe calls it Stopped, by the reason
  CHECK(s.progress == "0/1 ready");
  CHECK(s.settled);
}
