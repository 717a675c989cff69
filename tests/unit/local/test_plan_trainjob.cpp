// A Kubeflow Trainer v2 TrainJob planned as the Trainer's torch plugin and
// JobSet would run it on the local target (libkf/local/plan_trainjob.cpp).
#include <doctest/doctest.h>

#include "libkf/local/plan.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {

Json trainjob(const Json& trainer) {
  return {{"apiVersion", "trainer.kubeflow.org/v1alpha1"},
          {"kind", "TrainJob"},
          {"metadata", {{"name", "tj"}}},
          {"spec", {{"runtimeRef", {{"name", "torch-distributed"}}}, {"trainer", trainer}}}};
}

local::PlanOptions options(std::vector<Json> runtimes = {}) {
  int next = 29500;
  auto builtin = local::builtin_training_runtimes();
  runtimes.insert(runtimes.end(), builtin.begin(), builtin.end());
  return {"demo-trainer:latest", "/opt/kf/kf-trainer", [next]() mutable { return next++; }, runtimes};
}

std::string env(const local::ReplicaPlan& r, const std::string& name) {
  std::string value = "<unset>";
  for (const auto& [k, v] : r.env)
    if (k == name) value = v;
  return value;
}

// A namespaced TrainingRuntime like upstream's 05-multi-step example: a dataset initializer, then the nodes.
Json runtime_with_initializer(bool initializer_command) {
  Json init = {{"name", "dataset-initializer"}, {"image", "ghcr.io/kubeflow/trainer/dataset-initializer"}};
  if (initializer_command) init["command"] = {"sh", "-c", "echo fetching $STORAGE_URI"};
  auto job = [](const std::string& name, const std::string& step, const Json& container) {
    Json j = {{"name", name}};
    j["template"]["metadata"]["labels"]["trainer.kubeflow.org/trainjob-ancestor-step"] = step;
    j["template"]["spec"]["template"]["spec"]["containers"] = Json::array({container});
    return j;
  };
  Json node = job("node", "trainer", {{"name", "node"}, {"image", "pytorch/pytorch:latest"}});
  node["template"]["spec"]["backoffLimit"] = 0;
  node["template"]["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  Json runtime = {{"apiVersion", "trainer.kubeflow.org/v1alpha1"},
                  {"kind", "TrainingRuntime"},
                  {"metadata", {{"name", "torch-with-dataset-init"}}}};
  runtime["spec"]["mlPolicy"] = {{"numNodes", 1}, {"torch", Json::object()}};
  runtime["spec"]["template"]["spec"]["replicatedJobs"] =
      Json::array({job("dataset-initializer", "dataset-initializer", init), node});
  return runtime;
}

} // namespace

TEST_CASE("trainjob: kf carries upstream's torch-distributed ClusterTrainingRuntime") {
  const auto runtimes = local::builtin_training_runtimes();
  REQUIRE(runtimes.size() == 1);
  CHECK(runtimes[0]["kind"] == "ClusterTrainingRuntime");
  CHECK(runtimes[0]["metadata"]["name"] == "torch-distributed");
  CHECK(runtimes[0]["spec"]["mlPolicy"]["numNodes"] == 1);
  CHECK(runtimes[0]["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]["image"] ==
        "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime");
}

TEST_CASE("trainjob: torchrun on numNodes nodes gets the PET_* environment only (torchrun starts the workers)") {
  const auto plan = local::plan_job(trainjob({{"numNodes", 3}, {"command", {"torchrun", "train.py"}}}), options());
  CHECK(plan.kind == "TrainJob");
  CHECK(plan.types == std::vector<std::string>{"node"});
  CHECK(plan.success_replica.empty()); // complete when every node succeeded
  REQUIRE(plan.replicas.size() == 3);
  for (int i = 0; i < 3; ++i) {
    const auto& r = plan.replicas[static_cast<std::size_t>(i)];
    CHECK(r.name == "node-" + std::to_string(i));
    CHECK(r.argv == std::vector<std::string>{"torchrun", "train.py"});
    CHECK(r.image == "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"); // the runtime's, recorded
    CHECK(env(r, "PET_NNODES") == "3");
    CHECK(env(r, "PET_NPROC_PER_NODE") == "1");
    CHECK(env(r, "PET_NODE_RANK") == std::to_string(i));
    CHECK(env(r, "PET_MASTER_ADDR") == "127.0.0.1");
    CHECK(env(r, "PET_MASTER_PORT") == "29500");
    CHECK(env(r, "RANK") == "<unset>");
    CHECK(r.restart_policy == "OnFailure"); // JobSet's default
  }
  CHECK(plan.backoff_limit == 6);
}

TEST_CASE("trainjob: a command that is not torchrun is every process, with torchrun's environment") {
  const auto plan = local::plan_job(
      trainjob({{"numNodes", 2}, {"numProcPerNode", 2}, {"image", "demo-trainer:latest"}, {"args", {"--epochs=1"}},
                {"env", {{{"name", "KF_PROJECT"}, {"value", "demo"}}}}}),
      options());
  REQUIRE(plan.replicas.size() == 4);
  const std::vector<std::string> names = {"node-0-0", "node-0-1", "node-1-0", "node-1-1"};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& r = plan.replicas[i];
    CHECK(r.name == names[i]);
    CHECK(r.argv == std::vector<std::string>{"/opt/kf/kf-trainer", "--epochs=1"}); // kf's image: the built trainer
    CHECK(env(r, "KF_PROJECT") == "demo");
    CHECK(env(r, "WORLD_SIZE") == "4");
    CHECK(env(r, "RANK") == std::to_string(i));
    CHECK(env(r, "LOCAL_RANK") == std::to_string(i % 2));
    CHECK(env(r, "LOCAL_WORLD_SIZE") == "2");
    CHECK(env(r, "GROUP_RANK") == std::to_string(i / 2));
    CHECK(env(r, "PET_NODE_RANK") == std::to_string(i / 2));
    CHECK(env(r, "MASTER_PORT") == "29500");
  }
}

