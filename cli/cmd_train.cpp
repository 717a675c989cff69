// kf train — libkf/action/train.cpp; following the run: cli/follow_view.cpp.
#include "cli/app.h"
#include "cli/output.h"
#include "cli/follow_view.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_train(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<SubmitFlags>();
  auto* cmd = app.add_subcommand("train", "Train the model: run the project's PyTorchJob or TFJob on the target "
                                          "(default: this machine), following its progress");
  add_submit_flags(*cmd, *flags, "job");
  add_detach_flag(*cmd, *flags);
  cmd->footer("On a cluster target kf creates the job and returns (--wait follows it to Succeeded or Failed); the "
              "training operator runs it. On the local target every replica is a kf-trainer process with the environment the training operator "
              "would give its pod (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, PET_*, or TF_CONFIG); logs, checkpoints "
              "and the model go to .kf/runs/RUN/, the run's record to .kf/metadata.db. restartPolicy and "
              "runPolicy.backoffLimit apply as on a cluster. Ctrl-C stops every replica. Exit status: 0 when the run "
              "succeeded, 1 when it failed, 130 when stopped.\n\n"
              "Examples:\n"
              "  kf train\n"
              "  kf train --set training.workers=4 --set training.hyperparameters.epochs=10\n"
              "  kf train --detach && kf logs @latest -f\n"
              "  kf train -f fast.yaml --name baseline\n"
              "  kf train --target prod --wait --timeout 3600");
  on_submit(*cmd, g, flags, [flags](const action::Context& ctx, action::ProjectTarget& pt) {
    return action::train(ctx, action::TrainOptions{flags->name}, pt);
  });
}

} // namespace kf::cli
