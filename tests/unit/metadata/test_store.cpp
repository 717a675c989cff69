#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "libkf/metadata/schema.h"
#include "libkf/metadata/sqlite.h"
#include "libkf/metadata/store.h"
#include "libkf/util/error.h"
#include "tests/unit/metadata/v1_schema.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::metadata;

namespace {

using test::TempDir;

// A store with one type of each kind.
struct Fixture {
  TempDir dir;
  std::filesystem::path db = dir.path / "metadata.db";
  Store store{db};
  Fixture() {
    store.put_type(TypeKind::Artifact, "kf.Model", {{"size", PropertyType::Int}, {"sha256", PropertyType::String}});
    store.put_type(TypeKind::Execution, "kf.Run", {{"state", PropertyType::String}, {"lr", PropertyType::Double}});
    store.put_type(TypeKind::Context, "kf.Project", {{"owner", PropertyType::String}});
  }
  std::int64_t run(const std::string& name) { return store.put_execution({0, "kf.Run", name, {}, 0, 0, {}, {}}); }
  std::int64_t model(const std::string& uri) { return store.put_artifact({0, "kf.Model", uri, "model", {}, 0, 0, {}, {}}); }
};

} // namespace

TEST_CASE("metadata store: a new database is at the current schema version") {
  TempDir dir;
  Store store(dir.path / "sub" / "metadata.db"); // the directory is created
  CHECK(store.schema_version() == 2);
  CHECK(schema::current_version() == 2);
  int expected = 1;
  for (const auto& m : schema::migrations()) CHECK(m.version == expected++);
  CHECK(std::filesystem::exists(dir.path / "sub" / "metadata.db"));
}

TEST_CASE("metadata store: types are created, extended, and never redeclared") {
  Fixture f;
  auto t = f.store.get_type(TypeKind::Artifact, "kf.Model");
  REQUIRE(t);
  CHECK(t->kind == TypeKind::Artifact);
  CHECK(t->properties == PropertySchema{{"sha256", PropertyType::String}, {"size", PropertyType::Int}});
  CHECK_FALSE(f.store.get_type(TypeKind::Execution, "kf.Model")); // names are per kind
  CHECK_FALSE(f.store.get_type(TypeKind::Artifact, "kf.Nope"));

  // The same declaration again changes nothing; a new property is added.
  CHECK(f.store.put_type(TypeKind::Artifact, "kf.Model", {{"size", PropertyType::Int}}).id == t->id);
  auto extended = f.store.put_type(TypeKind::Artifact, "kf.Model", {{"format", PropertyType::String}});
  CHECK(extended.id == t->id);
  CHECK(extended.properties.size() == 3);
  CHECK(f.store.get_type(TypeKind::Artifact, "kf.Model")->properties.count("format") == 1);

  CHECK_THROWS_WITH_AS(f.store.put_type(TypeKind::Artifact, "kf.Model", {{"size", PropertyType::String}}),
                       "artifact type kf.Model: property 'size' is INT; cannot redeclare it as STRING", Error);
}

TEST_CASE("metadata store: artifacts round-trip with properties and custom properties") {
  Fixture f;
  Artifact a{0, "kf.Model", "/models/m1", "model", ArtifactState::Live, 0, 0, {}, {}};
  a.properties = {{"size", std::int64_t{1234}}, {"sha256", std::string("abc")}};
  a.custom_properties = {{"note", std::string("first")}, {"score", 0.5},
                         {"nan", std::numeric_limits<double>::quiet_NaN()}};
  auto id = f.store.put_artifact(a);
  auto got = f.store.get_artifact(id);
  REQUIRE(got);
  CHECK(got->type == "kf.Model");
  CHECK(got->uri == "/models/m1");
  CHECK(got->name == "model");
  CHECK(got->state == ArtifactState::Live);
  CHECK(got->create_time_ms > 0);
  CHECK(got->update_time_ms == got->create_time_ms);
  CHECK(std::get<std::int64_t>(got->properties.at("size")) == 1234);
  CHECK(std::get<std::string>(got->properties.at("sha256")) == "abc");
  CHECK(std::get<std::string>(got->custom_properties.at("note")) == "first");
  CHECK(std::get<double>(got->custom_properties.at("score")) == 0.5);
  CHECK(std::isnan(std::get<double>(got->custom_properties.at("nan"))));

  // Updating replaces the properties and keeps the creation time.
  got->state = ArtifactState::Deleted;
  got->properties = {{"size", std::int64_t{1}}};
  got->custom_properties.clear();
  CHECK(f.store.put_artifact(*got) == id);
  auto updated = f.store.get_artifact(id);
  CHECK(updated->state == ArtifactState::Deleted);
  CHECK(updated->properties.size() == 1);
  CHECK(updated->custom_properties.empty());
  CHECK(updated->create_time_ms == got->create_time_ms);
  CHECK(updated->update_time_ms >= got->create_time_ms);

  CHECK(f.store.artifacts_by_uri("kf.Model", "/models/m1").size() == 1);
  CHECK(f.store.artifacts_by_uri("kf.Model", "/models/none").empty());
  CHECK_FALSE(f.store.get_artifact(id + 100));
}

