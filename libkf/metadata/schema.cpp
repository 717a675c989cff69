#include "libkf/metadata/schema.h"

namespace kf::metadata::schema {
namespace {

// Version 1: ML Metadata's (MLMD) tables, as its SQLite schema names them,
// with foreign keys so removing a node removes its properties and links.
// Differences from MLMD: no EventPath, ParentContext or external ids; an
// artifact's name is not unique per type (every run has a "model").
// Enumerations use MLMD's numbers (see store.h).
const char* k_v1 = R"sql(
CREATE TABLE Type (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  type_kind INTEGER NOT NULL,
  description TEXT,
  UNIQUE (type_kind, name)
);
CREATE TABLE TypeProperty (
  type_id INTEGER NOT NULL REFERENCES Type(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  data_type INTEGER NOT NULL,
  PRIMARY KEY (type_id, name)
);
CREATE TABLE Artifact (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type_id INTEGER NOT NULL REFERENCES Type(id),
  uri TEXT NOT NULL DEFAULT '',
  state INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL DEFAULT '',
  create_time_since_epoch INTEGER NOT NULL DEFAULT 0,
  last_update_time_since_epoch INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE ArtifactProperty (
  artifact_id INTEGER NOT NULL REFERENCES Artifact(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  is_custom_property INTEGER NOT NULL,
  int_value INTEGER,
  double_value REAL,
  string_value TEXT,
  PRIMARY KEY (artifact_id, name, is_custom_property)
);
CREATE TABLE Execution (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type_id INTEGER NOT NULL REFERENCES Type(id),
  last_known_state INTEGER NOT NULL DEFAULT 0,
  name TEXT,
  create_time_since_epoch INTEGER NOT NULL DEFAULT 0,
  last_update_time_since_epoch INTEGER NOT NULL DEFAULT 0,
  UNIQUE (type_id, name)
);
CREATE TABLE ExecutionProperty (
  execution_id INTEGER NOT NULL REFERENCES Execution(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  is_custom_property INTEGER NOT NULL,
  int_value INTEGER,
  double_value REAL,
  string_value TEXT,
  PRIMARY KEY (execution_id, name, is_custom_property)
);
CREATE TABLE Context (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type_id INTEGER NOT NULL REFERENCES Type(id),
  name TEXT NOT NULL,
  create_time_since_epoch INTEGER NOT NULL DEFAULT 0,
  last_update_time_since_epoch INTEGER NOT NULL DEFAULT 0,
  UNIQUE (type_id, name)
);
CREATE TABLE ContextProperty (
  context_id INTEGER NOT NULL REFERENCES Context(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  is_custom_property INTEGER NOT NULL,
  int_value INTEGER,
  double_value REAL,
  string_value TEXT,
  PRIMARY KEY (context_id, name, is_custom_property)
);
CREATE TABLE Event (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  artifact_id INTEGER NOT NULL REFERENCES Artifact(id) ON DELETE CASCADE,
  execution_id INTEGER NOT NULL REFERENCES Execution(id) ON DELETE CASCADE,
  type INTEGER NOT NULL,
  milliseconds_since_epoch INTEGER NOT NULL DEFAULT 0,
  UNIQUE (artifact_id, execution_id, type)
);
CREATE TABLE Attribution (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  context_id INTEGER NOT NULL REFERENCES Context(id) ON DELETE CASCADE,
  artifact_id INTEGER NOT NULL REFERENCES Artifact(id) ON DELETE CASCADE,
  UNIQUE (context_id, artifact_id)
);
CREATE TABLE Association (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  context_id INTEGER NOT NULL REFERENCES Context(id) ON DELETE CASCADE,
  execution_id INTEGER NOT NULL REFERENCES Execution(id) ON DELETE CASCADE,
  UNIQUE (context_id, execution_id)
);
)sql";

// Version 2: kf's per-epoch metrics (MLMD has no time series; a NULL value
// is NaN) and the indexes that lineage and removal walk.
const char* k_v2 = R"sql(
CREATE TABLE metric (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id INTEGER NOT NULL REFERENCES Execution(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  time_ms INTEGER NOT NULL,
  UNIQUE (execution_id, epoch, name)
);
CREATE INDEX Event_execution ON Event(execution_id);
CREATE INDEX Artifact_uri ON Artifact(uri);
CREATE INDEX Attribution_artifact ON Attribution(artifact_id);
CREATE INDEX Association_execution ON Association(execution_id);
)sql";

} // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> k_steps = {
      {1, "ML Metadata tables: types, artifacts, executions, contexts, events, attributions, associations", k_v1},
      {2, "kf's metric table (per-epoch metrics) and lineage indexes", k_v2},
  };
  return k_steps;
}

int current_version() { return migrations().back().version; }

void migrate(sql::Db& db) {
  auto too_new = [&](int v) {
    return Error(db.path().string() + " has schema version " + std::to_string(v) + "; this kf knows up to " +
                 std::to_string(current_version()) + ": upgrade kf");
  };
  int version = db.user_version();
  if (version == current_version()) return;
  if (version > current_version()) throw too_new(version);

  db.exec("BEGIN IMMEDIATE", "starting the schema migration");
  try {
    version = db.user_version(); // another process may have migrated meanwhile
    if (version > current_version()) throw too_new(version);
    for (const auto& m : migrations()) {
      if (m.version <= version) continue;
      std::string what = "migrating to schema version " + std::to_string(m.version);
      db.exec(m.sql, what);
      // PRAGMA takes no parameters; the value is kf's own constant.
      db.exec("PRAGMA user_version = " + std::to_string(m.version), what);
    }
    db.exec("COMMIT", "committing the schema migration");
  } catch (...) {
    try {
      db.exec("ROLLBACK", "rolling back the schema migration");
    } catch (const Error&) {
      // the failure that got us here is the one to report
    }
    throw;
  }
}

} // namespace kf::metadata::schema
