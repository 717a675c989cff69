#include "libkf/local/gpus.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

// An entry of CUDA_VISIBLE_DEVICES that names a device: a number, or a GPU's or MIG instance's UUID.
bool device_entry(const std::string& e) {
  if (!e.empty() && std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
  return e.rfind("GPU-", 0) == 0 || e.rfind("MIG-", 0) == 0;
}

} // namespace

std::vector<std::string> host_gpus(const char* visible, const std::filesystem::path& driver_dir) {
  std::vector<std::string> out;
  if (visible != nullptr) {
    // As CUDA reads it: up to the first entry that names no device (-1 hides
    // them all) or one named before.
    for (auto entry : str::split(visible, ',')) {
      entry = str::trim(entry);
      if (!device_entry(entry) || std::find(out.begin(), out.end(), entry) != out.end()) break;
      out.push_back(entry);
    }
    return out;
  }
  std::error_code ec;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it(driver_dir, ec), end; !ec && it != end; it.increment(ec)) ++count;
  for (std::size_t i = 0; i < count; ++i) out.push_back(std::to_string(i));
  return out;
}

std::vector<std::string> host_gpus() { return host_gpus(std::getenv("CUDA_VISIBLE_DEVICES"), "/proc/driver/nvidia/gpus"); }

std::filesystem::path gpu_lock_dir() {
  return gpu_lock_dir(std::getenv("KF_GPU_LOCK_DIR"), "/tmp/kf-gpus-" + std::to_string(::getuid()));
}

std::filesystem::path gpu_lock_dir(const char* env_dir, const std::filesystem::path& dir) {
  if (env_dir != nullptr && *env_dir != '\0') {
    std::error_code ec;
    std::filesystem::create_directories(env_dir, ec);
    if (ec) throw Error("cannot make KF_GPU_LOCK_DIR " + std::string(env_dir) + ": " + ec.message());
    return env_dir;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw Error("cannot make " + dir.string() + ": " + std::strerror(errno));
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
    throw Error(dir.string() + " is not a directory of this user: kf keeps its GPU locks there (set KF_GPU_LOCK_DIR)");
  return dir;
}

GpuDemand gpu_demand(std::span<const ReplicaPlan> replicas) {
  GpuDemand d;
  for (const auto& r : replicas) {
    if (r.gpus <= 0 || std::find(d.pods.begin(), d.pods.end(), r.pod_name()) != d.pods.end()) continue;
    d.pods.push_back(r.pod_name());
    d.counts.push_back(r.gpus);
    d.total += r.gpus;
  }
  return d;
}

void check_gpu_demand(const GpuDemand& demand, const std::vector<std::string>& gpus) {
  if (gpus.empty() || demand.total <= static_cast<int>(gpus.size())) return;
  std::string asks;
  for (std::size_t i = 0; demand.pods.size() > 1 && i < demand.pods.size(); ++i)
    asks += (i > 0 ? ", " : " (") + demand.pods[i] + " " + std::to_string(demand.counts[i]) + (i + 1 == demand.pods.size() ? ")" : "");
  throw Error("requests " + std::to_string(demand.total) + " nvidia.com/gpu" + asks + " and this machine has " +
              std::to_string(gpus.size()) + " (" + str::join(gpus, ",") + "); a cluster would leave its pods Pending: ask for fewer");
}

namespace {

// A lock file's name for a device: its CUDA number or UUID, other bytes as '_'.
std::string lock_name(const std::string& device) {
  std::string name = "gpu-";
  for (const char c : device) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return name + ".lock";
}

} // namespace

std::unique_ptr<GpuLease> GpuLease::try_take(const std::vector<std::string>& gpus, int count,
                                             const std::filesystem::path& lock_dir) {
  std::unique_ptr<GpuLease> lease(new GpuLease());
  for (const auto& device : gpus) {
    if (static_cast<int>(lease->m_devices.size()) == count) break;
    const std::filesystem::path path = lock_dir / lock_name(device);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw Error("cannot open " + path.string() + ": " + std::strerror(errno));
    int r;
    do r = ::flock(fd, LOCK_EX | LOCK_NB);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
      ::close(fd);
      continue; // another run holds it
    }
    lease->m_fds.push_back(fd);
    lease->m_devices.push_back(device);
  }
  if (static_cast<int>(lease->m_devices.size()) < count) return nullptr; // the destructor lets go of what it took
  return lease;
}

GpuLease::~GpuLease() {
  for (const int fd : m_fds) ::close(fd);
}

namespace {

// A container's own CUDA_VISIBLE_DEVICES read inside its pod, as on a node:
// its numbers are the pod's devices, in order (up to the first that is not one).
std::string within(const std::string& own, const std::vector<std::string>& share) {
  std::vector<std::string> out;
  for (auto entry : str::split(own, ',')) {
    entry = str::trim(entry);
    if (entry.empty() || entry.size() > 3 || !std::all_of(entry.begin(), entry.end(), [](char c) { return c >= '0' && c <= '9'; }))
      break;
    const auto i = static_cast<std::size_t>(std::stoul(entry));
    if (i >= share.size()) break;
    out.push_back(share[i]);
  }
  return str::join(out, ",");
}

} // namespace

std::vector<std::vector<std::size_t>> assign_gpus(std::span<ReplicaPlan> replicas, const GpuDemand& demand,
                                                  const std::vector<std::string>& devices) {
  std::vector<std::vector<std::size_t>> slots;
  std::size_t next = 0;
  for (std::size_t p = 0; p < demand.pods.size(); ++p) {
    std::vector<std::size_t> own;
    std::vector<std::string> share;
    for (int i = 0; i < demand.counts[p] && next < devices.size(); ++i) {
      own.push_back(next);
      share.push_back(devices[next++]);
    }
    for (auto& r : replicas) {
      if (r.pod_name() != demand.pods[p]) continue;
      const auto set = std::find_if(r.env.begin(), r.env.end(), [](const auto& e) { return e.first == "CUDA_VISIBLE_DEVICES"; });
      if (set != r.env.end()) set->second = within(set->second, share);
      else r.env.emplace_back("CUDA_VISIBLE_DEVICES", str::join(share, ","));
    }
    slots.push_back(std::move(own));
  }
  return slots;
}

HandedGpus hand_out_gpus(std::span<ReplicaPlan> replicas, const GpuDemand& demand, const GpuLease& lease) {
  const auto slots = assign_gpus(replicas, demand, lease.devices());
  HandedGpus out;
  std::vector<std::string> given;
  for (std::size_t p = 0; p < demand.pods.size(); ++p) {
    std::vector<std::string> devices;
    for (const auto slot : slots[p]) {
      devices.push_back(lease.devices()[slot]);
      out.pod_fds[demand.pods[p]].push_back(lease.fds()[slot]);
    }
    given.push_back(demand.pods[p] + " " + str::join(devices, ","));
  }
  out.scheduled = "assigned GPUs: " + str::join(given, ", ");
  return out;
}

std::string gpus_busy_message(int count, const std::vector<std::string>& gpus) {
  return "waiting for " + std::to_string(count) + " nvidia.com/gpu: other pods hold this machine's GPUs (" +
         str::join(gpus, ",") + ")";
}

} // namespace kf::local
