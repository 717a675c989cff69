#pragma once
// RestClient, the Client behind connect() (internal to libkf/kube):
// rest_client.cpp has discovery, apply/create/get/list/remove and the retried,
// throttled call(); rest_watch.cpp has watch() and pod_logs(), which
// stream on connections of their own and are not throttled, and pod_proxy_get().

#include <map>
#include <mutex>

#include "libkf/kube/discovery_cache.h"
#include "libkf/kube/http.h"
#include "libkf/kube/rate_limit.h"
#include "libkf/kube/rest_client.h"
#include "libkf/kube/watch_cache.h"

namespace kf::kube {

std::string escape(std::string_view s); // percent-encoding for a path segment or query value
bool retryable(long code);              // 429, 500, 502, 503, 504

class RestClient final : public Client {
public:
  RestClient(const ClusterConfig& config, RestOptions options);

  std::string server() const override { return m_http.config().server; }
  std::optional<ResourceInfo> resource(std::string_view api_version, std::string_view kind) override;
  Json apply(const Json& obj, const ApplyOptions& options) override;
  Json create(const Json& obj, const CreateOptions& options) override;
  std::optional<Json> get(const ObjectRef& ref) override;
  std::vector<Json> list(std::string_view api_version, std::string_view kind, const ListOptions& options) override;
  bool remove(const ObjectRef& ref, const DeleteOptions& options) override;
  std::string watch(std::string_view api_version, std::string_view kind, const WatchOptions& options,
                    const std::function<bool(const WatchEvent&)>& on_event) override;
  void pod_logs(const std::string& namespace_, const std::string& pod, const PodLogOptions& options,
                const std::function<bool(std::string_view)>& on_data) override;
  std::string pod_proxy_get(const std::string& namespace_, const std::string& pod, int port, const std::string& path) override;

private:
  struct StreamEnd; // how one watch stream ended (rest_watch.cpp)

  ResourceInfo need(std::string_view api_version, std::string_view kind);
  std::string path(const ObjectRef& ref);
  std::string collection_of(const ObjectRef& ref); // the collection `ref` belongs to (POST goes there)
  // /api/v1[/namespaces/NS]/configmaps
  static std::string collection(std::string_view api_version, const ResourceInfo& r, const std::string& namespace_);
  // Every page of a list of `r`, each item with apiVersion and kind (a real
  // server leaves them out of list items); *rv = the list's resourceVersion.
  std::vector<Json> list_all(const ResourceInfo& r, const std::string& collection, const std::string& selectors,
                             std::size_t page_size, std::string* rv);
  void discover(const std::string& gv);
  const HttpResponse& checked(const HttpResponse& res);
  void debug(const std::string& line);
  std::string redacted(const std::string& text);
  // The wait before retry `attempt` (0-based): exponential, at least a numeric Retry-After.
  std::chrono::milliseconds backoff(int attempt, const std::string& retry_after) const;
  // "cannot reach SERVER: WHY", redacted.
  Error unreachable(const std::string& why);
  // After a transport failure of try `attempt` (0-based) of `what`: throws
  // unreachable() when it is permanent (a certificate) or the retries are
  // used up, else logs it and sleeps out the backoff.
  void after_transport_error(const TransportError& e, int attempt, const std::string& what);
  // One request with retries, throttled; returns the last answer (even an error status).
  HttpResponse call(HttpRequest req);
  StreamEnd watch_stream(const std::string& target, WatchCache& cache,
                         const std::function<bool(const WatchEvent&)>& deliver,
                         const std::function<bool()>& expired);

  Transport m_http;
  RestOptions m_options;
  TokenBucket m_bucket;
  InFlightLimit m_in_flight;
  DiscoveryCache m_disk;
  std::mutex m_mu;
  std::map<std::string, std::vector<ResourceInfo>> m_discovery; // group-version -> its resources
};

} // namespace kf::kube
