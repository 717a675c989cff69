#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "libkf/metadata/runs.h"
#include "libkf/metadata/sqlite.h"
#include "libkf/metadata/store.h"
#include "libkf/util/error.h"
#include "tests/unit/metadata/v1_schema.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::metadata;

namespace {

using test::TempDir;

RunRecord demo_run(const std::string& name) {
  RunRecord r;
  r.name = name;
  r.project = "demo";
  r.kind = "PyTorchJob";
  r.target = "local";
  r.state = "Created";
  r.parameters = {{"lr", 0.001}, {"epochs", 3}};
  r.object = {{"kind", "PyTorchJob"}, {"metadata", {{"name", name}}}};
  r.git_commit = "0123abcd";
  r.git_dirty = true;
  return r;
}

ArtifactRecord artifact(const std::string& type, const std::string& uri, const std::string& direction,
                        const std::string& sha = "") {
  ArtifactRecord a;
  a.type = type;
  a.name = std::filesystem::path(uri).filename();
  a.uri = uri;
  a.sha256 = sha;
  a.size = 10;
  a.direction = direction;
  return a;
}

struct Fixture {
  TempDir dir;
  std::filesystem::path db = dir.path / "metadata.db";
  Runs runs{db};
};

} // namespace

TEST_CASE("metadata Runs: start and get round-trip a run") {
  Fixture f;
  CHECK(f.runs.schema_version() == 2);
  CHECK_FALSE(f.runs.get("demo-1"));
  f.runs.start(demo_run("demo-1"));
  auto r = f.runs.get("demo-1");
  REQUIRE(r);
  CHECK(r->name == "demo-1");
  CHECK(r->project == "demo");
  CHECK(r->kind == "PyTorchJob");
  CHECK(r->target == "local");
  CHECK(r->state == "Created");
  CHECK(r->message == "");
  CHECK(r->parameters == Json{{"lr", 0.001}, {"epochs", 3}});
  CHECK(r->object["metadata"]["name"] == "demo-1");
  CHECK(r->git_commit == "0123abcd");
  CHECK(r->git_dirty);
  CHECK(r->create_time_ms > 0);
  CHECK(r->update_time_ms == r->create_time_ms);
  CHECK(r->epochs.empty());
  CHECK(r->artifacts.empty());
  CHECK(r->final_metrics == Json::object());

  // The run is an MLMD execution associated with its project's context.
  Store store(f.db);
  auto e = store.find_execution("kf.Run", "demo-1");
  REQUIRE(e);
  CHECK(e->last_known_state == ExecutionState::New);
  auto project = store.find_context("kf.Project", "demo");
  REQUIRE(project);
  CHECK(store.executions_of_context(project->id) == std::vector<std::int64_t>{e->id});
}

TEST_CASE("metadata Runs: start refuses a taken name, an empty name and unknown states") {
  Fixture f;
  f.runs.start(demo_run("demo-1"));
  CHECK_THROWS_WITH_AS(f.runs.start(demo_run("demo-1")), "run demo-1 already exists", Error);
  CHECK_THROWS_WITH_AS(f.runs.start(demo_run("")), "run name is empty", Error);
  auto r = demo_run("demo-2");
  r.state = "Pending";
  CHECK_THROWS_WITH_AS(f.runs.start(r),
                       "unknown run state 'Pending' (expected Created, Running, Restarting, Ready, Succeeded, Failed or "
                       "Stopped)",
                       Error);
  r.state = ""; // defaults to Created
  f.runs.start(r);
  CHECK(f.runs.get("demo-2")->state == "Created");
}

