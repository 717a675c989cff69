// kf status — Target::describe (libkf/local/describe.cpp,
// libkf/cluster/cluster_status.cpp); tables in cli/run_view.cpp.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "cli/run_view.h"
#include "libkf/action/runs.h"

namespace kf::cli {

namespace {

// The runs as -o asks, and whether a single run has ended.
struct Shown {
  std::string text;
  bool done = false;
};

Shown show(const Globals& g, const action::Context& ctx, action::ProjectTarget& pt, const std::string& run) {
  const auto runs = action::status(ctx, action::StatusOptions{run}, pt);
  std::ostringstream out;
  if (g.output == "json" || g.output == "yaml") print_data(run.empty() ? Json(runs) : runs.front(), g.output, out);
  else if (run.empty()) print_runs_table(runs, use_color(g, stdout), out);
  else print_run_detail(runs.front(), use_color(g, stdout), out);
  const std::string s = runs.empty() ? "" : runs.front().value("state", "");
  return {out.str(), !run.empty() && (s == "Succeeded" || s == "Complete" || s == "Failed" || s == "Stopped" || s == "Error")};
}

// -w: redrawn after the target's changes (Target::watch_runs, on a thread of
// its own), until Ctrl-C or, for one run, its end.
int watch(const Globals& g, const action::Context& ctx, action::ProjectTarget& pt, const std::string& run) {
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  std::mutex mu;
  std::condition_variable cv;
  bool changed = true, stop = false;
  std::exception_ptr failure;
  std::thread watcher([&] {
    try {
      pt.target->watch_runs(
          [&] {
            const std::lock_guard lock(mu);
            changed = true;
            cv.notify_one();
            return !stop;
          },
          [&] {
            const std::lock_guard lock(mu);
            return !stop;
          });
    } catch (...) {
      const std::lock_guard lock(mu);
      failure = std::current_exception();
      cv.notify_one();
    }
  });
  const auto end = [&] {
    {
      const std::lock_guard lock(mu);
      stop = true;
    }
    watcher.join();
  };
  std::string last;
  while (true) {
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::seconds(30), [&] { return changed || failure; });
      if (failure) {
        lock.unlock();
        end();
        std::rethrow_exception(failure);
      }
      changed = false;
    }
    const auto shown = show(g, ctx, pt, run);
    if (shown.text != last) {
      if (tty) std::cout << "\033[H\033[2J";
      std::cout << shown.text << std::flush;
      last = shown.text;
    }
    if (shown.done) {
      end();
      return 0;
    }
  }
}

} // namespace

void add_status(CLI::App& app, Globals& g) {
  struct Flags {
    std::string run;
    bool watch = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("status", "Show the project's runs, or one run in detail (conditions, replicas, "
                                           "metrics per epoch, artifacts, lineage)");
  hint(cmd->add_option("run", flags->run, "A run name, or @latest for the newest (default: list every run)"), Hint{{}, "run"});
  cmd->add_flag("-w,--watch", flags->watch, "Keep showing it as it changes (Ctrl-C to stop; one run: until it ends)");
  cmd->footer("-o json prints what the table shows, for scripts: state, message, metrics, artifacts (with sha256), "
              "git commit, replicas; a pipeline's steps (what each read and wrote, by sha256) and its model's lineage "
              "(modelLineage: the steps it came from).\n\n"
              "Examples:\n"
              "  kf status\n"
              "  kf status @latest\n"
              "  kf status mnist-train-3 -o json\n"
              "  kf status -w");
  on_run(*cmd, g, [flags](Session& s) {
    auto pt = s.open();
    if (flags->watch) return watch(s.g, s.ctx, pt, flags->run);
    const auto shown = show(s.g, s.ctx, pt, flags->run);
    if (flags->run.empty() && shown.text.find('\n') == shown.text.rfind('\n') && s.g.output != "json" && s.g.output != "yaml")
      std::cerr << "no runs yet (kf train starts one)\n";
    std::cout << shown.text;
    return 0;
  });
}

} // namespace kf::cli
