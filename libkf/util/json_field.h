#pragma once
// Reading fields of objects whose shape is not guaranteed (a server's
// answer, an operator's status): absent or mistyped fields read as null or
// "", never an exception and never an insertion.

#include <string>

#include "libkf/util/json.h"

namespace kf {

// j[key] when j is an object that has it, else null.
inline const Json& json_field(const Json& j, const char* key) {
  static const Json null;
  return j.is_object() && j.contains(key) ? j[key] : null;
}

// The string at j[key]; "" when it is absent or not a string.
inline std::string json_text(const Json& j, const char* key) {
  const Json& v = json_field(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

} // namespace kf
