// kf pipeline run — libkf/action/submit.cpp; following the run: cli/follow_view.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "cli/follow_view.h"
#include "libkf/action/runs.h"

namespace kf::cli {

namespace {

void add_why(CLI::App& group, Globals& g) {
  auto args = std::make_shared<std::pair<std::string, std::string>>();
  auto* cmd = group.add_subcommand("why", "Say why a step of a pipeline's run ran, or that it was cached and from which run");
  hint(cmd->add_option("run", args->first, "The run, or @latest")->required(), Hint{{}, "run"});
  cmd->add_option("step", args->second, "The step, by its name in kf status RUN")->required();
  cmd->footer("A step runs when its key (the sha256 of its resolved template, its input parameters and artifacts, and "
              "the executable it runs) is not in the cache: kf says what differs from the last time the same step of "
              "the same workflow ran.\n\n"
              "Examples:\n"
              "  kf pipeline why @latest train");
  on_run(*cmd, g, [args](Session& s) {
    auto pt = s.open();
    const auto r = action::pipeline_why(pt, args->first, args->second);
    if (r.cached) {
      std::cout << r.step << ": cached, not run (" << r.message << ")\n";
    } else if (!r.recorded) {
      std::cout << r.step << ": " << r.phase << "; the cache was off for it (--no-cache, or kf.dev/cache: \"false\")\n";
    } else if (r.previous_run.empty()) {
      std::cout << r.step << ": ran: it had not run before in this project\n";
    } else if (r.changed.empty()) {
      std::cout << r.step << ": ran: it last ran in " << r.previous_run << " with these inputs, which did not succeed or whose outputs are gone\n";
    } else {
      std::cout << r.step << ": ran: since " << r.previous_run << ", " << r.changed.size() << " input" << (r.changed.size() == 1 ? "" : "s")
                << " changed:\n";
      for (const auto& c : r.changed) std::cout << "  " << c << '\n';
    }
    return 0;
  });
}

} // namespace

void add_pipeline(CLI::App& app, Globals& g) {
  struct Flags : SubmitFlags {
    std::string pipeline;
    std::vector<std::string> parameters;
    bool no_cache = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* group = app.add_subcommand("pipeline", "Run the project's pipelines (Argo Workflows)");
  group->require_subcommand(1);
  group->footer("A pipeline of kf.yaml (spec.pipelines) becomes an Argo Workflow with one step per pipeline step; "
                "kf render pipeline NAME prints it.\n\n"
                "Examples:\n"
                "  kf pipeline run --target prod --wait\n"
                "  kf pipeline run train-and-evaluate --target prod --name nightly");
  auto* cmd = group->add_subcommand("run", "Run a pipeline of kf.yaml: an Argo Workflow, on this machine or a cluster");
  hint(cmd->add_option("pipeline", flags->pipeline, "The pipeline (default: the project's only one)"), Hint{{}, "pipeline"});
  add_submit_flags(*cmd, *flags, "workflow");
  cmd->add_option("-p,--parameter", flags->parameters, "Set a pipeline parameter: NAME=VALUE (repeatable), as argo submit -p")
      ->type_name("NAME=VALUE");
  cmd->add_flag("--no-cache", flags->no_cache, "Run every step, even those whose inputs did not change since they last ran");
  cmd->footer("On the local target kf is the workflow's controller: each step is a process on this machine, with "
              "its artifacts in the project's content-addressed repository (.kf/artifacts). A step whose resolved "
              "template, inputs and executable are those of a step that succeeded before is not run again: its "
              "outputs come from the cache (kf status RUN says which steps were cached; kf pipeline why RUN STEP "
              "says what changed for one that ran). Each step is an execution in .kf/metadata.db with the artifacts it "
              "read and wrote: kf status RUN draws the model's lineage back through the steps. With --wait, follows "
              "the workflow to its final phase.\n\n"
              "Examples:\n"
              "  kf pipeline run\n"
              "  kf pipeline run train-and-evaluate --set spec.pipelines[0].steps[0].args[1]=--epochs=3\n"
              "  kf pipeline run train-and-evaluate --target prod --wait");
  add_why(*group, g);
  on_submit(*cmd, g, flags, [flags](const action::Context& ctx, action::ProjectTarget& pt) {
    return action::pipeline_run(ctx, action::PipelineRunOptions{flags->pipeline, flags->name, flags->parameters, flags->no_cache}, pt);
  });
}

} // namespace kf::cli
