#pragma once
// Internal to the store: reading and writing the typed properties of
// artifacts, executions and contexts (the three *Property tables share one
// shape), and the clock the store stamps times with.

#include <cstdint>

#include "libkf/metadata/model.h"
#include "libkf/metadata/sqlite.h"

namespace kf::metadata::detail {

// Where one kind of node lives. Names are kf's constants, never input.
struct NodeTable {
  TypeKind kind;
  const char* table;      // "Artifact"
  const char* properties; // "ArtifactProperty"
  const char* id_column;  // "artifact_id"
};
inline constexpr NodeTable k_artifacts{TypeKind::Artifact, "Artifact", "ArtifactProperty", "artifact_id"};
inline constexpr NodeTable k_executions{TypeKind::Execution, "Execution", "ExecutionProperty", "execution_id"};
inline constexpr NodeTable k_contexts{TypeKind::Context, "Context", "ContextProperty", "context_id"};

// Throws kf::Error when `properties` has a name `type` does not declare or a
// value of another data type.
void check_properties(const Type& type, const Properties& properties);
// Replaces the node's properties and custom properties.
void write_properties(sql::Db& db, const NodeTable& t, std::int64_t id, const Properties& properties,
                      const Properties& custom);
void read_properties(sql::Db& db, const NodeTable& t, std::int64_t id, Properties& properties, Properties& custom);

} // namespace kf::metadata::detail
