#include <doctest/doctest.h>

#include "libkf/util/error.h"
#include "libkf/workflow/retry.h"

using namespace kf;
using namespace kf::workflow;

TEST_CASE("retry: the policy defaults to OnFailure, or Always when an expression decides") {
  CHECK(retry_policy(Json::object()) == "OnFailure");
  CHECK(retry_policy(Json{{"limit", 3}}) == "OnFailure");
  CHECK(retry_policy(Json{{"expression", "lastRetry.status == 'Error'"}}) == "Always");
  CHECK(retry_policy(Json{{"expression", "true"}, {"retryPolicy", "OnError"}}) == "OnError");
  CHECK_THROWS_WITH_AS(retry_policy(Json{{"retryPolicy", "Sometimes"}}),
                       "\"Sometimes\" is not a valid RetryPolicy (Always, OnFailure, OnError or OnTransientError)", Error);
}

TEST_CASE("retry: which failures each policy retries") {
  CHECK(retryable("Always", "Failed", "Error (exit code 1)", ""));
  CHECK(retryable("Always", "Error", "pod deleted", ""));
  CHECK_FALSE(retryable("Always", "Succeeded", "", ""));
  CHECK(retryable("OnFailure", "Failed", "Error (exit code 1)", ""));
  CHECK_FALSE(retryable("OnFailure", "Error", "pod deleted", ""));
  CHECK(retryable("OnError", "Error", "pod deleted", ""));
  CHECK_FALSE(retryable("OnError", "Failed", "Error (exit code 1)", ""));
}

TEST_CASE("retry: OnTransientError retries what reads as transient, in either phase") {
  CHECK_FALSE(retryable("OnTransientError", "Failed", "Error (exit code 1)", ""));
  CHECK_FALSE(retryable("OnTransientError", "Error", "pod deleted", ""));
  CHECK(retryable("OnTransientError", "Error", "dial tcp 10.0.0.1:443: connect: connection refused", ""));
  CHECK(retryable("OnTransientError", "Failed", "read: connection reset by peer", ""));
  CHECK(retryable("OnTransientError", "Error", "etcdserver: leader changed", ""));
  SUBCASE("TRANSIENT_ERROR_PATTERN: a Go regular expression on the message") {
    CHECK(retryable("OnTransientError", "Failed", "Error (exit code 75)", "exit code (75|111)"));
    CHECK_FALSE(retryable("OnTransientError", "Failed", "Error (exit code 1)", "exit code (75|111)"));
    CHECK_THROWS_AS(retryable("OnTransientError", "Failed", "x", "a**"), Error);
  }
}
