#include "libkf/metadata/properties.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "libkf/util/error.h"

namespace kf::metadata {

const char* to_string(TypeKind kind) {
  switch (kind) {
  case TypeKind::Artifact: return "artifact";
  case TypeKind::Execution: return "execution";
  case TypeKind::Context: return "context";
  }
  return "unknown";
}

const char* to_string(PropertyType type) {
  switch (type) {
  case PropertyType::Int: return "INT";
  case PropertyType::Double: return "DOUBLE";
  case PropertyType::String: return "STRING";
  }
  return "UNKNOWN";
}

namespace detail {
namespace {

PropertyType type_of(const Value& v) {
  if (std::holds_alternative<std::int64_t>(v)) return PropertyType::Int;
  if (std::holds_alternative<double>(v)) return PropertyType::Double;
  return PropertyType::String;
}

void insert_all(sql::Db& db, const NodeTable& t, std::int64_t id, const Properties& properties, bool custom) {
  std::string sql = std::string("INSERT INTO ") + t.properties + " (" + t.id_column +
                    ", name, is_custom_property, int_value, double_value, string_value) VALUES (?, ?, ?, ?, ?, ?)";
  for (const auto& [name, value] : properties) {
    auto q = db.query(sql, id, name, custom);
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      q.bind(4, *i).bind(5, nullptr).bind(6, nullptr);
    } else if (const auto* d = std::get_if<double>(&value)) {
      q.bind(4, nullptr).bind(6, nullptr);
      if (std::isnan(*d)) q.bind(5, nullptr); // SQLite has no NaN; NULL reads back as NaN
      else q.bind(5, *d);
    } else {
      q.bind(4, nullptr).bind(5, nullptr).bind(6, std::get<std::string>(value));
    }
    q.run();
  }
}

} // namespace

void check_properties(const Type& type, const Properties& properties) {
  for (const auto& [name, value] : properties) {
    auto it = type.properties.find(name);
    if (it == type.properties.end())
      throw Error(std::string(to_string(type.kind)) + " type " + type.name + " has no property '" + name +
                  "' (declare it in the type or make it a custom property)");
    if (it->second != type_of(value))
      throw Error("property '" + name + "' of " + to_string(type.kind) + " type " + type.name + " is " +
                  to_string(it->second) + ", got " + to_string(type_of(value)));
  }
}

void write_properties(sql::Db& db, const NodeTable& t, std::int64_t id, const Properties& properties,
                      const Properties& custom) {
  db.query(std::string("DELETE FROM ") + t.properties + " WHERE " + t.id_column + " = ?", id).run();
  insert_all(db, t, id, properties, false);
  insert_all(db, t, id, custom, true);
}

void read_properties(sql::Db& db, const NodeTable& t, std::int64_t id, Properties& properties, Properties& custom) {
  auto q = db.query(std::string("SELECT name, is_custom_property, int_value, double_value, string_value FROM ") +
                        t.properties + " WHERE " + t.id_column + " = ?",
                    id);
  while (q.step()) {
    Value v;
    if (!q.is_null(2)) v = q.int64(2);
    else if (!q.is_null(4)) v = q.text(4);
    else v = q.is_null(3) ? std::numeric_limits<double>::quiet_NaN() : q.real(3);
    (q.int64(1) ? custom : properties)[q.text(0)] = std::move(v);
  }
}

} // namespace detail
} // namespace kf::metadata
