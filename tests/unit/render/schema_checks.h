#pragma once
// Helpers shared by the SchemaSet tests (test_schema.cpp: the rules on small
// inline schemas; test_schema_upstream.cpp: the real upstream CRDs and the
// built-in ones).

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "libkf/render/schema.h"
#include "libkf/util/yaml.h"

// Prints a list of violations when a CHECK on one fails.
template <> struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& lines) {
    std::string out = "{";
    for (const auto& line : lines) out += "\n  " + line;
    return (out + "\n}").c_str();
  }
};

namespace kf::render::test {

using Lines = std::vector<std::string>;

inline Json y(const char* text) { return yaml::to_json(yaml::parse(text, "test.yaml")); }

// Every violation as str(), for compact CHECKs.
inline Lines check(const SchemaSet& set, const Json& obj) {
  Lines out;
  for (const Violation& v : set.validate(obj)) out.push_back(v.str());
  return out;
}

} // namespace kf::render::test
