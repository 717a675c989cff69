#pragma once
// Following a run to the state it settles in, the same way on every target:
// through Target::watch, one update per change of its status or its details
// (the local target's progress), then the run as `kf status RUN` describes it
// and the exit code the verbs return. The verbs' displays (cli/follow_view.h)
// are printers over these updates.
//
//   kf train (local, attached)   follow(..., {interrupt, stop_on_interrupt})
//   kf train/tune/... --wait     follow(..., {timeout})
//   kf serve (local)             follow(..., {60 s, interrupt, stop_on_interrupt}) until Ready

#include <chrono>
#include <functional>
#include <string>

#include "libkf/target/summary.h"
#include "libkf/target/target.h"

namespace kf::action {

struct FollowOptions {
  std::chrono::seconds timeout{0};   // past it the watch throws kf::Error saying where the run got to; 0 = no limit
  std::function<bool()> interrupted; // Ctrl-C, asked at least once a second; null = never
  bool stop_on_interrupt = false;    // an attached run ends with its follower: Ctrl-C stops it
};

struct FollowUpdate {
  const Json& object;      // the run's object with its status
  const Json& details;     // Target::details() at that moment
  target::Summary summary; // of object
  bool stopping = false;   // the last update: Ctrl-C, the run is being stopped
};

struct FollowResult {
  int exit_code = 0;        // 0 when kf status says Succeeded (Ready, for a service), else 1; 130 after Ctrl-C
  bool interrupted = false; // Ctrl-C ended it (with stop_on_interrupt, the run was stopped)
  Json object;              // the last version seen
  Json run;                 // as Target::describe(run) has it at the end; failed runs carry failedReplica and logTail
};

FollowResult follow(target::Target& target, const std::string& run, const FollowOptions& options,
                    const std::function<void(const FollowUpdate&)>& on_update);

} // namespace kf::action
