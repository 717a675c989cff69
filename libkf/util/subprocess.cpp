#include "libkf/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

#include "libkf/util/error.h"

extern char** environ;

namespace kf::proc {

namespace {

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

// A pipe whose ends are closed when it goes; O_CLOEXEC, so that a process
// another thread forks meanwhile does not keep an end open.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  ~Pipe() {
    close(0);
    close(1);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close(int end) {
    if (fd[end] >= 0) ::close(fd[end]);
    fd[end] = -1;
  }
};

// Everything the child needs, prepared before fork (no allocation after it).
struct Prepared {
  std::vector<std::string> storage;
  std::vector<char*> argv, envp; // envp empty: keep environ
  std::string cwd, log, err_log, cannot_run, cannot_enter;
  int in = -1, out = -1, err = -1; // pipe ends for the child, or -1
};

Env environment_of(const Command& c) {
  if (c.env) return *c.env;
  Env env;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  for (const auto& [k, v] : c.set) {
    bool replaced = false;
    for (auto& e : env)
      if (e.first == k) e.second = v, replaced = true;
    if (!replaced) env.emplace_back(k, v);
  }
  return env;
}

Prepared prepare(const Command& c) {
  if (c.argv.empty()) throw Error("nothing to run: the command is empty");
  Prepared p;
  const Env env = c.env || !c.set.empty() ? environment_of(c) : Env{};
  p.storage.reserve(c.argv.size() + env.size());
  for (const auto& a : c.argv) p.storage.push_back(a);
  for (const auto& [k, v] : env) p.storage.push_back(k + "=" + v);
  for (std::size_t i = 0; i < c.argv.size(); ++i) p.argv.push_back(p.storage[i].data());
  p.argv.push_back(nullptr);
  if (c.env || !c.set.empty()) {
    for (std::size_t i = c.argv.size(); i < p.storage.size(); ++i) p.envp.push_back(p.storage[i].data());
    p.envp.push_back(nullptr);
  }
  p.cwd = c.cwd.string();
  p.log = c.log.string();
  p.err_log = c.err_log.empty() ? p.log : c.err_log.string();
  p.cannot_run = "kf: cannot run " + c.argv[0] + ": ";
  p.cannot_enter = "kf: cannot enter " + p.cwd + ": ";
  return p;
}

// The fd a stream goes to in the child: -1 = leave it (inherit).
int child_fd(Stream s, int pipe_end, int& log_fd, const std::string& log) {
  switch (s) {
  case Stream::null: return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  case Stream::inherit: return -1;
  case Stream::capture: return pipe_end;
  case Stream::log:
    if (log_fd < 0) log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return log_fd;
  }
  return -1;
}

// In the child, after fork: async-signal-safe calls only.
[[noreturn]] void exec_child(const Command& c, const Prepared& p) {
  if (c.own_group) ::setpgid(0, 0);
  ::signal(SIGINT, c.daemon ? SIG_IGN : SIG_DFL);
  ::signal(SIGHUP, c.daemon ? SIG_IGN : SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr); // a supervisor waits for SIGCHLD with it blocked
  const int in = p.in >= 0 ? p.in : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = -1, err_log_fd = -1;
  const int out = child_fd(c.out, p.out, log_fd, p.log);
  const int err = p.err_log == p.log ? child_fd(c.err, p.err, log_fd, p.log) : child_fd(c.err, p.err, err_log_fd, p.err_log);
  if (in < 0 || (c.out != Stream::inherit && out < 0) || (c.err != Stream::inherit && err < 0)) ::_exit(126);
  ::dup2(in, 0); // dup2 clears O_CLOEXEC on the copy
  if (out >= 0) ::dup2(out, 1);
  if (err >= 0) ::dup2(err, 2);
  for (const int fd : c.keep_fds) ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) & ~FD_CLOEXEC);
  if (!p.cwd.empty() && ::chdir(p.cwd.c_str()) != 0) {
    const int e = errno;
    write_all(2, p.cannot_enter);
    write_all(2, std::strerror(e));
    write_all(2, "\n");
    ::_exit(126);
  }
  if (!p.envp.empty()) ::environ = const_cast<char**>(p.envp.data()); // execvp searches this PATH
  ::execvp(p.argv[0], p.argv.data());
  const int e = errno;
  write_all(2, p.cannot_run);
  write_all(2, std::strerror(e));
  write_all(2, "\n");
  ::_exit(127);
}

