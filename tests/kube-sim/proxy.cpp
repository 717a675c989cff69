// GET .../pods/NAME[:PORT]/proxy/PATH, the API server's pod proxy (what
// `kubectl get --raw` and Prometheus's Kubernetes discovery read a pod's
// /metrics through). A real API server connects to the pod's IP. kube-sim's
// pods have made-up IPs, so it connects where the pod's annotation
// sim.kf.dev/proxy-to (HOST:PORT) says, else where --proxy-pods-to says,
// and answers as the API server does when nothing listens (503, "error
// trying to reach service") otherwise.
// The simulated KServe controller copies that annotation from an
// InferenceService to its predictor pods.
#include <cstdlib>

#include "tests/kube-sim/controllers_kit.h"
#include "tests/kube-sim/handlers.h"
#include "tests/kube-sim/server.h"

namespace kubesim {

namespace {

constexpr const char* k_proxy_to = "sim.kf.dev/proxy-to";

// The pod's first declared container port, else 80 (the API server's default for a pod proxy).
int default_port(const Json& pod) {
  for (const auto& c : pod.value("spec", Json::object()).value("containers", Json::array()))
    for (const auto& p : c.value("ports", Json::array()))
      if (p.contains("containerPort") && p["containerPort"].is_number_integer()) return p["containerPort"].get<int>();
  return 80;
}

} // namespace

void serve_pod_proxy(Store& store, Call& c, const std::string& path, const std::string& fallback) {
  if (c.req.method != "GET") throw ApiError(405, "MethodNotAllowed", "kube-sim proxies GET only");
  std::string name = c.name;
  int port = 0;
  if (const auto colon = name.find(':'); colon != std::string::npos) {
    port = std::atoi(name.substr(colon + 1).c_str());
    name = name.substr(0, colon);
    if (port <= 0 || port > 65535) throw ApiError(400, "BadRequest", "invalid port in \"" + c.name + "\"");
  }
  const auto pod = store.get(c.type, c.ns, name);
  if (!pod) throw ApiError(404, "NotFound", "pods \"" + name + "\" not found", {{"name", name}, {"kind", "pods"}});
  if (port == 0) port = default_port(*pod);
  const std::string ip = pod->value("status", Json::object()).value("podIP", "");
  const std::string unreachable = "error trying to reach service: dial tcp " + (ip.empty() ? std::string("<none>") : ip) +
                                  ":" + std::to_string(port) + ": connect: connection refused";
  std::string to = sim::annotation(*pod, k_proxy_to);
  if (to.empty()) to = fallback;
  const auto colon = to.rfind(':');
  if (to.empty() || colon == std::string::npos) throw ApiError(503, "ServiceUnavailable", unreachable);
  httplib::Client client(to.substr(0, colon), std::atoi(to.substr(colon + 1).c_str()));
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  std::string target = "/" + path;
  if (const auto q = c.req.target.find('?'); q != std::string::npos) target += c.req.target.substr(q);
  const auto answer = client.Get(target);
  if (!answer) throw ApiError(503, "ServiceUnavailable", unreachable);
  c.res.status = answer->status;
  c.res.set_content(answer->body, answer->get_header_value("Content-Type").empty() ? "text/plain"
                                                                                   : answer->get_header_value("Content-Type"));
}

} // namespace kubesim
