#pragma once
// The controllers a local run's supervisor process runs, one per kind of
// plan (supervise() in supervisor.cpp picks by plan.json's kind):
//   supervisor.cpp   PyTorchJob, TFJob (gang-scheduled replicas) and InferenceService
//   batch_job.cpp    batch/v1 Job (pods until completions, backoffLimit, deadline)
//   experiment.cpp   Katib Experiment (trials, each a run of its own under trials/)
//   workflow.cpp     Argo Workflow (workflow_engine.h: steps, dags, pods, artifacts, the cache)
// Each holds the run's lock for its lifetime (taken by supervise()), writes
// object.json's status as that kind's controller would, and local.json.

#include "libkf/local/supervisor.h"

namespace kf::local {

int run_gang(const SuperviseOptions& options);
int run_batch_job(const SuperviseOptions& options);
int run_experiment(const SuperviseOptions& options);
int run_workflow(const SuperviseOptions& options);   // workflow.cpp: Argo Workflows

// True once the supervisor got SIGTERM or SIGINT (kf delete, Ctrl-C); the signal's number.
int stop_signal();

} // namespace kf::local
