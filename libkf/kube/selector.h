#pragma once
// Label and field selectors, read as the API server reads them, for the
// FakeClient's list and watch. Labels: `k=v`, `k==v`, `k!=v`,
// `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas. Fields:
// `path=v`, `path==v`, `path!=v` on any dotted path to a scalar
// (metadata.name, metadata.namespace, status.phase, ...; a missing field
// reads as ""). Real servers accept only a few field paths per kind; this
// accepts all. Parsed once; matching is const and thread-safe.
// (kube-sim keeps its own copy in tests/kube-sim/select.cpp.)

#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/json.h"

namespace kf::kube {

class Selector {
public:
  // Throws ApiError 400 BadRequest: "unable to parse requirement: TERM" or
  // "invalid field selector: TERM".
  static Selector parse(std::string_view label_selector, std::string_view field_selector);
  bool matches(const Json& obj) const;

private:
  enum class Op { Equals, NotEquals, In, NotIn, Exists, NotExists };
  struct Requirement {
    std::string key;
    Op op = Op::Equals;
    std::vector<std::string> values;
  };
  static bool holds(const Requirement& r, const std::string* value);
  std::vector<Requirement> m_labels, m_fields;
};

} // namespace kf::kube
