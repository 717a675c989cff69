#include "libkf/target/katib.h"

#include <string>

#include "libkf/util/json_field.h"

namespace kf::target {

namespace {
const Json& at(const Json& j, const char* key) { return json_field(j, key); }
std::string text(const Json& j, const char* key) { return json_text(j, key); }
} // namespace

// Katib's [{name, value}] as {name: value}.
Json katib_assignments(const Json& list) {
  Json out = Json::object();
  if (list.is_array())
    for (const auto& a : list) out[text(a, "name")] = at(a, "value");
  return out;
}

// min, max or latest: the metric's strategy in spec.objective, as Katib's defaulting sets it.
std::string katib_strategy(const Json& objective, const std::string& metric) {
  const Json& strategies = at(objective, "metricStrategies");
  if (strategies.is_array())
    for (const auto& s : strategies)
      if (text(s, "name") == metric && !text(s, "value").empty()) return text(s, "value");
  if (!objective.is_object() || text(objective, "objectiveMetricName") != metric) return "latest";
  const std::string type = text(objective, "type");
  return type == "maximize" ? "max" : type == "minimize" ? "min" : "latest";
}

Json katib_observed(const Json& observation, const Json& objective) {
  Json out = Json::object();
  const Json& metrics = at(observation, "metrics");
  if (!metrics.is_array()) return out;
  for (const auto& m : metrics) {
    const std::string name = text(m, "name"), key = katib_strategy(objective, name);
    const Json& value = at(m, key == "min" || key == "max" ? key.c_str() : "latest");
    if (value.is_number()) {
      out[name] = value;
      continue;
    }
    const std::string s = value.is_string() ? value.get<std::string>() : "";
    try {
      std::size_t used = 0;
      const double d = std::stod(s, &used);
      out[name] = used == s.size() ? Json(d) : Json(s);
    } catch (const std::exception&) {
      out[name] = s;
    }
  }
  return out;
}

Json katib_lineage(const Json& trial_metadata) {
  Json out = Json::object();
  const Json& labels = at(trial_metadata, "labels");
  const std::string generation = text(labels, "pbt.suggestion.katib.kubeflow.org/generation");
  if (generation.empty()) return out;
  try {
    out["generation"] = std::stoi(generation);
  } catch (const std::exception&) {
    out["generation"] = generation;
  }
  if (const std::string parent = text(labels, "pbt.suggestion.katib.kubeflow.org/parent"); !parent.empty()) out["parent"] = parent;
  return out;
}

} // namespace kf::target
