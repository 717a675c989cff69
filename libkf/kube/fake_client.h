#pragma once
// FakeClient: a Client kept in memory, for unit tests (and, later, for
// client-side dry runs). No schemas, no field ownership; resourceVersion is
// one counter that changes only when an object does. Every change is
// recorded as a watch event (fake_watch.cpp). Pod logs are fed by tests.
// Thread-safe; callbacks run without the lock held, so they may call back.

#include <condition_variable>
#include <map>
#include <mutex>

#include "libkf/kube/client.h"

namespace kf::kube {

class FakeClient final : public Client {
public:
  FakeClient();
  void add_kind(const ResourceInfo& info);
  std::size_t requests() const; // how many calls were made, for tests

  // The log of pod `pod` in `ns` (creating it: the pod need not exist as an object).
  void set_pod_log(const std::string& ns, const std::string& pod, const std::string& text);
  void append_pod_log(const std::string& ns, const std::string& pod, const std::string& text);
  // The container stopped: a followed log ends after what was appended.
  void end_pod_log(const std::string& ns, const std::string& pod);
  // How long a followed log waits for more without end_pod_log; 0 (default) = forever.
  void set_log_follow_timeout(std::chrono::milliseconds timeout);
  // What pod_proxy_get() of that pod, port and path answers (else 503, as a pod that does not listen).
  void set_proxy_answer(const std::string& namespace_, const std::string& pod, int port, const std::string& path, std::string body);

  std::string server() const override { return "fake://"; }
  // The core kinds kf uses (Namespace, ConfigMap, Secret, Service,
  // ServiceAccount, Pod, Deployment, CRD), every kind added, and every kind of
  // a CRD applied here (Established at once).
  std::optional<ResourceInfo> resource(std::string_view api_version, std::string_view kind) override;
  // Merges maps key by key and replaces everything else; a dry run stores and
  // counts nothing; to the "status" subresource, merges only .status into an
  // existing object.
  Json apply(const Json& obj, const ApplyOptions& options) override;
  // Stores a new object without its status (the status subresource has it);
  // AlreadyExists for a taken name.
  Json create(const Json& obj, const CreateOptions& options) override;
  std::optional<Json> get(const ObjectRef& ref) override;
  std::vector<Json> list(std::string_view api_version, std::string_view kind, const ListOptions& options) override;
  bool remove(const ObjectRef& ref, const DeleteOptions& options) override;
  // Lists first without a resourceVersion, replays the events after one, then
  // waits for new ones; an object that starts or stops matching the
  // selectors arrives as ADDED or DELETED, as from a real server.
  std::string watch(std::string_view api_version, std::string_view kind, const WatchOptions& options,
                    const std::function<bool(const WatchEvent&)>& on_event) override;
  // What set_pod_log / append_pod_log wrote; one container per pod, no
  // previous containers.
  void pod_logs(const std::string& namespace_, const std::string& pod, const PodLogOptions& options,
                const std::function<bool(std::string_view)>& on_data) override;
  std::string pod_proxy_get(const std::string& namespace_, const std::string& pod, int port, const std::string& path) override;

private:
  struct Event {
    std::uint64_t rv = 0;
    std::string type;     // ADDED, MODIFIED, DELETED
    std::string type_key; // "apiVersion/kind"
    Json object;
    Json previous;        // the object before a MODIFIED
  };
  struct PodLog {
    std::string text;
    bool ended = false;
  };

  const ResourceInfo& kind_of(std::string_view api_version, std::string_view kind) const; // m_mu held
  std::string key(const ObjectRef& ref) const;                                            // m_mu held
  void record(std::string type, const Json& object, Json previous);                       // m_mu held
  // The events of `type_key` after resourceVersion `rv` as a watcher whose
  // selection is `in_scope` sees them, each with its resourceVersion.
  std::vector<std::pair<std::uint64_t, WatchEvent>> events_after(std::uint64_t rv, const std::string& type_key,
                                                                 const std::function<bool(const Json&)>& in_scope) const; // m_mu held

  mutable std::mutex m_mu;
  std::condition_variable m_cv; // a new event, or a pod log changed
  std::vector<ResourceInfo> m_kinds;
  std::map<std::string, Json> m_objects; // "apiVersion/kind/ns/name"
  std::vector<Event> m_events;           // in resourceVersion order
  std::map<std::string, PodLog> m_logs;  // "ns/pod"
  std::map<std::string, std::string> m_proxied; // "ns/pod:port/path"
  std::chrono::milliseconds m_follow_timeout{0};
  std::uint64_t m_rv = 0;
  std::size_t m_requests = 0;
};

} // namespace kf::kube
