#pragma once
// Files compiled into the kf binary (templates/*.yaml, manifests/*.yaml),
// generated at build time by cmake/embed.cmake.

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

} // namespace kf::embedded
