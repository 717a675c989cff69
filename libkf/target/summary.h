#pragma once
// One reading of a run's object across the kinds kf submits, for status
// tables, --wait and follow loops. Each kind reports its state its own way:
//   PyTorchJob, TFJob, Experiment: the latest true condition (Created,
//     Running, Restarting, Succeeded, Failed);
//   InferenceService: Ready when its Ready condition is True, Failed when the
//     model failed to load (modelStatus FailedToLoad, or a False Ready whose
//     reason says Failed), else Pending;
//   Job (batch/v1): Complete or Failed (its conditions), else Running with
//     active pods, else Pending;
//   Workflow: status.phase (Pending, Running, Succeeded, Failed, Error);
//   Notebook: Ready with a ready replica, else Pending.
// Objects without status yet are "Pending".

#include <string>

#include "libkf/util/json.h"

namespace kf::target {

struct Summary {
  std::string state;   // as above
  std::string message; // the reason's sentence, when the kind gives one
  bool finished = false;  // nothing more will happen without a change (jobs, experiments, workflows)
  bool settled = false;   // what --wait waits for: finished, or a service that is Ready (or Failed)
  bool succeeded = false; // settled well: Succeeded, or Ready
  std::string progress;   // "2/3 running", "5/12 trials, best accuracy=0.91", "3/4 nodes"
  std::string url;        // a Ready InferenceService's status.url
};

Summary summarize(const Json& object);

} // namespace kf::target
