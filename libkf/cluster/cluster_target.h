#pragma once
// The cluster target: runs the project's objects on a Kubernetes cluster
// through kube::Client. A run is one object of a kind kf submits
// (run_kinds()), named <object>-<N> like local runs, in the target's
// namespace, labelled kf.dev/run=<run> and app.kubernetes.io/part-of=<project>
// so that `kf status` lists the project's runs with one request per kind;
// annotations keep what the local target keeps in its metadata store:
// kf.dev/parameters (JSON) and kf.dev/git-commit (sha, "+dirty" when the
// work tree had changes), and kf.dev/submission (random, per submission).
// N is the next after the highest in use, claimed by creating the object
// (409 AlreadyExists: the next number), so concurrent submissions get
// different runs.
// The operators on the cluster do the running; this class only creates,
// applies (supporting objects), reads, watches, reads pod logs and deletes.
//
// Logs come from the pods the operators create, found by their labels:
//   PyTorchJob/TFJob  training.kubeflow.org/job-name, replica-type, replica-index
//   InferenceService  serving.kserve.io/inferenceservice
//   Workflow          workflows.argoproj.io/workflow
//   Notebook          notebook-name
//   Experiment        katib.kubeflow.org/experiment (the trials' pods)

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "libkf/kube/client.h"
#include "libkf/target/target.h"

namespace kf::cluster {

struct RunKind {
  std::string api_version;
  std::string kind;
  std::string pod_label; // the label whose value is the run's name on its pods
};
// The kinds a run can be, in the order get() tries them.
const std::vector<RunKind>& run_kinds();

struct ClusterOptions {
  std::string name;       // the target's name, for messages ("sim", a context name)
  std::string namespace_; // where runs go and are looked for
  std::string project;    // the project's name (app.kubernetes.io/part-of)
  std::filesystem::path project_dir; // its git commit is recorded on each run ("" = none)
};

class ClusterTarget final : public target::Target {
public:
  ClusterTarget(std::shared_ptr<kube::Client> client, ClusterOptions options);

  std::string name() const override { return m_o.name; }
  target::Submitted submit(const Json& object, const target::SubmitOptions& options) override;
  std::optional<Json> get(const std::string& run) const override;
  std::vector<std::string> list() const override;
  std::string resolve(const std::string& run) const override;
  target::Traits traits() const override { return {false, false, true}; }
  std::vector<std::string> kinds() const override { return {}; } // whatever the cluster has controllers for
  void watch(const std::string& run, const target::WatchOptions& options,
             const std::function<bool(const Json&)>& on_change) const override;
  // Each kind is watched; the current objects count as changes first.
  void watch_runs(const std::function<bool()>& on_event, const std::function<bool()>& keep_going) const override;
  std::vector<Json> describe(const std::string& run) const override; // cluster_status.cpp
  std::optional<std::vector<Json>> installed_crds() const override;
  // The running predictor pods' /metrics through the pod proxy (cluster_serving.cpp).
  std::optional<std::string> serving_metrics(const std::string& run) const override;
  void logs(const std::string& run, const target::LogOptions& options, std::ostream& out) const override;
  // A cluster run is stopped by deleting it (its pods go with it).
  bool stop(const std::string& run) override;
  bool remove(const std::string& run) override;
  // A suspended TrainJob runs: spec.suspend false, by server-side apply
  // (field manager kf-resume), as kubectl patch does it for the Trainer.
  target::Submitted resume(const std::string& run, const Json& patch) override;

  // Every run object of the project, newest first: one list request per kind the server serves.
  std::vector<Json> objects() const;
  // The pods of a run, oldest first.
  std::vector<Json> pods(const Json& object) const;
  // The last `lines` lines of the log of the replica that failed ("" when none did); sets `replica`.
  std::vector<std::string> failed_replica_tail(const Json& object, std::size_t lines, std::string& replica) const;
  const std::string& namespace_() const { return m_o.namespace_; }
  kube::Client& client() const { return *m_client; }
  std::string server() const { return m_client->server(); }

private:
  std::string run_selector() const;
  int highest_number(const Json& object) const; // the highest N of the project's runs named <object>-<N>; 0 when none
  const RunKind* served(const RunKind& k) const; // nullptr when the server does not serve the kind
  // kf logs of a Workflow: its steps' pods (by the node-name annotation), each line prefixed by the step.
  void workflow_logs(const std::string& run, const target::LogOptions& options, std::ostream& out) const;

  std::shared_ptr<kube::Client> m_client;
  ClusterOptions m_o;
};

// The replica name kf uses for a training pod: "master", "worker-1", "chief", "ps-0".
std::string replica_of(const Json& pod);

} // namespace kf::cluster
