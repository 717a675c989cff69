#include "libkf/local/conditions.h"

#include <algorithm>

namespace kf::local {

std::string reason(const std::string& kind, const std::string& condition) { return kind + condition; }

namespace {

// How each controller orders its conditions.
enum class Style {
  InPlace,  // Kubernetes' Job controller, meta.SetStatusCondition (TrainJob), Notebook: a type keeps its place
  Katib,    // Katib's setCondition (Experiment, Trial): a changed condition is removed and appended
  Operator, // the training operator's setCondition: the same, and Running and Restarting remove each other
  Knative,  // KServe (knative's ConditionSet): a type keeps its place, and the list is sorted by type
};

Style style_of(const std::string& kind) {
  if (kind == "Experiment" || kind == "Trial" || kind == "Suggestion") return Style::Katib;
  if (kind == "PyTorchJob" || kind == "TFJob" || kind == "XGBoostJob" || kind == "MPIJob" || kind == "PaddleJob" ||
      kind == "JAXJob")
    return Style::Operator;
  if (kind == "InferenceService") return Style::Knative;
  return Style::InPlace;
}

Json::iterator find(Json& conditions, const std::string& type) {
  return std::find_if(conditions.begin(), conditions.end(), [&](const Json& c) { return c.value("type", "") == type; });
}

void erase(Json& conditions, const std::string& type) {
  if (auto it = find(conditions, type); it != conditions.end()) conditions.erase(it);
}

// Puts `cond` in as `style` does. The same status and reason is no change
// (upstream leaves even the message; kf keeps the newest message there).
// A status that stays keeps its lastTransitionTime.
void put(Json& conditions, Style style, Json cond) {
  auto it = find(conditions, cond["type"].get<std::string>());
  if (it != conditions.end()) {
    if (it->value("status", "") == cond["status"] && it->value("reason", "") == cond["reason"]) {
      (*it)["message"] = cond["message"];
      (*it)["lastUpdateTime"] = cond["lastUpdateTime"];
      return;
    }
    if (it->value("status", "") == cond["status"] && it->contains("lastTransitionTime"))
      cond["lastTransitionTime"] = (*it)["lastTransitionTime"];
    if (style == Style::InPlace || style == Style::Knative) {
      *it = std::move(cond);
      return;
    }
    conditions.erase(it);
  }
  conditions.push_back(std::move(cond));
  if (style == Style::Knative)
    std::stable_sort(conditions.begin(), conditions.end(),
                     [](const Json& a, const Json& b) { return a.value("type", "") < b.value("type", ""); });
}

Json condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message, const std::string& now) {
  return {{"type", type},       {"status", status},         {"reason", reason},
          {"message", message}, {"lastUpdateTime", now}, {"lastTransitionTime", now}};
}

// A True condition of `type` becomes False (with its reason and message).
// The training operator flips its status where it is (filterOutCondition).
void turn_off(Json& conditions, Style style, const std::string& type, const std::string& now) {
  auto it = find(conditions, type);
  if (it == conditions.end() || it->value("status", "") != "True") return;
  if (style == Style::Operator) {
    (*it)["status"] = "False";
    return;
  }
  put(conditions, style, condition(type, "False", it->value("reason", ""), it->value("message", ""), now));
}

} // namespace

void set_condition(Json& object, const std::string& type, const std::string& reason, const std::string& message,
                   const std::string& now) {
  Json& status = object["status"];
  if (!status.is_object()) status = Json::object();
  if (!status.contains("conditions") || !status["conditions"].is_array()) status["conditions"] = Json::array();
  Json& conditions = status["conditions"];
  const Style style = style_of(object.value("kind", ""));
  if (style == Style::Operator && (type == "Running" || type == "Restarting"))
    erase(conditions, type == "Running" ? "Restarting" : "Running");
  if (type == "Running" || type == "Ready") turn_off(conditions, style, "Restarting", now);
  // (Katib's trials end as Killed, MetricsUnavailable or EarlyStopped too.)
  const bool ended = type == "Succeeded" || type == "Failed" || type == "Killed" || type == "MetricsUnavailable" ||
                     type == "EarlyStopped";
  if (type == "Restarting" || ended) turn_off(conditions, style, "Running", now);
  if (ended) turn_off(conditions, style, "Restarting", now); // resumed, then ended
  if (type == "Restarting" || type == "Failed") { // a service that is not serving
    turn_off(conditions, style, "Ready", now);
    turn_off(conditions, style, "PredictorReady", now);
  }
  put(conditions, style, condition(type, "True", reason, message, now));
}

void remove_condition(Json& object, const std::string& type) {
  Json& status = object["status"];
  if (status.is_object() && status.contains("conditions") && status["conditions"].is_array())
    erase(status["conditions"], type);
}

void mark_created(Json& object, const std::string& now) {
  const std::string kind = object.value("kind", "");
  if (kind == "Workflow") object["status"]["phase"] = "Pending"; // Argo's status has a phase, not conditions
  else set_condition(object, "Created", reason(kind, "Created"), kind + " " + object["metadata"].value("name", "") + " is created.", now);
}

void mark_failed(Json& object, const std::string& why, const std::string& message, const std::string& now) {
  if (object.value("kind", "") == "Workflow") {
    Json& status = object["status"];
    status["phase"] = "Failed";
    status["message"] = message;
    status["finishedAt"] = now;
  } else {
    set_condition(object, "Failed", why, message, now);
  }
}

} // namespace kf::local
