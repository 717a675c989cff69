#pragma once
// Store: a generic ML Metadata (MLMD) store on one SQLite file — types with
// property schemas, artifacts, executions, contexts, the events, attributions
// and associations between them, and kf's per-epoch metric table. The
// records are in model.h; the schema and its migrations in schema.h.
//
// Every write runs in a BEGIN IMMEDIATE transaction (its own, or the one an
// enclosing write() opened), and reads that take several queries run in one
// read transaction, so any number of processes may share the file: SQLite's
// WAL journal and a 10 s busy timeout do the rest. A Store is one SQLite
// connection: use it from one thread at a time.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "libkf/metadata/model.h"
#include "libkf/metadata/sqlite.h"

namespace kf::metadata {

// A node with that type and name exists already (a UNIQUE constraint).
class AlreadyExists : public Error {
public:
  using Error::Error;
};

class Store {
public:
  // Opens (creating, and migrating to the current schema) the database file;
  // its directory is created when missing. Throws kf::Error naming the path.
  explicit Store(const std::filesystem::path& db_path);

  int schema_version();
  const std::filesystem::path& path() const { return m_db.path(); }

  // Runs f in one write transaction (BEGIN IMMEDIATE ... COMMIT); an exception
  // rolls it all back. Inside another write(), f joins that transaction.
  template <typename F>
  auto write(F&& f);
  // Runs f in one read transaction (a consistent snapshot). Inside write() or
  // read(), f joins the open transaction. Calling write() inside read() throws.
  template <typename F>
  auto read(F&& f);

  // Types. put_type creates the type, or adds properties it lacks; changing a
  // property's data type throws.
  Type put_type(TypeKind kind, const std::string& name, const PropertySchema& properties);
  std::optional<Type> get_type(TypeKind kind, const std::string& name);

  // Nodes: id 0 inserts, any other id updates (properties are replaced).
  // Returns the id. A property the type does not declare, or of another data
  // type, throws; a name already taken within the type throws AlreadyExists.
  std::int64_t put_artifact(const Artifact& artifact);
  std::int64_t put_execution(const Execution& execution);
  std::int64_t put_context(const Context& context);

  std::optional<Artifact> get_artifact(std::int64_t id);
  std::optional<Execution> get_execution(std::int64_t id);
  std::optional<Context> get_context(std::int64_t id);
  std::optional<Execution> find_execution(const std::string& type, const std::string& name);
  std::optional<Context> find_context(const std::string& type, const std::string& name);
  std::vector<Artifact> artifacts_by_uri(const std::string& type, const std::string& uri); // oldest first
  std::vector<Execution> executions(const std::string& type);                              // oldest first
  // Names of the executions of `type` that start with `prefix`.
  std::vector<std::string> execution_names(const std::string& type, const std::string& prefix);

  // Removal takes the node's properties, events, attributions, associations
  // and metrics with it. False when there was no such node.
  bool remove_artifact(std::int64_t id);
  bool remove_execution(std::int64_t id);
  bool remove_context(std::int64_t id);

  // Links. Putting an existing link again changes nothing.
  void put_event(const Event& event);
  void put_attribution(std::int64_t context_id, std::int64_t artifact_id);
  void put_association(std::int64_t context_id, std::int64_t execution_id);
  std::vector<Event> events_of_execution(std::int64_t execution_id); // in recording order
  std::vector<Event> events_of_artifact(std::int64_t artifact_id);   // in recording order
  std::vector<std::int64_t> artifacts_of_context(std::int64_t context_id);
  std::vector<std::int64_t> executions_of_context(std::int64_t context_id);
  std::vector<std::int64_t> contexts_of_artifact(std::int64_t artifact_id);
  std::vector<std::int64_t> contexts_of_execution(std::int64_t execution_id);

  // Metrics. put_metrics replaces everything recorded for that epoch (in the
  // given order) and sets the execution's update time.
  void put_metrics(std::int64_t execution_id, int epoch, const std::vector<Metric>& values);
  std::vector<Metric> metrics(std::int64_t execution_id); // by epoch, then as recorded
  // Every execution's metrics of its highest epoch, by execution, then as recorded.
  std::vector<Metric> last_epoch_metrics();

private:
  enum class Tx { None, Read, Write };
  void in_transaction(Tx kind, const std::function<void()>& f);
  Type type_named(TypeKind kind, const std::string& name);
  Type type_with_id(std::int64_t id);

  sql::Db m_db;
  Tx m_tx = Tx::None;
  std::vector<Type> m_types; // cache; types are never removed
};

template <typename F>
auto Store::write(F&& f) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    in_transaction(Tx::Write, f);
  } else {
    std::optional<R> result;
    in_transaction(Tx::Write, [&] { result.emplace(f()); });
    return std::move(*result);
  }
}

template <typename F>
auto Store::read(F&& f) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    in_transaction(Tx::Read, f);
  } else {
    std::optional<R> result;
    in_transaction(Tx::Read, [&] { result.emplace(f()); });
    return std::move(*result);
  }
}

} // namespace kf::metadata
