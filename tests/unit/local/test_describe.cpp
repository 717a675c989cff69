#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "libkf/local/local_target.h"
#include "libkf/util/json.h"
#include "tests/unit/temp_dir.h"

using namespace kf;

namespace {

Json objective() { return {{"type", "maximize"}, {"objectiveMetricName", "accuracy"}}; }

Json trial(const std::string& name, int index, const std::string& accuracy) {
  return {{"apiVersion", "kubeflow.org/v1beta1"},
          {"kind", "Trial"},
          {"metadata", {{"name", name}, {"annotations", {{"kf.dev/index", std::to_string(index)}}}}},
          {"spec", {{"objective", objective()}, {"parameterAssignments", {{{"name", "lr"}, {"value", std::to_string(index)}}}}}},
          {"status",
           {{"kf.dev/state", "Succeeded"},
            {"observation", {{"metrics", {{{"name", "accuracy"}, {"min", accuracy}, {"max", accuracy}, {"latest", accuracy}}}}}}}}};
}

} // namespace

// kf status EXPERIMENT lists the best trial first; of trials with equal
// values, the first created, as Katib's currentOptimalTrial picks it. The
// trials are read from a directory, whose order is the file system's: ten
// tied trials named against their creation order catch any reliance on it.
TEST_CASE("LocalTarget::describe: an Experiment's tied trials are listed in the order they were created") {
  const test::TempDir project;
  Json experiment = Json::parse(R"({"apiVersion":"kubeflow.org/v1beta1","kind":"Experiment","metadata":{"name":"exp-1"},)"
                                R"("status":{"conditions":[{"type":"Succeeded","status":"True","reason":"ExperimentGoalReached"}]}})");
  experiment["spec"]["objective"] = objective();
  std::filesystem::create_directories(project.path / ".kf" / "runs" / "exp-1" / "trials");
  project.write(".kf/runs/exp-1/object.json", experiment.dump());
  for (int i = 0; i < 10; ++i) {
    const std::string name = "exp-1-" + std::string(1, static_cast<char>('j' - i)); // exp-1-j is the first created
    std::filesystem::create_directories(project.path / ".kf" / "runs" / "exp-1" / "trials" / name);
    project.write(".kf/runs/exp-1/trials/" + name + "/trial.json", trial(name, i, i == 3 ? "0.5" : "0.9").dump());
  }
  local::LocalOptions options;
  options.project_dir = project.path;
  const local::LocalTarget local_target(options);
  const auto views = local_target.describe("exp-1");
  REQUIRE(views.size() == 1);
  const Json& trials = views[0]["trials"];
  REQUIRE(trials.size() == 10);
  std::string order;
  for (const auto& t : trials) order += t["name"].get<std::string>().back();
  CHECK(order == "jihfedcbag"); // the nine at 0.9 as created, then the one at 0.5
}
