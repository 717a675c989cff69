// Several writers on one metadata.db at once: processes (fork) and threads,
// each with its own Runs, as `kf train` supervisors and `kf status` are.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <thread>
#include <vector>

#include "libkf/metadata/runs.h"
#include "libkf/util/error.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::metadata;

namespace {

RunRecord run_named(const std::string& name) {
  RunRecord r;
  r.name = name;
  r.project = "demo";
  r.state = "Running";
  return r;
}

} // namespace

TEST_CASE("metadata Runs: two processes write 200 runs each into one new database at once") {
  test::TempDir dir;
  auto db = dir.path / "metadata.db"; // not there yet: both create and migrate it
  constexpr int k_runs = 200;
  int gate[2];
  REQUIRE(pipe(gate) == 0);
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 0;
      try {
        close(gate[1]);
        char c;
        if (read(gate[0], &c, 1) < 0) throw Error("gate");
        Runs runs(db);
        for (int i = 0; i < k_runs; ++i) {
          std::string name = "p" + std::to_string(p) + "-" + std::to_string(i);
          runs.start(run_named(name));
          runs.add_epoch(name, {1, {{"loss", i}}, 0});
          runs.add_artifact(name, {"kf.Dataset", "data", "/data/shared", "d1", 1, "input", 0});
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", p, e.what());
        rc = 1;
      }
      _exit(rc);
    }
    children.push_back(pid);
  }
  close(gate[0]);
  close(gate[1]); // both writers start now
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  Runs runs(db);
  auto all = runs.list();
  CHECK(all.size() == 2 * k_runs);
  std::set<std::string> names;
  for (const auto& r : all) {
    names.insert(r.name);
    CHECK(r.final_metrics.contains("loss"));
  }
  CHECK(names.size() == 2 * k_runs);
  auto one = runs.get("p1-199");
  REQUIRE(one);
  CHECK(one->final_metrics == Json{{"loss", 199.0}});
  REQUIRE(one->artifacts.size() == 1); // every run shares one dataset artifact
  CHECK(runs.lineage("p1-199").empty());
}

TEST_CASE("metadata Runs: threads racing for next_name get distinct names through start()") {
  test::TempDir dir;
  auto db = dir.path / "metadata.db";
  constexpr int k_threads = 4;
  constexpr int k_each = 50;
  std::vector<std::vector<std::string>> got(k_threads);
  std::vector<std::string> errors(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      try {
        Runs runs(db);
        while (static_cast<int>(got[t].size()) < k_each) {
          std::string name = runs.next_name("demo");
          try {
            runs.start(run_named(name));
            got[t].push_back(name);
          } catch (const Error& e) {
            if (std::string(e.what()) != "run " + name + " already exists") throw;
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> names;
  for (int t = 0; t < k_threads; ++t) {
    CHECK(errors[t] == "");
    names.insert(got[t].begin(), got[t].end());
  }
  CHECK(names.size() == k_threads * k_each);
  for (int i = 1; i <= k_threads * k_each; ++i) CHECK(names.count("demo-" + std::to_string(i)) == 1);
  CHECK(Runs(db).next_name("demo") == "demo-" + std::to_string(k_threads * k_each + 1));
}
