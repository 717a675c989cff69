#pragma once
// What a controller would do with an object, as a plan for processes on
// this machine. For a PyTorchJob or TFJob (the training operator): one
// ReplicaPlan per replica, in rank order, each with the container's command
// and args (container.h) and exactly the environment the operator injects
// (MASTER_ADDR/MASTER_PORT/WORLD_SIZE/RANK and the PET_* names torchrun
// reads, or TF_CONFIG), addresses on 127.0.0.1. For a batch/v1 Job (the Job
// controller): the pod template, run as often as completions, parallelism
// and backoffLimit say. Pure: no processes, no files. supervisor.cpp
// (gang-scheduled jobs and services) and batch_job.cpp execute plans.

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "libkf/util/json.h"

namespace kf::local {

struct ReplicaPlan {
  std::string type;   // the replica type as the object spells it: "Master", "Worker", "Chief", "PS", ...
  int index = 0;      // within its type
  std::string name;   // lower-case "<type>-<index>": "master-0", "worker-1"
  std::vector<std::string> argv;                            // command + args
  std::vector<std::pair<std::string, std::string>> env;     // the container's env, then the operator's
  std::string restart_policy;                               // OnFailure | Never | Always | ExitCode
  std::string image;                                        // recorded, not pulled
  std::string working_dir;                                  // "" = the run directory
  int gpus = 0;       // nvidia.com/gpu of its pod (gpus.h hands them out)
  std::string pod;    // the pod it is a process of, when several are (a TrainJob node's); "" = its own
  const std::string& pod_name() const { return pod.empty() ? name : pod; }
};

struct ContainerProcess;
// A replica running a container's process: its argv, env, image,
// workingDir and GPUs.
ReplicaPlan replica_plan(const ContainerProcess& process, const std::string& type, int index, const std::string& name,
                         const std::string& restart_policy);

struct JobPlan {
  std::string kind;                    // PyTorchJob | TFJob
  std::string name;                    // metadata.name
  std::vector<std::string> types;      // replica types in status order ("Master", "Worker")
  std::vector<ReplicaPlan> replicas;   // rank order
  int backoff_limit = 0;               // spec.runPolicy.backoffLimit (restarts allowed in all)
  std::string success_replica;         // whose success ends the job: "master-0", "chief-0" or "worker-0"; "" = every replica's (a TrainJob)
  // Run one after the other, each to its end, before the replicas start
  // (a TrainJob's dataset and model initializers); one that fails fails the job.
  std::vector<ReplicaPlan> initializers;
  // A service (InferenceService) runs until stopped: Ready once ready_file
  // (relative to the run dir) exists, restarted when it exits.
  bool service = false;
  std::string ready_file;
  std::string ready_url;               // or: Ready once a GET of it answers 200 (a notebook's /api/status)
  std::vector<std::string> volumes;    // directories made before the replicas start (relative: to the run dir)
  std::string url;                     // where it answers, once ready
  // A batch/v1 Job: replicas[0] is the pod template, started as pods
  // "pod-0", "pod-1", ... until `completions` of them succeeded (Indexed:
  // one per index), at most `parallelism` at once; backoff_limit counts
  // failed pods (and restarts in place, restartPolicy OnFailure).
  int completions = 0;                 // 0 = unset: done when any pod succeeded and none is running
  int parallelism = 1;
  bool indexed = false;                // completionMode Indexed: JOB_COMPLETION_INDEX
  int active_deadline_seconds = 0;     // 0 = none
  // A controller's own settings (an Experiment: its seed, resolved trial
  // template, the trainer's image and path); no replicas of its own.
  Json controller = Json::object();
};

struct PlanOptions {
  std::string trainer_image;           // the project's trainer image: only it runs here
  std::string trainer_path;            // replaces a command "kf-trainer"
  std::function<int()> free_port;      // a free TCP port on 127.0.0.1
  std::vector<Json> training_runtimes; // what a TrainJob's runtimeRef may name: given ones first, then kf's
};

// What an API server checks when an object is created: the object against
// its kind's CRD schema (kf's built-in CRDs; nothing for a kind without
// one). Throws FieldError at the first violation, in the apiserver's words,
// and for an apiVersion that does not serve a kind kf has schemas for.
void check_schema(const Json& object);

// Throws FieldError naming the object and field for anything this machine
// cannot run (check_schema's violations first, then no command, no
// replicas, ...), kf::Error for a kind it does not run.
JobPlan plan_job(const Json& object, const PlanOptions& options);

struct ContainerOptions;
// A batch/v1 Job (plan_batch.cpp); throws FieldError without the object's name.
JobPlan plan_batch_job(const Json& job, const ContainerOptions& options);

struct ServiceOptions {
  std::string trainer_image;  // the ServingRuntime must use the project's image (kf-server is in it)
  std::string server_path;    // replaces a command "kf-server"
  int port = 0;               // where the predictor listens on 127.0.0.1
};

// An InferenceService with its ServingRuntime: one predictor process running
// the runtime's container command, its model directory (/mnt/models) and
// port (8080) mapped to the directory of spec.predictor.model.storageUri
// (file:///DIR: the local target serves models of this machine) and `port`,
// answering on 127.0.0.1. With spec.predictor.logger, kf-server logs its
// answers to k_predictions_file in the run directory (--log-file).
inline constexpr const char* k_predictions_file = "predictions.jsonl";
JobPlan plan_service(const Json& isvc, const Json& runtime, const ServiceOptions& options);

// A Kubeflow Trainer v2 TrainJob on its (Cluster)TrainingRuntime
// (plan_trainjob.cpp), as the Trainer's torch plugin and JobSet run it: the
// runtime's dataset/model initializer jobs first (STORAGE_URI and the
// TrainJob's initializer env), then numNodes nodes ("node-0", ...) with the
// PET_* environment torchrun reads. A command that is not torchrun is every
// process itself: numNodes x numProcPerNode replicas with torchrun's
// WORLD_SIZE/RANK/LOCAL_RANK/MASTER_* too. Complete when every node succeeded.
// Throws FieldError (TrainJob fields), kf::Error (the runtime's own).
JobPlan plan_trainjob(const Json& trainjob, const Json& runtime, const PlanOptions& options);
// The runtime a TrainJob's spec.runtimeRef names among `runtimes`; FieldError when none.
const Json& find_training_runtime(const Json& trainjob, const std::vector<Json>& runtimes);
// The runtimes kf carries: Kubeflow Trainer's torch-distributed ClusterTrainingRuntime (manifests/).
std::vector<Json> builtin_training_runtimes();

struct NotebookOptions {
  std::string jupyter;                // this machine's jupyter ("" = none installed)
  std::string flavor;                 // lab | notebook (6.x: NotebookApp flags) | server
  std::filesystem::path volumes_dir;  // where PVCs live: <project>/.kf/volumes/<claim>/
  int port = 0;                       // on 127.0.0.1
  std::string token;                  // unless the container's env sets JUPYTER_TOKEN
  bool allow_root = false;            // running as root: Jupyter wants --allow-root
};

// A Kubeflow Notebook (plan_notebook.cpp): this machine's Jupyter in place of
// the image's (the image is recorded), with base_url Kubeflow's NB_PREFIX
// /notebook/<namespace>/<name>/, the notebook directory the PVC mounted at
// /home/jovyan (else the first PVC; each claim a directory under
// volumes_dir that outlives the notebook), the container's env. A service:
// Ready once /api/status answers. Throws FieldError naming the Notebook.
JobPlan plan_notebook(const Json& notebook, const NotebookOptions& options);
// This machine's side of a notebook's options: the jupyter in PATH and its
// flavor (lab, else notebook, else server), a free port (the container's
// port, else 8888 and up; `find` false: no looking), a random token.
NotebookOptions notebook_options(const Json& notebook, const std::filesystem::path& project_dir, bool find);

struct WorkflowSettings;
// An Argo Workflow (workflow.cpp): its plan is the controller's settings.
// Throws FieldError for check_schema's violations, what only Argo on a cluster runs (resource,
// containerSet, data, http, plugin templates; workflowTemplateRef), a
// container without a command, an entrypoint or onExit that names no template.
JobPlan plan_workflow(const Json& workflow, const WorkflowSettings& settings);

// The kinds plan_job understands.
bool can_run_locally(const std::string& kind);
// The kinds that have a plan, as LocalTarget::kinds() reports them.
std::vector<std::string> local_kinds();

// A free port on 127.0.0.1 (bind to port 0, read it back, close).
int free_port();
// The first free port on 127.0.0.1 from `first` up (Jupyter's 8888 and up).
int free_port_from(int first);

} // namespace kf::local

namespace kf::local {
// plan.json: the plan as the supervisor reads it.
Json to_json(const JobPlan& plan);
JobPlan plan_from_json(const Json& j);
} // namespace kf::local
