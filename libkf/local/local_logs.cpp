// kf logs on the local target: a replica's, a trial's or (workflow_logs.cpp)
// a step's log file, whole, its tail, or followed until the run ends.
#include "libkf/local/local_target.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <thread>

#include "libkf/local/plan.h"
#include "libkf/local/run_dir.h"
#include "libkf/target/summary.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace stdfs = std::filesystem;

namespace {

constexpr auto k_poll = std::chrono::milliseconds(100); // how often a followed log is read again

// Where the last `n` lines of a file start.
std::uint64_t tail_offset(const stdfs::path& file, int n) {
  std::ifstream whole(file, std::ios::binary);
  std::deque<std::uint64_t> starts{0};
  std::uint64_t pos = 0;
  for (char c; whole.get(c);) {
    ++pos;
    if (c == '\n') {
      starts.push_back(pos);
      if (starts.size() > static_cast<std::size_t>(n) + 1) starts.pop_front();
    }
  }
  if (n == 0) return pos;
  return starts.size() > static_cast<std::size_t>(n) ? starts.front() : 0;
}

} // namespace

void LocalTarget::logs(const std::string& name, const target::LogOptions& o, std::ostream& out) const {
  const std::string run = resolve(name);
  RunDir dir{run_dir(run)};
  auto plan_json = read_json(dir.plan());
  if (!plan_json) throw Error("run " + str::quote(run) + " does not exist");
  if (plan_json->value("kind", "") == "Workflow") return workflow_logs(dir, run, o, [&] { return get(run); }, out);
  if (!o.node.empty()) throw UsageError("run " + run + " is a " + plan_json->value("kind", "") + ": --node names a Workflow's step; use --replica");
  if (plan_json->value("kind", "") == "Experiment" || !o.trial.empty()) {
    std::vector<std::string> trials;
    for (const auto& t : details(run).value("trials", Json::array())) trials.push_back(t.value("name", ""));
    if (plan_json->value("kind", "") != "Experiment")
      throw UsageError("run " + run + " is a " + plan_json->value("kind", "") + ", which has no trials");
    if (o.trial.empty() || std::find(trials.begin(), trials.end(), o.trial) == trials.end())
      throw UsageError((o.trial.empty() ? "an Experiment's logs are its trials': name one with --trial"
                                        : "run " + run + " has no trial " + str::quote(o.trial)) +
                       (trials.empty() ? std::string(" (it has none yet)") : " (it has " + str::join(trials, ", ") + ")"));
    dir = RunDir{dir.root / "trials" / o.trial};
    plan_json = read_json(dir.plan());
    if (!plan_json) throw Error("trial " + o.trial + " has no job (it could not run: kf status " + run + ")");
  }
  const JobPlan plan = plan_from_json(*plan_json);
  std::vector<std::string> names;
  if (plan.kind == "Job") { // pods come and go: local.json has them
    const Json local = read_json(dir.local()).value_or(Json::object());
    if (local.contains("replicas"))
      for (const auto& r : local["replicas"]) names.push_back(r.value("name", ""));
    if (names.empty()) names.push_back("pod-0");
  } else {
    for (const auto& r : plan.replicas) names.push_back(r.name);
    for (const auto& r : plan.initializers) names.push_back(r.name);
  }
  std::string replica = o.replica.empty() ? (plan.kind == "Job" || plan.success_replica.empty() ? names.front() : plan.success_replica) : o.replica;
  if (std::find(names.begin(), names.end(), replica) == names.end() &&
      std::find(names.begin(), names.end(), replica + "-0") != names.end())
    replica += "-0"; // "master" = "master-0"
  if (std::find(names.begin(), names.end(), replica) == names.end())
    throw UsageError((o.trial.empty() ? "run " + run : "trial " + o.trial + " of run " + run) + " has no replica " +
                     str::quote(replica) + " (it has " + str::join(names, ", ") + ")");

  std::ifstream in;
  std::uint64_t offset = 0;
  auto pump = [&](bool whole_lines_only) {
    if (!in.is_open()) {
      in.open(dir.log(replica), std::ios::binary);
      if (!in.is_open()) return;
    }
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    std::string chunk;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) chunk.append(buf, static_cast<std::size_t>(in.gcount()));
    if (whole_lines_only) {
      const auto nl = chunk.rfind('\n');
      chunk = nl == std::string::npos ? "" : chunk.substr(0, nl + 1);
    }
    offset += chunk.size();
    out << chunk;
    out.flush();
  };

  if (o.tail >= 0) offset = tail_offset(dir.log(replica), o.tail);
  if (!o.follow) {
    pump(false);
    return;
  }
  while (true) {
    const auto object = o.trial.empty() ? get(run) : read_json(dir.object());
    const bool finished = !object || target::is_finished(*object);
    pump(!finished);
    if (finished) return;
    std::this_thread::sleep_for(k_poll);
  }
}

} // namespace kf::local