TEST_CASE("trainjob: numProcPerNode auto is resourcesPerNode's GPUs, else its CPUs, else 1") {
  auto procs = [](const Json& resources) {
    Json t = {{"command", {"torchrun", "x.py"}}};
    if (!resources.is_null()) t["resourcesPerNode"] = resources;
    return local::plan_job(trainjob(t), options()).replicas[0].env;
  };
  auto per_node = [&](const Json& resources) {
    for (const auto& [k, v] : procs(resources))
      if (k == "PET_NPROC_PER_NODE") return v;
    return std::string();
  };
  CHECK(per_node(nullptr) == "1");
  CHECK(per_node({{"requests", {{"cpu", "2"}}}, {"limits", {{"cpu", "4"}}}}) == "2");
  CHECK(per_node({{"limits", {{"cpu", "500m"}}}}) == "1");
  CHECK(per_node({{"limits", {{"nvidia.com/gpu", 4}, {"cpu", "16"}}}}) == "4");
}

TEST_CASE("trainjob: the runtime's initializers run first, with the TrainJob's storageUri - plan.json keeps them") {
  Json job = trainjob({{"command", {"python3", "-c", "print(1)"}}});
  job["spec"]["runtimeRef"] = {{"name", "torch-with-dataset-init"}, {"kind", "TrainingRuntime"}};
  job["spec"]["initializer"] = {{"dataset", {{"storageUri", "hf://tatsu-lab/alpaca"}}}};
  const auto plan = local::plan_job(job, options({runtime_with_initializer(true)}));
  REQUIRE(plan.initializers.size() == 1);
  CHECK(plan.initializers[0].name == "dataset-initializer-0");
  CHECK(env(plan.initializers[0], "STORAGE_URI") == "hf://tatsu-lab/alpaca");
  CHECK(plan.replicas.size() == 1);
  CHECK(plan.replicas[0].restart_policy == "Never");
  CHECK(plan.backoff_limit == 0);
  const auto back = local::plan_from_json(local::to_json(plan));
  REQUIRE(back.initializers.size() == 1);
  CHECK(back.initializers[0].argv == plan.initializers[0].argv);
  CHECK(local::to_json(back) == local::to_json(plan));
}

TEST_CASE("trainjob: refusals name the TrainJob's field, or the runtime's") {
  auto fails = [](const Json& job, const std::vector<Json>& runtimes = {}) {
    try {
      local::plan_job(job, options(runtimes));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Json job = trainjob({{"command", {"torchrun", "x.py"}}});
  job["spec"]["runtimeRef"]["name"] = "torch-distrbuted";
  CHECK(fails(job) == "TrainJob \"tj\": spec.runtimeRef.name: no ClusterTrainingRuntime \"torch-distrbuted\" (known here: "
                      "torch-distributed; give yours beside the TrainJob: kf submit -f runtime.yaml -f trainjob.yaml)");
  job["spec"]["runtimeRef"] = {{"name", "x"}, {"apiGroup", "kubeflow.org"}};
  CHECK(fails(job) == "TrainJob \"tj\": spec.runtimeRef.apiGroup: unsupported runtime: ClusterTrainingRuntime.kubeflow.org "
                      "(kf runs trainer.kubeflow.org runtimes)");
  Json mpi = runtime_with_initializer(true);
  mpi["metadata"]["name"] = "mpi-distributed";
  mpi["metadata"]["labels"] = {{"trainer.kubeflow.org/framework", "mpi"}};
  mpi["spec"]["mlPolicy"] = {{"numNodes", 1}, {"mpi", {{"mpiImplementation", "OpenMPI"}}}};
  job["spec"]["runtimeRef"] = {{"name", "mpi-distributed"}, {"kind", "TrainingRuntime"}};
  CHECK(fails(job, {mpi}) == "TrainJob \"tj\": spec.runtimeRef.name: runtime \"mpi-distributed\" is a mpi runtime; the local "
                             "target runs torch runtimes (mlPolicy.torch)");
  job = trainjob({{"command", {"torchrun", "x.py"}}, {"env", {{{"name", "PET_NNODES"}, {"value", "9"}}}}});
  CHECK(fails(job) == "TrainJob \"tj\": spec.trainer.env: must not have reserved envs, invalid envs configured: [PET_NNODES]");
  job = trainjob({{"numNodes", 2}});
  CHECK(fails(job) == "TrainJob \"tj\": spec.trainer.command: the local target runs a container's command on this machine and "
                      "cannot know the entrypoint of image \"pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime\": give the command");
  job = trainjob({{"command", {"torchrun", "x.py"}}, {"numNodes", 0}});
  CHECK(fails(job) == "TrainJob \"tj\": spec.trainer.numNodes: must be a positive integer, not 0");
  job = trainjob({{"command", {"python3", "x.py"}}});
  job["spec"]["runtimeRef"] = {{"name", "torch-with-dataset-init"}, {"kind", "TrainingRuntime"}};
  CHECK(fails(job, {runtime_with_initializer(false)}) ==
        "TrainingRuntime \"torch-with-dataset-init\": spec.template.spec.replicatedJobs[0].template.spec.template.spec."
        "containers[dataset-initializer].command: the local target runs a container's command on this machine and cannot "
        "know the entrypoint of image \"ghcr.io/kubeflow/trainer/dataset-initializer\": give the command");
}
