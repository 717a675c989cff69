#include "libkf/render/template.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::render {
namespace {

// References are scanned by hand: compiling the equivalent std::regex cost a
// sixth of a whole `kf render all`.

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-'; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// The value name at text[i] (identifiers joined by '.'); advances i past it, "" when none.
std::string_view value_name_at(std::string_view text, std::size_t& i) {
  const std::size_t start = i;
  if (i >= text.size() || !ident_start(text[i])) return {};
  for (;;) {
    ++i; // the identifier's first character
    while (i < text.size() && ident_char(text[i])) ++i;
    if (i + 1 < text.size() && text[i] == '.' && ident_start(text[i + 1])) {
      ++i; // the dot; the next identifier follows
      continue;
    }
    return text.substr(start, i - start);
  }
}

// A name only: [A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*
bool is_value_name(std::string_view text) {
  std::size_t i = 0;
  return !value_name_at(text, i).empty() && i == text.size();
}

struct Reference {
  std::size_t pos = 0, length = 0; // "(( name ))" in the text
  std::string name;
};

// The reference "((\s*name\s*))" starting at text[pos], if one does.
std::optional<Reference> reference_at(std::string_view text, std::size_t pos) {
  if (text.substr(pos, 2) != "((") return std::nullopt;
  std::size_t i = pos + 2;
  while (i < text.size() && space(text[i])) ++i;
  const std::string_view name = value_name_at(text, i);
  if (name.empty()) return std::nullopt;
  while (i < text.size() && space(text[i])) ++i;
  if (text.substr(i, 2) != "))") return std::nullopt;
  return Reference{pos, i + 2 - pos, std::string(name)};
}

// Every reference in `text`, left to right, as std::sregex_iterator would find them.
std::vector<Reference> references(std::string_view text) {
  std::vector<Reference> out;
  for (std::size_t pos = text.find("(("); pos != std::string_view::npos; pos = text.find("((", pos)) {
    if (auto r = reference_at(text, pos)) {
      pos += r->length;
      out.push_back(std::move(*r));
    } else {
      ++pos;
    }
  }
  return out;
}

// The whole text is one reference.
std::optional<std::string> whole_reference(std::string_view text) {
  auto r = reference_at(text, 0);
  if (!r || r->length != text.size()) return std::nullopt;
  return r->name;
}

// Values in scope: the document plus $each bindings (innermost last).
struct Scope {
  const Json& values;
  std::vector<std::pair<std::string, const Json*>> bindings;
};

std::vector<std::string> names_at(const Json& obj) {
  std::vector<std::string> names;
  if (obj.is_object())
    for (const auto& [k, _] : obj.items()) names.push_back(k);
  return names;
}

const Json& lookup(const Scope& scope, const std::string& path, const yaml::Loc& loc) {
  const auto parts = str::split(path, '.');
  const Json* cur = nullptr;
  for (auto it = scope.bindings.rbegin(); it != scope.bindings.rend(); ++it)
    if (it->first == parts[0]) {
      cur = it->second;
      break;
    }
  std::size_t i = 0;
  if (cur) {
    i = 1;
  } else {
    cur = &scope.values;
  }
  std::string walked;
  for (; i < parts.size(); ++i) {
    if (!cur->is_object() || !cur->contains(parts[i])) {
      std::vector<std::string> names = names_at(*cur);
      if (walked.empty())
        for (const auto& b : scope.bindings) names.push_back(b.first);
      for (auto& n : names) n = walked.empty() ? n : walked + "." + n;
      const std::string seen = walked.empty() ? parts[i] : walked + "." + parts[i];
      throw SpecError(loc.str() + ": unknown value " + str::quote(path) + str::did_you_mean(seen, names));
    }
    cur = &(*cur)[parts[i]];
    walked += (walked.empty() ? "" : ".") + parts[i];
  }
  return *cur;
}

bool truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return true;
}

// A value inserted whole loses its null members, as a reference to null
// drops its key: omitempty, as Kubernetes' own Go types marshal.
Json without_nulls(const Json& v) {
  if (v.is_object()) {
    Json out = Json::object();
    for (const auto& [k, item] : v.items())
      if (!item.is_null()) out[k] = without_nulls(item);
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& item : v)
      if (!item.is_null()) out.push_back(without_nulls(item));
    return out;
  }
  return v;
}

std::string to_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// Result of evaluating one node: a value, or "drop me".
std::optional<Json> eval(const yaml::Node& node, Scope& scope);

