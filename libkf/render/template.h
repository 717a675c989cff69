#pragma once
// Manifest templates evaluated on the YAML tree, never by pasting text, so
// the output is always valid YAML, values keep their types, and no value can
// inject structure (a string holding "a: b\n- c" stays one string).
//
// A template is one YAML document. Against a JSON `values` document:
//   key: (( a.b ))            the value at a.b with its type (a mapping or list
//                             is inserted whole); null drops the key or list item
//   name: (( a.b ))-train     text around a reference makes a string
//   key: {$if: a.b, $then: T, $else: E}
//                             T when a.b is truthy (not null/false/0/""/empty),
//                             else E; without $else the key is dropped
//   - {$each: a.list, $as: x, $item: T}
//                             in a list: T once per element, with (( x... ))
//                             bound to the element
// Referring to a name the values do not have is an error, with a did-you-mean,
// at the template's file:line:col. "((" has no other meaning in Kubernetes
// manifests, so Argo's {{…}}, Katib's ${…} and $(VAR) pass through untouched.

#include <string>
#include <string_view>

#include "libkf/util/json.h"
#include "libkf/util/yaml.h"

namespace kf::render {

class Template {
public:
  // Parses the template; a YAML error throws SpecError naming `file`.
  Template(std::string_view text, std::string file);
  // A template already parsed (a built-in one: kf-templatepack parsed it when kf was built).
  Template(yaml::Node root, std::string file) : m_file(std::move(file)), m_root(std::move(root)) {}
  const std::string& file() const { return m_file; }
  // Throws SpecError "file:line:col: message" on a bad reference or directive.
  Json evaluate(const Json& values) const;

private:
  std::string m_file;
  yaml::Node m_root;
};

} // namespace kf::render
