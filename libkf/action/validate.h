#pragma once
// `kf validate`: check kf.yaml (always), and check Kubernetes objects —
// the project's rendered ones, or those in -f files — against the
// structural schemas of the upstream CRDs built into kf, of a directory of
// CRD files (--schemas DIR), or of the CRDs installed on a cluster target.

#include <filesystem>
#include <string>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/spec/load.h"

namespace kf::action {

struct ValidateOptions {
  spec::LoadOptions load;               // the project (when no files are given)
  std::vector<std::string> files;       // -f: YAML/JSON manifests; "-" = stdin text in `stdin_text`
  std::string stdin_text;
  std::filesystem::path schemas;        // --schemas DIR; empty = kf's built-in CRDs (or a cluster target's)
  std::string target;                   // --target, as for render
};

struct ValidatedObject {
  std::string kind;
  std::string name;
  std::string source;  // "rendered" or "objs.yaml:12:1"
  bool checked = false; // false: no schema for its kind (a built-in kind such as a Pod, or a foreign CRD)
  std::vector<std::string> violations; // "[file:line:col: ]Kind "name": path: rule"
};

struct ValidateResult {
  std::string project; // the project's name when kf.yaml was checked
  std::vector<ValidatedObject> objects;
  bool ok() const;
};

ValidateResult validate(const Context& ctx, const ValidateOptions& options);

} // namespace kf::action
