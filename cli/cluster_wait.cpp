#include "cli/cluster_wait.h"

#include <unistd.h>

#include <iostream>

#include "cli/output.h"
#include "cli/run_view.h"
#include "libkf/cluster/cluster_target.h"
#include "libkf/target/summary.h"

namespace kf::cli {

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

bool is_cluster(const action::ProjectTarget& pt) { return dynamic_cast<cluster::ClusterTarget*>(pt.target.get()) != nullptr; }

void print_submitted(const action::ProjectTarget& pt, const action::TrainResult& r) {
  const auto* c = dynamic_cast<const cluster::ClusterTarget*>(pt.target.get());
  std::cout << r.run << '\n';
  const std::string t = " --target " + r.target;
  std::cerr << "run " << r.run << " submitted (" << r.object.value("kind", "") << ", target " << r.target
            << (c ? ", namespace " + c->namespace_() : "") << ")\n"
            << "follow it: kf status " << r.run << t << " -w · kf logs " << r.run << t << " -f · delete it: kf delete "
            << r.run << t << '\n';
}

int finish_submit(const Globals& g, action::ProjectTarget& pt, const action::TrainResult& r, const SubmitFlags& flags) {
  print_submitted(pt, r);
  return flags.wait ? wait_for_run(g, pt, r.run, flags.timeout) : 0;
}

int wait_for_run(const Globals& g, action::ProjectTarget& pt, const std::string& run, int timeout_s) {
  if (auto* c = dynamic_cast<cluster::ClusterTarget*>(pt.target.get()))
    c->set_watch_timeout(std::chrono::seconds(timeout_s));
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const bool color = use_color(g, stderr);
  std::string last;
  std::cerr << "waiting for " << run << " (Ctrl-C stops waiting; the run goes on)\n";
  pt.target->watch(run, [&](const Json& object) {
    const auto s = target::summarize(object);
    const std::string line = run + "  " + paint(color, s.state == "Failed" ? "31" : s.succeeded ? "32" : "36", s.state) +
                             (s.progress.empty() ? "" : "  " + s.progress);
    if (line != last) {
      if (tty) std::cerr << "\r\033[K" << line << std::flush;
      else std::cerr << line << '\n';
      last = line;
    }
    return true;
  });
  if (tty) std::cerr << "\r\033[K";
  action::NullReporter quiet;
  const Json r = action::status(action::Context{quiet}, action::StatusOptions{run}, pt).front();
  const std::string state = r.value("state", "");
  const bool ok = state == "Succeeded" || state == "Ready";
  std::cerr << paint(color, ok ? "32" : "31", run + " " + state) << ": " << r.value("message", "") << '\n';
  if (r.contains("bestTrial")) {
    const Json& best = r["bestTrial"];
    std::string params;
    for (auto it = best["parameters"].begin(); it != best["parameters"].end(); ++it)
      params += (params.empty() ? "" : " ") + it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    std::cerr << "  best trial: " << best.value("name", "") << "  " << metrics_text(best["metrics"]) << '\n';
    std::cout << params << '\n';
  }
  if (r.contains("url")) std::cout << r["url"].get<std::string>() << '\n';
  if (r.contains("nodes") && !r["nodes"].empty()) print_workflow_nodes(r["nodes"], color, std::cerr);
  if (!ok && r.contains("logTail")) {
    std::cerr << "  last lines of " << r.value("failedReplica", "") << ":\n";
    for (const auto& l : r["logTail"]) std::cerr << "    " << l.get<std::string>() << '\n';
  }
  if (g.output == "json" || g.output == "yaml") print_data(r, g.output);
  return ok ? 0 : 1;
}

} // namespace kf::cli
