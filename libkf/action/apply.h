#pragma once
// `kf apply -f FILE|DIR|-`: server-side apply of manifests in the order a
// cluster needs them: Namespaces and CRDs first, then (once every CRD is
// Established and its kind is served) everything else, in file order.
// Idempotent: an object the server did not change is reported "unchanged".
// (Installing the platform components of kf.yaml comes later.)

#include <chrono>
#include <string>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/kube/client.h"
#include "libkf/kube/kubeconfig.h"

namespace kf::action {

struct ApplyOptions {
  std::vector<std::string> files;       // -f: files, directories (their *.yaml, *.yml, *.json) or "-"
  std::string stdin_text;               // the text of "-"
  kube::KubeconfigOptions kubeconfig;   // --kubeconfig, --context, -n
  bool dry_run = false;                 // --dry-run=server: the server checks, stores nothing
  bool force_conflicts = false;         // --force-conflicts: take fields other managers own
  std::string field_manager = "kf";     // --field-manager
  std::chrono::milliseconds establish_timeout{60000}; // how long to wait for a CRD to be Established
};

struct AppliedObject {
  std::string display;   // kubectl's name: "pytorchjob.kubeflow.org/mnist"
  std::string namespace_;
  std::string change;    // "created", "configured" or "unchanged"
  Json object;           // what the server returned
};

struct ApplyResult {
  std::string server;
  std::vector<AppliedObject> objects; // in the order they were applied
};

// Connects with the kubeconfig options.
ApplyResult apply(const Context& ctx, const ApplyOptions& options);
// With a given client (tests pass a kube::FakeClient).
ApplyResult apply(const Context& ctx, const ApplyOptions& options, kube::Client& client);

} // namespace kf::action
