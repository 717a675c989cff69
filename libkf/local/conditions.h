#pragma once
// Job status in the shape the Kubeflow training operator writes it
// (kubeflow.org/v1 JobStatus): conditions with type/status/reason/message
// and transition times, replicaStatuses per replica type, startTime,
// completionTime. The local supervisor keeps one of these in object.json.

#include <string>

#include "libkf/util/clock.h"
#include "libkf/util/json.h"

namespace kf::local {

// Sets condition `type` of `object` (its status.conditions) to True with
// reason/message, as the object's kind's controller does: Running and
// Restarting exclude each other, Succeeded and Failed (and a trial's
// Killed, MetricsUnavailable, EarlyStopped) turn Running and Restarting
// off; for services (KServe's Ready and PredictorReady),
// Restarting and Failed turn Ready off and Ready turns Restarting off.
// Where each condition goes is the controller's: Katib's kinds and the
// training operator's remove a changed condition and append it (the newest
// is last: scripts read conditions[-1]), and the operator's Running and
// Restarting remove each other; KServe keeps the list sorted by type; the
// others (batch/v1 Job, TrainJob, Notebook) update a condition in place.
// The same status and reason is no change but for the message; a status
// that stays keeps its lastTransitionTime.
void set_condition(Json& object, const std::string& type, const std::string& reason, const std::string& message,
                   const std::string& now);
// Drops condition `type` (Katib's resume drops Succeeded and Failed).
void remove_condition(Json& object, const std::string& type);

// The operator's reason for a condition: "PyTorchJobRunning", "TFJobFailed", ...
std::string reason(const std::string& kind, const std::string& condition);

// The status a run starts with, and the one its failure leaves, in its
// controller's shape: an Argo Workflow's phase (and message), the
// operators' conditions for every other kind. `why` is the condition's reason.
void mark_created(Json& object, const std::string& now);
void mark_failed(Json& object, const std::string& why, const std::string& message, const std::string& now);

} // namespace kf::local
