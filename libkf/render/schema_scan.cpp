// A line scanner that indexes CRD files without parsing them: a 2.8 MB CRD
// takes yaml-cpp about half a second in a release build, and most runs need
// one or two of the dozen CRDs in a directory. The scan only has to find the
// group, kind and versions; the full parse on first use is authoritative.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/render/schema_internal.h"

namespace kf::render::detail {
namespace {

struct Frame {
  int indent = 0;
  std::string key; // "[]" for a list item
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A scalar value as written after "key:": comment dropped, quotes removed.
std::string scalar_value(std::string_view v) {
  if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
    const auto end = v.find(v.front(), 1);
    return std::string(v.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
  }
  if (const auto hash = v.find(" #"); hash != std::string_view::npos) v = v.substr(0, hash);
  return std::string(trim(v));
}

class Scanner {
public:
  ScanResult run(std::string_view text) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      line(text.substr(pos, end - pos));
      pos = end + 1;
    }
    finish_document();
    return std::move(m_result);
  }

private:
  void line(std::string_view raw) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    int indent = 0;
    while (static_cast<std::size_t>(indent) < raw.size() && raw[static_cast<std::size_t>(indent)] == ' ') ++indent;
    std::string_view rest = raw.substr(static_cast<std::size_t>(indent));
    if (m_block_indent >= 0) { // inside a literal/folded block scalar
      if (trim(rest).empty() || indent > m_block_indent) return;
      m_block_indent = -1;
    }
    if (indent == 0 && (rest.starts_with("---") || rest.starts_with("..."))) {
      finish_document();
      return;
    }
    if (trim(rest).empty() || rest.front() == '#') return;
    int dash_indent = -1;
    while (rest == "-" || rest.starts_with("- ")) { // a list item, maybe "- key: value"
      dash_indent = indent;
      // Close deeper nodes and the previous item of this list (its key may share the indent).
      while (!m_stack.empty() && (m_stack.back().indent > indent ||
                                  (m_stack.back().indent == indent && m_stack.back().key == "[]")))
        m_stack.pop_back();
      m_stack.push_back({indent, "[]"});
      if (path_is({"spec", "versions", "[]"})) m_versions.emplace_back();
      std::size_t skip = 1;
      while (skip < rest.size() && rest[skip] == ' ') ++skip;
      indent += static_cast<int>(skip);
      rest = rest.substr(skip);
      if (rest.empty()) return;
    }
    if (dash_indent >= 0 && (rest.front() == '|' || rest.front() == '>')) {
      m_block_indent = dash_indent; // "- |": a block scalar as a list item
      return;
    }
    key_line(indent, rest);
  }

  void key_line(int indent, std::string_view rest) {
    std::string key;
    std::string_view value;
    if (rest.front() == '"' || rest.front() == '\'') {
      const auto close = rest.find(rest.front(), 1);
      if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') return;
      key = std::string(rest.substr(1, close - 1));
      value = rest.substr(close + 2);
    } else {
      auto colon = rest.find(": ");
      if (colon == std::string_view::npos) {
        if (rest.back() != ':') return; // a scalar continuation line or flow style
        colon = rest.size() - 1;
      }
      key = std::string(rest.substr(0, colon));
      value = rest.substr(colon + 1);
    }
    value = trim(value);
    while (!m_stack.empty() && m_stack.back().indent >= indent) m_stack.pop_back();
    if (!value.empty() && (value.front() == '|' || value.front() == '>')) {
      m_block_indent = indent;
      return;
    }
    if (value.empty() || value.front() == '#') {
      m_stack.push_back({indent, key});
      return;
    }
    record(key, scalar_value(value));
  }

  void record(const std::string& key, std::string value) {
    if (m_stack.empty()) {
      if (key == "kind") m_doc_kind = std::move(value);
      if (key == "apiVersion") m_doc_api_version = std::move(value);
    } else if (path_is({"spec"})) {
      if (key == "group") m_group = std::move(value);
    } else if (path_is({"spec", "names"})) {
      if (key == "kind") m_kind = std::move(value);
    } else if (path_is({"spec", "versions", "[]"}) && !m_versions.empty()) {
      if (key == "name") m_versions.back().name = std::move(value);
      if (key == "served") m_versions.back().served = value == "true" || value == "True" || value == "TRUE";
    }
  }

  bool path_is(std::initializer_list<std::string_view> keys) const {
    if (keys.size() != m_stack.size()) return false;
    std::size_t i = 0;
    for (auto k : keys)
      if (m_stack[i++].key != k) return false;
    return true;
  }

  void finish_document() {
    if (m_doc_kind == "CustomResourceDefinition") {
      bool ok = m_doc_api_version == "apiextensions.k8s.io/v1" && !m_group.empty() && !m_kind.empty() &&
                !m_versions.empty();
      for (const auto& v : m_versions) ok = ok && !v.name.empty();
      if (ok)
        m_result.crds.push_back({m_group, m_kind, m_versions});
      else
        m_result.complete = false;
    }
    m_stack.clear();
    m_block_indent = -1;
    m_doc_kind.clear();
    m_doc_api_version.clear();
    m_group.clear();
    m_kind.clear();
    m_versions.clear();
  }

  ScanResult m_result;
  std::vector<Frame> m_stack;
  int m_block_indent = -1;
  std::string m_doc_kind;
  std::string m_doc_api_version;
  std::string m_group;
  std::string m_kind;
  std::vector<ScannedVersion> m_versions;
};

} // namespace

ScanResult scan_crds(std::string_view text) {
  ScanResult result = Scanner().run(text);
  if (result.crds.empty() && text.find("CustomResourceDefinition") != std::string_view::npos) result.complete = false;
  return result;
}

} // namespace kf::render::detail
