// LocalTarget::serving_metrics: a local model server's /metrics, from the
// URL its supervisor wrote into status once it was Ready.
#include <chrono>

#include "libkf/http/http.h"
#include "libkf/local/local_target.h"
#include "libkf/target/summary.h"
#include "libkf/util/json_field.h"

namespace kf::local {

std::optional<std::string> LocalTarget::serving_metrics(const std::string& run) const {
  const auto object = get(run);
  if (!object || object->value("kind", "") != "InferenceService" || target::state_of(*object) != "Ready") return std::nullopt;
  const std::string url = json_text(json_field(*object, "status"), "url");
  if (url.empty()) return std::nullopt;
  http::Client client;
  http::Request req;
  req.url = url + "/metrics";
  req.timeout = std::chrono::seconds(3);
  try {
    const auto resp = client.perform(req);
    if (resp.status == 200) return resp.body;
  } catch (const std::exception&) { // stopped since: nothing to show
  }
  return std::nullopt;
}

} // namespace kf::local
