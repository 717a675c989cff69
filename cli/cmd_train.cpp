// kf train — libkf/action/train.cpp; the attached display is cli/run_view.cpp.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/app.h"
#include "cli/cluster_wait.h"
#include "cli/output.h"
#include "cli/run_view.h"
#include "libkf/action/runs.h"
#include "libkf/local/local_target.h"

namespace kf::cli {

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

// Follows the run until it ends (or Ctrl-C stops it); returns the exit code.
int follow(const Globals& g, action::ProjectTarget& pt, const std::string& run) {
  struct sigaction sa{};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  auto* local = dynamic_cast<local::LocalTarget*>(pt.target.get());
  ProgressView view(g, run);
  Json object;
  while (true) {
    if (g_interrupted) {
      view.finish();
      std::cerr << "stopping " << run << " ...\n";
      pt.target->stop(run);
      std::cerr << run << " stopped; kf status " << run << " shows where it got to\n";
      return 130;
    }
    object = *pt.target->get(run);
    view.update(object, local ? local->details(run) : Json::object());
    if (target::is_finished(object)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  view.finish();
  action::NullReporter quiet;
  const auto runs = action::status(action::Context{quiet}, action::StatusOptions{run}, pt);
  const Json& r = runs.front();
  const bool ok = r.value("state", "") == "Succeeded";
  const bool color = use_color(g, stderr);
  std::cerr << paint(color, ok ? "32" : "31", run + " " + r.value("state", "")) << ": " << r.value("message", "") << '\n';
  if (!metrics_text(r.value("metrics", Json::object())).empty())
    std::cerr << "  metrics: " << metrics_text(r["metrics"]) << '\n';
  if (r.contains("model")) std::cerr << "  model:   " << r["model"].get<std::string>() << " (model.safetensors, model.json)\n";
  if (!ok && r.contains("logTail")) {
    std::cerr << "  last lines of " << r.value("failedReplica", "") << ":\n";
    for (const auto& l : r["logTail"]) std::cerr << "    " << l.get<std::string>() << '\n';
  }
  std::cerr << "  more:    kf status " << run << " · kf logs " << run << '\n';
  if (g.output == "json" || g.output == "yaml") print_data(r, g.output);
  return ok ? 0 : 1;
}
} // namespace

void add_train(CLI::App& app, Globals& g) {
  struct Flags : SubmitFlags {
    bool detach = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("train", "Train the model: run the project's PyTorchJob or TFJob on the target "
                                          "(default: this machine), following its progress");
  add_submit_flags(*cmd, *flags, "job");
  cmd->add_flag("-d,--detach", flags->detach, "Return once the run has started; follow it with kf status / kf logs");
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
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      const action::Context ctx{reporter};
      auto pt = action::open_target(ctx, flags->values.load_options(), g.target);
      action::TrainOptions opts;
      opts.run_name = flags->name;
      const auto r = action::train(ctx, opts, pt);
      if (is_cluster(pt)) return finish_submit(g, pt, r, *flags);
      std::cerr << "run " << r.run << " started (" << r.object.value("kind", "") << ", " << r.target << ")";
      if (!r.run_dir.empty()) std::cerr << " in " << r.run_dir.string();
      std::cerr << '\n';
      if (flags->detach) {
        std::cout << r.run << '\n';
        std::cerr << "follow it: kf logs " << r.run << " -f · kf status " << r.run << " · stop it: kf delete " << r.run << '\n';
        return 0;
      }
      return follow(g, pt, r.run);
    };
  });
}

} // namespace kf::cli