TEST_CASE("metadata store: properties are checked against the type") {
  Fixture f;
  Artifact a{0, "kf.Model", "/m", "", {}, 0, 0, {{"color", std::string("red")}}, {}};
  CHECK_THROWS_WITH_AS(f.store.put_artifact(a),
                       "artifact type kf.Model has no property 'color' (declare it in the type or make it a custom "
                       "property)",
                       Error);
  a.properties = {{"size", std::string("big")}};
  CHECK_THROWS_WITH_AS(f.store.put_artifact(a), "property 'size' of artifact type kf.Model is INT, got STRING", Error);
  a.properties.clear();
  a.type = "kf.Nope";
  CHECK_THROWS_WITH_AS(f.store.put_artifact(a), "no artifact type named 'kf.Nope'", Error);
  a.type = "kf.Run"; // an execution type is no artifact type
  CHECK_THROWS_WITH_AS(f.store.put_artifact(a), "no artifact type named 'kf.Run'", Error);

  Execution e{0, "kf.Run", "r", {}, 0, 0, {{"lr", std::int64_t{1}}}, {}};
  CHECK_THROWS_WITH_AS(f.store.put_execution(e), "property 'lr' of execution type kf.Run is DOUBLE, got INT", Error);
  a = {99, "kf.Model", "/m", "", {}, 0, 0, {}, {}};
  CHECK_THROWS_WITH_AS(f.store.put_artifact(a), "no artifact with id 99", Error);
  CHECK_THROWS_WITH_AS(f.store.put_execution({99, "kf.Run", "", {}, 0, 0, {}, {}}), "no execution with id 99", Error);
  CHECK_THROWS_WITH_AS(f.store.put_context({99, "kf.Project", "p", 0, 0, {}, {}}), "no context with id 99", Error);
}

TEST_CASE("metadata store: execution and context names are unique within their type") {
  Fixture f;
  Execution e{0, "kf.Run", "r1", ExecutionState::Running, 0, 0, {{"lr", 0.1}}, {}};
  auto id = f.store.put_execution(e);
  CHECK_THROWS_WITH_AS(f.store.put_execution(e), "execution kf.Run/r1 already exists", AlreadyExists);
  auto found = f.store.find_execution("kf.Run", "r1");
  REQUIRE(found);
  CHECK(found->id == id);
  CHECK(found->last_known_state == ExecutionState::Running);
  CHECK(std::get<double>(found->properties.at("lr")) == 0.1);
  CHECK_FALSE(f.store.find_execution("kf.Run", "r2"));
  CHECK_FALSE(f.store.find_execution("kf.Other", "r1"));

  // Renaming onto a taken name is refused too; unnamed executions may repeat.
  auto id2 = f.run("r2");
  Execution rename = *f.store.get_execution(id2);
  rename.name = "r1";
  CHECK_THROWS_WITH_AS(f.store.put_execution(rename), "execution kf.Run/r1 already exists", AlreadyExists);
  CHECK(f.run("") != f.run(""));
  CHECK(f.store.executions("kf.Run").size() == 4);
  CHECK(f.store.execution_names("kf.Run", "r").size() == 2);

  Context c{0, "kf.Project", "demo", 0, 0, {{"owner", std::string("ann")}}, {}};
  auto cid = f.store.put_context(c);
  CHECK(std::get<std::string>(f.store.find_context("kf.Project", "demo")->properties.at("owner")) == "ann");
  CHECK(f.store.get_context(cid)->name == "demo");
  CHECK_THROWS_WITH_AS(f.store.put_context(c), "context kf.Project/demo already exists", AlreadyExists);
  c.name = "";
  CHECK_THROWS_WITH_AS(f.store.put_context(c), "a context of type kf.Project needs a name", Error);
}

