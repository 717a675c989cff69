#pragma once
// kf's one way to start a child process (POSIX fork/exec): a local run's
// replicas and its supervisor (libkf/local), kubeconfig exec credential
// plugins (libkf/kube), docker credential helpers (libkf/image) and
// kustomize/kubectl (libkf/platform).
//
// Everything the child needs is prepared before fork(), so only
// async-signal-safe calls follow it in a process with other threads. The
// child gets default signal dispositions (a daemon ignores SIGINT and SIGHUP:
// the terminal's Ctrl-C is for the attached kf). A program that cannot be
// executed exits 127 with "kf: cannot run PROGRAM: reason" on its stderr, as
// a shell would; a working directory it cannot enter, 126.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kf::proc {

using Env = std::vector<std::pair<std::string, std::string>>;

// Where a child's stdout or stderr goes.
enum class Stream {
  null,    // /dev/null
  inherit, // kf's own
  capture, // into Result::out / Result::err (run() only)
  log,     // appended to Command::log
};

struct Command {
  std::vector<std::string> argv;   // argv[0] is looked up in the child's PATH unless it has a '/'
  std::optional<Env> env;          // the complete environment; nullopt = kf's, with `set` over it
  Env set;                         // variables set over kf's environment
  std::filesystem::path cwd;       // "" = kf's
  std::string input;               // written to stdin, then closed; stdin is /dev/null when empty
  Stream out = Stream::capture;
  Stream err = Stream::inherit;
  std::filesystem::path log;       // for Stream::log
  std::filesystem::path err_log;   // stderr's, when it is not `log` (a workflow step's stdout is its result)
  bool own_group = false;          // its own process group, so terminate() stops what it started too
  std::vector<int> keep_fds;       // open fds the program keeps (their close-on-exec cleared in the child)
  bool daemon = false;             // start(): a new session, not kf's child (double fork)
  std::chrono::milliseconds timeout{0}; // run(): killed (SIGKILL) after this; 0 = no limit
};

struct Result {
  int exit_code = 0;      // as a shell reports it: the status, or 128 + the signal
  bool timed_out = false; // killed because the timeout passed
  std::string out, err;   // what Stream::capture collected
};

// Runs the command to its end. Throws kf::Error when it cannot be started (fork, pipes).
Result run(const Command& command);

// Starts the command and returns its pid (a daemon's: not a child, nothing to reap).
pid_t start(const Command& command);

// The exit code as a shell reports it: the status, or 128 + the signal.
int exit_code_of(int wait_status);

// SIGTERM to the process group, then SIGKILL after `grace` if it is still
// there; reaps the process. Returns its exit code.
int terminate(pid_t pid, std::chrono::milliseconds grace);

// A supervisor's sleep that a child's exit ends early: the constructor blocks
// SIGCHLD in the calling thread (children get an empty mask, see above), so
// an exit between two waits is kept pending and ends the next wait at once.
// A stop signal's handler ends it too. Callers still reap with waitpid.
class ChildExitWait {
public:
  ChildExitWait();
  // Until a child exits, a signal is handled, or `timeout` passes.
  void wait(std::chrono::milliseconds timeout) const;
};

} // namespace kf::proc
