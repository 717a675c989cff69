#pragma once
// Label and field selectors, read as the API server reads them, for the
// FakeClient's list and watch. Labels: `k=v`, `k==v`, `k!=v`,
// `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas. Fields:
// `path=v`, `path==v`, `path!=v` on any dotted path to a scalar
// (metadata.name, metadata.namespace, status.phase, ...; a missing field
// reads as ""). Real servers accept only a few field paths per kind; this
// accepts all (kube-sim checks field_paths() against its list and reads
// Events' `source` alias with its own FieldReader). Parsed once; matching
// is const and thread-safe.

#include <functional>
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

  // What a field selector compares for a path: the scalar at the dotted
  // path, "" when missing (field_at), or a server's own mapping.
  using FieldReader = std::function<std::string(const Json& obj, const std::string& path)>;
  static std::string field_at(const Json& obj, const std::string& path);

  bool matches(const Json& obj) const { return matches(obj, field_at); }
  bool matches(const Json& obj, const FieldReader& read) const;
  // The paths the field selector names, in order.
  std::vector<std::string> field_paths() const;

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
