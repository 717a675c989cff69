#pragma once
// kube-sim's object store: the resource types it serves (built-in ones and
// those defined by CRDs), the objects, a global resourceVersion counter and
// a bounded event history that watches read from.
//
// Every write goes through Store::write(), which runs the caller's mutation
// under the store's one mutex, fills in server-owned metadata (uid,
// creationTimestamp, resourceVersion, generation), validates the result
// (namespace exists, custom resources against their CRD's schema) and records
// an event. A write that changes nothing keeps the old resourceVersion, as a
// real API server does. All members are thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "libkf/render/schema.h"
#include "libkf/util/clock.h"
#include "libkf/util/json.h"

namespace kubesim {

using kf::Json;

struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string resource; // plural: "configmaps"
  std::string kind;     // "ConfigMap"
  std::string singular; // "configmap"
  bool namespaced = true;
  bool status_subresource = false;
  std::vector<std::string> short_names;
  std::string crd; // the CRD that defines it ("" for built-ins)

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  std::string key() const { return group + "/" + version + "/" + resource; }
  // "configmaps" or "pytorchjobs.kubeflow.org", as API errors name resources.
  std::string qualified() const { return group.empty() ? resource : resource + "." + group; }
};

// An error the server answers with a Status object.
struct ApiError : std::runtime_error {
  ApiError(int code_, std::string reason_, const std::string& message, Json details_ = Json::object())
      : std::runtime_error(message), code(code_), reason(std::move(reason_)), details(std::move(details_)) {}
  int code;
  std::string reason;
  Json details;
};
Json status_json(int code, const std::string& reason, const std::string& message, const Json& details = Json::object());

struct Event {
  std::uint64_t rv = 0;
  std::string type; // ADDED, MODIFIED, DELETED
  std::string type_key;
  Json object;
};

// What GET/LIST/WATCH select: a namespace ("" = all), label and field selectors.
struct Query {
  std::string ns;
  std::string label_selector;
  std::string field_selector;
  std::size_t limit = 0;     // 0 = no limit
  std::string continue_token;
};
bool matches(const Json& obj, const Query& q); // label and field selectors; throws ApiError 400 when malformed

class Store {
public:
  struct Options {
    std::chrono::milliseconds establish_delay{200}; // a new CRD becomes Established after this
    std::size_t watch_history = 1000;               // events kept for watches
  };
  explicit Store(Options options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::vector<ResourceType> types() const;
  std::optional<ResourceType> find_type(const std::string& group, const std::string& version,
                                        const std::string& resource) const;
  std::optional<ResourceType> find_kind(const std::string& api_version, const std::string& kind) const;
  // A CRD from --crds: stored and Established at once.
  void install_crd(Json crd);

  std::optional<Json> get(const ResourceType& t, const std::string& ns, const std::string& name) const;
  Json list(const ResourceType& t, const Query& q) const;

  // The mutation gets the current object (nullptr when absent) and returns
  // the wanted one, or nullopt to delete it. Returns the stored object (or
  // the deleted one) and whether it was created. Nothing is stored when
  // `dry_run`. Throws ApiError.
  using Mutation = std::function<std::optional<Json>(const Json* current)>;
  struct WriteResult {
    Json object;
    bool created = false;
  };
  WriteResult write(const ResourceType& t, const std::string& ns, const std::string& name, const Mutation& mutate,
                    bool dry_run);

  // Watch support: the current resourceVersion, a snapshot of matching
  // objects, and the events after `rv` (ApiError 410 when they are gone).
  std::uint64_t resource_version() const;
  std::vector<Json> snapshot(const ResourceType& t, const Query& q, std::uint64_t* rv) const;
  // Waits up to `timeout` for events after `rv`; returns those of type `t`
  // (possibly none) and sets `seen` to the newest resourceVersion looked at.
  // Throws ApiError 410 when events after `rv` were dropped.
  std::vector<Event> events_after(const ResourceType& t, std::uint64_t rv, std::chrono::milliseconds timeout,
                                  std::uint64_t* seen) const;
  // Events of every type after `rv` (kube-sim's controllers, controllers.h):
  // waits up to `timeout` for one; `seen` becomes the newest resourceVersion
  // looked at. Sets `lost` (and returns nothing) when events after `rv` were
  // dropped, so the caller lists everything again.
  std::vector<Event> all_events_after(std::uint64_t rv, std::chrono::milliseconds timeout, std::uint64_t* seen,
                                      bool* lost) const;

  // Pod logs (logs.cpp): what the containers kube-sim's controllers run
  // print, per pod uid and container. A restart keeps the last run's lines
  // as the `previous` ones; a pod's logs go with it.
  void log_start(const std::string& pod_uid, const std::string& container); // a container (re)starts
  void log_append(const std::string& pod_uid, const std::string& container, const std::string& line);
  void log_end(const std::string& pod_uid, const std::string& container); // it terminated
  struct LogLine {
    std::string time; // RFC 3339 with nanoseconds, as `timestamps=true` prints it
    std::string text;
  };
  struct LogRead {
    bool exists = false; // the run was started (for `previous`: there is a previous run)
    bool ended = false;  // the run terminated: no more lines will come
    std::uint64_t run = 0; // which run of the container (a restart starts another)
    std::vector<LogLine> lines;
  };
  // The lines from index `from` of the current (or previous) run, waiting up
  // to `timeout` for one when there are none yet and the run goes on.
  LogRead log_read(const std::string& pod_uid, const std::string& container, bool previous, std::size_t from,
                   std::chrono::milliseconds timeout) const;

  void shutdown(); // wakes every waiting watch and log follower; they end
  bool stopping() const;

private:
  void validate(const ResourceType& t, const Json& obj) const;   // m_mu held
  void after_write(const ResourceType& t, const Json* before, const Json* after); // m_mu held
  void add_crd_types(const Json& crd);                            // m_mu held
  void remove_crd_types(const std::string& crd_name);             // m_mu held
  void record(const ResourceType& t, const std::string& type, const Json& obj);
  void establish_loop();
  void forget_logs(const ResourceType& t, const Json& gone); // m_mu held; a deleted pod's logs

  Options m_options;
  mutable std::mutex m_mu;
  mutable std::condition_variable m_cv;
  bool m_stopping = false;
  std::uint64_t m_rv = 0;
  std::uint64_t m_uid = 0;
  std::map<std::string, ResourceType> m_types;                     // by key()
  std::map<std::string, std::map<std::string, Json>> m_objects;    // type key -> "ns/name" -> object
  std::map<std::string, std::shared_ptr<kf::render::SchemaSet>> m_schemas; // CRD name -> its schemas
  std::deque<Event> m_events;
  std::uint64_t m_compacted = 0; // events up to this rv are gone
  std::map<std::string, std::chrono::steady_clock::time_point> m_pending; // CRDs to establish
  std::thread m_establisher;
  struct ContainerLog {
    std::vector<LogLine> current, previous;
    bool ended = false, has_previous = false;
    std::uint64_t run = 0;
  };
  std::map<std::string, std::map<std::string, ContainerLog>> m_logs; // pod uid -> container -> log
};

using kf::now_rfc3339; // libkf/util/clock.h

} // namespace kubesim
