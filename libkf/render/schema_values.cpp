// Small helpers on JSON values and schema keywords, shared by the validator.

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <re2/re2.h>

#include "libkf/render/schema_internal.h"
#include "libkf/util/strings.h"

namespace kf::render {

std::string Violation::str() const {
  if (path.empty()) return object + ": " + rule;
  return object + ": " + path + ": " + rule;
}

namespace detail {

bool flag(const Json& s, const char* key) {
  const auto it = s.find(key);
  return it != s.end() && it->is_boolean() && it->get<bool>();
}

const Json* member(const Json& s, const char* key) {
  const auto it = s.find(key);
  return it == s.end() ? nullptr : &*it;
}

// A non-negative integer keyword (minLength, maxItems, ...), if present.
std::optional<std::size_t> count_of(const Json& s, const char* key) {
  const Json* m = member(s, key);
  if (!m || !m->is_number_integer() || m->get<long long>() < 0) return std::nullopt;
  return m->get<std::size_t>();
}

bool is_integer(const Json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && d == std::floor(d);
}

std::string type_name(const Json& v) {
  switch (v.type()) {
  case Json::value_t::null: return "null";
  case Json::value_t::boolean: return "boolean";
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned: return "integer";
  case Json::value_t::number_float: return "number";
  case Json::value_t::string: return "string";
  case Json::value_t::array: return "array";
  case Json::value_t::object: return "object";
  default: return "value";
  }
}

bool matches_type(const Json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return is_integer(v);
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return true; // a type this validator does not know: accept
}

// "object" for a schema that has properties but no type (Katib's swagger).
std::string effective_type(const Json& s) {
  if (const Json* t = member(s, "type"); t && t->is_string()) return t->get<std::string>();
  if (s.contains("properties") || s.contains("additionalProperties")) return "object";
  return "";
}

// A value as the apiserver shows it after "Invalid value:".
std::string show(const Json& v) {
  if (v.is_object() || v.is_array()) return str::quote(type_name(v));
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::string child(const std::string& path, const std::string& key) {
  const bool plain = !key.empty() && key.find_first_of("./[] ") == std::string::npos;
  if (!plain) return path + "[" + key + "]";
  return path.empty() ? key : path + "." + key;
}

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

namespace {

// Compiled patterns, shared by every SchemaSet; nullptr for a pattern that
// does not compile. The API server checks a CRD's pattern with Go's regexp:
// RE2 has its syntax, and matches a long value in linear time (std::regex's
// recursive matcher overflowed the stack on a 100 KB one).
const re2::RE2* compiled(const std::string& pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<re2::RE2>> cache;
  const std::lock_guard lock(mutex);
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
    if (!re->ok()) re.reset();
    it = cache.emplace(pattern, std::move(re)).first;
  }
  return it->second.get();
}

} // namespace

std::optional<bool> pattern_matches(const std::string& pattern, const std::string& value) {
  const re2::RE2* re = compiled(pattern);
  if (!re) return std::nullopt;
  return re2::RE2::PartialMatch(value, *re);
}

} // namespace detail
} // namespace kf::render
