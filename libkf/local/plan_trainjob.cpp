// A Kubeflow Trainer v2 TrainJob as the Trainer controller (its torch
// plugin) and JobSet would run it (plan.h): the runtime's initializer jobs,
// then the trainer's nodes with the PET_* environment.
#include <algorithm>
#include <cmath>
#include <set>

#include "libkf/local/container.h"
#include "libkf/local/plan.h"
#include "libkf/util/embedded.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"

namespace kf::local {

namespace {

constexpr const char* k_group = "trainer.kubeflow.org";
constexpr const char* k_ancestor = "trainer.kubeflow.org/trainjob-ancestor-step";

// The runtime's replicated job whose pods carry the ancestor label `step`.
const Json* replicated_job(const Json& runtime, const std::string& step, std::size_t* index = nullptr) {
  const Json& jobs = json_field(json_field(json_field(json_field(runtime, "spec"), "template"), "spec"), "replicatedJobs");
  if (!jobs.is_array()) return nullptr;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const Json& labels = json_field(json_field(json_field(jobs[i], "template"), "metadata"), "labels");
    if (json_text(labels, k_ancestor) == step) {
      if (index) *index = i;
      return &jobs[i];
    }
  }
  return nullptr;
}

// The container named `name` of a replicated job's pod template, or null.
const Json* container_of(const Json& job, const std::string& name) {
  const Json& containers =
      json_field(json_field(json_field(json_field(json_field(job, "template"), "spec"), "template"), "spec"), "containers");
  if (!containers.is_array()) return nullptr;
  for (const auto& c : containers)
    if (json_text(c, "name") == name) return &c;
  return nullptr;
}

// env entries of `extra` replace those of the same name in `container`, or are appended.
void upsert_env(Json& container, const Json& extra) {
  if (!extra.is_array()) return;
  if (!container.contains("env") || !container["env"].is_array()) container["env"] = Json::array();
  for (const auto& e : extra) {
    bool replaced = false;
    for (auto& have : container["env"])
      if (json_text(have, "name") == json_text(e, "name")) have = e, replaced = true;
    if (!replaced) container["env"].push_back(e);
  }
}

const Json& pod_spec(const Json& job) {
  return json_field(json_field(json_field(json_field(job, "template"), "spec"), "template"), "spec");
}

// A node's resources: the TrainJob's resourcesPerNode, else its container's.
const Json& node_resources(const Json& trainer, const Json& node_container) {
  const Json& per_node = json_field(trainer, "resourcesPerNode");
  return per_node.is_null() ? json_field(node_container, "resources") : per_node;
}

// numProcPerNode as the torch plugin decides it: the TrainJob's, else
// "auto": the GPUs of resourcesPerNode, else its CPUs (at least 1).
int procs_per_node(const Json& trainer, const Json& node_container) {
  const Json& n = json_field(trainer, "numProcPerNode");
  if (n.is_number_integer()) {
    if (n.get<int>() < 1) throw FieldError("spec.trainer.numProcPerNode", "must be at least 1, not " + n.dump());
    return n.get<int>();
  }
  if (!n.is_null()) throw FieldError("spec.trainer.numProcPerNode", "must be an integer, not " + n.dump());
  const Json& res = node_resources(trainer, node_container);
  const int gpus = gpu_request(res);
  if (gpus > 0) return gpus;
  const Json& requests = json_field(json_field(res, "requests"), "cpu");
  const int cpus = whole_units(requests.is_null() ? json_field(json_field(res, "limits"), "cpu") : requests);
  return std::max(1, cpus);
}

// True when the command is torchrun (or python -m torch.distributed.run): it starts the node's processes itself.
bool is_torchrun(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  const std::string base = argv[0].substr(argv[0].find_last_of('/') + 1);
  if (base == "torchrun") return true;
  if (base.rfind("python", 0) != 0) return false;
  for (std::size_t i = 1; i + 1 < argv.size(); ++i)
    if (argv[i] == "-m") return argv[i + 1] == "torch.distributed.run";
  return false;
}

// A problem of the runtime, not of the TrainJob: named by the runtime's kind, name and field.
[[noreturn]] void runtime_error(const Json& runtime, const std::string& path, const std::string& message) {
  throw Error(json_text(runtime, "kind") + " " + str::quote(json_text(json_field(runtime, "metadata"), "name")) + ": " + path +
              ": " + message);
}

int node_count(const Json& spec, const Json& runtime) {
  const Json& job_nodes = json_field(json_field(spec, "trainer"), "numNodes");
  const Json& nodes = job_nodes.is_null() ? json_field(json_field(json_field(runtime, "spec"), "mlPolicy"), "numNodes") : job_nodes;
  if (nodes.is_null()) return 1;
  if (nodes.is_number_integer() && nodes.get<int>() >= 1) return nodes.get<int>();
  if (job_nodes.is_null()) runtime_error(runtime, "spec.mlPolicy.numNodes", "must be a positive integer, not " + nodes.dump());
  throw FieldError("spec.trainer.numNodes", "must be a positive integer, not " + nodes.dump());
}

// The trainer's container: the runtime's "node" container with the TrainJob's image, command, args and env.
Json trainer_container(const Json& spec, const Json& node_job, const std::string& runtime_name) {
  const Json* node = container_of(node_job, "node");
  if (!node)
    throw FieldError("spec.runtimeRef.name", "runtime " + str::quote(runtime_name) +
                                                 " has no container named \"node\" in its trainer job (the torch plugin configures that one)");
  Json c = *node;
  const Json& trainer = json_field(spec, "trainer");
  if (!json_text(trainer, "image").empty()) c["image"] = trainer["image"];
  if (trainer.contains("command")) c["command"] = trainer["command"], c.erase("args");
  if (trainer.contains("args")) c["args"] = trainer["args"];
  const Json& env = json_field(trainer, "env");
  static const std::set<std::string> reserved = {"PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR",
                                                 "PET_MASTER_PORT"};
  std::vector<std::string> bad;
  if (env.is_array())
    for (const auto& e : env)
      if (reserved.count(json_text(e, "name"))) bad.push_back(json_text(e, "name"));
  if (!bad.empty())
    throw FieldError("spec.trainer.env", "must not have reserved envs, invalid envs configured: [" + str::join(bad, " ") + "]");
  upsert_env(c, env);
  return c;
}

std::string restart_policy(const Json& runtime, const Json& job, const std::string& at) {
  const std::string policy = json_text(pod_spec(job), "restartPolicy");
  if (policy.empty()) return "OnFailure"; // JobSet's default for its Jobs' pods
  if (policy != "OnFailure" && policy != "Never")
    runtime_error(runtime, at + ".template.spec.template.spec.restartPolicy", str::quote(policy) + " is not OnFailure or Never");
  return policy;
}

// The initializer jobs the runtime has, in its order, each with the TrainJob's storageUri and env.
void plan_initializers(const Json& spec, const Json& runtime, const ContainerOptions& co, JobPlan& plan) {
  for (const char* step : {"dataset-initializer", "model-initializer"}) {
    std::size_t index = 0;
    const Json* job = replicated_job(runtime, step, &index);
    if (!job) continue;
    const std::string at = "spec.template.spec.replicatedJobs[" + std::to_string(index) + "]";
    const Json* found = container_of(*job, step);
    if (!found) runtime_error(runtime, at, std::string("no container named \"") + step + "\"");
    Json c = *found;
    const Json& init = json_field(json_field(spec, "initializer"), std::string(step) == "dataset-initializer" ? "dataset" : "model");
    if (!json_text(init, "storageUri").empty())
      upsert_env(c, Json::array({{{"name", "STORAGE_URI"}, {"value", json_text(init, "storageUri")}}}));
    upsert_env(c, json_field(init, "env"));
    ContainerProcess p;
    try {
      p = container_process(c, at + ".template.spec.template.spec.containers[" + step + "]", co);
    } catch (const FieldError& e) {
      runtime_error(runtime, e.path(), e.message());
    }
    plan.initializers.push_back(replica_plan(p, json_text(*job, "name"), 0, json_text(*job, "name") + "-0", restart_policy(runtime, *job, at)));
  }
}

void check_runtime(const Json& runtime, const std::string& name) {
  const Json& ml = json_field(json_field(runtime, "spec"), "mlPolicy");
  if (!ml.contains("torch")) {
    std::string framework = json_text(json_field(json_field(runtime, "metadata"), "labels"), "trainer.kubeflow.org/framework");
    for (const char* k : {"mpi", "jax", "xgboost", "flux"})
      if (framework.empty() && ml.contains(k)) framework = k;
    throw FieldError("spec.runtimeRef.name", "runtime " + str::quote(name) + " is a " +
                                                 (framework.empty() ? std::string("non-torch") : framework) +
                                                 " runtime; the local target runs torch runtimes (mlPolicy.torch)");
  }
  if (!json_field(ml["torch"], "envInjection").is_null())
    throw FieldError("spec.runtimeRef.name", "runtime " + str::quote(name) +
                                                 ": mlPolicy.torch.envInjection is not supported by the local target");
}

} // namespace

