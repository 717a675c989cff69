#include "libkf/local/conditions.h"

namespace kf::local {

std::string reason(const std::string& kind, const std::string& condition) { return kind + condition; }

namespace {
void turn_off(Json& conditions, const std::string& type, const std::string& now) {
  for (auto& c : conditions)
    if (c.value("type", "") == type && c.value("status", "") == "True") {
      c["status"] = "False";
      c["lastUpdateTime"] = now;
      c["lastTransitionTime"] = now;
    }
}
} // namespace

void set_condition(Json& status, const std::string& type, const std::string& reason, const std::string& message,
                   const std::string& now) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) status["conditions"] = Json::array();
  Json& conditions = status["conditions"];
  if (type == "Running" || type == "Ready") turn_off(conditions, "Restarting", now);
  if (type == "Restarting" || type == "Succeeded" || type == "Failed") turn_off(conditions, "Running", now);
  if (type == "Succeeded" || type == "Failed") turn_off(conditions, "Restarting", now); // resumed, then ended
  if (type == "Restarting" || type == "Failed") { // a service that is not serving
    turn_off(conditions, "Ready", now);
    turn_off(conditions, "PredictorReady", now);
  }
  for (auto& c : conditions)
    if (c.value("type", "") == type) {
      const bool transition = c.value("status", "") != "True";
      c["status"] = "True";
      c["reason"] = reason;
      c["message"] = message;
      c["lastUpdateTime"] = now;
      if (transition) c["lastTransitionTime"] = now;
      return;
    }
  conditions.push_back({{"type", type},
                        {"status", "True"},
                        {"reason", reason},
                        {"message", message},
                        {"lastUpdateTime", now},
                        {"lastTransitionTime", now}});
}

void mark_created(Json& object, const std::string& now) {
  const std::string kind = object.value("kind", "");
  Json& status = object["status"];
  if (kind == "Workflow") status["phase"] = "Pending"; // Argo's status has a phase, not conditions
  else set_condition(status, "Created", reason(kind, "Created"), kind + " " + object["metadata"].value("name", "") + " is created.", now);
}

void mark_failed(Json& object, const std::string& why, const std::string& message, const std::string& now) {
  Json& status = object["status"];
  if (object.value("kind", "") == "Workflow") {
    status["phase"] = "Failed";
    status["message"] = message;
    status["finishedAt"] = now;
  } else {
    set_condition(status, "Failed", why, message, now);
  }
}

} // namespace kf::local
