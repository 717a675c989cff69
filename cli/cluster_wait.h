#pragma once
// Submitting to a cluster target from the verbs: what to print after a
// submission, and `--wait`, which follows the run through watch events to
// the state it settles in (Succeeded or Failed; Ready for an
// InferenceService or a Notebook; a Workflow's final phase).

#include <string>

#include "cli/app.h"
#include "libkf/action/runs.h"

namespace kf::cli {

// The flags of the verbs that submit a run: -f/--set, --name (not kf serve)
// and, for a cluster target, --wait/--timeout.
struct SubmitFlags {
  ValuesFlags values;
  std::string name;
  bool wait = false;
  int timeout = 0;
};
// `object` names the run's default in --name's help ("job": <job>-<N>); ""
// leaves --name out.
void add_submit_flags(CLI::App& cmd, SubmitFlags& flags, const std::string& object);

// Whether the verbs' target is a cluster (they submit and return, unless --wait).
bool is_cluster(const action::ProjectTarget& pt);

// "run mnist-1 submitted (PyTorchJob, target sim, namespace ml)" and how to follow it, on stderr; the run's name on stdout.
void print_submitted(const action::ProjectTarget& pt, const action::TrainResult& r);

// Follows `run` until it settles, one line per change on stderr (redrawn in
// place on a terminal), then the outcome: the reason, the failing replica's
// last log lines, the best trial, the URL, the node tree. The URL (serving) or
// the best trial's parameters (tuning) also go to stdout, for scripts.
// Returns 0 when it succeeded (or is Ready), 1 otherwise. timeout_s 0 = no limit.
int wait_for_run(const Globals& g, action::ProjectTarget& pt, const std::string& run, int timeout_s);

// After a submission to a cluster: print_submitted, then wait_for_run with
// --wait. Returns the verb's exit code.
int finish_submit(const Globals& g, action::ProjectTarget& pt, const action::TrainResult& r, const SubmitFlags& flags);

} // namespace kf::cli
