// kf status — libkf/action/status.cpp; tables in cli/run_view.cpp.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/app.h"
#include "cli/cmd_apply.h"
#include "cli/output.h"
#include "cli/run_view.h"
#include "libkf/action/runs.h"
#include "libkf/cluster/cluster_target.h"

namespace kf::cli {

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
              "git commit, replicas.\n\n"
              "Examples:\n"
              "  kf status\n"
              "  kf status @latest\n"
              "  kf status mnist-train-3 -o json\n"
              "  kf status -w");
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      const action::Context ctx{reporter};
      auto pt = action::open_target(ctx, spec::LoadOptions{}, g.target);
      const bool color = use_color(g, stdout);
      auto show = [&]() -> std::pair<std::string, bool> {
        const auto runs = action::status(ctx, action::StatusOptions{flags->run}, pt);
        std::ostringstream text;
        auto* saved = std::cout.rdbuf(text.rdbuf());
        if (g.output == "json" || g.output == "yaml") print_data(flags->run.empty() ? Json(runs) : runs.front(), g.output);
        else if (flags->run.empty()) print_runs_table(runs, color);
        else print_run_detail(runs.front(), color);
        std::cout.rdbuf(saved);
        const std::string s = runs.empty() ? "" : runs.front().value("state", "");
        return {text.str(), !flags->run.empty() && (s == "Succeeded" || s == "Failed" || s == "Stopped" || s == "Error")};
      };
      if (!flags->watch) {
        const auto [text, done] = show();
        if (flags->run.empty() && text.find('\n') == text.rfind('\n') && g.output != "json" && g.output != "yaml")
          std::cerr << "no runs yet (kf train starts one)\n";
        std::cout << text;
        return 0;
      }
      const bool tty = ::isatty(STDOUT_FILENO) != 0;
      std::string last;
      // A cluster's runs are redrawn on watch events; local runs are re-read twice a second.
      auto* cluster = dynamic_cast<cluster::ClusterTarget*>(pt.target.get());
      std::mutex mu;
      std::condition_variable cv;
      bool changed = true, stop = false;
      std::exception_ptr failure;
      std::thread watcher;
      if (cluster)
        watcher = std::thread([&] {
          try {
            cluster->watch_runs(
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
      auto end = [&](int code) {
        {
          const std::lock_guard lock(mu);
          stop = true;
        }
        if (watcher.joinable()) watcher.join();
        return code;
      };
      while (true) {
        {
          std::unique_lock lock(mu);
          if (cluster) cv.wait_for(lock, std::chrono::seconds(30), [&] { return changed || failure; });
          if (failure) {
            lock.unlock();
            end(1);
            std::rethrow_exception(failure);
          }
          changed = false;
        }
        const auto [text, done] = show();
        if (text != last) {
          if (tty) std::cout << "\033[H\033[2J";
          std::cout << text << std::flush;
          last = text;
        }
        if (done) return end(0);
        if (!cluster) std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    };
  });
}

void add_logs(CLI::App& app, Globals& g) {
  struct Flags {
    std::string run, replica;
    bool follow = false;
    int tail = -1;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("logs", "Print a run's replica log (stdout and stderr of its process)");
  hint(cmd->add_option("run", flags->run, "A run name, or @latest")->required(), Hint{{}, "run"});
  cmd->add_flag("-f,--follow", flags->follow, "Keep printing as the log grows, until the run ends (across restarts)");
  cmd->add_option("--replica", flags->replica, "master, chief, worker-N, ps-N (default: master, or chief)")
      ->type_name("REPLICA");
  cmd->add_option("--tail", flags->tail, "Only the last N lines (then follow, with -f)")->type_name("N");
  cmd->footer("Examples:\n"
              "  kf logs @latest -f\n"
              "  kf logs mnist-train-2 --replica worker-1 --tail 20");
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      auto pt = action::open_target(action::Context{reporter}, spec::LoadOptions{}, g.target);
      target::LogOptions o;
      o.replica = flags->replica;
      o.follow = flags->follow;
      o.tail = flags->tail;
      pt.target->logs(flags->run, o, std::cout);
      return 0;
    };
  });
}

void add_delete(CLI::App& app, Globals& g) {
  auto runs = std::make_shared<std::vector<std::string>>();
  auto applied = std::make_shared<DeleteAppliedFlags>(); // -f / --platform: cmd_apply.cpp
  auto* cmd = app.add_subcommand("delete", "Stop runs and remove them: their processes, directory and records");
  hint(cmd->add_option("runs", *runs, "Run names (or @latest)"), Hint{{}, "run"});
  add_delete_applied_flags(*cmd, *applied);
  cmd->footer("Examples:\n"
              "  kf delete mnist-train-2\n"
              "  kf delete @latest\n"
              "  kf delete --platform            # what kf apply installed for kf.yaml\n"
              "  kf delete -f manifests/         # what kf apply -f applied");
  cmd->callback([&g, runs, applied] {
    g.run = [&g, runs, applied] {
      if (const auto rc = run_delete_applied(g, *applied, !runs->empty())) return *rc;
      TerminalReporter reporter(g);
      const action::Context ctx{reporter};
      auto pt = action::open_target(ctx, spec::LoadOptions{}, g.target);
      for (const auto& r : action::delete_runs(ctx, *runs, pt)) std::cout << "run " << r << " deleted\n";
      return 0;
    };
  });
}

} // namespace kf::cli
