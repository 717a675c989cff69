// Store: opening, transactions and types. Nodes are in store_nodes.cpp,
// links and metrics in store_links.cpp.
#include "libkf/metadata/store.h"

#include <system_error>

#include "libkf/metadata/schema.h"

namespace kf::metadata {
namespace {

sql::Db open(const std::filesystem::path& path) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw Error("cannot open " + path.string() + ": cannot create " + path.parent_path().string() + ": " +
                        ec.message());
  }
  return sql::Db(path);
}

} // namespace

Store::Store(const std::filesystem::path& db_path) : m_db(open(db_path)) { schema::migrate(m_db); }

int Store::schema_version() { return m_db.user_version(); }

void Store::in_transaction(Tx kind, const std::function<void()>& f) {
  if (m_tx != Tx::None) {
    if (kind == Tx::Write && m_tx == Tx::Read)
      throw Error(path().string() + ": a write cannot run inside a read transaction");
    f();
    return;
  }
  m_db.exec(kind == Tx::Write ? "BEGIN IMMEDIATE" : "BEGIN", "starting a transaction");
  m_tx = kind;
  try {
    f();
    m_db.exec("COMMIT", "committing");
  } catch (...) {
    m_tx = Tx::None;
    try {
      m_db.exec("ROLLBACK", "rolling back");
    } catch (const Error&) {
      // SQLite may have rolled back already; the first failure is the one to report
    }
    if (kind == Tx::Write) m_types.clear(); // may hold types that were rolled back
    throw;
  }
  m_tx = Tx::None;
}

std::optional<Type> Store::get_type(TypeKind kind, const std::string& name) {
  return read([&]() -> std::optional<Type> {
    auto q = m_db.query("SELECT id FROM Type WHERE type_kind = ? AND name = ?", static_cast<int>(kind), name);
    if (!q.step()) return std::nullopt;
    Type t{q.int64(0), kind, name, {}};
    auto p = m_db.query("SELECT name, data_type FROM TypeProperty WHERE type_id = ?", t.id);
    while (p.step()) t.properties[p.text(0)] = static_cast<PropertyType>(p.int64(1));
    return t;
  });
}

Type Store::put_type(TypeKind kind, const std::string& name, const PropertySchema& properties) {
  auto covers = [&](const Type& t) {
    for (const auto& [prop, type] : properties) {
      auto it = t.properties.find(prop);
      if (it == t.properties.end()) return false;
      if (it->second != type)
        throw Error(std::string(to_string(kind)) + " type " + name + ": property '" + prop + "' is " +
                    to_string(it->second) + "; cannot redeclare it as " + to_string(type));
    }
    return true;
  };
  if (auto t = get_type(kind, name); t && covers(*t)) return *t; // the usual case: no write lock
  return write([&] {
    m_db.query("INSERT OR IGNORE INTO Type (name, type_kind) VALUES (?, ?)", name, static_cast<int>(kind)).run();
    Type t = *get_type(kind, name);
    covers(t);
    for (const auto& [prop, type] : properties) {
      if (t.properties.count(prop)) continue;
      m_db.query("INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)", t.id, prop,
                 static_cast<int>(type))
          .run();
      t.properties[prop] = type;
    }
    std::erase_if(m_types, [&](const Type& c) { return c.id == t.id; });
    return t;
  });
}

Type Store::type_named(TypeKind kind, const std::string& name) {
  for (const auto& t : m_types)
    if (t.kind == kind && t.name == name) return t;
  auto t = get_type(kind, name);
  if (!t) throw Error("no " + std::string(to_string(kind)) + " type named '" + name + "'");
  m_types.push_back(std::move(*t));
  return m_types.back();
}

Type Store::type_with_id(std::int64_t id) {
  for (const auto& t : m_types)
    if (t.id == id) return t;
  auto q = m_db.query("SELECT type_kind, name FROM Type WHERE id = ?", id);
  if (!q.step()) throw Error(path().string() + ": no type with id " + std::to_string(id));
  return type_named(static_cast<TypeKind>(q.int64(0)), q.text(1));
}

} // namespace kf::metadata
