#pragma once
// What a verb's body works with once the command line is parsed: the global
// flags, the terminal reporter and the action context over it, and the
// project's target on demand.

#include <functional>

#include "cli/app.h"
#include "cli/output.h"
#include "libkf/action/runs.h"

namespace kf::cli {

struct Session {
  explicit Session(const Globals& globals) : g(globals), reporter(globals), ctx{reporter} {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // kf.yaml (with -f/--set) and the target of --target (else its defaultTarget).
  action::ProjectTarget open(const spec::LoadOptions& load = {}, const action::TargetOverrides& overrides = {}) const {
    return action::open_target(ctx, load, g.target, overrides);
  }
  // The same for the verbs that also work without kf.yaml (kf submit, and those that follow its runs).
  action::ProjectTarget open_runs(action::WithoutProject without) const {
    action::TargetOverrides o;
    o.without_project = without;
    return open({}, o);
  }

  const Globals& g;
  TerminalReporter reporter;
  action::Context ctx;
};

// The verb's body, which main runs after parsing (Globals::run); returns the exit code.
inline void on_run(CLI::App& cmd, Globals& g, std::function<int(Session&)> body) {
  cmd.callback([&g, body = std::move(body)] {
    g.run = [&g, body] {
      Session s(g);
      return body(s);
    };
  });
}

} // namespace kf::cli