pid_t fork_child(const Command& c, const Prepared& p) {
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot start " + c.argv[0] + ": " + std::strerror(errno));
  if (pid == 0) exec_child(c, p);
  if (c.own_group) ::setpgid(pid, pid); // also here, so the group exists before anyone signals it
  return pid;
}

// The file execvp would run for argv[0], looked up in `path_env` (the
// child's PATH); "" when that is not certain here (a relative directory in
// PATH resolves against the child's cwd): the fork path then decides.
std::string find_executable(const std::string& name, const char* path_env) {
  if (name.find('/') != std::string::npos) return name;
  std::string_view path = path_env ? path_env : "/bin:/usr/bin";
  while (true) {
    const auto colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    if (dir.empty() || dir.front() != '/') return "";
    std::string file(dir);
    file += '/';
    file += name;
    struct stat st{};
    if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(file.c_str(), X_OK) == 0) return file;
    if (colon == std::string_view::npos) return "";
    path.remove_prefix(colon + 1);
  }
}

// The child's PATH: from its environment when kf gives it one.
const char* path_of(const Prepared& p) {
  if (p.envp.empty()) return std::getenv("PATH");
  for (char* const* e = p.envp.data(); *e; ++e)
    if (std::strncmp(*e, "PATH=", 5) == 0) return *e + 5;
  return nullptr;
}

// What exec_child does, through posix_spawn: glibc's clones without copying
// kf's page tables, which fork() does for every step a big workflow starts.
// -1 when posix_spawn cannot do it (the file is not found or not
// executable, a log cannot be opened, a script without #!): fork_child then
// runs it the old way, which reports why in the child's stderr and exit code.
pid_t spawn_child(const Command& c, const Prepared& p) {
  const std::string file = find_executable(p.argv[0], path_of(p));
  if (file.empty()) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (const int sig : {SIGINT, SIGHUP, SIGTERM, SIGPIPE}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none); // a supervisor waits for SIGCHLD with it blocked
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (c.own_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, flags);
  if (p.in >= 0) posix_spawn_file_actions_adddup2(&fa, p.in, 0);
  else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  const auto stream = [&](Stream s, int fd, int pipe_end, const std::string& log, bool shares_stdout_log) {
    switch (s) {
    case Stream::inherit: break;
    case Stream::null: posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_WRONLY, 0); break;
    case Stream::capture: posix_spawn_file_actions_adddup2(&fa, pipe_end, fd); break;
    case Stream::log:
      if (shares_stdout_log) posix_spawn_file_actions_adddup2(&fa, 1, fd);
      else posix_spawn_file_actions_addopen(&fa, fd, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      break;
    }
  };
  stream(c.out, 1, p.out, p.log, false);
  stream(c.err, 2, p.err, p.err_log, c.out == Stream::log && p.err_log == p.log);
  // dup2 of an fd onto itself clears its close-on-exec (POSIX.1-2024; glibc since 2.29).
  for (const int fd : c.keep_fds) posix_spawn_file_actions_adddup2(&fa, fd, fd);
  if (!p.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, p.cwd.c_str());
  pid_t pid = -1;
  char* const* envp = p.envp.empty() ? environ : const_cast<char* const*>(p.envp.data());
  const int rc = ::posix_spawn(&pid, file.c_str(), &fa, &attr, p.argv.data(), envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return -1;
  if (c.own_group) ::setpgid(pid, pid);
  return pid;
}

pid_t spawn_or_fork(const Command& c, const Prepared& p) {
  const pid_t pid = spawn_child(c, p);
  return pid > 0 ? pid : fork_child(c, p);
}

// A daemon: the first child starts a new session and forks the real one,
// whose pid comes back through a pipe; the first child is reaped at once.
pid_t fork_daemon(const Command& c, const Prepared& p) {
  Pipe report;
  const pid_t first = ::fork();
  if (first < 0) throw Error("cannot start " + c.argv[0] + ": " + std::strerror(errno));
  if (first == 0) {
    ::setsid();
    const pid_t second = ::fork();
    if (second == 0) exec_child(c, p);
    const bool sent = second > 0 && ::write(report.fd[1], &second, sizeof second) == static_cast<ssize_t>(sizeof second);
    ::_exit(sent ? 0 : 1);
  }
  report.close(1);
  pid_t daemon = -1;
  const ssize_t n = ::read(report.fd[0], &daemon, sizeof daemon);
  int status = 0;
  while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof daemon)) throw Error("cannot start " + c.argv[0] + " as a daemon");
  return daemon;
}

