#include "cli/follow_view.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>

#include "cli/output.h"
#include "cli/run_view.h"
#include "cli/session.h"
#include "libkf/action/follow.h"
#include "libkf/util/error.h"

namespace kf::cli {

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

void print_log_tail(const Json& r) {
  if (!r.contains("logTail")) return;
  std::cerr << "  last lines of " << r.value("failedReplica", "") << ":\n";
  for (const auto& l : r["logTail"]) std::cerr << "    " << l.get<std::string>() << '\n';
}

std::string outcome_line(bool color, const std::string& run, const Json& r, bool ok) {
  const std::string message = r.value("message", "");
  return paint(color, ok ? "32" : "31", run + " " + r.value("state", "")) + (message.empty() ? "" : ": " + message);
}

// An Experiment's best trial: its metrics on stderr, its parameters on stdout (for scripts).
void print_best_trial(const Json& r) {
  if (!r.contains("bestTrial")) return;
  const Json& best = r["bestTrial"];
  std::string params;
  for (auto it = best["parameters"].begin(); it != best["parameters"].end(); ++it)
    params += (params.empty() ? "" : " ") + it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  std::cerr << "  best trial: " << best.value("name", "") << "  " << metrics_text(best["metrics"]) << '\n';
  std::cout << params << '\n';
}

// The live display until the run ends; Ctrl-C stops it.
int follow_attached(const Globals& g, action::ProjectTarget& pt, const std::string& run) {
  action::FollowOptions fo;
  fo.interrupted = catch_interrupts();
  fo.stop_on_interrupt = true;
  ProgressView view(g, run);
  const auto f = action::follow(*pt.target, run, fo, [&](const action::FollowUpdate& u) {
    if (!u.stopping) return view.update(u.object, u.details);
    view.finish();
    std::cerr << "stopping " << run << " ...\n";
  });
  if (f.interrupted) {
    std::cerr << run << " stopped; kf status " << run << " shows where it got to\n";
    return f.exit_code;
  }
  view.finish();
  const Json& r = f.run;
  std::cerr << outcome_line(use_color(g, stderr), run, r, f.exit_code == 0) << '\n';
  if (!metrics_text(r.value("metrics", Json::object())).empty())
    std::cerr << "  metrics: " << metrics_text(r["metrics"]) << '\n';
  if (r.contains("model")) std::cerr << "  model:   " << r["model"].get<std::string>() << " (model.safetensors, model.json)\n";
  print_best_trial(r);
  if (f.exit_code != 0) print_log_tail(r);
  std::cerr << "  more:    kf status " << run << " · kf logs " << run << '\n';
  if (g.output == "json" || g.output == "yaml") print_data(r, g.output);
  return f.exit_code;
}

// --wait: one line per change (redrawn in place on a terminal), then the outcome.
int follow_waiting(const Globals& g, action::ProjectTarget& pt, const std::string& run, int timeout_s) {
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const bool color = use_color(g, stderr);
  std::string last;
  std::cerr << "waiting for " << run << " (Ctrl-C stops waiting; the run goes on)\n";
  action::FollowOptions fo;
  fo.timeout = std::chrono::seconds(timeout_s);
  const auto f = action::follow(*pt.target, run, fo, [&](const action::FollowUpdate& u) {
    const auto& s = u.summary;
    const std::string line = run + "  " + paint(color, s.state == "Failed" ? "31" : s.succeeded ? "32" : "36", s.state) +
                             (s.progress.empty() ? "" : "  " + s.progress);
    if (line == last) return;
    if (tty) std::cerr << "\r\033[K" << line << std::flush;
    else std::cerr << line << '\n';
    last = line;
  });
  if (tty) std::cerr << "\r\033[K";
  const Json& r = f.run;
  std::cerr << outcome_line(color, run, r, f.exit_code == 0) << '\n';
  print_best_trial(r);
  if (r.contains("url")) std::cout << r["url"].get<std::string>() << '\n';
  if (r.contains("nodes") && !r["nodes"].empty()) print_workflow_nodes(r["nodes"], color, std::cerr);
  if (f.exit_code != 0) print_log_tail(r);
  if (g.output == "json" || g.output == "yaml") print_data(r, g.output);
  return f.exit_code;
}

} // namespace

void on_submit(CLI::App& cmd, Globals& g, std::shared_ptr<const SubmitFlags> flags, Submit submit) {
  on_run(cmd, g, [flags, submit = std::move(submit)](Session& s) {
    auto pt = s.open(flags->values.load_options());
    return after_submit(s.g, pt, submit(s.ctx, pt), *flags);
  });
}

std::function<bool()> catch_interrupts() {
  struct sigaction sa{};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return [] { return g_interrupted.load(); };
}

void add_submit_flags(CLI::App& cmd, SubmitFlags& flags, const std::string& object) {
  add_values_flags(cmd, flags.values);
  if (!object.empty())
    cmd.add_option("--name", flags.name, "The run's name (default: <" + object + ">-<N>, the next free number)")
        ->type_name("RUN");
  cmd.add_flag("--wait", flags.wait, "On a cluster target: follow the run until it succeeds or fails (Ready, for a server); exit "
                               "status 0 or 1 accordingly");
  cmd.add_option("--timeout", flags.timeout, "With --wait: give up after SECONDS (default: no limit)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
}

void add_detach_flag(CLI::App& cmd, SubmitFlags& flags) {
  cmd.add_flag("-d,--detach", flags.detach, "Return once the run has started; follow it with kf status / kf logs");
}

int after_submit(const Globals& g, action::ProjectTarget& pt, const action::TrainResult& r, const SubmitFlags& flags) {
  if (pt.target->traits().attached) {
    std::cerr << "run " << r.run << " started (" << r.object.value("kind", "") << ", " << r.target << ")";
    if (!r.where.empty()) std::cerr << " in " << r.where;
    std::cerr << '\n';
    if (!flags.detach) return follow_attached(g, pt, r.run);
    std::cout << r.run << '\n';
    std::cerr << "follow it: kf logs " << r.run << " -f · kf status " << r.run << " · stop it: kf delete " << r.run << '\n';
    return 0;
  }
  std::cout << r.run << '\n';
  const std::string t = " --target " + r.target;
  std::cerr << "run " << r.run << " submitted (" << r.object.value("kind", "") << ", target " << r.target
            << (r.where.empty() ? "" : ", " + r.where) << ")\n"
            << "follow it: kf status " << r.run << t << " -w · kf logs " << r.run << t << " -f · delete it: kf delete "
            << r.run << t << '\n';
  return flags.wait ? follow_waiting(g, pt, r.run, flags.timeout) : 0;
}

std::string wait_until_ready(action::ProjectTarget& pt, const std::string& run, const std::string& what,
                             const std::function<bool()>& interrupted) {
  action::FollowOptions fo;
  fo.timeout = std::chrono::seconds(60);
  fo.interrupted = interrupted;
  fo.stop_on_interrupt = true;
  action::FollowResult f;
  try {
    f = action::follow(*pt.target, run, fo, [](const action::FollowUpdate&) {});
  } catch (const Error& e) {
    pt.target->stop(run);
    throw Error(what + " did not become ready: " + e.what());
  }
  if (f.exit_code == 0) return f.object["status"].value("url", "");
  const Json r = f.interrupted ? pt.target->describe(run).front() : f.run;
  std::string why = r.value("message", "");
  for (const auto& l : r.value("logTail", Json::array())) why += "\n  " + l.get<std::string>();
  throw Error(what + " did not become ready: " + why);
}

} // namespace kf::cli
