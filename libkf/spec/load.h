#pragma once
// Loading a project: find kf.yaml, merge values files and --set overrides
// into it (helm's order: kf.yaml, then each -f in order, then each --set;
// later wins), decode, check. Errors point into whichever input a value came
// from: "kf.yaml:12:5: …", "prod.yaml:3:7: …" or "--set training.workers=x: …".

#include <filesystem>
#include <string>
#include <vector>

#include "libkf/spec/project.h"
#include "libkf/util/yaml.h"

namespace kf::spec {

inline constexpr const char* k_project_file = "kf.yaml";

struct LoadOptions {
  std::filesystem::path start = "."; // search for kf.yaml here and in its parents
  std::vector<std::string> values_files; // -f FILE, in order
  std::vector<std::string> set_values;   // --set PATH=VALUE, in order
};

struct LoadedProject {
  Project project;
  std::filesystem::path dir;  // the directory holding kf.yaml
  std::filesystem::path file; // kf.yaml as it is named in messages (relative to the working directory)
  bool bare = false;          // no kf.yaml: an empty project over `dir` (kf submit without a project)
};

LoadedProject load_project(const LoadOptions& options);

// The merged tree, before decoding (for `kf render --show-values` and tests).
yaml::Node merged_tree(const std::filesystem::path& file, const LoadOptions& options);

// Applies one helm-style "a.b[0].c=value" to `root`. A path whose first
// segment is not apiVersion, kind, metadata or spec is taken relative to
// spec ("training.workers=4" sets spec.training.workers). Values: helm's
// typing (numbers, true/false, null; {a,b} for a list); everything else a string.
void apply_set(yaml::Node& root, const std::string& assignment);

// Where kf.yaml is: `start` or the nearest parent holding one.
std::optional<std::filesystem::path> find_project_file(const std::filesystem::path& start);

} // namespace kf::spec