// Feeds stdin and drains the captured streams until both end (or the deadline passes).
bool pump(Pipe* in, const std::string& input, Pipe* out, Pipe* err, Result& r, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t written = 0;
  if (in && input.empty()) in->close(1);
  if (in && in->fd[1] >= 0) ::fcntl(in->fd[1], F_SETFL, ::fcntl(in->fd[1], F_GETFL) | O_NONBLOCK);
  while (true) {
    std::vector<pollfd> fds;
    if (in && in->fd[1] >= 0) fds.push_back({in->fd[1], POLLOUT, 0});
    if (out && out->fd[0] >= 0) fds.push_back({out->fd[0], POLLIN, 0});
    if (err && err->fd[0] >= 0) fds.push_back({err->fd[0], POLLIN, 0});
    if (fds.empty()) return true;
    int wait = -1;
    if (timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait = static_cast<int>(left.count());
    }
    if (::poll(fds.data(), fds.size(), wait) < 0 && errno != EINTR) throw Error(std::string("poll: ") + std::strerror(errno));
    for (const auto& f : fds) {
      if (f.revents == 0) continue;
      if (in && f.fd == in->fd[1]) {
        const ssize_t n = ::write(f.fd, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in->close(1);
        continue;
      }
      Pipe* p = out && f.fd == out->fd[0] ? out : err;
      std::string& into = p == out ? r.out : r.err;
      char buf[65536];
      const ssize_t n = ::read(f.fd, buf, sizeof buf);
      if (n > 0) into.append(buf, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR) p->close(0);
    }
  }
}

} // namespace

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

pid_t start(const Command& c) {
  const Prepared p = prepare(c);
  return c.daemon ? fork_daemon(c, p) : spawn_or_fork(c, p);
}

Result run(const Command& c) {
  Prepared p = prepare(c);
  std::optional<Pipe> in, out, err;
  if (!c.input.empty()) in.emplace();
  if (c.out == Stream::capture) out.emplace();
  if (c.err == Stream::capture) err.emplace();
  p.in = in ? in->fd[0] : -1;
  p.out = out ? out->fd[1] : -1;
  p.err = err ? err->fd[1] : -1;
  const pid_t pid = spawn_or_fork(c, p);
  if (in) in->close(0);
  if (out) out->close(1);
  if (err) err->close(1);
  Result r;
  const auto old = ::signal(SIGPIPE, SIG_IGN); // a child that stops reading its input must not end kf
  bool finished = false;
  try {
    finished = pump(in ? &*in : nullptr, c.input, out ? &*out : nullptr, err ? &*err : nullptr, r, c.timeout);
  } catch (...) {
    ::signal(SIGPIPE, old);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  ::signal(SIGPIPE, old);
  if (!finished) {
    r.timed_out = true;
    ::kill(c.own_group ? -pid : pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = exit_code_of(status);
  return r;
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

namespace {

sigset_t sigchld_set() {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  return chld;
}

} // namespace

ChildExitWait::ChildExitWait() {
  const sigset_t chld = sigchld_set();
  ::pthread_sigmask(SIG_BLOCK, &chld, nullptr);
}

void ChildExitWait::wait(std::chrono::milliseconds timeout) const {
  const sigset_t chld = sigchld_set();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  siginfo_t info;
  ::sigtimedwait(&chld, &info, &ts); // EAGAIN (timeout) and EINTR (a handled signal) end it alike
}

} // namespace kf::proc
