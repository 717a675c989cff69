#pragma once
// Files compiled into the kf binary (templates/*.yaml, manifests/*.yaml),
// generated at build time by cmake/embed.cmake, and the packed upstream CRDs.

#include <optional>
#include <string_view>
#include <vector>

namespace kf::embedded {

struct File {
  std::string_view path; // relative to the source tree, e.g. "templates/pytorchjob.yaml"
  std::string_view content;
};

const std::vector<File>& files();

inline std::optional<std::string_view> find(std::string_view path) {
  for (const auto& f : files())
    if (f.path == path) return f.content;
  return std::nullopt;
}

// The built-in templates (templates/*.yaml) parsed when kf was built, in
// yaml_pack.h's form (tools/templatepack.cpp writes them), by path.
const std::vector<File>& packed_templates();
inline std::optional<std::string_view> find_packed(std::string_view path) {
  for (const auto& f : packed_templates())
    if (f.path == path) return f.content;
  return std::nullopt;
}

// The upstream CRDs of third_party/crds as kf-crdpack packed them
// (tools/crdpack.cpp describes the format); read by SchemaSet::builtin().
std::string_view crd_pack();

} // namespace kf::embedded
