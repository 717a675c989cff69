#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "libkf/local/lost_supervisor.h"
#include "libkf/local/process.h"
#include "libkf/local/run_dir.h"
#include "libkf/util/subprocess.h"
#include "tests/unit/temp_dir.h"

using namespace kf;

namespace {

// A child in a process group of its own, as a supervisor starts a replica.
pid_t start_sleeper() {
  proc::Command c;
  c.argv = {"sleep", "30"};
  c.out = proc::Stream::inherit;
  c.own_group = true;
  return proc::start(c);
}

// Reaps a child: its exit status as a shell reports it.
int reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return proc::exit_code_of(status);
}

} // namespace

TEST_CASE("process_start_ticks: a live process has one - an exited (zombie) or absent one has none") {
  CHECK(local::process_start_ticks(::getpid()) > 0);
  CHECK(local::process_start_ticks(0) == 0);
  CHECK(local::process_start_ticks(-4) == 0);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  for (int i = 0; i < 500 && local::process_start_ticks(child) != 0; ++i) ::usleep(2000);
  CHECK(local::process_start_ticks(child) == 0); // a zombie until reaped
  reap(child);
  CHECK(local::process_start_ticks(child) == 0);
}

TEST_CASE("stop_left_over: only the process that started at the recorded time, its whole group") {
  const pid_t pid = start_sleeper();
  const std::uint64_t ticks = local::process_start_ticks(pid);
  REQUIRE(ticks > 0);
  // Another start time is another process that got the pid: left alone.
  CHECK(local::stop_left_over({{pid, ticks + 1}}, std::chrono::seconds(1)) == 0);
  CHECK(local::stop_left_over({{pid, 0}}, std::chrono::seconds(1)) == 0);
  CHECK(local::process_start_ticks(pid) == ticks);
  CHECK(local::stop_left_over({{pid, ticks}}, std::chrono::seconds(5)) == 1);
  CHECK(local::process_start_ticks(pid) == 0);
  CHECK(reap(pid) == 128 + SIGTERM);
  CHECK(local::stop_left_over({{pid, ticks}}, std::chrono::seconds(1)) == 0); // gone
}

TEST_CASE("stop_left_over: every group gets SIGTERM at once, not one grace after another") {
  const test::TempDir dir;
  const std::string d = dir.path.string();
  // Each says it is ready once its trap is set, records its SIGTERM, then
  // waits for `release` (or its SIGKILL at the end of the grace).
  auto start = [&] {
    proc::Command c;
    c.argv = {"sh", "-c",
              "trap 'echo $$ >> \"$0/termed\"; while [ ! -e \"$0/release\" ]; do sleep 0.02; done; exit 0' TERM; "
              "echo $$ >> \"$0/ready\"; while :; do sleep 0.05; done",
              d};
    c.out = proc::Stream::inherit;
    c.own_group = true;
    return proc::start(c);
  };
  // Lines in a file of `dir` once there are `want` of them (or after 15 s).
  auto wait_for_lines = [&](const char* name, std::size_t want) {
    std::size_t lines = 0;
    for (int i = 0; i < 1500 && lines < want; ++i) {
      ::usleep(10000);
      std::ifstream in(dir.path / name);
      lines = 0;
      for (std::string line; std::getline(in, line);) ++lines;
    }
    return lines;
  };
  const pid_t a = start(), b = start();
  struct Killer { // whatever fails below, neither group outlives the test (until both are reaped)
    pid_t a, b;
    ~Killer() {
      if (a > 0) ::kill(-a, SIGKILL);
      if (b > 0) ::kill(-b, SIGKILL);
    }
  } killer{a, b};
  REQUIRE(wait_for_lines("ready", 2) == 2);
  const std::vector<local::LeftOver> both = {{a, local::process_start_ticks(a)}, {b, local::process_start_ticks(b)}};
  int stopped = -1;
  std::thread stopper([&] { stopped = local::stop_left_over(both, std::chrono::seconds(30)); });
  // Both are told before either is killed: one after the other, the second
  // would hear nothing while the first holds out for its 30 s.
  const std::size_t termed = wait_for_lines("termed", 2);
  CHECK(termed == 2);
  CHECK(local::process_start_ticks(a) == both[0].start_ticks);
  CHECK(local::process_start_ticks(b) == both[1].start_ticks);
  std::ofstream(dir.path / "release").put('\n');
  stopper.join();
  CHECK(stopped == 2);
  const int status_a = reap(a), status_b = reap(b);
  killer = {0, 0};
  CHECK(status_a == 0);
  CHECK(status_b == 0);
}

