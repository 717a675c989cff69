#pragma once
// Reading typed values out of a located YAML mapping, collecting every
// problem as "file:line:col: field.path: message" instead of stopping at the
// first. One Fields object reads one mapping; when it goes out of scope it
// reports the keys nobody asked for as unknown, with a did-you-mean.
//
//   Fields f(diag, node, "spec.training");
//   t.workers = f.integer("workers", 2, 1, 1024);
//
// Not thread-safe; lives for one decode.

#include <optional>
#include <string>
#include <vector>

#include "libkf/util/yaml.h"

namespace kf::spec {

class Diagnostics {
public:
  void error(const yaml::Loc& loc, const std::string& path, const std::string& message);
  bool empty() const { return m_entries.empty(); }
  std::size_t size() const { return m_entries.size(); }
  // Throws SpecError with every message, in the order of the inputs
  // (kf.yaml, values files, --set) and of lines within each.
  void throw_if_any() const;

private:
  struct Entry {
    yaml::Loc loc;
    std::string message;
  };
  std::vector<Entry> m_entries;
};

// `got "two"` for a scalar, `got a mapping` for anything else.
std::string describe(const yaml::Node& node);

class Fields {
public:
  // `node` may be null (the mapping is absent): every getter returns its default.
  Fields(Diagnostics& diag, const yaml::Node* node, std::string path);
  ~Fields();
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  bool present() const { return m_node != nullptr && m_node->is_map(); }
  const yaml::Loc& loc() const;
  std::string path(const std::string& key) const;

  // The raw child (marks the key as known); nullptr when absent or null.
  const yaml::Node* child(const std::string& key);
  // The mapping under `key` (maybe absent), read into the same diagnostics.
  Fields section(const std::string& key) { return Fields(m_diag, child(key), path(key)); }

  std::string string(const std::string& key, const std::string& def, const std::vector<std::string>& allowed = {});
  // Required: an error when absent. The overload also returns where the value is.
  std::string required_string(const std::string& key);
  std::string required_string(const std::string& key, yaml::Loc& where);
  int integer(const std::string& key, int def, int min, int max);
  std::optional<double> number(const std::string& key);
  bool boolean(const std::string& key, bool def);
  // A list of strings, each one of `allowed` when that is not empty.
  std::vector<std::string> strings(const std::string& key, const std::vector<std::string>& allowed = {});
  std::vector<int> integers(const std::string& key, int min, int max);
  // A mapping of scalars, kept as text, in file order.
  std::vector<std::pair<std::string, std::string>> string_map(const std::string& key);

  Diagnostics& diag() { return m_diag; }

private:
  Diagnostics& m_diag;
  const yaml::Node* m_node;
  std::string m_path;
  std::vector<std::string> m_known;
};

// Typed scalar conversions shared by Fields and list decoders; each reports
// through `diag` and returns nullopt on a wrong type.
std::optional<std::string> as_string(Diagnostics& diag, const yaml::Node& node, const std::string& path);
std::optional<long long> as_integer(Diagnostics& diag, const yaml::Node& node, const std::string& path);
std::optional<double> as_number(Diagnostics& diag, const yaml::Node& node, const std::string& path);

} // namespace kf::spec
