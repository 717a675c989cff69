#pragma once
// `kf version`: what this kf is and how it was built.

#include <string>

namespace kf::action {

struct VersionResult {
  std::string version;  // "0.1.0"
  std::string compiler; // "GCC 12.2.0"
  std::string platform; // "linux/amd64"
  std::string build;    // "Release", "Debug", ...
};

VersionResult version();

} // namespace kf::action