std::vector<Json> builtin_training_runtimes() {
  static const std::vector<Json> runtimes = [] { // parsed once: every job's plan options carry them
    std::vector<Json> out;
    if (const auto tree = embedded::parsed("manifests/torch-distributed.yaml")) out.push_back(yaml::to_json(*tree));
    return out;
  }();
  return runtimes;
}

const Json& find_training_runtime(const Json& trainjob, const std::vector<Json>& runtimes) {
  const Json& ref = json_field(json_field(trainjob, "spec"), "runtimeRef");
  const std::string group = json_text(ref, "apiGroup").empty() ? k_group : json_text(ref, "apiGroup");
  const std::string kind = json_text(ref, "kind").empty() ? "ClusterTrainingRuntime" : json_text(ref, "kind");
  const std::string name = json_text(ref, "name");
  if (name.empty()) throw FieldError("spec.runtimeRef.name", "required: the (Cluster)TrainingRuntime to run on");
  if (group != k_group)
    throw FieldError("spec.runtimeRef.apiGroup", "unsupported runtime: " + kind + "." + group + " (kf runs " + k_group + " runtimes)");
  if (kind != "ClusterTrainingRuntime" && kind != "TrainingRuntime")
    throw FieldError("spec.runtimeRef.kind", "unsupported runtime: " + kind + "." + group +
                                                 " (ClusterTrainingRuntime or TrainingRuntime)");
  for (const auto& r : runtimes)
    if (json_text(r, "kind") == kind && json_text(json_field(r, "metadata"), "name") == name) return r;
  std::vector<std::string> known;
  for (const auto& r : runtimes)
    if (json_text(r, "kind") == kind) known.push_back(json_text(json_field(r, "metadata"), "name"));
  throw FieldError("spec.runtimeRef.name",
                   "no " + kind + " " + str::quote(name) + " (known here: " + (known.empty() ? "none" : str::join(known, ", ")) +
                       "; give yours beside the TrainJob: kf submit -f runtime.yaml -f trainjob.yaml)");
}

