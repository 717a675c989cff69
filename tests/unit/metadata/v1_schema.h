#pragma once
// Schema version 1 exactly as kf 0.1 created it (libkf/metadata/schema.cpp's
// first migration), frozen here so migration tests start from the real old
// database even after schema.cpp moves on.

namespace kf::test {

inline const char* k_v1_schema = R"sql(
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

} // namespace kf::test
