#include "libkf/spec/fields.h"

#include <algorithm>
#include <cmath>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::spec {

void Diagnostics::error(const yaml::Loc& loc, const std::string& path, const std::string& message) {
  std::string line = loc.str() + ": ";
  if (!path.empty()) line += path + ": ";
  m_entries.push_back(Entry{loc, line + message});
}

void Diagnostics::throw_if_any() const {
  if (m_entries.empty()) return;
  std::vector<std::string> files; // in order of first appearance
  auto file_rank = [&](const yaml::Loc& loc) {
    const std::string f = loc.file ? *loc.file : "";
    auto it = std::find(files.begin(), files.end(), f);
    if (it != files.end()) return static_cast<std::size_t>(it - files.begin());
    files.push_back(f);
    return files.size() - 1;
  };
  for (const auto& e : m_entries) file_rank(e.loc);
  std::vector<Entry> sorted = m_entries;
  std::stable_sort(sorted.begin(), sorted.end(), [&](const Entry& a, const Entry& b) {
    const auto fa = file_rank(a.loc), fb = file_rank(b.loc);
    if (fa != fb) return fa < fb;
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    return a.loc.col < b.loc.col;
  });
  std::vector<std::string> messages;
  for (const auto& e : sorted)
    if (messages.empty() || messages.back() != e.message) messages.push_back(e.message);
  throw SpecError(messages);
}

std::string describe(const yaml::Node& node) {
  if (!node.is_scalar()) return node.kind_name();
  const Json v = yaml::resolve_scalar(node.scalar);
  if (node.quoted && !v.is_string()) return "the string " + str::quote(node.scalar); // workers: "2"
  if (!node.quoted && (v.is_number() || v.is_boolean())) return node.scalar;          // workers: 1.5
  return str::quote(node.scalar);
}

std::optional<std::string> as_string(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  if (node.is_scalar()) return node.scalar;
  diag.error(node.loc, path, "expected a string, got " + describe(node));
  return std::nullopt;
}

std::optional<long long> as_integer(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  if (node.is_scalar() && !node.quoted) {
    const Json v = yaml::resolve_scalar(node.scalar);
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() && std::fabs(v.get<double>()) < 1e15)
      return static_cast<long long>(v.get<double>());
  }
  diag.error(node.loc, path, "expected an integer, got " + describe(node));
  return std::nullopt;
}

std::optional<double> as_number(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  if (node.is_scalar() && !node.quoted) {
    const Json v = yaml::resolve_scalar(node.scalar);
    if (v.is_number()) return v.get<double>();
  }
  diag.error(node.loc, path, "expected a number, got " + describe(node));
  return std::nullopt;
}

Fields::Fields(Diagnostics& diag, const yaml::Node* node, std::string path)
    : m_diag(diag), m_node(node), m_path(std::move(path)) {
  if (m_node && m_node->is_null()) m_node = nullptr;
  if (m_node && !m_node->is_map()) {
    m_diag.error(m_node->loc, m_path, "expected a mapping, got " + describe(*m_node));
    m_node = nullptr;
  }
}

Fields::~Fields() {
  if (!m_node) return;
  for (const auto& [key, value] : m_node->entries) {
    bool known = false;
    for (const auto& k : m_known) known = known || k == key.scalar;
    if (!known) m_diag.error(key.loc, path(key.scalar), "unknown field" + str::did_you_mean(key.scalar, m_known));
  }
}

const yaml::Loc& Fields::loc() const {
  static const yaml::Loc k_none;
  return m_node ? m_node->loc : k_none;
}

std::string Fields::path(const std::string& key) const { return m_path.empty() ? key : m_path + "." + key; }

const yaml::Node* Fields::child(const std::string& key) {
  m_known.push_back(key);
  if (!m_node) return nullptr;
  const yaml::Node* n = m_node->find(key);
  return (n && !n->is_null()) ? n : nullptr;
}

