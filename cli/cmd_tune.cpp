// kf tune — libkf/action/submit.cpp; following the run: cli/follow_view.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/follow_view.h"
#include "cli/output.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_tune(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<SubmitFlags>();
  auto* cmd = app.add_subcommand("tune", "Tune hyperparameters: run the project's Katib Experiment (spec.tuning) on the "
                                         "target (default: this machine), following its trials");
  add_submit_flags(*cmd, *flags, "experiment");
  add_detach_flag(*cmd, *flags);
  cmd->footer("Each trial is the project's training job (a PyTorchJob or TFJob) with one assignment of the parameters. "
              "On the local target kf is Katib's controller: parallelTrialCount trials run at a time as local runs "
              "(.kf/runs/RUN/trials/), the suggestion algorithm (random, grid, sobol, tpe, multivariate-tpe, "
              "bayesianoptimization, cmaes) picks the next parameters from the results, or hyperband runs brackets "
              "of rungs (its resource_name parameter, e.g. epochs, grows for each rung's best) and pbt evolves a "
              "population (each trial trains on from its parent's checkpoint), medianstop stops poor trials "
              "early, and the live display shows trials done and running, the best so far and an ETA; Ctrl-C stops "
              "every trial (kf resume RUN carries on). A random_state setting makes the trials repeatable when they "
              "run one at a time (parallelTrials 1); in parallel, what is suggested depends on which trials finished "
              "first, as with Katib. tpe and multivariate-tpe take one setting of kf's own, bandwidth_weighted "
              "(true by default: each observation's kernel scores with its weight times its bandwidth, as Optuna "
              "3.1's TPE; false: the textbook mixture). On a cluster target Katib runs it; --wait follows it. Either "
              "way the best trial's parameters are printed on stdout at the end, kf status RUN lists the trials, "
              "best first by the objective's metric strategy (with pbt, each one's generation and parent), and kf "
              "logs RUN --trial NAME shows one.\n\n"
              "Examples:\n"
              "  kf tune\n"
              "  kf tune --set tuning.maxTrials=6 --set tuning.algorithm.name=tpe\n"
              "  kf tune --set tuning.algorithm.name=pbt --set tuning.algorithm.settings.n_population=5 \\\n"
              "          --set tuning.algorithm.settings.truncation_threshold=0.2 --set tuning.maxTrials=15\n"
              "  kf tune --target prod --wait --set tuning.maxTrials=20");
  on_submit(*cmd, g, flags, [flags](const action::Context& ctx, action::ProjectTarget& pt) {
    return action::tune(ctx, action::TrainOptions{flags->name}, pt);
  });
}

} // namespace kf::cli
