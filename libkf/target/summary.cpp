#include "libkf/target/summary.h"

#include <cstdio>

#include "libkf/target/katib.h"
#include "libkf/target/target.h"
#include "libkf/util/json_field.h"

namespace kf::target {

namespace {

const Json& field(const Json& j, const char* key) { return json_field(j, key); }
std::string text(const Json& j, const char* key) { return json_text(j, key); }

int number(const Json& j, const char* key) {
  const Json& v = field(j, key);
  return v.is_number_integer() ? v.get<int>() : 0;
}

// The condition of `type`, or null.
const Json& condition(const Json& status, const std::string& type) {
  static const Json null;
  const Json& conditions = field(status, "conditions");
  if (conditions.is_array())
    for (const auto& c : conditions)
      if (text(c, "type") == type) return c;
  return null;
}

// The message of the latest true condition (the one state_of names).
std::string latest_message(const Json& status) {
  std::string message;
  const Json& conditions = field(status, "conditions");
  if (conditions.is_array())
    for (const auto& c : conditions)
      if (text(c, "status") == "True") message = text(c, "message");
  return message;
}

std::string replicas_progress(const Json& replicas, bool finished) {
  if (!replicas.is_object() || replicas.empty()) return "";
  int active = 0, succeeded = 0, total = 0;
  for (auto it = replicas.begin(); it != replicas.end(); ++it) {
    active += number(it.value(), "active");
    succeeded += number(it.value(), "succeeded");
    total += number(it.value(), "active") + number(it.value(), "succeeded") + number(it.value(), "failed");
  }
  return finished ? std::to_string(succeeded) + "/" + std::to_string(total) + " succeeded"
                  : std::to_string(active) + "/" + std::to_string(total) + " running";
}

// A metric's value (its field `key`) as Katib wrote it: "0.9240".
std::string metric_text(const Json& metric, const std::string& key) {
  const Json& v = field(metric, key.c_str());
  if (!v.is_number()) return text(metric, key.c_str());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v.get<double>());
  return buf;
}

Summary job(const Json& object, const Json& status) {
  Summary s;
  s.state = state_of(object);
  if (s.state.empty()) s.state = "Pending";
  s.message = latest_message(status);
  s.finished = s.settled = s.state == "Succeeded" || s.state == "Failed";
  s.succeeded = s.state == "Succeeded";
  s.progress = replicas_progress(field(status, "replicaStatuses"), s.finished);
  return s;
}

// batch/v1 Job: Complete or Failed once finished, else Running with active pods.
Summary batch_job(const Json& object, const Json& status) {
  Summary s;
  s.state = state_of(object);
  if (s.state != "Complete" && s.state != "Failed") s.state = number(status, "active") > 0 ? "Running" : "Pending";
  s.message = latest_message(status);
  s.finished = s.settled = s.state == "Complete" || s.state == "Failed";
  s.succeeded = s.state == "Complete";
  const int completions = number(field(object, "spec"), "completions");
  s.progress = std::to_string(number(status, "succeeded")) + "/" + (completions > 0 ? std::to_string(completions) : "1") +
               " succeeded";
  if (number(status, "active") > 0) s.progress += ", " + std::to_string(number(status, "active")) + " running";
  if (number(status, "failed") > 0) s.progress += ", " + std::to_string(number(status, "failed")) + " failed";
  return s;
}

// Trainer v2 TrainJob: Complete or Failed (its JobSet's) once finished, else
// Running while one of its jobs is active; progress per replicated job.
Summary train_job(const Json& object, const Json& status) {
  Summary s;
  s.state = state_of(object);
  std::vector<std::string> jobs;
  int active = 0;
  const Json& js = field(status, "jobsStatus");
  if (js.is_array())
    for (const auto& j : js) {
      active += number(j, "active");
      std::string counts;
      for (const char* key : {"active", "succeeded", "failed", "suspended"})
        if (number(j, key) > 0) counts += (counts.empty() ? "" : ", ") + std::to_string(number(j, key)) + " " + key;
      jobs.push_back(text(j, "name") + ": " + (counts.empty() ? std::string("pending") : counts));
    }
  if (s.state != "Complete" && s.state != "Failed" && s.state != "Suspended") s.state = active > 0 ? "Running" : "Pending";
  s.message = latest_message(status);
  s.finished = s.state == "Complete" || s.state == "Failed";
  // Suspended is where it was asked to be (nothing runs until resumed); once
  // spec.suspend is false again it is on its way back, whatever the
  // controller has written yet.
  const bool resuming = s.state == "Suspended" && field(field(object, "spec"), "suspend") == Json(false);
  s.settled = s.finished || (s.state == "Suspended" && !resuming);
  s.succeeded = s.state == "Complete";
  for (const auto& j : jobs) s.progress += (s.progress.empty() ? "" : "; ") + j;
  return s;
}

Summary experiment(const Json& object, const Json& status) {
  Summary s = job(object, status);
  const int max = number(field(object, "spec"), "maxTrialCount");
  const int done = number(status, "trialsSucceeded") + number(status, "trialsFailed") +
                   number(status, "trialsEarlyStopped") + number(status, "trialsKilled");
  s.progress = std::to_string(done) + "/" + (max > 0 ? std::to_string(max) : std::string("?")) + " trials";
  // The best trial's objective as the experiment ranks trials (its metric strategy).
  const Json& objective = field(field(object, "spec"), "objective");
  const std::string name = text(objective, "objectiveMetricName");
  const Json& metrics = field(field(field(status, "currentOptimalTrial"), "observation"), "metrics");
  if (metrics.is_array())
    for (const auto& m : metrics)
      if (text(m, "name") == name) s.progress += ", best " + name + "=" + metric_text(m, katib_strategy(objective, name));
  return s;
}

Summary inference_service(const Json& status) {
  Summary s;
  const Json& ready = condition(status, "Ready");
  const std::string model_state = text(field(field(status, "modelStatus"), "states"), "activeModelState");
  s.url = text(status, "url");
  if (text(ready, "status") == "True") {
    s.state = "Ready";
    s.message = text(ready, "message");
    s.progress = s.url;
  } else if (model_state == "FailedToLoad" || text(ready, "reason").find("Fail") != std::string::npos) {
    s.state = "Failed";
    s.message = text(ready, "message");
    const std::string failure = text(field(field(status, "modelStatus"), "lastFailureInfo"), "message");
    if (s.message.empty()) s.message = failure;
  } else {
    s.state = "Pending";
    s.message = text(ready, "message");
  }
  s.settled = s.state != "Pending";
  s.succeeded = s.state == "Ready";
  if (!s.succeeded) s.url.clear();
  return s;
}

Summary workflow(const Json& status) {
  Summary s;
  s.state = text(status, "phase");
  if (s.state.empty()) s.state = "Pending";
  s.message = text(status, "message");
  s.finished = s.settled = s.state == "Succeeded" || s.state == "Failed" || s.state == "Error";
  s.succeeded = s.state == "Succeeded";
  const std::string progress = text(status, "progress");
  if (!progress.empty()) s.progress = progress + " nodes";
  return s;
}

Summary notebook(const Json& object, const Json& status) {
  if (state_of(object) == "Failed") { // the local target's notebook, stopped (or its Jupyter gave up)
    Summary s = job(object, status);
    s.settled = true;
    s.progress = "0/1 ready"; // a notebook is served, not completed: never "0/1 succeeded"
    return s;
  }
  Summary s;
  s.state = number(status, "readyReplicas") > 0 ? "Ready" : "Pending";
  if (s.state == "Ready") s.url = text(status, "url"); // the local target's: Jupyter with its token
  s.message = latest_message(status);
  if (s.message.empty() && s.state == "Ready") s.message = "its pod is ready";
  s.settled = s.succeeded = s.state == "Ready";
  s.progress = std::to_string(number(status, "readyReplicas")) + "/1 ready";
  return s;
}

} // namespace

Summary summarize(const Json& object) {
  const std::string kind = text(object, "kind");
  const Json& status = field(object, "status");
  if (kind == "Experiment") return experiment(object, status);
  if (kind == "InferenceService") {
    // The local target reports an InferenceService through conditions only
    // (and a Failed condition when its server gave up): read both shapes.
    if (state_of(object) == "Failed") {
      Summary s = job(object, status);
      s.settled = true;
      return s;
    }
    return inference_service(status);
  }
  if (kind == "Workflow") return workflow(status);
  if (kind == "Notebook") return notebook(object, status);
  if (kind == "Job") return batch_job(object, status);
  if (kind == "TrainJob") return train_job(object, status);
  return job(object, status);
}

} // namespace kf::target
