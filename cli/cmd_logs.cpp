// kf logs — Target::logs (libkf/local/local_target.cpp, libkf/cluster/cluster_logs.cpp).
#include <iostream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_logs(CLI::App& app, Globals& g) {
  struct Flags {
    std::string run, replica, trial, node;
    bool follow = false;
    int tail = -1;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("logs", "Print a run's replica log (stdout and stderr of its process)");
  hint(cmd->add_option("run", flags->run, "A run name, or @latest")->required(), Hint{{}, "run"});
  cmd->add_flag("-f,--follow", flags->follow, "Keep printing as the log grows, until the run ends (across restarts)");
  cmd->add_option("--replica", flags->replica, "master, chief, worker-N, ps-N, pod-N (default: master, or chief; a Job's first pod)")
      ->type_name("REPLICA");
  cmd->add_option("--trial", flags->trial, "An Experiment's trial: its job's log (kf status RUN lists the trials)")
      ->type_name("TRIAL");
  cmd->add_option("--node", flags->node, "A Workflow's step, by its name in kf status (default: every step's log, each line prefixed by the step)")
      ->type_name("STEP");
  cmd->add_option("--tail", flags->tail, "Only the last N lines (then follow, with -f)")->type_name("N");
  cmd->footer("Examples:\n"
              "  kf logs @latest -f\n"
              "  kf logs mnist-train-2 --replica worker-1 --tail 20\n"
              "  kf logs mnist-tune-1 --trial mnist-tune-1-x7k2p9qa\n"
              "  kf logs demo-train-and-evaluate-1 --node evaluate");
  on_run(*cmd, g, [flags](Session& s) {
    auto pt = s.open_runs(action::WithoutProject::existing_runs);
    target::LogOptions o;
    o.replica = flags->replica;
    o.follow = flags->follow;
    o.tail = flags->tail;
    o.trial = flags->trial;
    o.node = flags->node;
    pt.target->logs(flags->run, o, std::cout);
    return 0;
  });
}

} // namespace kf::cli
