#pragma once
// `kf apply --wait`: polls the Deployments kf applied until each is
// Available (status.conditions Available=True, and status.observedGeneration
// has caught up with metadata.generation), reporting progress as it goes.
// Calls on_progress from the calling thread only.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "libkf/kube/client.h"

namespace kf::platform {

struct WaitProgress {
  std::size_t ready = 0, total = 0;
  std::vector<std::string> pending; // "ns/name" of the Deployments not Available yet
};

bool deployment_available(const Json& deployment);

// Throws kf::Error naming what is still pending when `timeout` passes.
void wait_available(kube::Client& client, const std::vector<kube::ObjectRef>& deployments,
                    std::chrono::milliseconds timeout, const std::function<void(const WaitProgress&)>& on_progress);

} // namespace kf::platform
