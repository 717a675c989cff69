// Store: artifacts, executions and contexts.
#include <sqlite3.h>

#include "libkf/util/clock.h"
#include "libkf/metadata/properties.h"
#include "libkf/metadata/store.h"

namespace kf::metadata {
namespace {

using detail::k_artifacts;
using detail::k_contexts;
using detail::k_executions;

const char* k_artifact_columns = "id, type_id, uri, state, name, create_time_since_epoch, last_update_time_since_epoch";
const char* k_execution_columns = "id, type_id, last_known_state, name, create_time_since_epoch, last_update_time_since_epoch";
const char* k_context_columns = "id, type_id, name, create_time_since_epoch, last_update_time_since_epoch";

// A name taken within its type becomes AlreadyExists; other failures pass.
template <typename F>
void unique_name(const char* kind, const std::string& type, const std::string& name, F&& f) {
  try {
    f();
  } catch (const sql::Failure& e) {
    if (e.code() == SQLITE_CONSTRAINT_UNIQUE) throw AlreadyExists(std::string(kind) + " " + type + "/" + name + " already exists");
    throw;
  }
}

void expect_updated(sql::Db& db, const char* kind, std::int64_t id) {
  if (db.changes() == 0) throw Error(std::string("no ") + kind + " with id " + std::to_string(id));
}

// Executions without a name store NULL, which UNIQUE lets repeat.
void bind_name(sql::Stmt& q, int i, const std::string& name) {
  if (name.empty()) q.bind(i, nullptr);
  else q.bind(i, name);
}

} // namespace

std::int64_t Store::put_artifact(const Artifact& a) {
  return write([&] {
    Type t = type_named(TypeKind::Artifact, a.type);
    detail::check_properties(t, a.properties);
    auto now = kf::now_ms();
    std::int64_t id = a.id;
    if (id == 0) {
      m_db.query("INSERT INTO Artifact (type_id, uri, state, name, create_time_since_epoch, "
                 "last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?, ?)",
                 t.id, a.uri, static_cast<int>(a.state), a.name, now, now)
          .run();
      id = m_db.last_insert_id();
    } else {
      m_db.query("UPDATE Artifact SET type_id = ?, uri = ?, state = ?, name = ?, last_update_time_since_epoch = ? "
                 "WHERE id = ?",
                 t.id, a.uri, static_cast<int>(a.state), a.name, now, id)
          .run();
      expect_updated(m_db, "artifact", id);
    }
    detail::write_properties(m_db, k_artifacts, id, a.properties, a.custom_properties);
    return id;
  });
}

std::int64_t Store::put_execution(const Execution& e) {
  return write([&] {
    Type t = type_named(TypeKind::Execution, e.type);
    detail::check_properties(t, e.properties);
    auto now = kf::now_ms();
    std::int64_t id = e.id;
    unique_name("execution", e.type, e.name, [&] {
      if (id == 0) {
        auto q = m_db.query("INSERT INTO Execution (type_id, last_known_state, name, create_time_since_epoch, "
                            "last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?)",
                            t.id, static_cast<int>(e.last_known_state), nullptr, now, now);
        bind_name(q, 3, e.name);
        q.run();
        id = m_db.last_insert_id();
      } else {
        auto q = m_db.query("UPDATE Execution SET type_id = ?, last_known_state = ?, name = ?, "
                            "last_update_time_since_epoch = ? WHERE id = ?",
                            t.id, static_cast<int>(e.last_known_state), nullptr, now, id);
        bind_name(q, 3, e.name);
        q.run();
        expect_updated(m_db, "execution", id);
      }
    });
    detail::write_properties(m_db, k_executions, id, e.properties, e.custom_properties);
    return id;
  });
}

std::int64_t Store::put_context(const Context& c) {
  return write([&] {
    Type t = type_named(TypeKind::Context, c.type);
    if (c.name.empty()) throw Error("a context of type " + c.type + " needs a name");
    detail::check_properties(t, c.properties);
    auto now = kf::now_ms();
    std::int64_t id = c.id;
    unique_name("context", c.type, c.name, [&] {
      if (id == 0) {
        m_db.query("INSERT INTO Context (type_id, name, create_time_since_epoch, last_update_time_since_epoch) "
                   "VALUES (?, ?, ?, ?)",
                   t.id, c.name, now, now)
            .run();
        id = m_db.last_insert_id();
      } else {
        m_db.query("UPDATE Context SET type_id = ?, name = ?, last_update_time_since_epoch = ? WHERE id = ?", t.id,
                   c.name, now, id)
            .run();
        expect_updated(m_db, "context", id);
      }
    });
    detail::write_properties(m_db, k_contexts, id, c.properties, c.custom_properties);
    return id;
  });
}

// Readers: each query selects the *_columns above, in that order.
namespace {

template <typename Node>
void finish(sql::Db& db, const detail::NodeTable& t, Node& n) {
  detail::read_properties(db, t, n.id, n.properties, n.custom_properties);
}

} // namespace

std::optional<Artifact> Store::get_artifact(std::int64_t id) {
  return read([&]() -> std::optional<Artifact> {
    auto q = m_db.query(std::string("SELECT ") + k_artifact_columns + " FROM Artifact WHERE id = ?", id);
    if (!q.step()) return std::nullopt;
    Artifact a{q.int64(0), type_with_id(q.int64(1)).name, q.text(2), q.text(4),
               static_cast<ArtifactState>(q.int64(3)), q.int64(5), q.int64(6), {}, {}};
    finish(m_db, k_artifacts, a);
    return a;
  });
}

std::optional<Execution> Store::get_execution(std::int64_t id) {
  return read([&]() -> std::optional<Execution> {
    auto q = m_db.query(std::string("SELECT ") + k_execution_columns + " FROM Execution WHERE id = ?", id);
    if (!q.step()) return std::nullopt;
    Execution e{q.int64(0), type_with_id(q.int64(1)).name, q.text(3), static_cast<ExecutionState>(q.int64(2)),
                q.int64(4), q.int64(5), {}, {}};
    finish(m_db, k_executions, e);
    return e;
  });
}

std::optional<Context> Store::get_context(std::int64_t id) {
  return read([&]() -> std::optional<Context> {
    auto q = m_db.query(std::string("SELECT ") + k_context_columns + " FROM Context WHERE id = ?", id);
    if (!q.step()) return std::nullopt;
    Context c{q.int64(0), type_with_id(q.int64(1)).name, q.text(2), q.int64(3), q.int64(4), {}, {}};
    finish(m_db, k_contexts, c);
    return c;
  });
}

std::optional<Execution> Store::find_execution(const std::string& type, const std::string& name) {
  return read([&]() -> std::optional<Execution> {
    auto t = get_type(TypeKind::Execution, type);
    if (!t) return std::nullopt;
    auto q = m_db.query("SELECT id FROM Execution WHERE type_id = ? AND name = ?", t->id, name);
    if (!q.step()) return std::nullopt;
    return get_execution(q.int64(0));
  });
}

std::optional<Context> Store::find_context(const std::string& type, const std::string& name) {
  return read([&]() -> std::optional<Context> {
    auto t = get_type(TypeKind::Context, type);
    if (!t) return std::nullopt;
    auto q = m_db.query("SELECT id FROM Context WHERE type_id = ? AND name = ?", t->id, name);
    if (!q.step()) return std::nullopt;
    return get_context(q.int64(0));
  });
}

std::vector<Artifact> Store::artifacts_by_uri(const std::string& type, const std::string& uri) {
  return read([&] {
    std::vector<Artifact> out;
    auto t = get_type(TypeKind::Artifact, type);
    if (!t) return out;
    auto q = m_db.query("SELECT id FROM Artifact WHERE type_id = ? AND uri = ? ORDER BY id", t->id, uri);
    while (q.step()) out.push_back(*get_artifact(q.int64(0)));
    return out;
  });
}

std::vector<Execution> Store::executions(const std::string& type) {
  return read([&] {
    std::vector<Execution> out;
    auto t = get_type(TypeKind::Execution, type);
    if (!t) return out;
    auto q = m_db.query("SELECT id FROM Execution WHERE type_id = ? ORDER BY id", t->id);
    while (q.step()) out.push_back(*get_execution(q.int64(0)));
    return out;
  });
}

std::vector<std::string> Store::execution_names(const std::string& type, const std::string& prefix) {
  return read([&] {
    std::vector<std::string> out;
    auto t = get_type(TypeKind::Execution, type);
    if (!t) return out;
    auto q = m_db.query("SELECT name FROM Execution WHERE type_id = ? AND instr(name, ?) = 1", t->id, prefix);
    while (q.step()) out.push_back(q.text(0));
    return out;
  });
}

bool Store::remove_artifact(std::int64_t id) {
  return write([&] {
    m_db.query("DELETE FROM Artifact WHERE id = ?", id).run();
    return m_db.changes() > 0;
  });
}

bool Store::remove_execution(std::int64_t id) {
  return write([&] {
    m_db.query("DELETE FROM Execution WHERE id = ?", id).run();
    return m_db.changes() > 0;
  });
}

bool Store::remove_context(std::int64_t id) {
  return write([&] {
    m_db.query("DELETE FROM Context WHERE id = ?", id).run();
    return m_db.changes() > 0;
  });
}

} // namespace kf::metadata
