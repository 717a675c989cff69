#include "libkf/local/culler.h"

#include <cstdlib>

#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"

namespace kf::local {

namespace {

// A number of minutes from the environment, in seconds; `fallback` minutes when unset.
double minutes(const std::function<const char*(const char*)>& getenv, const char* name, double fallback) {
  const char* v = getenv(name);
  if (!v || !*v) return fallback * 60;
  char* end = nullptr;
  const double m = std::strtod(v, &end);
  if (*end != '\0' || !(m > 0)) throw UsageError(std::string(name) + "=" + v + ": must be a positive number of minutes");
  return m * 60;
}

} // namespace

CullPolicy cull_policy(const std::function<const char*(const char*)>& getenv) {
  CullPolicy p;
  const char* enabled = getenv("ENABLE_CULLING");
  if (!enabled || std::string(enabled) != "true") return p;
  p.idle_seconds = minutes(getenv, "CULL_IDLE_TIME", 1440);
  p.check_seconds = minutes(getenv, "IDLENESS_CHECK_PERIOD", 1);
  return p;
}

Json to_json(const CullPolicy& p) { return {{"cullIdleSeconds", p.idle_seconds}, {"idlenessCheckSeconds", p.check_seconds}}; }

CullPolicy cull_policy_from_json(const Json& j) {
  CullPolicy p;
  const Json& idle = json_field(j, "cullIdleSeconds");
  const Json& check = json_field(j, "idlenessCheckSeconds");
  if (idle.is_number()) p.idle_seconds = idle.get<double>();
  if (check.is_number()) p.check_seconds = check.get<double>();
  return p;
}

std::optional<double> idle_seconds(const std::string& status_body, std::int64_t now) {
  const Json status = json::parse_or_discarded(status_body);
  const auto last = parse_rfc3339(json_text(status, "last_activity"));
  if (!last) return std::nullopt;
  return static_cast<double>(now - *last);
}

} // namespace kf::local
