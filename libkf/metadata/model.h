#pragma once
// The records of ML Metadata's (MLMD) data model, as Store reads and writes
// them. Enumerations keep MLMD's numbers, so the database reads like MLMD's.
// Types are referred to by name; Store resolves names to ids.

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace kf::metadata {

enum class TypeKind { Execution = 0, Artifact = 1, Context = 2 };
enum class PropertyType { Int = 1, Double = 2, String = 3 };
enum class ArtifactState {
  Unknown = 0, Pending = 1, Live = 2, MarkedForDeletion = 3, Deleted = 4, Abandoned = 5, Reference = 6
};
enum class ExecutionState { Unknown = 0, New = 1, Running = 2, Complete = 3, Failed = 4, Cached = 5, Canceled = 6 };
enum class EventType {
  Unknown = 0, DeclaredOutput = 1, DeclaredInput = 2, Input = 3, Output = 4, InternalInput = 5, InternalOutput = 6
};

using Value = std::variant<std::int64_t, double, std::string>;
using Properties = std::map<std::string, Value>;
using PropertySchema = std::map<std::string, PropertyType>;

const char* to_string(TypeKind kind);     // "artifact", "execution", "context"
const char* to_string(PropertyType type); // "INT", "DOUBLE", "STRING"

struct Type {
  std::int64_t id = 0;
  TypeKind kind = TypeKind::Artifact;
  std::string name;           // e.g. "kf.Model"
  PropertySchema properties;  // the properties its nodes may have
};

// Artifacts, executions and contexts: id 0 = not stored yet. The store sets
// the times: create on insert, update on every write.
struct Artifact {
  std::int64_t id = 0;
  std::string type;
  std::string uri;
  std::string name;
  ArtifactState state = ArtifactState::Unknown;
  std::int64_t create_time_ms = 0;
  std::int64_t update_time_ms = 0;
  Properties properties;        // declared by the type, checked against it
  Properties custom_properties; // anything else
};

struct Execution {
  std::int64_t id = 0;
  std::string type;
  std::string name; // "" = unnamed; a name is unique within its type
  ExecutionState last_known_state = ExecutionState::Unknown;
  std::int64_t create_time_ms = 0;
  std::int64_t update_time_ms = 0;
  Properties properties;
  Properties custom_properties;
};

struct Context {
  std::int64_t id = 0;
  std::string type;
  std::string name; // required, unique within its type
  std::int64_t create_time_ms = 0;
  std::int64_t update_time_ms = 0;
  Properties properties;
  Properties custom_properties;
};

struct Event {
  std::int64_t artifact_id = 0;
  std::int64_t execution_id = 0;
  EventType type = EventType::Unknown;
  std::int64_t time_ms = 0; // 0 = now
};

// kf's extension: one value of one metric at one epoch of an execution.
struct Metric {
  std::int64_t execution_id = 0;
  int epoch = 0;
  std::string name;
  double value = 0; // NaN is kept (stored as NULL)
  std::int64_t time_ms = 0;
};

} // namespace kf::metadata
