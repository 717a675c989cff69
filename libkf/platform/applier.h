#pragma once
// Server-side apply of one ordering tier (objects.h) of objects, which do not
// depend on each other: kf resolves each kind (discovery) and namespace,
// learns what is there already — one LIST per kind and namespace holding at
// least k_list_threshold of them, else a GET per object — then applies them
// `concurrency` at a time. The results come back in the tier's order, so
// what kf prints does not depend on timing. Also: waiting for CRDs.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/kube/client.h"
#include "libkf/platform/objects.h"

namespace kf::platform {

inline constexpr std::size_t k_list_threshold = 8;

struct Applied {
  std::string display;   // kubectl's name: "pytorchjob.kubeflow.org/mnist"
  std::string namespace_;
  std::string change;    // "created", "configured", "unchanged"; "pruned"/"deleted"; "" (client dry run)
  Json object;           // what the server returned (client dry run: what would be sent)
};

struct TierOptions {
  std::string default_namespace = "default"; // for namespaced objects without one
  std::string field_manager = "kf";
  bool force = false;
  bool dry_run = false;  // dryRun=All
  std::size_t concurrency = 8;
  std::vector<Json> pending_crds; // a dry run's CRDs: their custom resources are "created" unasked
  std::function<void(std::string_view)> debug; // may be empty
};

std::vector<Applied> apply_tier(kube::Client& client, const std::vector<Manifest>& tier, const TierOptions& options);

// Waits until the CRD is Established and discovery serves each of its versions.
void wait_served(kube::Client& client, const Json& crd, std::chrono::milliseconds timeout);

} // namespace kf::platform