JobPlan plan_trainjob(const Json& trainjob, const Json& runtime, const PlanOptions& o) {
  const Json& spec = json_field(trainjob, "spec");
  const std::string rt_name = json_text(json_field(runtime, "metadata"), "name");
  check_runtime(runtime, rt_name);
  if (!json_field(spec, "runtimePatches").is_null() || !json_field(spec, "podSpecOverrides").is_null())
    throw FieldError(spec.contains("runtimePatches") ? "spec.runtimePatches" : "spec.podSpecOverrides",
                     "runtime patches are not applied by the local target");
  std::size_t node_index = 0;
  const Json* node_job = replicated_job(runtime, "trainer", &node_index);
  if (!node_job)
    throw FieldError("spec.runtimeRef.name", "runtime " + str::quote(rt_name) + " has no trainer job (a replicated job labelled " +
                                                 k_ancestor + ": trainer)");
  const ContainerOptions co{o.trainer_image, o.trainer_path};
  JobPlan plan;
  plan.kind = "TrainJob";
  plan.name = json_text(json_field(trainjob, "metadata"), "name");
  plan_initializers(spec, runtime, co, plan);
  const Json container = trainer_container(spec, *node_job, rt_name);
  const auto process = container_process(container, "spec.trainer", co);
  const int nodes = node_count(spec, runtime);
  const int per_node = procs_per_node(json_field(spec, "trainer"), container);
  const int node_gpus = gpu_request(node_resources(json_field(spec, "trainer"), container));
  const bool torchrun = is_torchrun(process.argv);
  const std::string job = json_text(*node_job, "name");
  const std::string policy = restart_policy(runtime, *node_job, "spec.template.spec.replicatedJobs[" + std::to_string(node_index) + "]");
  const Json& backoff = json_field(json_field(json_field(*node_job, "template"), "spec"), "backoffLimit");
  plan.backoff_limit = backoff.is_number_integer() ? backoff.get<int>() : 6;
  plan.active_deadline_seconds = json_field(spec, "activeDeadlineSeconds").is_number_integer() ? spec["activeDeadlineSeconds"].get<int>() : 0;
  plan.types = {job};
  plan.success_replica = ""; // JobSet: complete when every node succeeded
  const std::string port = std::to_string(o.free_port());
  // torchrun starts a node's processes itself; any other command is every process, with torchrun's environment.
  const int local_procs = torchrun ? 1 : per_node;
  for (int node = 0; node < nodes; ++node)
    for (int local = 0; local < local_procs; ++local) {
      const int index = node * local_procs + local;
      const std::string name = job + "-" + std::to_string(node) + (local_procs > 1 ? "-" + std::to_string(local) : "");
      ReplicaPlan r = replica_plan(process, job, index, name, policy);
      r.gpus = node_gpus; // a node's processes share its GPUs (each picks its own by LOCAL_RANK)
      if (local_procs > 1) r.pod = job + "-" + std::to_string(node);
      std::vector<std::pair<std::string, std::string>> env = {
          {"PYTHONUNBUFFERED", "1"},
          {"PET_NNODES", std::to_string(nodes)},
          {"PET_NPROC_PER_NODE", std::to_string(per_node)},
          {"PET_NODE_RANK", std::to_string(node)},
          {"PET_MASTER_ADDR", "127.0.0.1"},
          {"PET_MASTER_PORT", port},
      };
      if (!torchrun) {
        const std::vector<std::pair<std::string, std::string>> launched = {
            {"MASTER_ADDR", "127.0.0.1"},
            {"MASTER_PORT", port},
            {"WORLD_SIZE", std::to_string(nodes * per_node)},
            {"RANK", std::to_string(node * per_node + local)},
            {"LOCAL_RANK", std::to_string(local)},
            {"LOCAL_WORLD_SIZE", std::to_string(per_node)},
            {"GROUP_RANK", std::to_string(node)},
        };
        env.insert(env.end(), launched.begin(), launched.end());
      }
      r.env.insert(r.env.end(), env.begin(), env.end());
      plan.replicas.push_back(std::move(r));
    }
  return plan;
}

} // namespace kf::local
