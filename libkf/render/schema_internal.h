#pragma once
// Internals shared by the schema*.cpp files; not part of libkf's interface.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/render/schema.h"

namespace kf::render::detail {

// One root schema to validate an object against. `doc` owns the tree that
// `schema` (and `definitions`) point into.
struct RootSchema {
  std::shared_ptr<const Json> doc;
  const Json* schema = nullptr;
  // CRD schemas are structural: a field outside `properties` is unknown.
  // Swagger objects without properties or additionalProperties are free-form.
  bool structural = true;
  const Json* definitions = nullptr; // swagger "definitions", for "#/definitions/NAME" refs
};

// Appends the violations of `obj` (a whole Kubernetes object) to `out`.
void validate_root(const RootSchema& root, const Json& obj, const std::string& object, std::vector<Violation>& out);

// True when the schema accepts any object: preserve-unknown-fields at the
// root and no properties beyond apiVersion/kind/metadata.
bool is_schemaless(const Json& schema);

// Helpers on JSON values and schema keywords (schema_values.cpp).
bool flag(const Json& s, const char* key);          // key is present and true
const Json* member(const Json& s, const char* key); // nullptr when absent
std::optional<std::size_t> count_of(const Json& s, const char* key); // a non-negative integer keyword
bool is_integer(const Json& v);                     // integers and whole doubles (2.0)
std::string type_name(const Json& v);               // "string", "integer", "number", "object", ...
bool matches_type(const Json& v, const std::string& type);
std::string effective_type(const Json& s);          // "type", or "object" when it has properties
std::string show(const Json& v);                    // a value as shown after "Invalid value: "
std::string child(const std::string& path, const std::string& key); // a.b, or a[b.c/d] for odd keys
std::size_t utf8_length(const std::string& s);
// Whether `value` contains a match of the schema's `pattern` (compiled once
// and cached, as RE2: Go's regexp syntax); nullopt when it does not compile.
std::optional<bool> pattern_matches(const std::string& pattern, const std::string& value);

// What a cheap line scan of a CRD file found, before any YAML parsing.
struct ScannedVersion {
  std::string name;
  bool served = true;
};
struct ScannedCrd {
  std::string group;
  std::string kind;
  std::vector<ScannedVersion> versions;
};
struct ScanResult {
  std::vector<ScannedCrd> crds;
  // False when the text mentions CustomResourceDefinition but the scan could
  // not read it (flow style, odd layout): the file must be parsed for real.
  bool complete = true;
};

// Reads spec.group, spec.names.kind and spec.versions[].name/served of every
// CustomResourceDefinition document in block-style YAML text (the layout
// controller-gen and kubectl write), tracking keys by indentation.
ScanResult scan_crds(std::string_view text);

} // namespace kf::render::detail
