#include "libkf/util/yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

namespace kf::yaml {

std::string Loc::str() const {
  std::string f = file ? *file : std::string("<input>");
  if (line <= 0) return f;
  return f + ":" + std::to_string(line) + ":" + std::to_string(col);
}

const Node* Node::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k.scalar == key) return &v;
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (auto& [k, v] : entries)
    if (k.scalar == key) return &v;
  return nullptr;
}

std::string Node::kind_name() const {
  switch (kind) {
  case Kind::Null: return "null";
  case Kind::Map: return "a mapping";
  case Kind::Sequence: return "a list";
  case Kind::Scalar: {
    if (quoted) return "a string";
    const Json v = resolve_scalar(scalar);
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_null()) return "null";
    return "a string";
  }
  }
  return "a value";
}

void merge(Node& base, const Node& overlay) {
  if (!base.is_map() || !overlay.is_map()) {
    base = overlay;
    return;
  }
  for (const auto& entry : overlay.entries) {
    const std::string& name = entry.key.scalar;
    Node* existing = base.find(name);
    if (entry.value.is_null()) {
      std::erase_if(base.entries, [&name](const Node::Entry& e) { return e.key.scalar == name; });
    } else if (existing) {
      merge(*existing, entry.value);
    } else {
      base.entries.push_back(entry);
    }
  }
}

Json resolve_scalar(std::string_view t) {
  static const std::regex k_int(R"([-+]?[0-9]+)");
  static const std::regex k_oct(R"(0o[0-7]+)");
  static const std::regex k_hex(R"(0x[0-9a-fA-F]+)");
  static const std::regex k_float(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  const std::string s(t);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  try {
    if (std::regex_match(s, k_int)) {
      if (s[0] == '-') return std::stoll(s);
      return std::stoull(s[0] == '+' ? s.substr(1) : s);
    }
    if (std::regex_match(s, k_oct)) return std::stoull(s.substr(2), nullptr, 8);
    if (std::regex_match(s, k_hex)) return std::stoull(s.substr(2), nullptr, 16);
    if (std::regex_match(s, k_float)) return std::stod(s);
  } catch (const std::out_of_range&) {
    return s; // too large for a number: keep the text
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") return std::numeric_limits<double>::infinity();
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  return s;
}

Json to_json(const Node& node) {
  switch (node.kind) {
  case Node::Kind::Null: return nullptr;
  case Node::Kind::Scalar: return node.quoted ? Json(node.scalar) : resolve_scalar(node.scalar);
  case Node::Kind::Sequence: {
    Json arr = Json::array();
    for (const auto& item : node.items) arr.push_back(to_json(item));
    return arr;
  }
  case Node::Kind::Map: {
    Json obj = Json::object();
    for (const auto& [k, v] : node.entries) obj[k.scalar] = to_json(v);
    return obj;
  }
  }
  return nullptr;
}

namespace {

// True when a YAML 1.1 reader as kubectl's (go-yaml v2: yes/no/on/off, but not
// y/n) or a YAML 1.2 reader would
// read the plain scalar as something other than this string.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  if (!resolve_scalar(s).is_string()) return true;
  static const std::regex k_yaml11(
      R"(yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|=|<<)");
  return std::regex_match(s, k_yaml11);
}

void emit_value(YAML::Emitter& out, const Json& v) {
  switch (v.type()) {
  case Json::value_t::null: out << YAML::Null; break;
  case Json::value_t::boolean: out << v.get<bool>(); break;
  case Json::value_t::number_integer: out << v.get<long long>(); break;
  case Json::value_t::number_unsigned: out << v.get<unsigned long long>(); break;
  case Json::value_t::number_float: {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      out << static_cast<long long>(d);
    } else {
      out << YAML::Precision(17) << d;
    }
    break;
  }
  case Json::value_t::string: {
    const auto& s = v.get_ref<const std::string&>();
    // Strings with line breaks or other control characters are double-quoted
    // too: escaped, they read back exactly.
    const bool control = std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (needs_quotes(s) || control) out << YAML::DoubleQuoted;
    out << s;
    break;
  }
  case Json::value_t::array:
    if (v.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      break;
    }
    out << YAML::BeginSeq;
    for (const auto& item : v) emit_value(out, item);
    out << YAML::EndSeq;
    break;
  case Json::value_t::object:
    if (v.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      break;
    }
    out << YAML::BeginMap;
    for (const auto& [k, item] : v.items()) {
      out << YAML::Key;
      if (needs_quotes(k)) out << YAML::DoubleQuoted;
      out << k << YAML::Value;
      emit_value(out, item);
    }
    out << YAML::EndMap;
    break;
  default: out << YAML::Null; break;
  }
}

} // namespace

std::string emit(const Json& doc) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  emit_value(out, doc);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

std::string emit_all(const std::vector<Json>& docs) {
  std::string out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (i) out += "---\n";
    out += emit(docs[i]);
  }
  return out;
}

} // namespace kf::yaml
