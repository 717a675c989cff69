#pragma once
// Rendering a component's directory into objects: a kustomization
// (kustomization.yaml, .yml or Kustomization) through an installed
// `kustomize build DIR`, else `kubectl kustomize DIR` (kubectl carries
// kustomize); a directory of plain YAML (its *.yaml, *.yml, *.json, sorted,
// not recursive); or one YAML file. Runs the tool as a child process;
// thread-safe.

#include <filesystem>
#include <string>
#include <vector>

#include "libkf/platform/objects.h"

namespace kf::platform {

struct RenderTools {
  std::string kustomize; // path of `kustomize`; "" = not installed
  std::string kubectl;   // path of `kubectl`; "" = not installed
};

// Looks both up in `path_env` (a PATH value).
RenderTools find_tools(const std::string& path_env);
// find_tools(getenv("PATH")).
RenderTools installed_tools();

bool is_kustomization(const std::filesystem::path& dir);

// The objects of `dir`, labelled with nothing yet; Manifest::component = `component`.
// `mode`: "kustomize" (the directory must hold a kustomization), "yaml", or
// "" (a kustomization when there is one). Throws kf::Error naming the
// component: a missing directory, no kustomize or kubectl on PATH, or the
// tool's failure with its stderr.
std::vector<Manifest> render_dir(const std::string& component, const std::filesystem::path& dir, const std::string& mode,
                                 const RenderTools& tools);

} // namespace kf::platform
