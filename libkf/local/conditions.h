#pragma once
// Job status in the shape the Kubeflow training operator writes it
// (kubeflow.org/v1 JobStatus): conditions with type/status/reason/message
// and transition times, replicaStatuses per replica type, startTime,
// completionTime. The local supervisor keeps one of these in object.json.

#include <string>

#include "libkf/util/clock.h"
#include "libkf/util/json.h"

namespace kf::local {

// Sets condition `type` to True with reason/message, as the operator does:
// Running and Restarting exclude each other, Succeeded and Failed turn
// Running off. For services (KServe's Ready and PredictorReady), Restarting
// and Failed turn Ready off and Ready turns Restarting off. An existing condition of that type is updated in place.
void set_condition(Json& status, const std::string& type, const std::string& reason, const std::string& message,
                   const std::string& now);

// The operator's reason for a condition: "PyTorchJobRunning", "TFJobFailed", ...
std::string reason(const std::string& kind, const std::string& condition);

// The status a run starts with, and the one its failure leaves, in its
// controller's shape: an Argo Workflow's phase (and message), the
// operators' conditions for every other kind. `why` is the condition's reason.
void mark_created(Json& object, const std::string& now);
void mark_failed(Json& object, const std::string& why, const std::string& message, const std::string& now);

} // namespace kf::local