namespace {

// Whether `value` is one of `allowed` (anything is, when it is empty); else reports it with a suggestion.
bool is_allowed(Diagnostics& diag, const yaml::Loc& loc, const std::string& path, const std::string& value,
                const std::vector<std::string>& allowed) {
  if (allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return true;
  std::vector<std::string> quoted;
  for (const auto& a : allowed) quoted.push_back(str::quote(a));
  diag.error(loc, path,
             "unsupported value " + str::quote(value) + str::did_you_mean(value, allowed) + ": supported values: " +
                 str::join(quoted, ", "));
  return false;
}

} // namespace

std::string Fields::string(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) {
  const yaml::Node* n = child(key);
  if (!n) return def;
  auto s = as_string(m_diag, *n, path(key));
  if (!s) return def;
  if (!is_allowed(m_diag, n->loc, path(key), *s, allowed)) return def;
  return *s;
}

std::string Fields::required_string(const std::string& key) {
  const yaml::Node* n = child(key);
  if (!n) {
    m_diag.error(loc(), path(key), "required field is missing");
    return "";
  }
  auto s = as_string(m_diag, *n, path(key));
  if (s && s->empty()) m_diag.error(n->loc, path(key), "must not be empty");
  return s.value_or("");
}

std::string Fields::required_string(const std::string& key, yaml::Loc& where) {
  std::string value = required_string(key);
  if (const yaml::Node* n = child(key)) where = n->loc;
  return value;
}

int Fields::integer(const std::string& key, int def, int min, int max) {
  const yaml::Node* n = child(key);
  if (!n) return def;
  auto v = as_integer(m_diag, *n, path(key));
  if (!v) return def;
  if (*v < min || *v > max) {
    m_diag.error(n->loc, path(key),
                 "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(*v));
    return def;
  }
  return static_cast<int>(*v);
}

std::optional<double> Fields::number(const std::string& key) {
  const yaml::Node* n = child(key);
  if (!n) return std::nullopt;
  return as_number(m_diag, *n, path(key));
}

bool Fields::boolean(const std::string& key, bool def) {
  const yaml::Node* n = child(key);
  if (!n) return def;
  if (n->is_scalar() && !n->quoted) {
    const Json v = yaml::resolve_scalar(n->scalar);
    if (v.is_boolean()) return v.get<bool>();
  }
  m_diag.error(n->loc, path(key), "expected true or false, got " + describe(*n));
  return def;
}

std::vector<std::string> Fields::strings(const std::string& key, const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  const yaml::Node* n = child(key);
  if (!n) return out;
  if (!n->is_seq()) {
    m_diag.error(n->loc, path(key), "expected a list of strings, got " + describe(*n));
    return out;
  }
  for (std::size_t i = 0; i < n->items.size(); ++i) {
    const std::string item = path(key) + "[" + std::to_string(i) + "]";
    if (auto s = as_string(m_diag, n->items[i], item); s && is_allowed(m_diag, n->items[i].loc, item, *s, allowed))
      out.push_back(*s);
  }
  return out;
}

std::vector<int> Fields::integers(const std::string& key, int min, int max) {
  std::vector<int> out;
  const yaml::Node* n = child(key);
  if (!n) return out;
  if (!n->is_seq()) {
    m_diag.error(n->loc, path(key), "expected a list of integers, got " + describe(*n));
    return out;
  }
  for (std::size_t i = 0; i < n->items.size(); ++i) {
    const std::string p = path(key) + "[" + std::to_string(i) + "]";
    auto v = as_integer(m_diag, n->items[i], p);
    if (!v) continue;
    if (*v < min || *v > max) {
      m_diag.error(n->items[i].loc, p,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(*v));
      continue;
    }
    out.push_back(static_cast<int>(*v));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Fields::string_map(const std::string& key) {
  std::vector<std::pair<std::string, std::string>> out;
  const yaml::Node* n = child(key);
  if (!n) return out;
  if (!n->is_map()) {
    m_diag.error(n->loc, path(key), "expected a mapping, got " + describe(*n));
    return out;
  }
  for (const auto& [k, v] : n->entries) {
    if (v.is_null()) {
      out.emplace_back(k.scalar, "");
      continue;
    }
    if (auto s = as_string(m_diag, v, path(key) + "." + k.scalar)) out.emplace_back(k.scalar, *s);
  }
  return out;
}

} // namespace kf::spec
