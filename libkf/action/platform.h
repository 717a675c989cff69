#pragma once
// `kf apply` without -f: installs or upgrades the Kubeflow components that
// kf.yaml's spec.platform names, then the project's own long-lived objects;
// and `kf delete --platform | -f`: removes what kf applied.
//
// For each component (libkf/platform/index.h select(): requirements first),
// the manifests are fetched (libkf/platform/source.h: kf's index, or
// spec.platform.source), rendered (render.h: kustomize or plain YAML) and
// labelled kf.dev/component=<component>; namespaced objects without a
// namespace go to spec.platform.namespace. kf adds the Namespace objects that
// are needed (the platform's, the project's) when no component renders them
// and the cluster does not have them already (then they are not kf's). The project's objects follow, only
// those that live on: the ServingRuntime and InferenceService (spec.serving,
// when a component provides InferenceService) and each notebook's
// PersistentVolumeClaim and Notebook (when a component provides Notebook).
// Jobs, Experiments and Workflows are runs that `kf train`, `kf tune` and
// `kf pipeline run` start; applying them on every `kf apply` would start
// them again. Everything is applied as kf.dev/applied-by=<project name>
// through apply_manifests() (apply.h).

#include <optional>
#include <string>
#include <vector>

#include "libkf/action/apply.h"
#include "libkf/platform/index.h"
#include "libkf/platform/render.h"
#include "libkf/platform/source.h"
#include "libkf/spec/load.h"

namespace kf::action {

struct PlatformOptions {
  spec::LoadOptions load;   // where kf.yaml is
  std::string target;       // --target: a cluster target's kubeconfig, context and namespace
  ApplyOptions apply;       // dry run, prune, wait, ...; kubeconfig flags win over the target's
  platform::FetchOptions fetch;                // the source cache
  std::optional<platform::RenderTools> tools;  // nullopt = kustomize/kubectl from PATH
  const platform::Index* index = nullptr;      // nullptr = kf's built-in index
};

// One component as it was rendered.
struct RenderedComponent {
  std::string name;
  std::string ref;     // "" for a local directory
  std::string from;    // "https://github.com/kubeflow/katib.git#v0.19.0:manifests/..." or the directory
  std::size_t objects = 0;
  bool implied = false; // required by another component, not named in kf.yaml
};

struct PlatformPlan {
  std::string project;  // the applied-by name
  std::string platform_namespace;
  std::string project_namespace; // where the project's own objects go
  std::vector<RenderedComponent> components;
  std::vector<platform::Manifest> manifests; // components' objects, then the project's
};

// Fetches and renders; no cluster needed.
PlatformPlan plan_platform(const Context& ctx, const PlatformOptions& options);

struct PlatformResult {
  PlatformPlan plan;
  ApplyResult applied;
};

// Connects (unless a client dry run) and applies the plan.
PlatformResult apply_platform(const Context& ctx, const PlatformOptions& options);
// With a given client; null = a client dry run.
PlatformResult apply_platform(const Context& ctx, const PlatformOptions& options, kube::Client* client);

struct DeleteAppliedOptions {
  std::vector<std::string> files; // -f: delete these objects (only those carrying kf's labels)
  std::string stdin_text;         // the text of "-"
  bool platform = false;          // --platform: everything kf applied for kf.yaml's project
  spec::LoadOptions load;
  std::string target;
  kube::KubeconfigOptions kubeconfig;
  bool dry_run = false;           // --dry-run=server
  int concurrency = 8;
};

struct DeleteAppliedResult {
  std::vector<AppliedObject> deleted;   // in delete order
  std::vector<std::string> left_alone;  // -f objects that exist without kf's labels
};

DeleteAppliedResult delete_applied(const Context& ctx, const DeleteAppliedOptions& options);
DeleteAppliedResult delete_applied(const Context& ctx, const DeleteAppliedOptions& options, kube::Client& client);

} // namespace kf::action
