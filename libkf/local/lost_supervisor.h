#pragma once
// A run whose supervisor died without finishing it (kill -9, a reboot, the
// OOM killer): whoever notices first (LocalTarget::get, holding the run's
// lock) records it as Kubeflow would, Failed with reason SupervisorLost.
//
// The replicas of a training job run in process groups of their own, so
// they outlive their supervisor. They are stopped then, as the training
// operator's cleanPodPolicy stops the pods of a failed job: a Failed run
// has no process left. kf resume restarts them (LocalTarget::resume); the
// trainer carries on from its last checkpoint, as after any restart.

#include <string>

#include "libkf/util/json.h"

namespace kf::local {

struct RunDir;

// Whether kf resume restarts a `kind` whose supervisor was lost: the
// training jobs (PyTorchJob, TFJob, TrainJob). An Experiment and a Workflow
// carry on from their trials and nodes instead; a Job, a notebook and a
// service start again.
bool restarts_after_lost_supervisor(const std::string& kind);

// Whether `object` failed because its supervisor was lost.
bool supervisor_was_lost(const Json& object);

// Marks `object`, the run `run` in `dir`, Failed (SupervisorLost), after
// stopping the replicas it left running (local.json's pids, each checked
// against its start time: a pid is reused); its replica counts say so.
// The caller holds the run's lock and writes the object.
void record_lost_supervisor(const RunDir& dir, const std::string& run, Json& object);

} // namespace kf::local
