#include "libkf/local/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "libkf/util/error.h"

namespace kf::local {

namespace {

// Everything the child needs, prepared before fork (no allocation after it).
struct Prepared {
  std::vector<std::string> storage;
  std::vector<char*> argv, envp;
};

Prepared prepare(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env) {
  Prepared p;
  p.storage.reserve(argv.size() + env.size());
  for (const auto& a : argv) p.storage.push_back(a);
  for (const auto& [k, v] : env) p.storage.push_back(k + "=" + v);
  for (std::size_t i = 0; i < argv.size(); ++i) p.argv.push_back(p.storage[i].data());
  p.argv.push_back(nullptr);
  for (std::size_t i = argv.size(); i < p.storage.size(); ++i) p.envp.push_back(p.storage[i].data());
  p.envp.push_back(nullptr);
  return p;
}

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

} // namespace

pid_t spawn(const Spawn& s) {
  if (s.argv.empty()) throw Error("nothing to run: the command is empty");
  Prepared p = prepare(s.argv, s.env);
  // PATH lookup happens in the child with the replica's PATH (execvpe).
  const std::string cwd = s.cwd.string(), log = s.log.string();
  const std::string exec_failed = "kf: cannot run " + s.argv[0] + ": ";
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("cannot start a process: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      write_all(2, "kf: cannot enter " + cwd + ": " + std::strerror(errno) + "\n");
      ::_exit(126);
    }
    // execvpe searches the PATH of the current environment, so install the replica's first.
    ::environ = p.envp.data();
    ::execvp(p.argv[0], p.argv.data());
    write_all(2, exec_failed + std::strerror(errno) + "\n");
    ::_exit(127);
  }
  ::setpgid(pid, pid); // also here, so the group exists before anyone signals it
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int terminate(pid_t pid, std::chrono::milliseconds grace) {
  ::kill(-pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return 255; // not our child (or already reaped)
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid, SIGKILL); // whatever it left behind in its group
  return exit_code_of(status);
}

std::vector<std::pair<std::string, std::string>> base_environment() {
  std::vector<std::pair<std::string, std::string>> env;
  for (const char* name : {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ"})
    if (const char* v = std::getenv(name)) env.emplace_back(name, v);
  bool has_path = false;
  for (const auto& e : env) has_path = has_path || e.first == "PATH";
  if (!has_path) env.emplace_back("PATH", "/usr/local/bin:/usr/bin:/bin");
  return env;
}

pid_t spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  Prepared p = prepare(argv, {});
  const std::string log_path = log.string();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  const pid_t first = ::fork();
  if (first < 0) throw Error(std::string("cannot start a process: ") + std::strerror(errno));
  if (first == 0) {
    ::close(fds[0]);
    ::setsid();
    const pid_t second = ::fork();
    if (second != 0) {
      const pid_t report = second;
      if (::write(fds[1], &report, sizeof report) != static_cast<ssize_t>(sizeof report)) ::_exit(1);
      ::_exit(0);
    }
    ::signal(SIGINT, SIG_IGN); // the terminal's Ctrl-C is for the attached kf, which stops the run itself
    ::signal(SIGHUP, SIG_IGN);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(p.argv[0], p.argv.data());
    write_all(2, std::string("kf: cannot start the supervisor: ") + std::strerror(errno) + "\n");
    ::_exit(127);
  }
  ::close(fds[1]);
  pid_t daemon = -1;
  const ssize_t n = ::read(fds[0], &daemon, sizeof daemon);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(first, &status, 0);
  if (n != static_cast<ssize_t>(sizeof daemon)) throw Error("cannot start the supervisor process");
  return daemon;
}

std::filesystem::path self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find kf's own executable: " + ec.message());
  return p;
}

} // namespace kf::local
