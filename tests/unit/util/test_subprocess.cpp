#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "libkf/util/error.h"
#include "libkf/util/subprocess.h"
#include "tests/unit/temp_dir.h"

using namespace kf;

namespace {

// Processes of process group `pgid` that are not zombies, from /proc/PID/stat ("pid (comm) S ppid pgrp ...").
int live_members(pid_t pgid) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pgid && state != 'Z') ++n;
  }
  return n;
}

} // namespace

TEST_CASE("subprocess: run captures stdout and stderr apart, feeds stdin, reports the exit code") {
  proc::Command c;
  c.argv = {"sh", "-c", "read line; echo \"out:$line\"; echo err >&2; exit 3"};
  c.input = "hello\n";
  c.err = proc::Stream::capture;
  const auto r = proc::run(c);
  CHECK(r.exit_code == 3);
  CHECK(r.out == "out:hello\n");
  CHECK(r.err == "err\n");
  CHECK_FALSE(r.timed_out);
}

TEST_CASE("subprocess: large output on both streams does not deadlock") {
  proc::Command c;
  c.argv = {"sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"};
  c.err = proc::Stream::capture;
  const auto r = proc::run(c);
  CHECK(r.exit_code == 0);
  CHECK(r.out.size() == 300000);
  CHECK(r.err.size() == 300000);
}

TEST_CASE("subprocess: the environment is kf's with `set` over it, or exactly `env` - cwd is honoured") {
  test::TempDir dir;
  proc::Command c;
  c.argv = {"sh", "-c", "echo \"$KF_TEST_A $HOME\"; pwd"};
  c.set = {{"KF_TEST_A", "a"}};
  c.cwd = dir.path;
  const auto home = std::getenv("HOME") ? std::string(std::getenv("HOME")) : std::string();
  CHECK(proc::run(c).out == "a " + home + "\n" + dir.path.string() + "\n");
  c.env = proc::Env{{"PATH", "/usr/bin:/bin"}, {"KF_TEST_A", "only"}};
  CHECK(proc::run(c).out == "only \n" + dir.path.string() + "\n");
}

TEST_CASE("subprocess: a program that cannot run exits 127 saying why - a directory it cannot enter, 126") {
  proc::Command c;
  c.argv = {"kf-no-such-program"};
  c.err = proc::Stream::capture;
  auto r = proc::run(c);
  CHECK(r.exit_code == 127);
  CHECK(r.err == "kf: cannot run kf-no-such-program: No such file or directory\n");
  c.argv = {"true"};
  c.cwd = "/no/such/dir";
  r = proc::run(c);
  CHECK(r.exit_code == 126);
  CHECK(r.err == "kf: cannot enter /no/such/dir: No such file or directory\n");
  CHECK_THROWS_WITH_AS(proc::run(proc::Command{}), "nothing to run: the command is empty", Error);
}

TEST_CASE("subprocess: the timeout kills the command") {
  proc::Command c;
  c.argv = {"sleep", "30"};
  c.timeout = std::chrono::milliseconds(200);
  const auto r = proc::run(c);
  CHECK(r.timed_out);
  CHECK(r.exit_code == 128 + SIGKILL);
}

TEST_CASE("subprocess: start logs both streams to a file - terminate stops the whole process group") {
  test::TempDir dir;
  proc::Command c;
  c.argv = {"sh", "-c", "echo started; echo warned >&2; sleep 30 & wait"};
  c.out = c.err = proc::Stream::log;
  c.log = dir.path / "log";
  c.own_group = true;
  const pid_t pid = proc::start(c);
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(c.log);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("warned") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(proc::terminate(pid, std::chrono::milliseconds(2000)) == 128 + SIGTERM);
  bool group_gone = false; // its members die at once (their zombies wait for init, which does not matter)
  for (int i = 0; i < 500 && !group_gone; ++i) {
    group_gone = live_members(pid) == 0;
    if (!group_gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(group_gone);
  std::ifstream in(c.log);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("started\n") != std::string::npos);
  CHECK(text.str().find("warned\n") != std::string::npos);
}

TEST_CASE("subprocess: argv[0] is looked up in the child's PATH - a script without #! runs under sh, as execvp does") {
  test::TempDir dir;
  const auto prog = dir.path / "kf-test-prog";
  {
    std::ofstream out(prog);
    out << "echo \"ran from $0\"\n"; // no #!: exec says ENOEXEC, execvp hands it to /bin/sh
  }
  std::filesystem::permissions(prog, std::filesystem::perms::owner_all);
  proc::Command c;
  c.argv = {"kf-test-prog"};
  c.env = proc::Env{{"PATH", dir.path.string() + ":/usr/bin:/bin"}};
  CHECK(proc::run(c).out == "ran from " + prog.string() + "\n");
  c.env = proc::Env{{"PATH", "/usr/bin:/bin"}}; // kf's own PATH does not matter: the child's does
  c.err = proc::Stream::capture;
  const auto r = proc::run(c);
  CHECK(r.exit_code == 127);
  CHECK(r.err == "kf: cannot run kf-test-prog: No such file or directory\n");
}

TEST_CASE("subprocess: the child's signals are the defaults, whatever kf ignores - stdout and stderr to their own logs") {
  test::TempDir dir;
  const auto old = ::signal(SIGHUP, SIG_IGN);
  proc::Command c;
  c.argv = {"sh", "-c", "echo out; echo err >&2; kill -HUP $$; echo survived"};
  c.out = c.err = proc::Stream::log;
  c.log = dir.path / "out.log";
  c.err_log = dir.path / "err.log";
  const pid_t pid = proc::start(c);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::signal(SIGHUP, old);
  CHECK(proc::exit_code_of(status) == 128 + SIGHUP);
  const auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  CHECK(read(c.log) == "out\n");
  CHECK(read(c.err_log) == "err\n");
}

// The margins below are minutes against an event that is already there: a
// wait that missed it would sleep its whole (long) timeout and fail.
TEST_CASE("subprocess: ChildExitWait ends at a child's exit, even one before the wait - else at its timeout") {
  sigset_t saved;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &saved);
  {
    const proc::ChildExitWait child_exit;
    proc::Command c;
    c.argv = {"true"};
    const pid_t pid = proc::start(c);
    int status = 0;
    // The child has exited (waitid with WNOWAIT leaves it to reap) before the wait begins.
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) == 0);
    const auto t0 = std::chrono::steady_clock::now();
    child_exit.wait(std::chrono::minutes(5));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::minutes(2));
    CHECK(::waitpid(pid, &status, 0) == pid);
    child_exit.wait(std::chrono::milliseconds(10)); // nothing pending: the timeout ends it
  }
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

TEST_CASE("subprocess: keep_fds stay open in the program, other fds kf opened do not") {
  const test::TempDir tmp;
  const int fd = ::open((tmp.path / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const std::string probe = "test -e /proc/self/fd/" + std::to_string(fd);
  proc::Command c;
  c.argv = {"sh", "-c", probe};
  CHECK(proc::run(c).exit_code == 1); // close-on-exec
  c.keep_fds = {fd};
  CHECK(proc::run(c).exit_code == 0); // through posix_spawn
  c.set = {{"PATH", "relative:/usr/bin:/bin"}}; // not certain without the child's cwd: the fork path
  CHECK(proc::run(c).exit_code == 0);
  c.keep_fds.clear();
  CHECK(proc::run(c).exit_code == 1);
  ::close(fd);
}