std::optional<Json> eval_scalar(const yaml::Node& node, Scope& scope) {
  if (node.quoted && node.scalar.find("((") == std::string::npos) return Json(node.scalar);
  const std::string& text = node.scalar;
  if (const auto name = whole_reference(text)) {
    const Json& v = lookup(scope, *name, node.loc);
    if (v.is_null()) return std::nullopt;
    return without_nulls(v);
  }
  if (text.find("((") == std::string::npos) return yaml::resolve_scalar(text);
  std::string out;
  std::size_t last = 0;
  for (const auto& r : references(text)) {
    out += text.substr(last, r.pos - last);
    out += to_text(lookup(scope, r.name, node.loc));
    last = r.pos + r.length;
  }
  out += text.substr(last);
  if (out.find("((") != std::string::npos)
    throw SpecError(node.loc.str() + ": malformed reference in " + str::quote(text) + " (expected (( name.path )))");
  return Json(out);
}

const yaml::Node* directive(const yaml::Node& node, std::string_view key) {
  return node.is_map() ? node.find(key) : nullptr;
}

void expect_only(const yaml::Node& node, const std::vector<std::string>& keys) {
  for (const auto& [k, _] : node.entries)
    if (std::find(keys.begin(), keys.end(), k.scalar) == keys.end())
      throw SpecError(k.loc.str() + ": unknown template directive key " + str::quote(k.scalar) +
                      str::did_you_mean(k.scalar, keys));
}

std::string reference_in(const yaml::Node& n, const char* what) {
  if (n.is_scalar())
    if (auto name = whole_reference(n.scalar)) return *name;
  // Bare names are accepted too: "$each: steps" as well as "$each: (( steps ))".
  if (n.is_scalar() && is_value_name(n.scalar)) return n.scalar;
  throw SpecError(n.loc.str() + ": " + what + " takes a value name, got " + n.kind_name());
}

std::optional<Json> eval_if(const yaml::Node& node, Scope& scope) {
  expect_only(node, {"$if", "$then", "$else"});
  const yaml::Node& cond = *node.find("$if");
  const Json& v = lookup(scope, reference_in(cond, "$if"), cond.loc);
  const yaml::Node* branch = truthy(v) ? node.find("$then") : node.find("$else");
  if (!branch) return std::nullopt;
  return eval(*branch, scope);
}

void eval_each(const yaml::Node& node, Scope& scope, Json& out) {
  expect_only(node, {"$each", "$as", "$item"});
  const yaml::Node& list = *node.find("$each");
  const yaml::Node* as = node.find("$as");
  const yaml::Node* item = node.find("$item");
  if (!as || !as->is_scalar()) throw SpecError(node.loc.str() + ": $each needs $as: NAME");
  if (!item) throw SpecError(node.loc.str() + ": $each needs $item: TEMPLATE");
  const Json& v = lookup(scope, reference_in(list, "$each"), list.loc);
  if (v.is_null()) return;
  if (!v.is_array())
    throw SpecError(list.loc.str() + ": $each needs a list, but " + str::quote(list.scalar) + " is " +
                    std::string(v.type_name()));
  for (const auto& element : v) {
    scope.bindings.emplace_back(as->scalar, &element);
    auto r = eval(*item, scope);
    scope.bindings.pop_back();
    if (r) out.push_back(std::move(*r));
  }
}

std::optional<Json> eval(const yaml::Node& node, Scope& scope) {
  switch (node.kind) {
  case yaml::Node::Kind::Null: return Json(nullptr);
  case yaml::Node::Kind::Scalar: return eval_scalar(node, scope);
  case yaml::Node::Kind::Sequence: {
    Json arr = Json::array();
    for (const auto& item : node.items) {
      if (directive(item, "$each")) {
        eval_each(item, scope, arr);
        continue;
      }
      if (auto r = eval(item, scope)) arr.push_back(std::move(*r));
    }
    return arr;
  }
  case yaml::Node::Kind::Map: {
    if (directive(node, "$if")) return eval_if(node, scope);
    if (directive(node, "$each"))
      throw SpecError(node.loc.str() + ": $each belongs in a list item (- $each: ...)");
    Json obj = Json::object();
    for (const auto& [k, v] : node.entries) {
      auto key = eval_scalar(k, scope);
      if (!key) continue;
      if (auto r = eval(v, scope)) obj[to_text(*key)] = std::move(*r);
    }
    return obj;
  }
  }
  return std::nullopt;
}

} // namespace

Template::Template(std::string_view text, std::string file) : m_file(std::move(file)), m_root(yaml::parse(text, m_file)) {}

Json Template::evaluate(const Json& values) const {
  Scope scope{values, {}};
  auto r = eval(m_root, scope);
  return r ? *r : Json(nullptr);
}

} // namespace kf::render
