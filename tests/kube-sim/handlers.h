#pragma once
// Request handlers behind Server (internal to kube-sim).

#include <httplib.h>

#include "tests/kube-sim/store.h"

namespace kubesim {

// One request to a resource URL, already routed.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  ResourceType type;
  std::string ns;   // "" for cluster-scoped types, or a list across namespaces
  std::string name; // "" for collection requests
  std::string sub;  // subresource ("status", "log" of pods), or ""
};

// A query parameter's value, or "".
std::string param(const httplib::Request& req, const char* key);
// A boolean query parameter as the API server reads it (Go's
// strconv.ParseBool): 1, t, T, TRUE, true, True. Python's client sends "True".
bool flag(const httplib::Request& req, const char* key);

// GET/LIST/POST/PUT/PATCH/DELETE of objects (resources.cpp); throws ApiError.
void serve_resource(Store& store, Call& call);
// GET ...?watch=true (watch.cpp): a chunked stream of JSON event lines.
void serve_watch(Store& store, Call& call, const Query& query);
Query query_of(const httplib::Request& req, const std::string& ns);
// GET pods/NAME/log (logs.cpp): text/plain, or a chunked stream with follow=true.
void serve_pod_log(Store& store, Call& call);
// GET pods/NAME[:PORT]/proxy/PATH (proxy.cpp): where the pod's sim.kf.dev/proxy-to annotation points, else `fallback`.
void serve_pod_proxy(Store& store, Call& call, const std::string& path, const std::string& fallback);

} // namespace kubesim
