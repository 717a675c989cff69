// kf tune and kf pipeline run — libkf/action/submit.cpp; --wait in cli/cluster_wait.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/cluster_wait.h"
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
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      const action::Context ctx{reporter};
      auto pt = action::open_target(ctx, flags->values.load_options(), g.target);
      action::TrainOptions opts;
      opts.run_name = flags->name;
      return finish_submit(g, pt, action::tune(ctx, opts, pt), *flags);
    };
  });
}

void add_pipeline(CLI::App& app, Globals& g) {
  struct Flags : SubmitFlags {
    std::string pipeline;
  };
  auto flags = std::make_shared<Flags>();
  auto* group = app.add_subcommand("pipeline", "Run the project's pipelines (Argo Workflows)");
  group->require_subcommand(1);
  group->footer("A pipeline of kf.yaml (spec.pipelines) becomes an Argo Workflow with one step per pipeline step; "
                "kf render pipeline NAME prints it.\n\n"
                "Examples:\n"
                "  kf pipeline run --target prod --wait\n"
                "  kf pipeline run train-and-evaluate --target prod --name nightly");
  auto* cmd = group->add_subcommand("run", "Submit a pipeline of kf.yaml as an Argo Workflow to a cluster target");
  hint(cmd->add_option("pipeline", flags->pipeline, "The pipeline (default: the project's only one)"), Hint{{}, "pipeline"});
  add_submit_flags(*cmd, *flags, "workflow");
  cmd->footer("With --wait, follows the workflow to its final phase and prints its node tree.\n\n"
              "Examples:\n"
              "  kf pipeline run train-and-evaluate --target prod\n"
              "  kf pipeline run --target prod --wait");
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      const action::Context ctx{reporter};
      auto pt = action::open_target(ctx, flags->values.load_options(), g.target);
      return finish_submit(g, pt, action::pipeline_run(ctx, action::PipelineRunOptions{flags->pipeline, flags->name}, pt),
                           *flags);
    };
  });
}

} // namespace kf::cli
