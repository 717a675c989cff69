// ClusterTarget::serving_metrics: an InferenceService's predictor pods
// (KServe's label serving.kserve.io/inferenceservice), each one's /metrics
// read through the API server's pod proxy, as `kubectl get --raw
// /api/v1/namespaces/NS/pods/POD:PORT/proxy/metrics` would: the cluster's
// model servers are seldom reachable from here, the API server is.
#include "libkf/cluster/cluster_target.h"
#include "libkf/util/json_field.h"

namespace kf::cluster {

namespace {

// The port of the pod's serving container: its first declared port (KServe
// declares the runtime's), else 8080 (KServe's default for HTTP).
int serving_port(const Json& pod) {
  for (const auto& c : json_field(json_field(pod, "spec"), "containers"))
    for (const auto& p : json_field(c, "ports"))
      if (json_field(p, "containerPort").is_number_integer()) return json_field(p, "containerPort").get<int>();
  return 8080;
}

} // namespace

std::optional<std::string> ClusterTarget::serving_metrics(const std::string& run) const {
  const auto object = get(run);
  if (!object || object->value("kind", "") != "InferenceService") return std::nullopt;
  std::optional<std::string> text;
  for (const auto& pod : pods(*object)) {
    if (json_text(json_field(pod, "status"), "phase") != "Running") continue;
    try {
      const std::string name = json_text(json_field(pod, "metadata"), "name");
      std::string one = m_client->pod_proxy_get(m_o.namespace_, name, serving_port(pod), "metrics");
      if (!one.empty() && one.back() != '\n') one += '\n';
      text = text.value_or("") + one;
    } catch (const Error&) { // a pod that does not answer (yet): the others still count
    }
  }
  return text;
}

} // namespace kf::cluster
