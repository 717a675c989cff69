#pragma once
// Idle culling of a local notebook, as Kubeflow's notebook controller culls:
// with ENABLE_CULLING=true, a notebook whose Jupyter reports no activity
// (/api/status's last_activity) for CULL_IDLE_TIME minutes (default 1440)
// is stopped, looked at every IDLENESS_CHECK_PERIOD minutes (default 1).
// The local target reads these from kf's environment when the notebook
// starts; fractions of a minute are accepted.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "libkf/util/json.h"

namespace kf::local {

struct CullPolicy {
  double idle_seconds = 0;   // 0 = culling off
  double check_seconds = 60;
};

// From the controller's variables; a value that is not a positive number is an error naming it.
CullPolicy cull_policy(const std::function<const char*(const char*)>& getenv);
Json to_json(const CullPolicy& p);
CullPolicy cull_policy_from_json(const Json& j);

// Seconds between Jupyter's last activity (the body of /api/status) and
// `now` (seconds since the epoch); nullopt when the body has none.
std::optional<double> idle_seconds(const std::string& status_body, std::int64_t now);

} // namespace kf::local
