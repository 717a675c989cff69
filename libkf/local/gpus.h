#pragma once
// The GPUs of this machine, handed to pods as a cluster's NVIDIA device
// plugin hands them: a pod (a replica; a TrainJob node's processes together)
// that requests nvidia.com/gpu gets that many devices no other running pod
// of this user holds, and sees only them, through CUDA_VISIBLE_DEVICES. A pod
// that requests none is left as the device plugin leaves it: it sees what kf
// sees. On a machine without GPUs nothing is handed out and nothing is
// refused: such pods run without a GPU, as kf-trainer then does.
//
// A device is held while a lock file of its own is locked (flock) by the
// supervisor of the run that holds it and the processes of the pod it was
// given to: the kernel lets go when the last of them ends, however it ends.
// Devices are known by the names CUDA_VISIBLE_DEVICES gave them ("0" and its
// GPU's UUID are two names), the locks are this user's (another user's runs
// do not see them), and a run takes what is free when it looks, with no queue
// (a gang that needs many may wait behind smaller runs taking turns).

#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "libkf/local/plan.h"

namespace kf::local {

// The devices kf may hand out, as CUDA numbers them for kf's own processes:
// the entries of `visible` (CUDA_VISIBLE_DEVICES) when it is set, read as
// CUDA reads it (numbers or UUIDs, up to the first that is neither or names a
// device again; empty or "-1": none), else one per GPU the NVIDIA driver lists
// under `driver_dir` ("0", "1", ...).
std::vector<std::string> host_gpus(const char* visible, const std::filesystem::path& driver_dir);
// The same from kf's environment and /proc/driver/nvidia/gpus.
std::vector<std::string> host_gpus();

// Where the lock files are: KF_GPU_LOCK_DIR, else /tmp/kf-gpus-<uid> (made
// 0700; refused when it is another user's or not a directory).
std::filesystem::path gpu_lock_dir();
// The same with `env_dir` for KF_GPU_LOCK_DIR and `fallback` for the default.
std::filesystem::path gpu_lock_dir(const char* env_dir, const std::filesystem::path& fallback);

// The pods of a plan that request GPUs, in rank order, and how many in all.
struct GpuDemand {
  std::vector<std::string> pods;  // ReplicaPlan::pod_name() of each
  std::vector<int> counts;        // nvidia.com/gpu of each
  int total = 0;
};
GpuDemand gpu_demand(std::span<const ReplicaPlan> replicas);

// kf::Error ("requests N nvidia.com/gpu (POD N, ...) and this machine has
// M (...); ...": the caller says who) when a run asks for more GPUs
// than the machine has (a cluster would leave its pods Pending for ever);
// nothing when it has none (the pods run without) or enough.
void check_gpu_demand(const GpuDemand& demand, const std::vector<std::string>& gpus);

// Devices held for one run (every pod of it at once, as a gang is scheduled).
class GpuLease {
public:
  // Takes `count` devices of `gpus` that nobody holds (in their order);
  // nullptr when fewer are free.
  static std::unique_ptr<GpuLease> try_take(const std::vector<std::string>& gpus, int count,
                                            const std::filesystem::path& lock_dir);
  ~GpuLease();
  GpuLease(const GpuLease&) = delete;
  GpuLease& operator=(const GpuLease&) = delete;
  const std::vector<std::string>& devices() const { return m_devices; }
  // The lock files' fds, one per device: a pod's processes keep theirs open,
  // so a pod outliving its supervisor (kill -9) still holds its devices.
  const std::vector<int>& fds() const { return m_fds; }

private:
  GpuLease() = default;
  std::vector<std::string> m_devices;
  std::vector<int> m_fds;
};

// Gives each pod of `demand` its share of `devices` (in order), as
// CUDA_VISIBLE_DEVICES in the environment of its replicas; a container that
// sets CUDA_VISIBLE_DEVICES itself is read inside its pod, as on a node ("1":
// the pod's second device). Returns each pod's share as indexes into
// `devices`, in the order of demand.pods.
std::vector<std::vector<std::size_t>> assign_gpus(std::span<ReplicaPlan> replicas, const GpuDemand& demand,
                                                  const std::vector<std::string>& devices);

// A lease handed to the pods that asked (assign_gpus): each pod's lock fds,
// which its processes keep, and the scheduler's Scheduled event message
// ("assigned GPUs: POD DEVICES, ...").
struct HandedGpus {
  std::map<std::string, std::vector<int>> pod_fds;
  std::string scheduled;
};
HandedGpus hand_out_gpus(std::span<ReplicaPlan> replicas, const GpuDemand& demand, const GpuLease& lease);

// The scheduler's FailedScheduling message while other pods hold the `count`
// devices of `gpus` that a pod (or gang) waits for.
std::string gpus_busy_message(int count, const std::vector<std::string>& gpus);

} // namespace kf::local
