// retryStrategy's policies (retry.h).
#include "libkf/workflow/retry.h"

#include <array>
#include <string_view>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"
#include "libkf/workflow/regexp.h"

namespace kf::workflow {

namespace {

// Argo's util/errors: the messages of errors that go away by themselves.
bool is_transient(const std::string& message, const std::string& pattern) {
  static constexpr std::array<std::string_view, 13> k_transient = {
      "Connection closed by foreign host", "net/http: TLS handshake timeout", "i/o timeout", "connection timed out",
      "connection reset by peer", "http2: client connection lost", "http2: server sent GOAWAY and closed the connection",
      "connect: connection refused", "invalid connection", "etcdserver: leader changed", "etcdserver: request timed out",
      "etcdserver: too many requests", "upper: no more rows in"};
  for (const auto t : k_transient)
    if (message.find(t) != std::string::npos) return true;
  return !pattern.empty() && regex_search(message, pattern);
}

} // namespace

std::string retry_policy(const Json& rs) {
  const Json& policy = rs.is_object() && rs.contains("retryPolicy") ? rs["retryPolicy"] : Json();
  if (policy.is_null() || (policy.is_string() && policy.get<std::string>().empty()))
    return rs.is_object() && rs.contains("expression") ? "Always" : "OnFailure";
  const std::string p = policy.is_string() ? policy.get<std::string>() : policy.dump();
  if (p != "Always" && p != "OnFailure" && p != "OnError" && p != "OnTransientError")
    throw Error(str::quote(p) + " is not a valid RetryPolicy (Always, OnFailure, OnError or OnTransientError)");
  return p;
}

bool retryable(const std::string& policy, const std::string& phase, const std::string& message,
               const std::string& transient_pattern) {
  if (phase != "Failed" && phase != "Error") return false;
  if (policy == "Always") return true;
  if (policy == "OnFailure") return phase == "Failed";
  if (policy == "OnError") return phase == "Error";
  return policy == "OnTransientError" && is_transient(message, transient_pattern);
}

} // namespace kf::workflow
