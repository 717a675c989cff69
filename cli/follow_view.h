#pragma once
// What the verbs that submit a run (train, tune, pipeline run, serve on a
// cluster) print afterwards, and how they follow it: printers over
// action::follow. On a target whose runs are attached (Traits::attached, the
// local one) the verb stays with the run — the live display of run_view.h,
// Ctrl-C stops the run — unless --detach. Elsewhere it prints the run and
// returns, or with --wait follows it one line per change to the state it
// settles in (Succeeded or Failed; Ready for an InferenceService or a
// Notebook; a Workflow's final phase).

#include <functional>
#include <memory>
#include <string>

#include "cli/app.h"
#include "libkf/action/runs.h"

namespace kf::cli {

// The flags of the verbs that submit a run: -f/--set, --name (not kf serve),
// --wait/--timeout and the verb's own -d/--detach.
struct SubmitFlags {
  ValuesFlags values;
  std::string name;
  bool wait = false;
  int timeout = 0;
  bool detach = false;
};
// `object` names the run's default in --name's help ("job": <job>-<N>); ""
// leaves --name out. --detach is the verb's to add (its help differs).
void add_submit_flags(CLI::App& cmd, SubmitFlags& flags, const std::string& object);
// -d/--detach, for verbs whose runs the local target keeps attached.
void add_detach_flag(CLI::App& cmd, SubmitFlags& flags);

// After a submission: attached, follow it (exit 0 succeeded, 1 failed, 130
// stopped); detached, print it and return 0; else print it and, with --wait,
// follow it (0 when it succeeded or is Ready, else 1). The run's name goes to
// stdout; with --wait also the URL (serving) or the best trial's parameters
// (tuning), for scripts; -o json|yaml prints the run as kf status does.
int after_submit(const Globals& g, action::ProjectTarget& pt, const action::TrainResult& r, const SubmitFlags& flags);

// The body of a verb that submits one run: open the target (with -f/--set),
// `submit`, then after_submit.
using Submit = std::function<action::TrainResult(const action::Context&, action::ProjectTarget&)>;
void on_submit(CLI::App& cmd, Globals& g, std::shared_ptr<const SubmitFlags> flags, Submit submit);

// Follows a service just started on this machine until it is Ready (60 s at
// most; Ctrl-C stops it); returns its URL, else throws saying why not, `what`
// naming it ("the model server").
std::string wait_until_ready(action::ProjectTarget& pt, const std::string& run, const std::string& what,
                             const std::function<bool()>& interrupted);

// From now on Ctrl-C (SIGINT) and SIGTERM set a flag instead of ending kf;
// the function returned reads it.
std::function<bool()> catch_interrupts();

} // namespace kf::cli
