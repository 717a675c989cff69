// kf delete — libkf/action/status.cpp (runs); -f and --platform: cli/cmd_apply.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/cmd_apply.h"
#include "cli/output.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_delete(CLI::App& app, Globals& g) {
  auto runs = std::make_shared<std::vector<std::string>>();
  auto applied = std::make_shared<DeleteAppliedFlags>(); // -f / --platform: cmd_apply.cpp
  auto* cmd = app.add_subcommand("delete", "Stop runs and remove them: their processes, directory and records");
  hint(cmd->add_option("runs", *runs, "Run names (or @latest)"), Hint{{}, "run"});
  add_delete_applied_flags(*cmd, *applied);
  cmd->footer("Examples:\n"
              "  kf delete mnist-train-2\n"
              "  kf delete @latest\n"
              "  kf delete --platform            # what kf apply installed for kf.yaml\n"
              "  kf delete -f manifests/         # what kf apply -f applied");
  on_run(*cmd, g, [runs, applied](Session& s) {
    if (const auto rc = run_delete_applied(s, *applied, !runs->empty())) return *rc;
    auto pt = s.open_runs(action::WithoutProject::existing_runs);
    for (const auto& r : action::delete_runs(s.ctx, *runs, pt)) std::cout << "run " << r << " deleted\n";
    return 0;
  });
}

} // namespace kf::cli
