// kf retry — Target::retry (libkf/local/workflow_resume.cpp); following the run: cli/follow_view.cpp.
#include "cli/app.h"
#include "cli/follow_view.h"
#include "cli/session.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_retry(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<SubmitFlags>();
  auto run = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("retry", "Run a failed Workflow's failed steps again, keeping the steps that succeeded (as argo retry)");
  hint(cmd->add_option("run", *run, "The Workflow's run, or @latest")->required(), Hint{{}, "run"});
  cmd->add_flag("-d,--detach", flags->detach, "Return once it runs again; follow it with kf status / kf logs");
  cmd->footer("The steps that failed, errored or were omitted run again, with the steps groups and DAGs above them and the "
              "exit handler; every step that succeeded keeps its outputs and is not run. The run keeps its name.\n\n"
              "Examples:\n"
              "  kf retry demo-train-and-evaluate-3\n"
              "  kf retry @latest --detach");
  on_run(*cmd, g, [flags, run](Session& s) {
    auto pt = s.open_runs(action::WithoutProject::existing_runs);
    const auto retried = pt.target->retry(*run);
    return after_submit(s.g, pt, action::TrainResult{retried.run, pt.target_name, retried.object, retried.where}, *flags);
  });
}

} // namespace kf::cli
