#pragma once
// What a local run's processes start from: the environment and kf's own
// executable. Starting and stopping them is util/subprocess.h's (each
// replica in its own process group, its stdout and stderr appended to its
// log; the supervisor as a daemon).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kf::local {

// The environment a local replica starts from: what a container would also
// have (PATH, HOME, locale, TMPDIR, USER, and the GPUs kf may use:
// CUDA_VISIBLE_DEVICES), not the user's other variables (a KF_LR in the
// user's shell must not change a run).
std::vector<std::pair<std::string, std::string>> base_environment();
// Sets `name` in `env`: its entry replaced, else one added (a process sees
// each name once; a C program's getenv would see the first of two).
void set_env(std::vector<std::pair<std::string, std::string>>& env, const std::string& name, const std::string& value);

struct ReplicaPlan;

// Starts one replica's process: its argv, its env (then `extra`) over
// base_environment(), in its working directory (else `run_dir`), stdout and
// stderr appended to `log`, in a process group of its own. Throws kf::Error
// naming the image and the command when argv[0] is not on this machine
// (the local target runs an image's commands on the host: nothing was
// pulled), or the working directory does not exist here. The process keeps
// `keep_fds` open (its pod's GPU locks: gpus.h).
int start_replica(const ReplicaPlan& replica, const std::filesystem::path& run_dir, const std::filesystem::path& log,
                  const std::vector<std::pair<std::string, std::string>>& extra = {}, const std::vector<int>& keep_fds = {});

// When process `pid` started, in clock ticks since boot (/proc/PID/stat's
// field 22). A pid is reused; the pair (pid, start) names one process for
// good. 0 when there is no such process or it has exited (a zombie).
std::uint64_t process_start_ticks(int pid);

// Stops what a dead supervisor left running (kill -9 took it, not its
// replicas, which run in process groups of their own): SIGTERM to the
// group of each `pid` at once, SIGKILL to those still running after one
// `grace` for all, only while `pid` is still the process that started at
// `start_ticks`. How many were still running.
struct LeftOver {
  int pid = 0;
  std::uint64_t start_ticks = 0;
};
int stop_left_over(const std::vector<LeftOver>& processes, std::chrono::milliseconds grace);

// The running executable's path (/proc/self/exe).
std::filesystem::path self_exe();

} // namespace kf::local
