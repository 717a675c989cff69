#pragma once
// Where the project's objects run. A Target takes a rendered object (the
// same one `kf render` prints) and runs it; afterwards the object can be
// read back with its status in the shape the Kubeflow operator reports
// (conditions, replicaStatuses, startTime, completionTime), followed,
// its replicas' logs read, and it can be deleted.
//
// Implementations: local::LocalTarget (this machine, libkf/local/) and the
// cluster target (libkf/kube/, planned). Verbs talk only to this interface,
// so `kf status` reads the same structure from both.

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
  std::string model_dir;            // an InferenceService's model, as a local directory (storageUri resolved)
  int port = 0;                     // where a local service listens (0 = a free port)
};

struct Submitted {
  std::string run;     // the name to use with get/logs/remove
  Json object;         // the object as submitted (metadata.name = run)
};

struct LogOptions {
  std::string replica; // "master", "worker-1", "chief", ...; "" = the first replica (master/chief)
  bool follow = false; // keep reading until the run is finished
  int tail = -1;       // only the last N lines; -1 = all
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
  // Calls on_change with the object each time its status changes, starting
  // with the current one, until on_change returns false or the run reaches a
  // terminal state (that version is delivered too).
  virtual void watch(const std::string& run, const std::function<bool(const Json&)>& on_change) const = 0;
  // Writes a replica's log to `out`.
  virtual void logs(const std::string& run, const LogOptions& options, std::ostream& out) const = 0;
  // Stops the run if it is running (its state becomes Failed, reason Stopped). False if no such run.
  virtual bool stop(const std::string& run) = 0;
  // Stops it and removes everything it left. False if there was no such run.
  virtual bool remove(const std::string& run) = 0;
};

// Terminal states as the operators report them: the last condition of type
// Succeeded or Failed with status "True".
bool is_finished(const Json& object);
// "Created", "Running", "Restarting", "Succeeded", "Failed" (the latest true
// condition's type), or "" when the object has no conditions yet.
std::string state_of(const Json& object);

} // namespace kf::target
