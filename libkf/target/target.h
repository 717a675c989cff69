#pragma once
// Where runs run. A Target takes a rendered object (the same one `kf render`
// prints, or an upstream manifest) and runs it; afterwards the run can be read
// back with its status in the shape the Kubeflow controller writes
// (conditions, replicaStatuses, startTime, completionTime), watched, its
// replicas' logs read, described for `kf status`, stopped and removed.
//
// Implementations: local::LocalTarget (this machine, libkf/local/) and
// cluster::ClusterTarget (a Kubernetes API server, libkf/cluster/). Verbs
// (libkf/action, cli/) see only this interface: what differs between targets
// is in Traits, kinds() and the run descriptions, never in a cast. A new kind
// the local target runs is a change to libkf/local alone.

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "libkf/util/json.h"

namespace kf::target {

struct SubmitOptions {
  std::string run_name;       // "" = the target chooses (local: <object name>-<N>)
  Json parameters = Json::object(); // recorded with the run (hyperparameters)
  std::vector<Json> supporting;     // objects the submitted one refers to (an InferenceService's ServingRuntime)
};

struct Submitted {
  std::string run;     // the name to use with get/logs/remove
  Json object;         // the object as submitted (metadata.name = run)
  std::string where;   // for messages: the run's directory (local), "namespace ml" (cluster)
};

// What sets targets apart, for the verbs that must say or choose differently.
struct Traits {
  // The run's processes see this machine's files: a model may be a local
  // directory (served as storageUri file://DIR). Else storage is by URI.
  bool local_files = false;
  // Verbs stay with a run they submit (live progress; Ctrl-C stops it), as
  // `docker run` does; else they return once it is created, unless --wait.
  bool attached = false;
  // An API server checks each object against its kind's schema when it is
  // created. Else (the local target) kf checks it, against its built-in CRDs.
  bool validates = false;
};

struct WatchOptions {
  std::chrono::milliseconds timeout{0}; // past it, watch throws kf::Error saying where the run got to; 0 = no limit
  std::function<bool()> keep_going;     // asked at least once a second; false ends the watch quietly (Ctrl-C)
};

struct LogOptions {
  std::string replica; // "master", "worker-1", "chief", ...; "" = the first replica (master/chief)
  bool follow = false; // keep reading until the run is finished
  int tail = -1;       // only the last N lines; -1 = all
  std::string trial;   // an Experiment's trial: its job's replica logs
  std::string node;    // a Workflow's step (its name in kf status); "" = every step's, prefixed by its name
};

class Target {
public:
  virtual ~Target() = default;
  virtual std::string name() const = 0;

  // Starts running `object` and returns at once.
  virtual Submitted submit(const Json& object, const SubmitOptions& options) = 0;
  // The run's object with its current status; nullopt if there is none.
  virtual std::optional<Json> get(const std::string& run) const = 0;
  // The names of the runs on this target, newest first.
  virtual std::vector<std::string> list() const = 0;
  // "@latest" -> the newest run; other names unchanged. Throws kf::Error when there are no runs.
  virtual std::string resolve(const std::string& run) const = 0;
  virtual Traits traits() const = 0;
  // The kinds submit() runs, as "PyTorchJob"; empty = any kind the server has a controller for.
  virtual std::vector<std::string> kinds() const = 0;
  // Calls on_change with the object each time its status (or its details())
  // changes, starting with the current one, until on_change returns false,
  // keep_going does, or the run settles (finished; Ready for a service) —
  // that version is delivered too.
  virtual void watch(const std::string& run, const WatchOptions& options,
                     const std::function<bool(const Json&)>& on_change) const = 0;
  // Calls on_event after changes to any of the runs (at once first), from one
  // thread at a time, until it returns false or keep_going() does (asked at
  // least once a second). For `kf status -w`.
  virtual void watch_runs(const std::function<bool()>& on_event, const std::function<bool()>& keep_going) const = 0;
  // What the target knows of a run beyond its object, live: the local
  // target's replica processes and progress ({"replicas", "restarts",
  // "progress": {epoch, epochs, step, steps, loss, samplesPerSecond},
  // "failedReplica"}); {} when it has nothing more.
  virtual Json details(const std::string& /*run*/) const { return Json::object(); }
  // The runs as `kf status` shows them (action/runs.h status() says the
  // fields): every run, newest first, when `run` is ""; else that one run
  // (resolved) in full. Throws kf::Error for a run that does not exist.
  virtual std::vector<Json> describe(const std::string& run) const = 0;
  // The CustomResourceDefinitions installed where the runs go, for kf
  // validate; nullopt when the target has no API server (kf's own apply).
  virtual std::optional<std::vector<Json>> installed_crds() const { return std::nullopt; }
  // The Prometheus text of a model server run (an InferenceService): what
  // its server's /metrics answers, or each predictor pod's through the API
  // server's pod proxy, one after another (kf-server's counters and
  // histograms add up across pods). nullopt when the run is no model server
  // or none of its servers answers.
  virtual std::optional<std::string> serving_metrics(const std::string& /*run*/) const { return std::nullopt; }
  // Writes a replica's log to `out`.
  virtual void logs(const std::string& run, const LogOptions& options, std::ostream& out) const = 0;
  // Stops the run if it is running (its state becomes Failed, reason Stopped). False if no such run.
  virtual bool stop(const std::string& run) = 0;
  // Stops it and removes everything it left. False if there was no such run.
  virtual bool remove(const std::string& run) = 0;
  // Continues a run that ended or lost its supervisor (kill -9, a reboot),
  // with `patch` (a JSON merge patch, RFC 7386) applied to its object first:
  // an Experiment keeps its finished trials and runs more (spec.maxTrialCount
  // raised), as Katib's resumePolicy LongRunning allows. Throws kf::Error for
  // a run or kind that cannot be resumed (the default: no kind can).
  virtual Submitted resume(const std::string& run, const Json& patch);
  // Runs again what failed of a finished workflow (its failed and omitted
  // steps, and what they lead to), keeping what succeeded, as argo retry.
  // Throws kf::Error for a run or kind that cannot be retried (the default: no kind can).
  virtual Submitted retry(const std::string& run);
};

// Throws UsageError for what cannot be a run's name: "", "." or "..", a
// slash (a local run's directory, a cluster object's URL path), over 253
// characters. Every target checks the names verbs give it.
void check_run_name(const std::string& run);
// A name asked for a new run (--name): the object's metadata.name, so what
// the API server accepts. Throws UsageError.
void check_new_run_name(const std::string& run);

// "PyTorchJob, TFJob and InferenceService".
std::string kinds_text(const std::vector<std::string>& kinds);

// Whether nothing more will happen to the run: summarize(object).finished
// (summary.h says how each kind reports its terminal states).
bool is_finished(const Json& object);
// "Created", "Running", "Restarting", "Succeeded", "Failed" (the latest true
// condition's type), or "" when the object has no conditions yet.
std::string state_of(const Json& object);

} // namespace kf::target