TEST_CASE("metadata Runs: set_state records the state and its message") {
  Fixture f;
  f.runs.start(demo_run("demo-1"));
  auto created = f.runs.get("demo-1")->create_time_ms;
  f.runs.set_state("demo-1", "Failed", "worker 1 exited with code 3");
  auto r = f.runs.get("demo-1");
  CHECK(r->state == "Failed");
  CHECK(r->message == "worker 1 exited with code 3");
  CHECK(r->create_time_ms == created);
  CHECK(r->update_time_ms >= created);
  CHECK(r->parameters == Json{{"lr", 0.001}, {"epochs", 3}}); // the rest is kept
  CHECK(Store(f.db).find_execution("kf.Run", "demo-1")->last_known_state == ExecutionState::Failed);

  CHECK_THROWS_WITH_AS(f.runs.set_state("nope", "Running", ""), "no run named nope", Error);
  CHECK_THROWS_WITH_AS(f.runs.set_state("demo-1", "Done", ""),
                       "unknown run state 'Done' (expected Created, Running, Restarting, Ready, Succeeded, Failed or "
                       "Stopped)",
                       Error);
}

TEST_CASE("metadata Runs: epochs are replaced and read in order - final_metrics is the last") {
  Fixture f;
  f.runs.start(demo_run("demo-1"));
  f.runs.add_epoch("demo-1", {2, {{"loss", 0.4}, {"accuracy", 0.86}}, 2000});
  f.runs.add_epoch("demo-1", {1, {{"loss", 0.9}}, 1000});
  f.runs.add_epoch("demo-1", {1, {{"loss", 0.7}, {"accuracy", 0.7}}, 1500}); // replaces epoch 1
  auto r = f.runs.get("demo-1");
  REQUIRE(r->epochs.size() == 2);
  CHECK(r->epochs[0].epoch == 1);
  CHECK(r->epochs[0].values == Json{{"loss", 0.7}, {"accuracy", 0.7}});
  CHECK(r->epochs[0].time_ms == 1500);
  CHECK(r->epochs[1].values.dump() == R"({"loss":0.4,"accuracy":0.86})"); // in the order given
  CHECK(r->final_metrics == r->epochs[1].values);

  CHECK_THROWS_WITH_AS(f.runs.add_epoch("demo-1", {0, {{"loss", 1.0}}, 0}),
                       "run demo-1: epoch 0: epochs are numbered from 1", Error);
  CHECK_THROWS_WITH_AS(f.runs.add_epoch("demo-1", {3, {{"loss", "low"}}, 0}),
                       "run demo-1: epoch 3: metric 'loss' is not a number", Error);
  CHECK_THROWS_WITH_AS(f.runs.add_epoch("demo-1", {3, Json::array({1, 2}), 0}),
                       "run demo-1: epoch 3: values must be an object of numbers", Error);
  CHECK_THROWS_WITH_AS(f.runs.add_epoch("nope", {1, {{"loss", 1.0}}, 0}), "no run named nope", Error);
  CHECK(f.runs.get("demo-1")->epochs.size() == 2);
}

TEST_CASE("metadata Runs: artifacts list inputs first, then outputs in time order") {
  Fixture f;
  f.runs.start(demo_run("demo-1"));
  auto ckpt = artifact("kf.Checkpoint", "/runs/demo-1/ckpt-1", "output", "c1");
  f.runs.add_artifact("demo-1", ckpt);
  f.runs.add_artifact("demo-1", artifact("kf.Dataset", "/data/fashion", "input", "d1"));
  f.runs.add_artifact("demo-1", artifact("kf.Model", "/runs/demo-1/model", "output", "m1"));
  f.runs.add_artifact("demo-1", ckpt); // again: nothing new
  auto r = f.runs.get("demo-1");
  REQUIRE(r->artifacts.size() == 3);
  CHECK(r->artifacts[0].uri == "/data/fashion");
  CHECK(r->artifacts[0].direction == "input");
  CHECK(r->artifacts[0].type == "kf.Dataset");
  CHECK(r->artifacts[0].sha256 == "d1");
  CHECK(r->artifacts[0].size == 10);
  CHECK(r->artifacts[0].name == "fashion");
  CHECK(r->artifacts[0].create_time_ms > 0);
  CHECK(r->artifacts[1].uri == "/runs/demo-1/ckpt-1");
  CHECK(r->artifacts[2].uri == "/runs/demo-1/model");
  CHECK(r->artifacts[2].direction == "output");
}

