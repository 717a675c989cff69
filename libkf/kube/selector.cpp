#include "libkf/kube/selector.h"

#include <algorithm>
#include <cctype>

#include "libkf/kube/client.h"
#include "libkf/util/strings.h"

namespace kf::kube {

namespace {

// Splits on commas outside parentheses.
std::vector<std::string> terms(std::string_view selector) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (const char c : selector) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(str::trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!str::trim(cur).empty() || !out.empty()) out.push_back(str::trim(cur));
  return out;
}

bool name_chars(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](unsigned char c) {
    return std::isalnum(c) || extra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

ApiError bad_label(const std::string& term) { return ApiError(400, "BadRequest", "unable to parse requirement: " + term); }

} // namespace

std::string Selector::field_at(const Json& obj, const std::string& path) {
  const Json* at = &obj;
  for (const auto& part : str::split(path, '.')) {
    if (!at->is_object() || !at->contains(part)) return "";
    at = &(*at)[part];
  }
  if (at->is_string()) return at->get<std::string>();
  if (at->is_null()) return "";
  return at->dump();
}

std::vector<std::string> Selector::field_paths() const {
  std::vector<std::string> out;
  for (const auto& r : m_fields) out.push_back(r.key);
  return out;
}

Selector Selector::parse(std::string_view labels, std::string_view fields) {
  Selector s;
  for (const auto& term : terms(labels)) {
    Requirement r;
    const auto in = term.find(" in ");
    const auto notin = term.find(" notin ");
    if (in != std::string::npos || notin != std::string::npos) {
      const auto at = notin != std::string::npos ? notin : in;
      r.key = str::trim(term.substr(0, at));
      r.op = notin != std::string::npos ? Op::NotIn : Op::In;
      const std::string rest = str::trim(term.substr(at + (notin != std::string::npos ? 7 : 4)));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') throw bad_label(term);
      for (const auto& v : str::split(rest.substr(1, rest.size() - 2), ',')) r.values.push_back(str::trim(v));
    } else if (const auto ne = term.find("!="); ne != std::string::npos) {
      r = {str::trim(term.substr(0, ne)), Op::NotEquals, {str::trim(term.substr(ne + 2))}};
    } else if (const auto eq = term.find('='); eq != std::string::npos) {
      const std::size_t skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
      r = {str::trim(term.substr(0, eq)), Op::Equals, {str::trim(term.substr(eq + skip))}};
    } else if (!term.empty() && term.front() == '!') {
      r = {str::trim(term.substr(1)), Op::NotExists, {}};
    } else {
      r = {term, Op::Exists, {}};
    }
    bool ok = !r.key.empty() && name_chars(r.key, "-_./");
    for (const auto& v : r.values) ok = ok && name_chars(v, "-_.");
    if (!ok) throw bad_label(term);
    s.m_labels.push_back(std::move(r));
  }
  for (const auto& term : terms(fields)) {
    const auto ne = term.find("!=");
    const auto eq = term.find('=');
    if (eq == std::string::npos && ne == std::string::npos)
      throw ApiError(400, "BadRequest", "invalid field selector: " + term);
    Requirement r;
    r.op = ne != std::string::npos ? Op::NotEquals : Op::Equals;
    r.key = str::trim(term.substr(0, ne != std::string::npos ? ne : eq));
    const std::size_t value_at = ne != std::string::npos ? ne + 2 : term.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1;
    r.values = {str::trim(term.substr(value_at))};
    if (r.key.empty() || !name_chars(r.key, "-_.")) throw ApiError(400, "BadRequest", "invalid field selector: " + term);
    s.m_fields.push_back(std::move(r));
  }
  return s;
}

bool Selector::holds(const Requirement& r, const std::string* value) {
  switch (r.op) {
  case Op::Exists: return value != nullptr;
  case Op::NotExists: return value == nullptr;
  case Op::Equals: return value && *value == r.values[0];
  case Op::NotEquals: return !value || *value != r.values[0];
  case Op::In: return value && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
  case Op::NotIn: return !value || std::find(r.values.begin(), r.values.end(), *value) == r.values.end();
  }
  return false;
}

bool Selector::matches(const Json& obj, const FieldReader& read) const {
  const Json none = Json::object();
  const Json& md = obj.contains("metadata") && obj["metadata"].is_object() ? obj["metadata"] : none;
  const Json& labels = md.contains("labels") && md["labels"].is_object() ? md["labels"] : none;
  for (const auto& r : m_labels) {
    const auto it = labels.find(r.key);
    const std::string value = it != labels.end() && it->is_string() ? it->get<std::string>() : "";
    if (!holds(r, it != labels.end() && it->is_string() ? &value : nullptr)) return false;
  }
  for (const auto& r : m_fields) {
    const std::string value = read(obj, r.key);
    if (!holds(r, &value)) return false;
  }
  return true;
}

} // namespace kf::kube
