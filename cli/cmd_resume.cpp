// kf resume — Target::resume (libkf/local/local_target.cpp); following the run: cli/follow_view.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/follow_view.h"
#include "cli/session.h"
#include "libkf/action/runs.h"
#include "libkf/util/error.h"
#include "libkf/util/yaml.h"

namespace kf::cli {

namespace {

// --set spec.maxTrialCount=12 (or maxTrialCount=12, under spec) -> {"spec": {"maxTrialCount": 12}}.
Json merge_patch(const std::vector<std::string>& sets) {
  Json patch = Json::object();
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--set " + s + ": expected PATH=VALUE, as spec.maxTrialCount=20");
    std::string path = s.substr(0, eq);
    if (path.rfind("spec.", 0) != 0 && path.rfind("metadata.", 0) != 0) path = "spec." + path;
    Json* at = &patch;
    std::size_t start = 0;
    for (std::size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) at = &(*at)[path.substr(start, dot - start)];
    (*at)[path.substr(start)] = yaml::resolve_scalar(s.substr(eq + 1));
  }
  return patch;
}

} // namespace

void add_resume(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<SubmitFlags>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto run = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("resume", "Continue an Experiment that ended or whose kf was killed, keeping its "
                                           "finished trials (optionally with more trials); carry on a Workflow or a training job whose kf was killed; "
                                           "run a suspended TrainJob");
  hint(cmd->add_option("run", *run, "The Experiment's, Workflow's or training job's run, or @latest")->required(), Hint{{}, "run"});
  cmd->add_option("--set", *sets, "Change the object first: PATH=VALUE under spec (repeatable), as maxTrialCount=20")
      ->type_name("PATH=VALUE");
  cmd->add_flag("-d,--detach", flags->detach, "Return once it runs again; follow it with kf status / kf logs");
  cmd->add_flag("--wait", flags->wait, "On a cluster target: follow the resumed TrainJob until it completes or fails; exit "
                                       "status 0 or 1 accordingly");
  cmd->add_option("--timeout", flags->timeout, "With --wait: give up after SECONDS (default: no limit)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->footer("The trials that finished are kept; trials still running under their own supervisors are adopted; the "
              "suggestion algorithm continues from all of them, and the total never exceeds maxTrialCount (Katib's "
              "resumePolicy LongRunning). A Workflow carries on from its nodes: no finished step runs again. A training "
              "job (PyTorchJob, TFJob, TrainJob) whose supervisor was lost (kill -9, a reboot: Failed, reason "
              "SupervisorLost; the replicas it left running were stopped) starts its replicas again, and the trainer "
              "carries on from its last checkpoint; the restarts made before still count against its backoffLimit. "
              "A TrainJob submitted with spec.suspend: true waits, Suspended, until kf resume sets it false (its "
              "Suspended condition turns False, reason Resumed, as the Trainer's); on a cluster target, kf resume sets "
              "spec.suspend false as kubectl patch would, and --wait follows it.\n\n"
              "Examples:\n"
              "  kf resume demo-tune-1\n"
              "  kf resume demo-tune-1 --set maxTrialCount=24\n"
              "  kf resume my-trainjob-1\n"
              "  kf resume demo-train-3\n"
              "  kf resume demo-train-4 --target prod --wait");
  on_run(*cmd, g, [flags, sets, run](Session& s) {
    auto pt = s.open_runs(action::WithoutProject::existing_runs);
    const auto resumed = pt.target->resume(*run, merge_patch(*sets));
    return after_submit(s.g, pt, action::TrainResult{resumed.run, pt.target_name, resumed.object, resumed.where}, *flags);
  });
}

} // namespace kf::cli
