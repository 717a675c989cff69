#pragma once
// connect(): the Client that talks to a real API server over HTTP(S).
// Discovery is per group-version (/api/v1, /apis/<g>/<v>): in memory, then
// on disk under RestOptions::cache_dir (discovery_cache.h), then the server;
// a kind it does not know yet asks the server again. Requests are retried
// with exponential backoff on 429 (waiting at least its Retry-After),
// 500/502/503/504 and connection failures; a 401 refreshes the credentials
// once. Like client-go, requests pass a token bucket (qps, burst) and a cap
// on requests in flight; watches and log streams pass neither. Watches
// follow client-go's reflector: list, watch from the list's
// resourceVersion, reopen a broken stream from the last one, list again
// after 410 Gone (rest_watch.cpp). Every debug line goes through redact().

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "libkf/kube/client.h"
#include "libkf/kube/discovery_cache.h"
#include "libkf/kube/kubeconfig.h"

namespace kf::kube {

struct RestOptions {
  int max_retries = 10;                              // after the first attempt; for a watch: reconnects in a row
  std::chrono::milliseconds backoff_base{50};        // doubles per retry
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::seconds max_retry_after{30};          // a longer Retry-After is capped
  // Client-side throttling: kubectl's defaults, 50 requests a second with
  // bursts of 300. qps <= 0 turns it off.
  double qps = 50;
  int burst = 300;
  int max_in_flight = 32;                            // requests on the wire at once; < 1 = no cap
  // Discovery cache root; "" (default) = memory only. For kubectl's
  // behaviour pass default_discovery_cache_dir() ($XDG_CACHE_HOME/kf/discovery
  // or ~/.cache/kf/discovery); tests pass a temporary directory.
  std::filesystem::path cache_dir;
  std::chrono::seconds cache_ttl{k_discovery_ttl};   // 6 hours, as kubectl
  // timeoutSeconds of each watch request: the server ends the stream then and
  // watch() reopens it. 0 = client-go's reflector choice, random in [5, 10) minutes.
  std::chrono::seconds watch_request_timeout{0};
  std::function<void(std::string_view)> debug;       // retries, reconnects, relists, throttling (redacted); may be empty
};

std::unique_ptr<Client> connect(const ClusterConfig& config, RestOptions options = {});

// The sentence for a Status object (or another error body) with HTTP `code`.
std::string status_message(const std::string& body, long code);

} // namespace kf::kube
