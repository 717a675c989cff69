#pragma once
// Starting and stopping the processes of a local run (POSIX). Each replica
// runs in its own process group, so stopping it also stops whatever it
// started; its stdout and stderr are appended to its log file.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kf::local {

struct Spawn {
  std::vector<std::string> argv;                         // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::pair<std::string, std::string>> env;  // the complete environment
  std::filesystem::path cwd;
  std::filesystem::path log;                             // stdout + stderr, appended
};

// Starts the process; throws kf::Error if fork fails. A program that cannot
// be executed exits 127 with the reason in its log (as a shell would).
pid_t spawn(const Spawn& s);

// The exit code as a shell reports it: the status, or 128 + the signal.
int exit_code_of(int wait_status);

// SIGTERM to the process group, then SIGKILL after `grace` if it is still
// there; reaps the process. Returns its exit code.
int terminate(pid_t pid, std::chrono::milliseconds grace);

// The environment a local replica starts from: what a container would also
// have (PATH, HOME, locale, TMPDIR, USER), not the user's other variables
// (a KF_LR in the user's shell must not change a run).
std::vector<std::pair<std::string, std::string>> base_environment();

// Starts `argv` as a daemon: in a new session, not a child of this process
// (double fork), stdin from /dev/null, stdout/stderr to `log`. Returns its pid.
pid_t spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log);

// The running executable's path (/proc/self/exe).
std::filesystem::path self_exe();

} // namespace kf::local
