#pragma once
// The local target: runs objects on this machine (kinds() says which), one
// process per replica, under a supervisor process (supervisor.h), in
// <project>/.kf/runs/<run>/ (run_dir.h), recorded in <project>/.kf/metadata.db.
// A kind is a plan for that supervisor (plan.h): a job's replicas, or a
// service's predictor (an InferenceService's model is a directory of this
// machine, storageUri file://DIR).
//
// Any number of kf processes may use one project at once: run names are
// reserved in the metadata store and by mkdir, object.json has one writer
// (the supervisor, holding the run's lock), and every file is replaced
// atomically.

#include <filesystem>
#include <string>
#include <functional>
#include <optional>
#include <ostream>
#include <vector>

#include "libkf/local/plan.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/target/target.h"

namespace kf::local {

// kf logs of a Workflow run (workflow_logs.cpp): its steps' logs; `get` reads the run's object.
void workflow_logs(const RunDir& dir, const std::string& run, const target::LogOptions& o,
                   const std::function<std::optional<Json>()>& get, std::ostream& out);

struct LocalOptions {
  std::filesystem::path project_dir;   // holds kf.yaml; runs go to .kf/ under it
  std::string project;                 // the project's name
  std::string trainer_image;           // the project's trainer image (only it runs here)
  std::string trainer_path;            // the kf-trainer executable ("" = find_runtime("kf-trainer"))
  std::string server_path;             // the kf-server executable ("" = find_runtime("kf-server"))
  std::vector<std::string> supervisor; // command that runs `supervise` ("" = this kf: {self, "__supervise"})
  int serve_port = 0;                  // where a model server listens on 127.0.0.1 (0 = a free port)
};

class LocalTarget final : public target::Target {
public:
  explicit LocalTarget(LocalOptions options);

  std::string name() const override { return "local"; }
  target::Submitted submit(const Json& object, const target::SubmitOptions& options) override;
  std::optional<Json> get(const std::string& run) const override;
  std::vector<std::string> list() const override;
  std::string resolve(const std::string& run) const override;
  target::Traits traits() const override { return {true, true, false}; }
  std::vector<std::string> kinds() const override;
  void watch(const std::string& run, const target::WatchOptions& options,
             const std::function<bool(const Json&)>& on_change) const override;
  // Every half second: the runs are files, not a stream of events.
  void watch_runs(const std::function<bool()>& on_event, const std::function<bool()>& keep_going) const override;
  // local.json of the run (replica pids and states, restarts, progress); {} if none.
  Json details(const std::string& run) const override;
  std::vector<Json> describe(const std::string& run) const override; // describe.cpp
  // The server's /metrics at status.url while Ready (serving_metrics.cpp).
  std::optional<std::string> serving_metrics(const std::string& run) const override;
  void logs(const std::string& run, const target::LogOptions& options, std::ostream& out) const override;
  bool stop(const std::string& run) override;
  bool remove(const std::string& run) override;
  // An Experiment carries on from the trials on disk, a Workflow from its
  // nodes; a suspended TrainJob runs; a training job whose supervisor was
  // lost restarts its replicas from their last checkpoint.
  target::Submitted resume(const std::string& run, const Json& patch) override;
  target::Submitted retry(const std::string& run) override;

  std::filesystem::path run_dir(const std::string& run) const;

private:
  JobPlan plan_for(const Json& object, const target::SubmitOptions& options, bool find_binaries) const;
  JobPlan plan_experiment(const Json& object, const target::SubmitOptions& options, bool find_binaries) const;
  // The options of a job's plan: kf's trainer, and the TrainingRuntimes given with it, then kf's.
  target::Submitted resume_trainjob(const std::string& run, const Json& object, const Json& patch);
  target::Submitted resume_job(const std::string& run, const Json& object, const Json& patch); // lost_supervisor.cpp
  target::Submitted resume_workflow(const std::string& run, const Json& object, const Json& patch);
  WorkflowSettings workflow_settings(bool find_binaries) const;
  PlanOptions job_options(bool find_binaries, const std::vector<Json>& supporting = {}) const;
  // `flags`: more of kf __supervise's options (--restarts N).
  void start_supervisor(const RunDir& dir, const std::vector<std::string>& flags = {}) const;
  // Hands a run that kf resume or kf retry changed to a new supervisor:
  // `object` written, the old supervisor's local.json removed (a run without
  // one is not taken for a lost supervisor's), the metadata store's state
  // set to Restarting with `note` (unless it is empty), and the lock, which
  // the caller held, let go for the new supervisor to take (started with `flags`).
  target::Submitted hand_over(const RunDir& dir, const std::string& run, const Json& object, std::optional<FileLock>& lock,
                              const std::string& note, const std::vector<std::string>& flags = {}) const;
  // The run's name, reserved in the metadata store and by mkdir (a concurrent kf may take a number first).
  std::string reserve_run(metadata::Runs& runs, const Json& rendered, const target::SubmitOptions& options) const;
  LocalOptions m_o;
};

// A runtime program ("kf-trainer", "kf-trainer-cpu", "kf-server"): $KF_TRAINER,
// $KF_TRAINER_CPU, $KF_SERVER,
// else beside kf (bin/NAME, ../libexec/kf/NAME, or in a build tree
// ../runtime/NAME and ../runtime/server/NAME), else from PATH. Throws
// kf::Error saying how to get one.
std::string find_runtime(const std::string& name);

// kf's own trainer for a replica on this machine: $KF_TRAINER when set, else
// find_runtime("kf-trainer") or, when host_gpus() finds no GPU, the
// CUDA-free kf-trainer-cpu beside it (trainer_for_host). Throws as
// find_runtime does.
std::string find_trainer();
// The CUDA-free build beside `trainer` (DIR/kf-trainer-cpu, which a build
// with CUDA makes too) when the machine has no GPU and it is there, else
// `trainer`. A trainer that links CUDA loads cuBLAS, cuBLASLt and NCCL as it
// starts: about half a second and 200 MB per process, only to find no GPU.
std::string trainer_for_host(const std::string& trainer, bool host_has_gpus);

} // namespace kf::local
