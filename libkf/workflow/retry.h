#pragma once
// A template's retryStrategy, as Argo's controller reads it
// (processNodeRetries): which attempts' failures are retried.

#include <string>

#include "libkf/util/json.h"

namespace kf::workflow {

// retryPolicy as given, or its default: Always when the strategy has an
// expression (the expression decides), else OnFailure. kf::Error for a
// policy that is none of Always, OnFailure, OnError, OnTransientError.
std::string retry_policy(const Json& retry_strategy);

// Whether an attempt that ended in `phase` ("Failed", "Error") with
// `message` may be retried under `policy`. OnTransientError retries either
// phase when the message reads as a transient error: one of the network and
// etcd errors Argo's util/errors lists, or a match of `transient_pattern`
// (the controller's TRANSIENT_ERROR_PATTERN; empty: none).
bool retryable(const std::string& policy, const std::string& phase, const std::string& message,
               const std::string& transient_pattern);

} // namespace kf::workflow
