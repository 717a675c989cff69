#include "libkf/local/process.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "libkf/local/container.h"
#include "libkf/local/plan.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::local {

std::vector<std::pair<std::string, std::string>> base_environment() {
  std::vector<std::pair<std::string, std::string>> env;
  // CUDA_VISIBLE_DEVICES (and the order its numbers are in): a pod that
  // requests no GPU sees the ones kf sees (gpus.h).
  for (const char* name : {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER"})
    if (const char* v = std::getenv(name)) env.emplace_back(name, v);
  bool has_path = false;
  for (const auto& e : env) has_path = has_path || e.first == "PATH";
  if (!has_path) env.emplace_back("PATH", "/usr/local/bin:/usr/bin:/bin");
  return env;
}

void set_env(proc::Env& env, const std::string& name, const std::string& value) {
  for (auto& e : env)
    if (e.first == name) {
      e.second = value;
      return;
    }
  env.emplace_back(name, value);
}

int start_replica(const ReplicaPlan& r, const std::filesystem::path& run_dir, const std::filesystem::path& log,
                  const std::vector<std::pair<std::string, std::string>>& extra, const std::vector<int>& keep_fds) {
  proc::Env env = base_environment();
  // The container's variables and the operator's override the base ones.
  for (const auto& [k, v] : r.env) set_env(env, k, v);
  for (const auto& [k, v] : extra) set_env(env, k, v);
  std::string path;
  for (const auto& [k, v] : env)
    if (k == "PATH") path = v;
  const std::string image = r.image.empty() ? std::string() : "image " + str::quote(r.image) + ": ";
  const std::filesystem::path cwd = r.working_dir.empty() ? run_dir : std::filesystem::path(r.working_dir);
  std::string command = r.argv.empty() ? std::string() : r.argv[0];
  if (command.find('/') != std::string::npos && command[0] != '/') command = (cwd / command).string();
  if (command.empty() || find_command(command, path).empty())
    throw Error(image + "command " + str::quote(r.argv.empty() ? std::string() : r.argv[0]) +
                " not found on this machine (the local target runs the container's command on this machine; "
                "install it or give its path)");
  std::error_code ec;
  if (!r.working_dir.empty() && !std::filesystem::is_directory(r.working_dir, ec))
    throw Error(image + "workingDir " + str::quote(r.working_dir) + " does not exist on this machine");
  proc::Command c;
  c.argv = r.argv;
  c.env = std::move(env);
  c.cwd = cwd;
  c.out = c.err = proc::Stream::log;
  c.log = log;
  c.own_group = true;
  c.keep_fds = keep_fds;
  return proc::start(c);
}

std::uint64_t process_start_ticks(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields are counted from the last ')'. state is field 3, starttime 22.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  std::uint64_t ticks = 0;
  for (int n = 3; n <= 22 && fields >> field; ++n) {
    if (n == 3 && (field == "Z" || field == "X")) return 0;
    if (n == 22) ticks = std::strtoull(field.c_str(), nullptr, 10);
  }
  return ticks;
}

int stop_left_over(const std::vector<LeftOver>& processes, std::chrono::milliseconds grace) {
  std::vector<LeftOver> running;
  for (const LeftOver& p : processes)
    if (p.pid > 1 && p.start_ticks != 0 && process_start_ticks(p.pid) == p.start_ticks) running.push_back(p);
  const auto alive = [](const LeftOver& p) { return process_start_ticks(p.pid) == p.start_ticks; };
  const auto any_alive = [&] { return std::any_of(running.begin(), running.end(), alive); };
  for (const LeftOver& p : running) ::kill(-p.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (any_alive() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // SIGKILL only while the leader is still that process: once it has gone
  // (and init has reaped it), its number may name another group.
  for (const LeftOver& p : running)
    if (alive(p)) ::kill(-p.pid, SIGKILL);
  for (int i = 0; i < 100 && any_alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return static_cast<int>(running.size());
}

std::filesystem::path self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find kf's own executable: " + ec.message());
  return p;
}

} // namespace kf::local