TEST_CASE("metadata Runs: add_artifact checks what it records") {
  Fixture f;
  f.runs.start(demo_run("demo-1"));
  CHECK_THROWS_WITH_AS(f.runs.add_artifact("demo-1", artifact("kf.Tarball", "/x", "input")),
                       "unknown artifact type 'kf.Tarball' (expected kf.Dataset, kf.Model, kf.Checkpoint, kf.Metrics, "
                       "kf.Image or kf.Artifact)",
                       Error);
  CHECK_THROWS_WITH_AS(f.runs.add_artifact("demo-1", artifact("kf.Model", "/x", "sideways")),
                       "artifact /x: direction must be \"input\" or \"output\", got \"sideways\"", Error);
  auto no_uri = artifact("kf.Model", "", "output");
  no_uri.name = "model";
  CHECK_THROWS_WITH_AS(f.runs.add_artifact("demo-1", no_uri), "artifact model has no uri", Error);
  CHECK_THROWS_WITH_AS(f.runs.add_artifact("nope", artifact("kf.Model", "/x", "output")), "no run named nope", Error);
}

TEST_CASE("metadata Runs: lineage — two runs share a dataset, a run consumes another's model") {
  Fixture f;
  for (auto name : {"train-1", "train-2", "tune-1"}) f.runs.start(demo_run(name));
  auto data = artifact("kf.Dataset", "/data/fashion", "input", "d1");
  f.runs.add_artifact("train-1", data);
  f.runs.add_artifact("train-2", data);
  f.runs.add_artifact("train-1", artifact("kf.Model", "/runs/train-1/model", "output", "m1"));
  f.runs.add_artifact("tune-1", artifact("kf.Model", "/runs/train-1/model", "input", "m1"));
  // Same uri, other content: another artifact, not train-1's model.
  f.runs.add_artifact("train-2", artifact("kf.Model", "/runs/train-1/model", "output", "m2"));

  Store store(f.db);
  CHECK(store.artifacts_by_uri("kf.Dataset", "/data/fashion").size() == 1); // shared
  CHECK(store.artifacts_by_uri("kf.Model", "/runs/train-1/model").size() == 2);
  auto project = store.find_context("kf.Project", "demo");
  CHECK(store.artifacts_of_context(project->id).size() == 3); // attributed to the project

  auto t1 = f.runs.lineage("train-1");
  REQUIRE(t1.size() == 1);
  CHECK(t1[0].run == "tune-1");
  CHECK(t1[0].artifact_uri == "/runs/train-1/model");
  CHECK(t1[0].relation == "consumed-output");
  auto tune = f.runs.lineage("tune-1");
  REQUIRE(tune.size() == 1);
  CHECK(tune[0].run == "train-1");
  CHECK(tune[0].relation == "produced-input");
  CHECK(f.runs.lineage("train-2").empty()); // sharing an input is no lineage
  CHECK_THROWS_WITH_AS(f.runs.lineage("nope"), "no run named nope", Error);
}

TEST_CASE("metadata Runs: remove takes the run, its metrics and the artifacts only it used") {
  Fixture f;
  for (auto name : {"train-1", "train-2"}) f.runs.start(demo_run(name));
  auto data = artifact("kf.Dataset", "/data/fashion", "input", "d1");
  f.runs.add_artifact("train-1", data);
  f.runs.add_artifact("train-2", data);
  f.runs.add_artifact("train-1", artifact("kf.Model", "/runs/train-1/model", "output", "m1"));
  f.runs.add_epoch("train-1", {1, {{"loss", 0.5}}, 0});

  CHECK(f.runs.remove("train-1"));
  CHECK_FALSE(f.runs.remove("train-1"));
  CHECK_FALSE(f.runs.get("train-1"));
  Store store(f.db);
  CHECK(store.artifacts_by_uri("kf.Model", "/runs/train-1/model").empty());
  CHECK(store.artifacts_by_uri("kf.Dataset", "/data/fashion").size() == 1);
  CHECK(store.last_epoch_metrics().empty());
  CHECK(f.runs.get("train-2")->artifacts.size() == 1);
  CHECK(f.runs.remove("train-2"));
  CHECK(store.artifacts_by_uri("kf.Dataset", "/data/fashion").empty());
}