TEST_CASE("record_lost_supervisor: the replicas left running stop, the counts and the condition say so") {
  const test::TempDir dir;
  const local::RunDir run{dir.path / "demo-train-3"};
  std::filesystem::create_directories(run.root);
  const pid_t master = start_sleeper(), other = start_sleeper();
  const std::uint64_t ticks = local::process_start_ticks(master);
  // worker-0's pid now belongs to another process (started at another time): not stopped.
  local::write_json(run.local(), {{"supervisor", {{"pid", 999999}}},
                                  {"replicas", {{{"name", "master-0"}, {"pid", master}, {"startTicks", ticks}, {"state", "Running"}},
                                                {{"name", "worker-0"}, {"pid", other}, {"startTicks", ticks + 7}, {"state", "Running"}},
                                                {{"name", "worker-1"}, {"pid", 0}, {"startTicks", 0}, {"state", "Succeeded"}}}}});
  Json object = {{"kind", "PyTorchJob"},
                 {"status", {{"replicaStatuses", {{"Master", {{"active", 1}, {"succeeded", 0}, {"failed", 0}}},
                                                  {"Worker", {{"active", 2}, {"succeeded", 0}, {"failed", 1}}}}}}}};
  local::record_lost_supervisor(run, "demo-train-3", object);
  CHECK(local::process_start_ticks(master) == 0);
  CHECK(local::process_start_ticks(other) > 0);
  CHECK(reap(master) == 128 + SIGTERM);
  ::kill(other, SIGKILL);
  reap(other);
  CHECK(object["status"]["replicaStatuses"].dump() ==
        R"({"Master":{"active":0,"succeeded":0,"failed":1},"Worker":{"active":0,"succeeded":0,"failed":3}})");
  const Json& failed = object["status"]["conditions"].back();
  CHECK(failed["type"] == "Failed");
  CHECK(failed["reason"] == "SupervisorLost");
  CHECK(failed["message"] == "PyTorchJob demo-train-3 lost its supervisor (the kf process running it ended without finishing it). "
                             "1 replica it left running was stopped. kf resume demo-train-3 restarts it from its last checkpoint.");
  CHECK(local::supervisor_was_lost(object));
  // What kf status shows of the replicas: none running any more.
  const auto local_json = local::read_json(run.local());
  REQUIRE(local_json);
  std::string states;
  for (const auto& r : (*local_json)["replicas"]) states += r["state"].get<std::string>() + " ";
  CHECK(states == "Failed Failed Succeeded ");
}

TEST_CASE("record_lost_supervisor: a batch Job's counts - no local.json, nothing stopped - what kf resume offers") {
  const test::TempDir dir;
  const local::RunDir run{dir.path / "count-1"};
  std::filesystem::create_directories(run.root);
  Json job = {{"kind", "Job"}, {"status", {{"active", 2}, {"ready", 2}, {"succeeded", 1}, {"failed", 0}}}};
  local::record_lost_supervisor(run, "count-1", job);
  CHECK(job["status"]["active"] == 0);
  CHECK(job["status"]["ready"] == 0);
  CHECK(job["status"]["failed"] == 2);
  CHECK(job["status"]["conditions"].back()["message"] ==
        "Job count-1 lost its supervisor (the kf process running it ended without finishing it).");
  CHECK(local::restarts_after_lost_supervisor("PyTorchJob"));
  CHECK(local::restarts_after_lost_supervisor("TrainJob"));
  CHECK_FALSE(local::restarts_after_lost_supervisor("Job"));
  CHECK_FALSE(local::restarts_after_lost_supervisor("Notebook"));
  CHECK_FALSE(local::supervisor_was_lost(Json{{"kind", "PyTorchJob"}}));
}
