#pragma once
// kf's component index (manifests/components.yaml, compiled into kf): the
// Kubeflow components `kf apply` can install, each with a pinned source
// (git repository + ref + path inside it) and how to render it (a
// kustomization or plain YAML). kf.yaml's spec.platform picks entries from
// it; select() turns that pick into an install order (every `requires`
// before the component that needs it).
//
// Errors are kf::SpecError ("file:line:col: components[2].ref: ...") for a
// malformed index and for kf.yaml's choices. Plain data; thread-safe to read.

#include <string>
#include <vector>

#include "libkf/spec/project.h"
#include "libkf/util/yaml.h"

namespace kf::platform {

struct Component {
  std::string name;                  // "katib"
  std::string git;                   // repository URL, e.g. https://github.com/kubeflow/katib.git
  std::string ref;                   // the pinned tag (or branch, or commit)
  std::string path;                  // the directory (or file) inside the repository to render
  std::string render;                // "kustomize" or "yaml"
  std::vector<std::string> requires_; // components installed before this one
  std::vector<std::string> provides;  // the kinds its CRDs serve (PyTorchJob, ...)
  yaml::Loc loc;
};

struct Index {
  std::vector<Component> components; // in file order
  const Component* find(std::string_view name) const; // nullptr when unknown
  std::vector<std::string> names() const;
};

// Parses an index; `file` names it in messages. Throws SpecError listing every problem.
Index parse_index(std::string_view text, const std::string& file);
Index read_index(const yaml::Node& root); // the same, from a parsed tree
// The index compiled into kf (manifests/components.yaml).
const Index& builtin_index();

// One component to install: its index entry and the ref kf fetches.
struct Selected {
  Component component;
  std::string ref;      // kf.yaml's version, else the source's #REF, else the index's ref
  bool implied = false; // not named in kf.yaml, but required by a component that is
};

// kf.yaml's components, with what they require added, in install order:
// requirements first, otherwise kf.yaml's order. `source_ref` is the #REF
// fragment of spec.platform.source ("" = none). Throws SpecError for an
// unknown component (with a did-you-mean) or a requirement cycle.
std::vector<Selected> select(const Index& index, const spec::PlatformSpec& platform, const std::string& source_ref = "");

} // namespace kf::platform
