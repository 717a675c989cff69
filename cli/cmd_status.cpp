// kf status — Target::describe (libkf/local/describe.cpp,
// libkf/cluster/cluster_status.cpp); tables in cli/run_view.cpp.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
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
#include "libkf/action/serving_stats.h"

namespace kf::cli {

namespace {

// The runs as -o asks, whether a single run has ended, and a model
// server's serving stats (null otherwise).
struct Shown {
  std::string text;
  bool done = false;
  Json serving;
};

Shown show(const Globals& g, const action::Context& ctx, action::ProjectTarget& pt, const std::string& run) {
  const auto runs = action::status(ctx, action::StatusOptions{run}, pt);
  std::ostringstream out;
  if (g.output == "json" || g.output == "yaml") print_data(run.empty() ? Json(runs) : runs.front(), g.output, out);
  else if (run.empty()) print_runs_table(runs, use_color(g, stdout), out);
  else print_run_detail(runs.front(), use_color(g, stdout), out);
  const std::string s = runs.empty() ? "" : runs.front().value("state", "");
  Json serving = !run.empty() && !runs.empty() ? runs.front().value("serving", Json()) : Json();
  return {out.str(), !run.empty() && (s == "Succeeded" || s == "Complete" || s == "Failed" || s == "Stopped" || s == "Error"),
          serving};
}

// -w on a terminal: the last intervals of a model server as sparklines.
std::string live_view(const action::ServingTrend& trend) {
  std::vector<double> rate, p99, errors;
  for (const auto& p : trend.points()) {
    rate.push_back(p.rate);
    p99.push_back(p.p99 < 0 ? -1.0 : 1000.0 * p.p99);
    errors.push_back(100.0 * p.error_share);
  }
  std::ostringstream out;
  out << "\nLive (1 s intervals):\n";
  if (trend.points().empty()) return out.str() + "  (measuring)\n";
  const auto& last = trend.points().back();
  out << "  requests/s  " << action::sparkline(rate) << "  " << fixed(last.rate, 1) << '\n';
  out << "  p99 ms      " << action::sparkline(p99) << "  " << (last.p99 < 0 ? "-" : fixed(1000.0 * last.p99, 2)) << '\n';
  out << "  errors %    " << action::sparkline(errors) << "  " << fixed(100.0 * last.error_share, 1) << '\n';
  return out.str();
}

// -w elsewhere (a pipe, a file): one plain line per interval.
std::string live_line(const action::ServingTrend::Point& p) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M:%S", &tm);
  std::string line = std::string(clock) + "  " + fixed(p.rate, 1) + " req/s  errors " + fixed(100.0 * p.error_share, 1) + "%";
  if (p.p50 >= 0) line += "  p50 " + fixed(1000.0 * p.p50, 2) + " ms  p99 " + fixed(1000.0 * p.p99, 2) + " ms";
  return line + "\n";
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
  const bool table = g.output != "json" && g.output != "yaml";
  bool serving = false; // a model server: redrawn every second, with its trend
  action::ServingTrend trend;
  const auto t0 = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, serving ? std::chrono::seconds(1) : std::chrono::seconds(30), [&] { return changed || failure; });
      if (failure) {
        lock.unlock();
        end();
        std::rethrow_exception(failure);
      }
      changed = false;
    }
    auto shown = show(g, ctx, pt, run);
    serving = table && shown.serving.is_object();
    bool redraw = true;
    if (serving) {
      const bool added =
          trend.add(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), shown.serving);
      if (tty) {
        shown.text += live_view(trend);
      } else { // the detail once, then a line per interval
        if (!last.empty() && added) std::cout << live_line(trend.points().back()) << std::flush;
        redraw = last.empty();
      }
    }
    if (redraw && shown.text != last) {
      if (tty) std::cout << "\033[H\033[2J";
      std::cout << shown.text << std::flush;
    }
    last = shown.text;
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
              "(modelLineage: the steps it came from). A run whose files kf cannot read is listed as Unknown "
              "(\"unreadable\": true), with why on stderr. A model server (InferenceService) shows its requests, "
              "errors, latency and answers by class from kf-server's /metrics; on a cluster target, each running "
              "predictor pod's, read through the API server's pod proxy.\n\n"
              "Examples:\n"
              "  kf status\n"
              "  kf status @latest\n"
              "  kf status mnist-train-3 -o json\n"
              "  kf status -w");
  on_run(*cmd, g, [flags](Session& s) {
    auto pt = s.open_runs(action::WithoutProject::existing_runs);
    if (flags->watch) return watch(s.g, s.ctx, pt, flags->run);
    const auto shown = show(s.g, s.ctx, pt, flags->run);
    // A table of no rows is only its header: as kubectl get, say so on stderr instead.
    if (flags->run.empty() && shown.text.find('\n') == shown.text.rfind('\n') && s.g.output != "json" && s.g.output != "yaml") {
      std::cerr << "no runs yet (kf train starts one)\n";
      return 0;
    }
    std::cout << shown.text;
    return 0;
  });
}

} // namespace kf::cli