TEST_CASE("metadata Runs: list is newest first, with final_metrics and without the object") {
  Fixture f;
  for (auto name : {"demo-1", "demo-2", "demo-3"}) f.runs.start(demo_run(name));
  f.runs.add_epoch("demo-1", {1, {{"loss", 0.9}}, 0});
  f.runs.add_epoch("demo-1", {2, {{"loss", 0.5}, {"accuracy", 0.8}}, 0});
  f.runs.add_artifact("demo-1", artifact("kf.Model", "/m", "output"));
  auto all = f.runs.list();
  REQUIRE(all.size() == 3);
  CHECK(all[0].name == "demo-3");
  CHECK(all[1].name == "demo-2");
  CHECK(all[2].name == "demo-1");
  CHECK(all[2].final_metrics == Json{{"loss", 0.5}, {"accuracy", 0.8}});
  CHECK(all[2].object == Json::object());
  CHECK(all[2].epochs.empty());
  CHECK(all[2].artifacts.empty());
  CHECK(all[2].parameters == Json{{"lr", 0.001}, {"epochs", 3}});
  CHECK(all[0].final_metrics == Json::object());
}

TEST_CASE("metadata Runs: next_name is the one after the highest number used") {
  Fixture f;
  CHECK(f.runs.next_name("demo") == "demo-1");
  for (auto name : {"demo-1", "demo-3", "demo-x", "demo-3b", "demo-train-7", "demox-9", "demo-"})
    f.runs.start(demo_run(name));
  CHECK(f.runs.next_name("demo") == "demo-4");
  CHECK(f.runs.next_name("demo-train") == "demo-train-8");
  CHECK(f.runs.next_name("other") == "other-1");
  CHECK_THROWS_WITH_AS(f.runs.next_name(""), "run name prefix is empty", Error);
}

TEST_CASE("metadata Runs: a version 1 database written by an older kf is migrated") {
  TempDir dir;
  auto path = dir.path / "metadata.db";
  {
    // What kf with schema version 1 wrote: a run with fewer properties.
    sql::Db db(path);
    db.exec(test::k_v1_schema, "creating v1");
    db.exec("PRAGMA user_version = 1;"
            "INSERT INTO Type (id, name, type_kind) VALUES (1, 'kf.Run', 0), (2, 'kf.Project', 2);"
            "INSERT INTO TypeProperty VALUES (1, 'state', 3), (1, 'project', 3);"
            "INSERT INTO Execution (id, type_id, last_known_state, name, create_time_since_epoch, "
            "last_update_time_since_epoch) VALUES (1, 1, 3, 'old-1', 1000, 2000);"
            "INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, string_value) "
            "VALUES (1, 'state', 0, 'Succeeded'), (1, 'project', 0, 'demo');"
            "INSERT INTO Context (id, type_id, name) VALUES (1, 2, 'demo');"
            "INSERT INTO Association (context_id, execution_id) VALUES (1, 1);",
            "v1 data");
  }
  Runs runs(path);
  CHECK(runs.schema_version() == 2);
  auto old = runs.get("old-1");
  REQUIRE(old);
  CHECK(old->state == "Succeeded");
  CHECK(old->project == "demo");
  CHECK(old->create_time_ms == 1000);
  CHECK(old->update_time_ms == 2000);
  CHECK(old->parameters == Json::object());
  runs.add_epoch("old-1", {1, {{"loss", 0.2}}, 0}); // the metric table came with version 2
  CHECK(runs.get("old-1")->final_metrics == Json{{"loss", 0.2}});
  runs.start(demo_run("new-1")); // the kf.Run type gained the newer properties
  CHECK(runs.get("new-1")->git_commit == "0123abcd");
  CHECK(runs.next_name("old") == "old-2");

  sql::Db raw(path);
  CHECK(raw.user_version() == 2);
}

