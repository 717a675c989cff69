// retryStrategy on the local Argo operator (workflow_engine.h): a Retry
// node's attempts, the policy and expression that decide whether another
// is due, and the backoff between them.
#include <cmath>
#include <cstdlib>

#include "libkf/local/workflow_engine.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/workflow/duration.h"
#include "libkf/workflow/expr.h"
#include "libkf/workflow/retry.h"

namespace kf::local {

Json* WorkflowEngine::execute_retry(const Call& c, const Json& tmpl, const std::string& tmpl_name) {
  Json* parent = find(c.name);
  if (!parent) parent = &init_node(c.name, c.display, "Retry", tmpl_name, c.boundary, "Running");
  const std::string parent_name = c.name;
  const auto attempt = [&](std::size_t i) {
    return Call{c.name + "(" + std::to_string(i) + ")", c.display + "(" + std::to_string(i) + ")", c.holder, c.boundary, std::to_string(i)};
  };
  const std::size_t count = json_field(*parent, "children").size();
  if (count > 0) {
    Json* last = execute(attempt(count - 1));
    parent = find(parent_name);
    if (!last || !fulfilled(*last) || !retry_again(*parent, *last, tmpl["retryStrategy"], count)) return parent;
  }
  const Call next = attempt(count);
  Json* n = execute(next);
  if (n) add_child(parent_name, next.name);
  parent = find(parent_name);
  if (parent->value("message", "").rfind("Backoff", 0) == 0) parent->erase("message");
  return parent;
}

// After attempt `count` - 1 finished: true when another attempt is due now;
// else the retry node is done (succeeded, out of retries, not retryable,
// the expression said no) or waits out its backoff (its message says so).
bool WorkflowEngine::retry_again(Json& parent, const Json& last, const Json& rs, std::size_t count) {
  const std::string phase = last.value("phase", "");
  if (phase == "Succeeded") {
    if (last.contains("outputs")) parent["outputs"] = last["outputs"];
    mark(parent, "Succeeded");
    return false;
  }
  try {
    const char* pattern = std::getenv("TRANSIENT_ERROR_PATTERN");
    if (!workflow::retryable(workflow::retry_policy(rs), phase, last.value("message", ""), pattern ? pattern : "")) {
      mark(parent, phase, last.value("message", ""));
      return false;
    }
  } catch (const Error& e) {
    mark(parent, "Error", std::string("retryStrategy: ") + e.what());
    return false;
  }
  if (rs.contains("limit")) {
    const std::string limit = workflow::to_text(rs["limit"]);
    char* end = nullptr;
    const long long n = std::strtoll(limit.c_str(), &end, 10);
    if (limit.empty() || *end != '\0') {
      mark(parent, "Error", "retryStrategy.limit " + str::quote(limit) + " is not a number");
      return false;
    }
    if (static_cast<long long>(count) > n) {
      mark(parent, phase, "No more retries left");
      return false;
    }
  }
  if (rs.contains("expression")) {
    Json env = {{"lastRetry", {{"exitCode", json_text(json_field(last, "outputs"), "exitCode")}, {"status", phase}, {"message", last.value("message", "")}}}};
    const auto started = parse_rfc3339(last.value("startedAt", "")), finished = parse_rfc3339(last.value("finishedAt", ""));
    env["lastRetry"]["duration"] = std::to_string(started && finished ? *finished - *started : 0);
    try {
      if (workflow::to_text(workflow::evaluate(rs.value("expression", ""), env)) != "true") {
        mark(parent, phase, "retryStrategy.expression evaluated to false");
        return false;
      }
    } catch (const Error& e) {
      mark(parent, "Error", std::string("retryStrategy.expression: ") + e.what());
      return false;
    }
  }
  return !rs.contains("backoff") || backoff_over(parent, last, rs["backoff"], count);
}

// retryStrategy.backoff: duration x factor^(attempts - 1), at most cap, after
// the last attempt finished; none once maxDuration has passed since the first.
bool WorkflowEngine::backoff_over(Json& parent, const Json& last, const Json& b, std::size_t count) {
  const std::string phase = last.value("phase", "");
  const auto now = static_cast<double>(now_ms()) / 1000.0;
  try {
    const auto parent_start = parse_rfc3339(parent.value("startedAt", "")).value_or(0);
    if (b.contains("maxDuration") && now - static_cast<double>(parent_start) > workflow::parse_duration(workflow::to_text(b["maxDuration"]))) {
      mark(parent, phase, "Max duration limit exceeded");
      return false;
    }
    double wait = b.contains("duration") ? workflow::parse_duration(workflow::to_text(b["duration"])) : 0;
    if (b.contains("factor")) wait *= std::pow(std::stod(workflow::to_text(b["factor"])), static_cast<double>(count - 1));
    if (b.contains("cap")) wait = std::min(wait, workflow::parse_duration(workflow::to_text(b["cap"])));
    const auto finished = parse_rfc3339(last.value("finishedAt", "")).value_or(0);
    if (now < static_cast<double>(finished) + wait) {
      parent["message"] = "Backoff for " + workflow::format_duration(wait);
      return false;
    }
  } catch (const std::exception& e) {
    mark(parent, "Error", std::string("retryStrategy.backoff: ") + e.what());
    return false;
  }
  return true;
}

} // namespace kf::local
