// Emitting JSON data as block-style YAML, laid out as kubectl prints objects
// (two-space indent, list items at their key's indent). Strings are plain
// when that is unambiguous and double-quoted with JSON escapes otherwise —
// a JSON string is a valid YAML double-quoted scalar.
#include <cmath>
#include <cstdio>

#include "libkf/util/yaml.h"
#include "libkf/util/yaml_scalar.h"

namespace kf::yaml {
namespace {

// JSON escapes, plus \uXXXX for what JSON leaves raw but a YAML reader
// would fold as a line break or drop as a byte-order mark.
std::string quoted(const std::string& s) {
  const std::string json = Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size();) {
    const std::size_t len = yaml_break_or_c1(json, i);
    if (len == 0) {
      out += json[i++];
      continue;
    }
    unsigned cp = static_cast<unsigned char>(json[i]) & (len == 2 ? 0x1F : 0x0F);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(json[i + k]) & 0x3F);
    char esc[8];
    std::snprintf(esc, sizeof(esc), "\\u%04X", cp);
    out += esc;
    i += len;
  }
  return out;
}

std::string scalar_text(const Json& v) {
  switch (v.type()) {
  case Json::value_t::null: return "null";
  case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned: return v.dump();
  case Json::value_t::number_float: {
    const double d = v.get<double>();
    if (std::isnan(d)) return ".nan";
    if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    return v.dump();
  }
  case Json::value_t::string: {
    const auto& s = v.get_ref<const std::string&>();
    return safe_plain(s) ? s : quoted(s);
  }
  case Json::value_t::array: return "[]";
  case Json::value_t::object: return "{}";
  default: return "null";
  }
}

bool nested(const Json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void emit_value(std::string& out, const Json& v, std::size_t indent);

void emit_map(std::string& out, const Json& obj, std::size_t indent) {
  for (const auto& [key, value] : obj.items()) {
    out.append(indent, ' ');
    out += safe_plain(key) ? key : quoted(key);
    out += ':';
    if (value.is_object() && !value.empty()) {
      out += '\n';
      emit_map(out, value, indent + 2);
    } else if (value.is_array() && !value.empty()) {
      out += '\n';
      emit_value(out, value, indent); // list items at the key's indent, as kubectl writes them
    } else {
      out += ' ';
      out += scalar_text(value);
      out += '\n';
    }
  }
}

// A nested item of a list: rendered at indent + 2, then its first line's
// indent is replaced by "- ".
void emit_item(std::string& out, const Json& item, std::size_t indent) {
  if (!nested(item)) {
    out.append(indent, ' ');
    out += "- " + scalar_text(item) + '\n';
    return;
  }
  const std::size_t start = out.size();
  emit_value(out, item, indent + 2);
  out.replace(start, indent + 2, std::string(indent, ' ') + "- ");
}

void emit_value(std::string& out, const Json& v, std::size_t indent) {
  if (v.is_object() && !v.empty()) {
    emit_map(out, v, indent);
  } else if (v.is_array() && !v.empty()) {
    for (const auto& item : v) emit_item(out, item, indent);
  } else {
    out.append(indent, ' ');
    out += scalar_text(v) + '\n';
  }
}

} // namespace

std::string emit(const Json& doc) {
  std::string out;
  emit_value(out, doc, 0);
  return out;
}

std::string emit_all(const std::vector<Json>& docs) {
  std::string out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (i) out += "---\n";
    emit_value(out, docs[i], 0);
  }
  return out;
}

} // namespace kf::yaml
