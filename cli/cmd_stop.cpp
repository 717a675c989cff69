// kf stop — libkf/action/status.cpp (stop_runs).
#include <iostream>

#include "cli/app.h"
#include "cli/output.h"
#include "cli/session.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_stop(CLI::App& app, Globals& g) {
  auto runs = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("stop", "Stop runs and keep them: their processes end, their records and files stay");
  hint(cmd->add_option("runs", *runs, "Run names (or @latest)")->required(), Hint{{}, "run"});
  cmd->footer("On the local target a stopped run ends as Failed with reason Stopped (as Ctrl-C ends an attached "
              "one); a notebook's workspace stays in .kf/volumes/ and kf notebook starts it again. On a cluster "
              "target a Notebook gets Kubeflow's kubeflow-resource-stopped annotation (its pod goes, the Notebook "
              "and its PVC stay); the training, tuning and serving operators have no stop, so other runs are "
              "deleted as kf delete does. A run that has already ended is kept as it ended, on either target.\n\n"
              "Examples:\n"
              "  kf stop demo-lab-1\n"
              "  kf stop @latest --target prod");
  on_run(*cmd, g, [runs](Session& s) {
    auto pt = s.open_runs(action::WithoutProject::existing_runs);
    for (const auto& r : action::stop_runs(s.ctx, *runs, pt)) {
      if (r.finished.empty()) std::cout << "run " << r.run << " stopped\n";
      else std::cout << "run " << r.run << " had already ended (" << r.finished << "): kept as it was\n";
    }
    return 0;
  });
}

} // namespace kf::cli
