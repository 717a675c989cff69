#pragma once
// Files compiled into the kf binary (templates/*.yaml, manifests/*.yaml),
// generated at build time by cmake/embed.cmake, their parsed trees, and the
// packed upstream CRDs.

#include <optional>
#include <string_view>
#include <vector>

#include "libkf/util/yaml.h"
#include "libkf/util/yaml_pack.h"

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

// The YAML files above, parsed when kf was built (tools/templatepack.cpp),
// in yaml_pack.h's form.
const std::vector<File>& packed_files();
inline std::optional<std::string_view> find_packed(std::string_view path) {
  for (const auto& f : packed_files())
    if (f.path == path) return f.content;
  return std::nullopt;
}
// The tree of one of them, as yaml::parse of its text gives it; nullopt when kf has no such file.
inline std::optional<yaml::Node> parsed(std::string_view path) {
  const auto packed = find_packed(path);
  if (!packed) return std::nullopt;
  return yaml::unpack(*packed, std::string(path));
}

// The upstream CRDs of third_party/crds as kf-crdpack packed them
// (tools/crdpack.cpp describes the format); read by SchemaSet::builtin().
std::string_view crd_pack();

} // namespace kf::embedded
