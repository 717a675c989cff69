// The local target's GPUs, handed out as the NVIDIA device plugin does
// (libkf/local/gpus.cpp), and the GPU requests plans carry.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "libkf/local/container.h"
#include "libkf/local/gpus.h"
#include "libkf/local/local_target.h"
#include "libkf/local/plan.h"
#include "libkf/util/error.h"
#include "tests/unit/temp_dir.h"

using namespace kf;

namespace {

local::ReplicaPlan replica(const std::string& name, int gpus, const std::string& pod = "") {
  local::ReplicaPlan r;
  r.name = name;
  r.gpus = gpus;
  r.pod = pod;
  return r;
}

std::string env(const local::ReplicaPlan& r, const std::string& name) {
  std::string value = "<unset>";
  for (const auto& [k, v] : r.env)
    if (k == name) value = v;
  return value;
}

std::string refusal(const local::GpuDemand& demand, const std::vector<std::string>& gpus) {
  try {
    local::check_gpu_demand(demand, gpus);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("gpus: this machine's devices - CUDA_VISIBLE_DEVICES's entries when set, else the driver's GPUs") {
  const test::TempDir tmp;
  CHECK(local::host_gpus("3,5", tmp.path / "none") == std::vector<std::string>{"3", "5"});
  CHECK(local::host_gpus(" 0 , GPU-8f2c ,", tmp.path / "none") == std::vector<std::string>{"0", "GPU-8f2c"});
  CHECK(local::host_gpus("MIG-1c2d,1", tmp.path / "none") == std::vector<std::string>{"MIG-1c2d", "1"});
  // As CUDA reads it: up to the first entry that names no device, or names one again.
  CHECK(local::host_gpus("", tmp.path / "none").empty());
  CHECK(local::host_gpus("-1", tmp.path / "none").empty());
  CHECK(local::host_gpus("2,-1,0", tmp.path / "none") == std::vector<std::string>{"2"});
  CHECK(local::host_gpus("0,0,1", tmp.path / "none") == std::vector<std::string>{"0"});
  CHECK(local::host_gpus("1,nvidia0", tmp.path / "none") == std::vector<std::string>{"1"});
  CHECK(local::host_gpus(nullptr, tmp.path / "none").empty());
  std::filesystem::create_directories(tmp.path / "gpus" / "0000:17:00.0");
  std::filesystem::create_directories(tmp.path / "gpus" / "0000:65:00.0");
  CHECK(local::host_gpus(nullptr, tmp.path / "gpus") == std::vector<std::string>{"0", "1"});
}

TEST_CASE("gpus: a pod's request is its container's nvidia.com/gpu - a TrainJob node's processes are one pod") {
  CHECK(local::gpu_request({{"limits", {{"nvidia.com/gpu", 2}}}}) == 2);
  CHECK(local::gpu_request({{"limits", {{"nvidia.com/gpu", "1"}}}, {"requests", {{"nvidia.com/gpu", "1"}}}}) == 1);
  CHECK(local::gpu_request({{"requests", {{"nvidia.com/gpu", "4"}}}}) == 4);
  CHECK(local::gpu_request({{"limits", {{"cpu", "2"}}}}) == 0);
  CHECK(local::gpu_request(Json()) == 0);
  CHECK(local::gpu_request({{"limits", {{"nvidia.com/gpu", 1e30}}}}) == 0); // unreadable, not undefined behaviour

  const std::vector<local::ReplicaPlan> replicas = {replica("master-0", 1), replica("worker-0", 0),
                                                    replica("node-0-0", 2, "node-0"), replica("node-0-1", 2, "node-0"),
                                                    replica("worker-1", 1)};
  const auto demand = local::gpu_demand(replicas);
  CHECK(demand.pods == std::vector<std::string>{"master-0", "node-0", "worker-1"});
  CHECK(demand.counts == std::vector<int>{1, 2, 1});
  CHECK(demand.total == 4);
}

TEST_CASE("gpus: more than the machine has is refused - none on the machine refuses nothing") {
  const std::vector<local::ReplicaPlan> replicas = {replica("master-0", 1), replica("worker-0", 2)};
  const auto demand = local::gpu_demand(replicas);
  CHECK(refusal(demand, {"0", "1"}) ==
        "requests 3 nvidia.com/gpu (master-0 1, worker-0 2) and this machine has 2 (0,1); a cluster would leave its pods "
        "Pending: ask for fewer");
  CHECK(refusal(demand, {"0", "1", "2"}).empty());
  CHECK(refusal(demand, {}).empty()); // no GPU here: the pods run without one
  const std::vector<local::ReplicaPlan> one = {replica("pod", 2)};
  CHECK(refusal(local::gpu_demand(one), {"0"}) ==
        "requests 2 nvidia.com/gpu and this machine has 1 (0); a cluster would leave its pods Pending: ask for fewer");
}

TEST_CASE("gpus: the lock files' directory - KF_GPU_LOCK_DIR, else a directory of this user's") {
  const test::TempDir tmp;
  CHECK(local::gpu_lock_dir((tmp.path / "set").c_str(), tmp.path / "default") == tmp.path / "set");
  CHECK(std::filesystem::is_directory(tmp.path / "set"));
  CHECK(local::gpu_lock_dir("", tmp.path / "default") == tmp.path / "default");
  CHECK(std::filesystem::is_directory(tmp.path / "default"));
  tmp.write("file", "not a directory");
  const auto refusal = [](const char* env, const std::filesystem::path& fallback) {
    try {
      local::gpu_lock_dir(env, fallback);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(refusal(nullptr, tmp.path / "file") ==
        (tmp.path / "file").string() + " is not a directory of this user: kf keeps its GPU locks there (set KF_GPU_LOCK_DIR)");
  CHECK(refusal((tmp.path / "file" / "locks").c_str(), "") ==
        "cannot make KF_GPU_LOCK_DIR " + (tmp.path / "file" / "locks").string() + ": Not a directory");
  CHECK(refusal(nullptr, tmp.path / "no" / "parent") ==
        "cannot make " + (tmp.path / "no" / "parent").string() + ": No such file or directory");
}

TEST_CASE("gpus: a lease holds devices no other lease gets until it ends") {
  const test::TempDir tmp;
  const std::vector<std::string> gpus = {"0", "1", "GPU-a/b"};
  auto first = local::GpuLease::try_take(gpus, 2, tmp.path);
  REQUIRE(first != nullptr);
  CHECK(first->devices() == std::vector<std::string>{"0", "1"});
  CHECK(local::GpuLease::try_take(gpus, 2, tmp.path) == nullptr); // one is free, two are asked for
  auto third = local::GpuLease::try_take(gpus, 1, tmp.path);
  REQUIRE(third != nullptr);
  CHECK(third->devices() == std::vector<std::string>{"GPU-a/b"});
  CHECK(std::filesystem::exists(tmp.path / "gpu-GPU-a_b.lock"));
  first.reset();
  auto again = local::GpuLease::try_take(gpus, 2, tmp.path);
  REQUIRE(again != nullptr);
  CHECK(again->devices() == std::vector<std::string>{"0", "1"});
  CHECK(again->fds().size() == 2);
  std::filesystem::create_directories(tmp.path / "more" / "gpu-9.lock");
  try {
    local::GpuLease::try_take({"9"}, 1, tmp.path / "more");
    FAIL("a lock file that is a directory was taken");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "cannot open " + (tmp.path / "more" / "gpu-9.lock").string() + ": Is a directory");
  }
}

TEST_CASE("gpus: each pod sees its own devices through CUDA_VISIBLE_DEVICES - a container's own is read inside its pod") {
  std::vector<local::ReplicaPlan> replicas = {replica("master-0", 1), replica("worker-0", 0), replica("node-0-0", 2, "node-0"),
                                              replica("node-0-1", 2, "node-0"), replica("worker-1", 2)};
  replicas[3].env.emplace_back("CUDA_VISIBLE_DEVICES", "1");   // the pod's second device
  replicas[4].env.emplace_back("CUDA_VISIBLE_DEVICES", "1,0,2"); // the pod has two: CUDA stops at 2
  const auto slots = local::assign_gpus(replicas, local::gpu_demand(replicas), {"3", "4", "5", "6", "7"});
  CHECK(slots == std::vector<std::vector<std::size_t>>{{0}, {1, 2}, {3, 4}}); // master-0, node-0, worker-1
  CHECK(env(replicas[0], "CUDA_VISIBLE_DEVICES") == "3");
  CHECK(env(replicas[1], "CUDA_VISIBLE_DEVICES") == "<unset>"); // asks for none: sees what kf sees
  CHECK(env(replicas[2], "CUDA_VISIBLE_DEVICES") == "4,5");
  CHECK(env(replicas[3], "CUDA_VISIBLE_DEVICES") == "5");
  CHECK(env(replicas[4], "CUDA_VISIBLE_DEVICES") == "7,6");
}

TEST_CASE("gpus: plans carry each replica's request, through plan.json too") {
  Json job = {{"apiVersion", "kubeflow.org/v1"}, {"kind", "PyTorchJob"}, {"metadata", {{"name", "gpu"}}}};
  Json c = {{"name", "pytorch"}, {"image", "demo-trainer:latest"}, {"command", {"kf-trainer"}},
            {"resources", {{"limits", {{"nvidia.com/gpu", 1}}}}}};
  job["spec"]["pytorchReplicaSpecs"]["Master"] = {{"replicas", 1}, {"template", {{"spec", {{"containers", {c}}}}}}};
  job["spec"]["pytorchReplicaSpecs"]["Worker"] = {{"replicas", 2}, {"template", {{"spec", {{"containers", {c}}}}}}};
  int port = 31000;
  const auto plan = local::plan_job(job, {"demo-trainer:latest", "/opt/kf/kf-trainer", [&] { return port++; }, {}});
  REQUIRE(plan.replicas.size() == 3);
  for (const auto& r : plan.replicas) CHECK(r.gpus == 1);
  const auto back = local::plan_from_json(local::to_json(plan));
  CHECK(back.replicas[2].gpus == 1);
  CHECK(back.replicas[2].pod.empty());
  CHECK(local::gpu_demand(back.replicas).total == 3);
}

TEST_CASE("gpus: without a GPU, replicas run the CUDA-free trainer beside kf-trainer") {
  test::TempDir d;
  const std::string trainer = d.write("kf-trainer", "#!/bin/sh\n");
  ::chmod(trainer.c_str(), 0755);
  CHECK(local::trainer_for_host(trainer, false) == trainer); // no twin yet
  const std::string twin = d.write("kf-trainer-cpu", "#!/bin/sh\n");
  CHECK(local::trainer_for_host(trainer, false) == trainer); // not executable
  ::chmod(twin.c_str(), 0755);
  CHECK(local::trainer_for_host(trainer, false) == twin);
  CHECK(local::trainer_for_host(trainer, true) == trainer); // a GPU: the CUDA build
  // A trainer by another name (KF_TRAINER=/opt/my-trainer) is the user's: no twin is looked for.
  const std::string other = d.write("my-trainer", "#!/bin/sh\n");
  CHECK(local::trainer_for_host(other, false) == other);
}
