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

// Katib's observation metrics [{name, latest, min, max}] as {name: latest}, numbers where they parse.
Json katib_observed(const Json& observation) {
  Json out = Json::object();
  const Json& metrics = at(observation, "metrics");
  if (!metrics.is_array()) return out;
  for (const auto& m : metrics) {
    const Json& latest = at(m, "latest");
    if (latest.is_number()) {
      out[text(m, "name")] = latest;
      continue;
    }
    const std::string s = latest.is_string() ? latest.get<std::string>() : "";
    try {
      std::size_t used = 0;
      const double d = std::stod(s, &used);
      out[text(m, "name")] = used == s.size() ? Json(d) : Json(s);
    } catch (const std::exception&) {
      out[text(m, "name")] = s;
    }
  }
  return out;
}

} // namespace kf::target