TEST_CASE("metadata store: events, attributions and associations link nodes") {
  Fixture f;
  auto r1 = f.run("r1"), r2 = f.run("r2");
  auto m = f.model("/m");
  auto ctx = f.store.put_context({0, "kf.Project", "demo", 0, 0, {}, {}});
  f.store.put_event({m, r1, EventType::Output, 5});
  f.store.put_event({m, r2, EventType::Input, 0});
  f.store.put_event({m, r2, EventType::Input, 0}); // again: ignored
  f.store.put_attribution(ctx, m);
  f.store.put_attribution(ctx, m);
  f.store.put_association(ctx, r1);
  f.store.put_association(ctx, r2);

  auto by_artifact = f.store.events_of_artifact(m);
  REQUIRE(by_artifact.size() == 2);
  CHECK(by_artifact[0].execution_id == r1);
  CHECK(by_artifact[0].type == EventType::Output);
  CHECK(by_artifact[0].time_ms == 5);
  CHECK(by_artifact[1].execution_id == r2);
  CHECK(by_artifact[1].time_ms > 0); // 0 = now
  CHECK(f.store.events_of_execution(r2).size() == 1);
  CHECK(f.store.artifacts_of_context(ctx) == std::vector<std::int64_t>{m});
  CHECK(f.store.executions_of_context(ctx) == std::vector<std::int64_t>{r1, r2});
  CHECK(f.store.contexts_of_artifact(m) == std::vector<std::int64_t>{ctx});
  CHECK(f.store.contexts_of_execution(r2) == std::vector<std::int64_t>{ctx});
}

TEST_CASE("metadata store: removing a node takes its properties, links and metrics") {
  Fixture f;
  auto r1 = f.run("r1");
  auto m = f.model("/m");
  auto ctx = f.store.put_context({0, "kf.Project", "demo", 0, 0, {}, {}});
  f.store.put_event({m, r1, EventType::Output, 0});
  f.store.put_association(ctx, r1);
  f.store.put_metrics(r1, 1, {{0, 1, "loss", 0.5, 0}});

  CHECK(f.store.remove_execution(r1));
  CHECK_FALSE(f.store.remove_execution(r1));
  CHECK_FALSE(f.store.get_execution(r1));
  CHECK(f.store.events_of_artifact(m).empty());
  CHECK(f.store.executions_of_context(ctx).empty());
  CHECK(f.store.metrics(r1).empty());
  CHECK(f.store.get_artifact(m)); // artifacts live on their own

  f.store.put_attribution(ctx, m);
  CHECK(f.store.remove_artifact(m));
  CHECK(f.store.artifacts_of_context(ctx).empty());
  CHECK(f.store.remove_context(ctx));
  CHECK_FALSE(f.store.remove_context(ctx));
  CHECK_FALSE(f.store.remove_artifact(m));
}

TEST_CASE("metadata store: metrics replace an epoch and read back in order") {
  Fixture f;
  auto r1 = f.run("r1"), r2 = f.run("r2");
  f.store.put_metrics(r1, 2, {{0, 2, "loss", 0.4, 20}, {0, 2, "accuracy", 0.8, 20}});
  f.store.put_metrics(r1, 1, {{0, 1, "loss", 0.9, 10}});
  f.store.put_metrics(r1, 1, {{0, 1, "loss", 0.7, 11}, {0, 1, "accuracy", std::nan(""), 11}}); // replaces
  f.store.put_metrics(r2, 1, {{0, 1, "loss", 1.5, 0}});

  auto m = f.store.metrics(r1);
  REQUIRE(m.size() == 4);
  CHECK(m[0].epoch == 1);
  CHECK(m[0].name == "loss");
  CHECK(m[0].value == 0.7);
  CHECK(m[0].time_ms == 11);
  CHECK(m[1].name == "accuracy");
  CHECK(std::isnan(m[1].value));
  CHECK(m[2].epoch == 2);
  CHECK(m[2].name == "loss");
  CHECK(m[3].name == "accuracy");

  auto last = f.store.last_epoch_metrics();
  REQUIRE(last.size() == 3);
  CHECK(last[0].execution_id == r1);
  CHECK(last[0].epoch == 2);
  CHECK(last[2].execution_id == r2);
  CHECK(last[2].time_ms > 0);

  CHECK_THROWS_WITH_AS(f.store.put_metrics(42, 1, {}), "no execution with id 42", Error);
}

