#pragma once
// connect(): the Client that talks to a real API server over HTTP(S).
// Discovery is per group-version (/api/v1, /apis/<g>/<v>), cached in
// memory and asked again on a miss. Requests are retried with exponential
// backoff on 429 (waiting at least its Retry-After), 500/502/503/504 and
// connection failures; a 401 refreshes the credentials once.

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "libkf/kube/client.h"
#include "libkf/kube/kubeconfig.h"

namespace kf::kube {

struct RestOptions {
  int max_retries = 10;                              // after the first attempt
  std::chrono::milliseconds backoff_base{50};        // doubles per retry
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::seconds max_retry_after{30};          // a longer Retry-After is capped
  std::function<void(std::string_view)> debug;       // one line per retry (never credentials); may be empty
};

std::unique_ptr<Client> connect(const ClusterConfig& config, RestOptions options = {});

// The sentence for a Status object (or another error body) with HTTP `code`.
std::string status_message(const std::string& body, long code);

} // namespace kf::kube
