// kf tune — libkf/action/submit.cpp; following the run: cli/follow_view.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/follow_view.h"
#include "cli/output.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_tune(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<SubmitFlags>();
  auto* cmd = app.add_subcommand("tune", "Tune hyperparameters: submit the project's Katib Experiment (spec.tuning) to "
                                         "a cluster target");
  add_submit_flags(*cmd, *flags, "experiment");
  cmd->footer("Katib creates one trial (a PyTorchJob or TFJob) per parameter assignment; kf status RUN shows the "
              "trials and the best one. With --wait, the best trial's parameters are printed on stdout.\n\n"
              "Examples:\n"
              "  kf tune --target prod\n"
              "  kf tune --target prod --wait --set tuning.maxTrials=20");
  on_submit(*cmd, g, flags, [flags](const action::Context& ctx, action::ProjectTarget& pt) {
    return action::tune(ctx, action::TrainOptions{flags->name}, pt);
  });
}

} // namespace kf::cli
