#pragma once
// FakeClient: a Client kept in memory, for unit tests (and, later, for
// client-side dry runs). It knows the core kinds kf applies (Namespace,
// ConfigMap, Secret, Service, ServiceAccount, Deployment, CRD) and every
// kind of a CRD applied to it (Established at once). Apply merges maps
// key by key and replaces everything else; resourceVersion changes only
// when the object does. No schemas, no field ownership. Thread-safe.

#include <map>
#include <mutex>

#include "libkf/kube/client.h"

namespace kf::kube {

class FakeClient final : public Client {
public:
  FakeClient();
  void add_kind(const ResourceInfo& info);
  std::size_t requests() const; // how many calls were made, for tests

  std::string server() const override { return "fake://"; }
  std::optional<ResourceInfo> resource(std::string_view api_version, std::string_view kind) override;
  Json apply(const Json& obj, const ApplyOptions& options) override;
  std::optional<Json> get(const ObjectRef& ref) override;
  std::vector<Json> list(std::string_view api_version, std::string_view kind, const ListOptions& options) override;
  bool remove(const ObjectRef& ref, const DeleteOptions& options) override;
  std::string watch(std::string_view api_version, std::string_view kind, const WatchOptions& options,
                    const std::function<bool(const WatchEvent&)>& on_event) override;
  void pod_logs(const std::string& namespace_, const std::string& pod, const PodLogOptions& options,
                const std::function<bool(std::string_view)>& on_data) override;

private:
  std::string key(const ObjectRef& ref) const; // m_mu held
  mutable std::mutex m_mu;
  std::vector<ResourceInfo> m_kinds;
  std::map<std::string, Json> m_objects; // "apiVersion/kind/ns/name"
  std::uint64_t m_rv = 0;
  std::size_t m_requests = 0;
};

} // namespace kf::kube