TEST_CASE("metadata store: a failed write rolls back its whole transaction") {
  Fixture f;
  CHECK_THROWS_WITH_AS(f.store.write([&] {
    f.model("/m");
    f.run("r1");
    throw Error("boom");
  }),
                       "boom", Error);
  CHECK(f.store.artifacts_by_uri("kf.Model", "/m").empty());
  CHECK_FALSE(f.store.find_execution("kf.Run", "r1"));

  // A type created inside a rolled-back write is forgotten with it.
  CHECK_THROWS(f.store.write([&] {
    f.store.put_type(TypeKind::Artifact, "kf.Temp", {});
    f.store.put_artifact({0, "kf.Temp", "/t", "", {}, 0, 0, {}, {}}); // the store now knows kf.Temp
    throw Error("boom");
  }));
  CHECK_FALSE(f.store.get_type(TypeKind::Artifact, "kf.Temp"));
  CHECK_THROWS_WITH_AS(f.store.put_artifact({0, "kf.Temp", "/t", "", {}, 0, 0, {}, {}}),
                       "no artifact type named 'kf.Temp'", Error);

  // Nested writes join; the store stays usable.
  auto id = f.store.write([&] { return f.store.write([&] { return f.run("r1"); }); });
  CHECK(f.store.get_execution(id)->name == "r1");

  CHECK_THROWS_WITH_AS(f.store.read([&] { f.run("r2"); }),
                       (f.db.string() + ": a write cannot run inside a read transaction").c_str(), Error);
  CHECK_FALSE(f.store.find_execution("kf.Run", "r2"));
}

TEST_CASE("metadata store: migrates a version 1 database, keeping its data") {
  TempDir dir;
  auto path = dir.path / "metadata.db";
  {
    sql::Db db(path);
    db.exec(test::k_v1_schema, "creating v1");
    db.exec("PRAGMA user_version = 1", "v1");
    db.exec("INSERT INTO Type (id, name, type_kind) VALUES (1, 'kf.Run', 0);"
            "INSERT INTO TypeProperty VALUES (1, 'state', 3);"
            "INSERT INTO Execution (id, type_id, last_known_state, name, create_time_since_epoch) "
            "VALUES (7, 1, 2, 'old-run', 1000);"
            "INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, string_value) "
            "VALUES (7, 'state', 0, 'Running');",
            "v1 data");
  }
  Store store(path);
  CHECK(store.schema_version() == schema::current_version());
  auto e = store.find_execution("kf.Run", "old-run");
  REQUIRE(e);
  CHECK(e->id == 7);
  CHECK(e->create_time_ms == 1000);
  CHECK(e->last_known_state == ExecutionState::Running);
  CHECK(std::get<std::string>(e->properties.at("state")) == "Running");
  store.put_metrics(7, 1, {{0, 1, "loss", 0.3, 0}}); // version 2's table
  CHECK(store.metrics(7).size() == 1);

  sql::Db raw(path);
  CHECK(raw.user_version() == schema::current_version());
}

TEST_CASE("metadata store: a failed migration keeps the database as it was") {
  TempDir dir;
  auto path = dir.path / "metadata.db";
  {
    sql::Db db(path);
    db.exec(test::k_v1_schema, "creating v1");
    db.exec("CREATE TABLE metric (x INTEGER); PRAGMA user_version = 1", "v1 with a stray table");
  }
  CHECK_THROWS_WITH_AS(Store{path}, (path.string() + ": migrating to schema version 2: table metric already exists").c_str(),
                       Error);
  sql::Db raw(path);
  CHECK(raw.user_version() == 1);
  CHECK_FALSE(raw.query("SELECT name FROM sqlite_master WHERE name = 'Event_execution'").step());
}

TEST_CASE("metadata store: a database newer than this kf is refused") {
  TempDir dir;
  auto path = dir.path / "metadata.db";
  {
    sql::Db db(path);
    db.exec("PRAGMA user_version = 7", "future kf");
  }
  CHECK_THROWS_WITH_AS(Store{path}, (path.string() + " has schema version 7; this kf knows up to 2: upgrade kf").c_str(), Error);
}

TEST_CASE("metadata store: files that are no database are refused, naming the path") {
  TempDir dir;
  auto junk = dir.write("metadata.db", "this is not a SQLite database, just some text that is long enough\n");
  CHECK_THROWS_WITH_AS(Store{junk}, (junk + " is not a SQLite database").c_str(), Error);

  // The database path is a directory.
  CHECK_THROWS_WITH_AS(Store{dir.path}, ("cannot open " + dir.path.string() + ": unable to open database file").c_str(), Error);

  // Its directory cannot be created: a file is in the way.
  auto blocked = std::filesystem::path(dir.write("file", "x")) / "metadata.db";
  auto expected = "cannot open " + blocked.string() + ": cannot create " + dir.path.string() + "/file: Not a directory";
  CHECK_THROWS_WITH_AS(Store{blocked}, expected.c_str(), Error);
}
