#pragma once
// kf::kube::Client: the narrow interface through which kf talks to a
// Kubernetes API server. Objects are plain kf::Json; the client maps a kind
// to its resource through discovery. Two implementations:
//   - connect() (rest_client.cpp): libcurl against a real server (or kube-sim);
//   - FakeClient (fake_client.h): in memory, for unit tests and dry runs.
// The later Target interface (apply, status, watch, logs, delete) sits on
// top of this for the cluster target.
//
// Errors: a request the server refuses throws kube::ApiError carrying the
// HTTP code and the Status reason; its what() is a clear sentence built from
// the Status object (`PyTorchJob "mnist" is invalid: spec.x: Invalid value:
// ...`); create() of a taken name throws its subclass AlreadyExists.
// Connection failures that outlast the retries throw kf::Error.
// "Not found" is std::optional / false, not an exception.
// Implementations are safe to call from several threads.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/error.h"
#include "libkf/util/json.h"

namespace kf::kube {

class ApiError : public Error {
public:
  ApiError(int code, std::string reason, const std::string& message)
      : Error(message), m_code(code), m_reason(std::move(reason)) {}
  int code() const { return m_code; }                    // HTTP status: 404, 409, 422...
  const std::string& reason() const { return m_reason; } // Status reason: NotFound, Conflict, Invalid...

private:
  int m_code;
  std::string m_reason;
};

// 409 AlreadyExists: create() found an object of that name. Distinct from
// other conflicts (a stale resourceVersion is a 409 Conflict) so that a
// caller choosing names can catch it and try another.
class AlreadyExists : public ApiError {
public:
  explicit AlreadyExists(const std::string& message) : ApiError(409, "AlreadyExists", message) {}
};

// What the server serves for an apiVersion + kind.
struct ResourceInfo {
  std::string group;    // "" for the core group
  std::string version;
  std::string resource; // plural, e.g. "pytorchjobs"
  std::string kind;
  bool namespaced = true;
  // kubectl's name for it: "configmap", "deployment.apps", "pytorchjob.kubeflow.org".
  std::string display() const;
};

struct ObjectRef {
  std::string api_version; // "kubeflow.org/v1"
  std::string kind;        // "PyTorchJob"
  std::string namespace_;  // ignored for cluster-scoped kinds
  std::string name;
  static ObjectRef of(const Json& obj); // from apiVersion, kind, metadata.namespace/name
};

struct ApplyOptions {
  std::string field_manager = "kf"; // fieldManager
  bool force = false;               // take over fields other managers own (force=true)
  bool dry_run = false;             // dryRun=All: the server validates and answers, stores nothing
  std::string subresource;          // "status": apply to the status subresource (controllers, tests)
};

struct CreateOptions {
  std::string field_manager = "kf"; // fieldManager
  bool dry_run = false;             // dryRun=All
};

struct ListOptions {
  std::string namespace_;     // "" = every namespace (or a cluster-scoped kind)
  std::string label_selector; // e.g. "app=kf,tier!=db"
  std::string field_selector; // e.g. "metadata.name=mnist"
  std::size_t page_size = 500; // limit per request; pages are followed with `continue`
};

struct DeleteOptions {
  std::string propagation = "Background"; // propagationPolicy: Background, Foreground or Orphan
  bool dry_run = false;
};

// One change seen by a watch.
struct WatchEvent {
  std::string type; // ADDED, MODIFIED, DELETED or BOOKMARK
  Json object;
};

struct WatchOptions {
  std::string namespace_;       // "" = every namespace
  std::string label_selector;
  std::string field_selector;   // "metadata.name=mnist" follows one object
  std::string resource_version; // "" = list first: the current objects arrive as ADDED, then the changes
  std::chrono::milliseconds timeout{0}; // 0 = until on_event returns false
};

// pods/NAME/log.
struct PodLogOptions {
  std::string container; // "" = the pod's only (first) container
  bool follow = false;   // keep streaming until the container ends
  int tail_lines = -1;   // only the last N lines; -1 = all
  bool previous = false; // the previous (restarted) container's log
};

class Client {
public:
  virtual ~Client() = default;
  // The server, for messages: "https://10.0.0.1:6443".
  virtual std::string server() const = 0;
  // The resource that serves `api_version`/`kind`, or nullopt. Discovery is
  // cached; a miss asks the server again (a CRD may have just been added).
  virtual std::optional<ResourceInfo> resource(std::string_view api_version, std::string_view kind) = 0;
  // Server-side apply of `obj` (apiVersion, kind, metadata.name, and
  // metadata.namespace for namespaced kinds); returns what the server stored.
  virtual Json apply(const Json& obj, const ApplyOptions& options) = 0;
  // Creates `obj` (POST to its collection; metadata.name set); returns what
  // the server stored. Unlike apply it never changes an existing object:
  // throws AlreadyExists when the name is taken, so two clients that pick
  // the same name cannot both think they made it. A retried request whose
  // first attempt was stored (its answer lost) gets AlreadyExists too: a
  // caller that must tell tells its own object by a value it put in it.
  virtual Json create(const Json& obj, const CreateOptions& options) = 0;
  virtual std::optional<Json> get(const ObjectRef& ref) = 0;
  // Every page; each item carries apiVersion and kind (a real server leaves them out of list items).
  virtual std::vector<Json> list(std::string_view api_version, std::string_view kind, const ListOptions& options) = 0;
  // false when there was nothing to delete.
  virtual bool remove(const ObjectRef& ref, const DeleteOptions& options) = 0;
  // Calls on_event for every change of the selected objects until it returns
  // false or the timeout passes; returns the last resourceVersion seen. A
  // broken stream is reopened from the last resourceVersion; when that is too
  // old (410 Gone) the objects are listed again and the differences are
  // delivered as ADDED/MODIFIED/DELETED (client-go's reflector does the same),
  // so a caller never misses a final state.
  virtual std::string watch(std::string_view api_version, std::string_view kind, const WatchOptions& options,
                            const std::function<bool(const WatchEvent&)>& on_event) = 0;
  // Streams a pod's log to on_data (chunks, not necessarily whole lines) until
  // it ends (with follow: until the container stops) or on_data returns false.
  // Throws ApiError 404 for an unknown pod.
  virtual void pod_logs(const std::string& namespace_, const std::string& pod, const PodLogOptions& options,
                        const std::function<bool(std::string_view)>& on_data) = 0;
  // GET `path` of a pod's `port` through the API server's pod proxy
  // (/api/v1/namespaces/NS/pods/POD:PORT/proxy/PATH), as `kubectl get --raw`
  // does: the body of a 200. Anything else throws ApiError (503 when the
  // pod does not answer); tried once, not retried.
  virtual std::string pod_proxy_get(const std::string& namespace_, const std::string& pod, int port, const std::string& path);
};

} // namespace kf::kube
