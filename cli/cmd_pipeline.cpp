// kf pipeline run — libkf/action/submit.cpp; following the run: cli/follow_view.cpp.
#include "cli/app.h"
#include "cli/output.h"
#include "cli/follow_view.h"
#include "libkf/action/runs.h"

namespace kf::cli {

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
  on_submit(*cmd, g, flags, [flags](const action::Context& ctx, action::ProjectTarget& pt) {
    return action::pipeline_run(ctx, action::PipelineRunOptions{flags->pipeline, flags->name}, pt);
  });
}

} // namespace kf::cli
