#include "libkf/local/lost_supervisor.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "libkf/local/conditions.h"
#include "libkf/local/local_target.h"
#include "libkf/local/process.h"
#include "libkf/local/run_dir.h"
#include "libkf/target/summary.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"

namespace kf::local {

namespace {

constexpr auto k_grace = std::chrono::seconds(10); // the supervisor's own SIGTERM -> SIGKILL

// The replicas local.json lists as running that still are: stopped. How
// many. local.json says so too (kf status shows its replicas): the ones
// that were running have ended, Failed, as the operator fails a job's pods.
int stop_replicas(const RunDir& dir) {
  std::optional<Json> local;
  try {
    local = read_json(dir.local());
  } catch (const Error&) { // a torn or hand-edited file: nothing to go by
    return 0;
  }
  if (!local || !json_field(*local, "replicas").is_array()) return 0;
  std::vector<LeftOver> left;
  for (const auto& r : (*local)["replicas"]) {
    const Json& pid = json_field(r, "pid");
    const Json& ticks = json_field(r, "startTicks");
    if (pid.is_number_integer() && ticks.is_number_integer()) left.push_back({pid.get<int>(), ticks.get<std::uint64_t>()});
  }
  const int stopped = stop_left_over(left, k_grace); // one grace for all, as the supervisor stops them
  for (auto& r : (*local)["replicas"]) {
    if (!r.is_object() || json_text(r, "state") != "Running") continue;
    r["state"] = "Failed";
    r["pid"] = 0;
    r["startTicks"] = 0;
  }
  write_json(dir.local(), *local);
  return stopped;
}

// Replicas that were active are not any more: they count as failed, as the
// operator counts the pods of a job it failed.
void settle_counts(Json& status) {
  auto settle = [](Json& counts) {
    const Json& active = json_field(counts, "active");
    if (!active.is_number_integer() || active.get<int>() <= 0) return;
    const Json& failed = json_field(counts, "failed");
    counts["failed"] = (failed.is_number_integer() ? failed.get<int>() : 0) + active.get<int>();
    counts["active"] = 0;
    if (counts.contains("ready")) counts["ready"] = 0;
  };
  if (!status.is_object()) return;
  if (status.contains("replicaStatuses") && status["replicaStatuses"].is_object())
    for (auto& [type, counts] : status["replicaStatuses"].items()) settle(counts);
  if (status.contains("jobsStatus") && status["jobsStatus"].is_array())
    for (auto& counts : status["jobsStatus"]) settle(counts);
  if (status.contains("active")) settle(status); // a batch Job's own counts
}

// The reason of the True Failed condition; "" when there is none.
std::string failed_reason(const Json& object) {
  for (const auto& c : json_field(json_field(object, "status"), "conditions"))
    if (json_text(c, "type") == "Failed" && json_text(c, "status") == "True") return json_text(c, "reason");
  return "";
}

} // namespace

bool restarts_after_lost_supervisor(const std::string& kind) {
  return kind == "PyTorchJob" || kind == "TFJob" || kind == "TrainJob";
}

bool supervisor_was_lost(const Json& object) { return failed_reason(object) == "SupervisorLost"; }

void record_lost_supervisor(const RunDir& dir, const std::string& run, Json& object) {
  const std::string kind = object.value("kind", "");
  const int stopped = stop_replicas(dir);
  std::string message = kind + " " + run + " lost its supervisor (the kf process running it ended without finishing it).";
  if (stopped > 0) { // appended piece by piece: "literal" + std::string&& trips GCC 12's -Wrestrict at -O3 (bug 105651)
    message += ' ';
    message += std::to_string(stopped);
    message += stopped == 1 ? " replica it left running was stopped." : " replicas it left running were stopped.";
  }
  if (kind == "Workflow") message += " kf resume " + run + " carries on.";
  if (restarts_after_lost_supervisor(kind)) message += " kf resume " + run + " restarts it from its last checkpoint.";
  if (object.contains("status")) settle_counts(object["status"]);
  mark_failed(object, "SupervisorLost", message, now_rfc3339());
}

// A training job whose supervisor was lost starts every replica again under
// a new supervisor, as a restart does (the trainer carries on from its last
// checkpoint): the Failed condition goes, Restarting comes (the training
// operator's JobRestarting) until the replicas run.
target::Submitted LocalTarget::resume_job(const std::string& run, const Json& object, const Json& patch) {
  const RunDir dir{run_dir(run)};
  const std::string kind = object.value("kind", "");
  if (!patch.empty()) throw UsageError("kf resume " + run + ": a " + kind + " restarts as it was submitted; it takes no --set");
  std::optional<FileLock> lock;
  lock.emplace(dir.lock(), false);
  if (!lock->locked()) throw UsageError("run " + run + " is still running (kf status " + run + ")");
  const std::string reason = failed_reason(object);
  if (target::state_of(object) == "Succeeded") throw UsageError("run " + run + " succeeded: there is nothing to resume");
  if (reason != "SupervisorLost")
    throw UsageError("run " + run + " is " + target::summarize(object).state + (reason.empty() ? "" : " (" + reason + ")") +
                     ": kf resume restarts a " + kind + " whose supervisor was lost; kf train or kf submit -f starts it again");
  Json resumed = object;
  remove_condition(resumed, "Failed");
  resumed["status"].erase("completionTime");
  const std::string why = kind + " " + run + " is restarting because kf resume restarts it after its supervisor was lost.";
  if (kind != "TrainJob") set_condition(resumed, "Restarting", local::reason(kind, "Restarting"), why, now_rfc3339());
  // The restarts the lost supervisor made still count against backoffLimit.
  int restarts = 0;
  try {
    if (const auto local = read_json(dir.local()); local && json_field(*local, "restarts").is_number_integer())
      restarts = (*local)["restarts"].get<int>();
  } catch (const Error&) { // a torn local.json: nothing to carry over
  }
  return hand_over(dir, run, resumed, lock, "resumed after its supervisor was lost",
                   {"--restarts", std::to_string(restarts)});
}

} // namespace kf::local