TEST_CASE("metadata Runs: opening refuses newer and non-SQLite files") {
  TempDir dir;
  auto junk = dir.write("junk.db", "SQLite format 2, surely not: just text, long enough to have a header\n");
  CHECK_THROWS_WITH_AS(Runs{junk}, (junk + " is not a SQLite database").c_str(), Error);
  auto future = dir.path / "future.db";
  sql::Db(future).exec("PRAGMA user_version = 7", "future kf");
  CHECK_THROWS_WITH_AS(Runs{future}, (future.string() + " has schema version 7; this kf knows up to 2: upgrade kf").c_str(),
                       Error);
}

TEST_CASE("metadata sha256_path hashes files and directories") {
  TempDir dir;
  auto file = dir.write("a.txt", "abc");
  CHECK(sha256_path(file) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::filesystem::create_directory(dir.path / "sub");
  dir.write("sub/b.txt", "");
  CHECK(sha256_path(dir.path / "sub" / "b.txt") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // sha256 over "a.txt\0<sha of a.txt>\n" "sub/b.txt\0<sha of b.txt>\n"
  CHECK(sha256_path(dir.path) == "4bb25ecfe8940d54bf6d8eef702c2dc77dc120da0afa40c1de30675f9723d9e2");

  auto missing = dir.path / "missing";
  CHECK_THROWS_WITH_AS(sha256_path(missing), ("cannot hash " + missing.string() + ": No such file or directory").c_str(), Error);
  auto fifo = dir.path / "fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(sha256_path(fifo), ("cannot hash " + fifo.string() + ": not a regular file or directory").c_str(), Error);
}

TEST_CASE("metadata Runs: a pipeline run's steps, their artifacts by content, and where its model came from") {
  Fixture f;
  RunRecord run = demo_run("pipe-1");
  run.kind = "Workflow";
  f.runs.start(run);
  const auto art = [](const std::string& name, const std::string& sha, const std::string& direction) {
    ArtifactRecord a = artifact(name == "train.model" ? "kf.Model" : "kf.Artifact", "/store/blobs/sha256/" + sha, direction, sha);
    a.name = name;
    return a;
  };
  const StepRecord prepare{"prepare", "pipe-1-1", "prepare", "Succeeded", true, {art("prepare.data", "d1", "output")}};
  const StepRecord train{"train", "pipe-1-2", "train", "Succeeded", false,
                         {art("train.data", "d1", "input"), art("train.config", "c0", "input"), art("train.model", "m1", "output")}};
  const StepRecord evaluate{"evaluate", "pipe-1-3", "evaluate", "Failed", false, {art("evaluate.model", "m1", "input")}};
  f.runs.add_steps("pipe-1", {prepare, train, evaluate});
  f.runs.add_step("pipe-1", train); // again: nothing new

  const auto steps = f.runs.steps("pipe-1");
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].name == "prepare");
  CHECK(steps[0].cached);
  CHECK(steps[1].node == "pipe-1-2");
  CHECK(steps[1].template_name == "train");
  REQUIRE(steps[1].artifacts.size() == 3);
  CHECK(steps[1].artifacts[0].direction == "input");
  CHECK(steps[1].artifacts[2].name == "train.model");
  CHECK(steps[1].artifacts[2].direction == "output");
  CHECK(steps[2].phase == "Failed");
  CHECK(f.runs.steps("demo-2").empty());
  CHECK_THROWS_WITH_AS(f.runs.add_step("demo-2", prepare), "no run named demo-2", Error);

  const auto from = origins(steps, "m1");
  REQUIRE(from.size() == 3);
  CHECK(from[0].depth == 0);
  CHECK(from[0].artifact == "train.model");
  CHECK(from[0].step == "train");
  CHECK(from[1].depth == 1);
  CHECK(from[1].artifact == "prepare.data"); // named as the step that wrote it names it
  CHECK(from[1].step == "prepare");
  CHECK(from[1].cached);
  CHECK(from[2].artifact == "train.config");
  CHECK(from[2].step == ""); // no step of the run wrote it

  CHECK(f.runs.remove("pipe-1"));
  CHECK(f.runs.steps("pipe-1").empty());
  Store store(f.db);
  CHECK(store.executions("kf.Step").empty());
  CHECK(store.artifacts_by_uri("kf.Model", "/store/blobs/sha256/m1").empty());
}
