// The local Katib: an Experiment's controller, as the supervisor process of
// its run (controllers.h). Each pass it reads what its trials' jobs did
// (their own supervisors run them, detached, so they outlive this process),
// collects their metrics, stops trials early (medianstop), decides whether
// the experiment is done (goal, maxTrialCount, maxFailedTrialCount, the
// suggestion's end), and creates as many new trials as parallelTrialCount
// allows, asking the suggestion algorithm (libkf/tune) for their parameters.
// Everything is on disk (experiment_status.h): a new controller (kf resume,
// after a kill -9) carries on from the trials it finds.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "libkf/local/conditions.h"
#include "libkf/local/controllers.h"
#include "libkf/local/local_target.h"
#include "libkf/local/experiment_status.h"
#include "libkf/local/plan.h"
#include "libkf/local/process.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/target/target.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::local {

namespace stdfs = std::filesystem;

namespace {

std::string random_suffix() {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 8; ++i) s += alphabet[rd() % (sizeof alphabet - 1)];
  return s;
}

class Experiment {
public:
  explicit Experiment(const SuperviseOptions& o)
      : m_o(o), m_dir{o.run_dir}, m_plan(*read_json(m_dir.plan())), m_object(*read_json(m_dir.object())) {
    m_run = m_object["metadata"].value("name", "");
    Json spec_source = m_object;
    spec_source["spec"]["trialTemplate"] = {{"trialSpec", m_plan["controller"]["trialSpec"]}};
    for (const char* k : {"primaryContainerName", "successCondition", "failureCondition", "trialParameters"})
      if (m_object["spec"]["trialTemplate"].contains(k)) spec_source["spec"]["trialTemplate"][k] = m_object["spec"]["trialTemplate"][k];
    m_spec = read_experiment(spec_source);
    std::vector<std::string> wanted;
    for (const auto& m : m_spec.metrics) wanted.push_back(m.name);
    m_metrics.emplace(m_spec.collector, std::move(wanted));
    m_suggester = tune::make_suggester(m_spec.algorithm, m_spec.space, m_spec.objective,
                                       m_plan["controller"].value("seed", std::uint64_t{0}));
    try {
      m_runs = std::make_unique<metadata::Runs>(o.metadata_db);
    } catch (const Error& e) {
      say(std::string("metadata store unavailable: ") + e.what());
    }
  }

  int run() {
    const proc::ChildExitWait child_exit; // a trial's end (its supervisor's exit) wakes the loop at once
    load_trials();
    Json& status = m_object["status"];
    if (!status.contains("startTime")) status["startTime"] = now_rfc3339();
    condition("Running", "ExperimentRunning", "Experiment is running");
    while (m_end.empty()) {
      if (stop_signal() != 0) {
        kill_running("the experiment was stopped");
        end("Failed", "ExperimentStopped", "Experiment " + m_run + " was stopped (signal " + std::to_string(stop_signal()) + ")");
        break;
      }
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      for (auto& t : m_trials)
        if (!t.finished()) update(t);
      if (!decide() && stop_signal() == 0) create_trials();
      write();
      if (m_end.empty()) child_exit.wait(m_o.poll);
    }
    finish();
    return m_end == "Succeeded" ? 0 : 1;
  }

private:
  void say(const std::string& msg) { std::cerr << now_rfc3339() << " " << msg << std::endl; }

  template <typename F>
  void metadata(F f) {
    if (!m_runs) return;
    try {
      f(*m_runs);
    } catch (const std::exception& e) {
      say(std::string("metadata: ") + e.what());
    }
  }

  stdfs::path trials_dir() const { return m_dir.root / "trials"; }
  RunDir trial_dir(const std::string& name) const { return RunDir{trials_dir() / name}; }
  // A path inside the trial's container, on this machine: under the trial's
  // directory (what a volume mount at that path would give the container).
  stdfs::path in_trial(const std::string& trial, std::string container_path) const {
    while (!container_path.empty() && container_path.front() == '/') container_path.erase(0, 1);
    return trial_dir(trial).root / container_path;
  }

  void condition(const std::string& type, const std::string& reason, const std::string& message) {
    local::set_condition(m_object, type, reason, message, now_rfc3339());
    metadata([&](metadata::Runs& r) { r.set_state(m_run, type == "Created" ? "Created" : type, message); });
    write(true);
  }

  void end(const std::string& type, const std::string& reason, const std::string& message) {
    m_end = type;
    m_reason = reason;
    m_message = message;
  }

  // --- trials on disk ------------------------------------------------------

  void load_trials() {
    std::error_code ec;
    if (!stdfs::is_directory(trials_dir(), ec)) return;
    for (const auto& e : stdfs::directory_iterator(trials_dir(), ec)) {
      const auto trial = read_json(e.path() / "trial.json");
      if (!trial) { // created, never recorded: as if it had not been
        stdfs::remove_all(e.path(), ec);
        continue;
      }
      TrialRecord t;
      t.object = *trial;
      t.name = e.path().filename().string();
      t.index = std::atoi(json_text(json_field(json_field(*trial, "metadata"), "annotations"), "kf.dev/index").c_str());
      for (const auto& p : m_spec.space.parameters) {
        std::string value;
        for (const auto& a : (*trial)["spec"]["parameterAssignments"])
          if (a.value("name", "") == p.name) value = a.value("value", "");
        t.assignment.push_back(value);
      }
      const auto& st = json_field(*trial, "status");
      t.state = state_from_name(json_text(st, "kf.dev/state")).value_or(tune::TrialState::Running);
      // Recorded, but its supervisor never started (the controller was killed in between): start it now.
      const RunDir dir{e.path()};
      if (!t.finished() && stdfs::exists(dir.plan(), ec) && !stdfs::exists(dir.local(), ec) && !is_locked(dir.lock()))
        spawn_supervisor(dir);
      restore_metrics(t);
      m_trials.push_back(std::move(t));
    }
    std::sort(m_trials.begin(), m_trials.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  }

  // Metrics are re-read from the trial's logs and files: nothing to keep in sync.
  void restore_metrics(TrialRecord& t) {
    collect(t);
  }

  std::vector<stdfs::path> metric_sources(const TrialRecord& t) const {
    const RunDir dir = trial_dir(t.name);
    if (m_spec.collector.kind == "None") return {};
    if (m_spec.collector.kind == "TensorFlowEvent") return {dir.root / "tfevent-metrics.jsonl"}; // collect_tfevents()
    if (m_spec.collector.kind == "File") return {in_trial(t.name, m_spec.collector.file_path)};
    // StdOut: the primary replica's log (a Job: each pod's, in order).
    const auto plan = read_json(dir.plan());
    if (!plan) return {};
    if (plan->value("kind", "") != "Job") {
      const std::string primary = plan->value("successReplica", ""); // "" = a TrainJob's: its first node
      return {dir.log(primary.empty() ? (*plan)["replicas"][0].value("name", "") : primary)};
    }
    std::vector<stdfs::path> logs;
    const auto local = read_json(dir.local());
    if (local && local->contains("replicas"))
      for (const auto& r : (*local)["replicas"]) logs.push_back(dir.log(r.value("name", "")));
    return logs;
  }

  // New whole lines of each source, parsed.
  void collect(TrialRecord& t) {
    for (const auto& src : metric_sources(t)) {
      std::ifstream in(src, std::ios::binary);
      if (!in) continue;
      std::size_t& offset = t.read[src.string()];
      in.seekg(static_cast<std::streamoff>(offset));
      std::string text;
      char buf[65536];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) text.append(buf, static_cast<std::size_t>(in.gcount()));
      const auto nl = text.rfind('\n');
      if (nl == std::string::npos) continue;
      text.resize(nl + 1);
      offset += text.size();
      for (const auto& m : m_metrics->parse(text)) observe(m_spec, t, m);
    }
  }

  // TensorFlowEvent: once the trial's job has ended, kf-tfevent-collector
  // reads its event files (as Katib's collector does beside the trial's
  // container when it exits) into tfevent-metrics.jsonl, which collect()
  // reads. A collector that fails leaves the trial without metrics, saying why.
  void collect_tfevents(const TrialRecord& t) {
    if (m_spec.collector.kind != "TensorFlowEvent") return;
    const RunDir dir = trial_dir(t.name);
    proc::Command c;
    try {
      c.argv = {find_runtime("kf-tfevent-collector"), in_trial(t.name, m_spec.collector.file_path).string()};
    } catch (const Error& e) {
      say("trial " + t.name + ": " + e.what());
      return;
    }
    for (const auto& m : m_spec.metrics) c.argv.push_back(m.name);
    c.out = c.err = proc::Stream::capture;
    const proc::Result r = proc::run(c);
    if (!r.err.empty()) say("trial " + t.name + ": " + str::trim(r.err));
    if (r.exit_code == 0) fs::write_file_atomic(dir.root / "tfevent-metrics.jsonl", r.out);
  }

  // --- one trial -----------------------------------------------------------

  void update(TrialRecord& t) {
    collect(t);
    const RunDir dir = trial_dir(t.name);
    auto job = read_json(dir.object());
    if (!job) return;
    if (!target::is_finished(*job) && !is_locked(dir.lock()) && stdfs::exists(dir.local())) {
      // A supervisor writes its job's end before it lets go of the lock: one
      // that let go since the read above may have ended it, so it is read again.
      job = read_json(dir.object());
      if (!job) return;
      if (!target::is_finished(*job)) {
        set_trial(t, tune::TrialState::Failed, "TrialFailed", "Trial's job lost its supervisor");
        return;
      }
    }
    if (!target::is_finished(*job)) {
      if (median_stop(m_spec, t, m_trials)) {
        stop_job(t.name);
        collect(t);
        set_trial(t, tune::TrialState::EarlyStopped, "TrialEarlyStopped", "Trial is early stopped by medianstop");
      }
      return;
    }
    collect_tfevents(t);
    collect(t);
    const std::string state = target::state_of(*job);
    const bool metric = objective_of(m_spec, t).has_value();
    if (state == m_spec.success_condition) {
      if (metric) set_trial(t, tune::TrialState::Succeeded, "TrialSucceeded", "Trial has succeeded");
      else
        set_trial(t, tune::TrialState::MetricsUnavailable, "MetricsUnavailable",
                  "Metrics are not available: the trial's job succeeded without reporting " + m_spec.objective_metric);
    } else if (state == m_spec.failure_condition) {
      set_trial(t, tune::TrialState::Failed, "TrialFailed", "Trial has failed: " + latest_message(*job));
    } else {
      set_trial(t, tune::TrialState::Failed, "TrialFailed",
                "Trial's job ended " + state + ", neither its successCondition nor its failureCondition");
    }
  }

  static std::string latest_message(const Json& job) {
    std::string message;
    for (const auto& c : json_field(json_field(job, "status"), "conditions"))
      if (json_text(c, "status") == "True") message = json_text(c, "message");
    return message;
  }

  void set_trial(TrialRecord& t, tune::TrialState s, const std::string& reason, const std::string& message) {
    t.state = s;
    const std::string type = state_name(s);
    local::set_condition(t.object, type, reason, message, now_rfc3339());
    Json& status = t.object["status"];
    status["kf.dev/state"] = type;
    status["completionTime"] = now_rfc3339();
    status["observation"] = observation_json(m_spec, t);
    write_json(trial_dir(t.name).root / "trial.json", t.object);
    Json values = Json::object();
    for (const auto& m : m_spec.metrics)
      if (t.observed.count(m.name) && t.observed[m.name].count) values[m.name] = t.observed[m.name].value(m.strategy);
    metadata([&](metadata::Runs& r) {
      if (!values.empty()) r.add_epoch(t.name, metadata::EpochRecord{std::max<int>(1, static_cast<int>(t.objective_values.size())), values, now_ms()});
      r.set_state(t.name, s == tune::TrialState::Succeeded ? "Succeeded" : "Failed", message);
    });
    say("trial " + t.name + ": " + type + (message.empty() ? "" : " (" + message + ")"));
  }

  // SIGTERM to a trial's supervisor, which stops its replicas; waits for it.
  void stop_job(const std::string& trial) {
    const RunDir dir = trial_dir(trial);
    // A supervisor spawned a moment ago has not said its pid yet: wait for it (10 s at most).
    std::error_code ec;
    for (int i = 0; i < 500 && !stdfs::exists(dir.local(), ec) && stdfs::exists(dir.plan(), ec); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto local = read_json(dir.local());
    const Json& recorded = local ? json_field(json_field(*local, "supervisor"), "pid") : Json();
    const int pid = recorded.is_number_integer() ? recorded.get<int>() : 0;
    if (pid > 0 && is_locked(dir.lock())) {
      ::kill(pid, SIGTERM);
      FileLock wait(dir.lock(), true);
    }
  }

  void kill_running(const std::string& why) {
    for (auto& t : m_trials)
      if (!t.finished()) {
        stop_job(t.name);
        collect(t);
        set_trial(t, tune::TrialState::Killed, "TrialKilled", "Trial was killed: " + why);
      }
  }

  // --- the experiment ------------------------------------------------------

  int count(tune::TrialState s) const {
    return static_cast<int>(std::count_if(m_trials.begin(), m_trials.end(), [&](const auto& t) { return t.state == s; }));
  }
  int running() const { return count(tune::TrialState::Running); }

  // Whether the experiment is done (and ends it so).
  bool decide() {
    if (const TrialRecord* best = best_trial(m_spec, m_trials); best && m_spec.goal) {
      const double v = *objective_of(m_spec, *best);
      if (m_spec.objective.maximize ? v >= *m_spec.goal : v <= *m_spec.goal) {
        kill_running("the experiment reached its goal");
        end("Succeeded", "ExperimentGoalReached", "Experiment has succeeded because Objective goal has reached");
        return true;
      }
    }
    // As Katib counts: a trial without its metrics failed too; at maxFailedTrialCount (not 0) the experiment fails.
    const int failed = count(tune::TrialState::Failed) + count(tune::TrialState::MetricsUnavailable);
    if (m_spec.max_failed_trials >= 0 && failed != 0 && failed >= m_spec.max_failed_trials) {
      kill_running("the experiment failed");
      end("Failed", "ExperimentFailed", "Experiment has failed because max failed count has reached");
      return true;
    }
    const int done = static_cast<int>(m_trials.size()) - running();
    if (m_spec.max_trials > 0 && done >= m_spec.max_trials) {
      end("Succeeded", "ExperimentMaxTrialsReached", "Experiment has succeeded because max trial count has reached");
      return true;
    }
    if (m_exhausted && running() == 0) {
      end("Succeeded", "ExperimentSuggestionEndReached", "Experiment has succeeded because suggestion service has reached the end");
      return true;
    }
    return false;
  }

  void create_trials() {
    int room = m_spec.parallel_trials - running();
    if (m_spec.max_trials > 0) room = std::min(room, m_spec.max_trials - static_cast<int>(m_trials.size()));
    if (room <= 0 || m_exhausted) return;
    const auto proposals = m_suggester->propose(history(m_spec, m_trials), room);
    for (const auto& p : proposals) create_trial(p);
    // Fewer than asked: the algorithm's end, or a barrier (hyperband's rungs, pbt's generations).
    if (static_cast<int>(proposals.size()) < room && !m_suggester->waiting(history(m_spec, m_trials))) m_exhausted = true;
  }

  void create_trial(const tune::Proposal& p);

  // pbt: suggestion_trial_dir as the trial's containers name it, where
  // Katib mounts the trial's checkpoint volume; "" for the other algorithms.
  std::string suggestion_trial_dir() const { return tune::pbt_trial_dir(m_spec.algorithm); }
  // The trial's checkpoint directory on this machine: suggestion_trial_dir
  // inside the trial's directory (as the File collector's path is), a copy
  // of its parent's; "" for the other algorithms.
  stdfs::path checkpoint_dir(const std::string& trial) const {
    const std::string p = suggestion_trial_dir();
    if (p.empty()) return {};
    return in_trial(trial, p);
  }
  // What Katib's volume mount does, done by path: every mention of
  // suggestion_trial_dir in the job (command, args, env, workingDir) names
  // the trial's checkpoint directory instead.
  void mount_checkpoint_dir(Json& job, const std::string& trial) const {
    const std::string from = suggestion_trial_dir();
    if (from.empty()) return;
    const std::string to = checkpoint_dir(trial).string();
    auto rewrite = [&](auto& self, Json& j) -> void {
      if (j.is_object() || j.is_array()) {
        for (auto& v : j) self(self, v);
        return;
      }
      if (!j.is_string()) return;
      std::string s = j.get<std::string>();
      for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at)) {
        const std::size_t end = at + from.size();
        const bool starts = at == 0 || s[at - 1] == '=' || s[at - 1] == ':' || s[at - 1] == ' ';
        if (starts && (end == s.size() || s[end] == '/' || s[end] == ' ')) {
          s.replace(at, from.size(), to);
          at += to.size();
        } else {
          at = end;
        }
      }
      j = s;
    };
    rewrite(rewrite, job);
  }
  void seed_checkpoint(const std::string& trial, const std::optional<std::size_t>& parent) const {
    const stdfs::path to = checkpoint_dir(trial);
    if (to.empty()) return;
    const stdfs::path from = parent ? checkpoint_dir(m_trials.at(*parent).name) : stdfs::path();
    std::error_code ec;
    if (!from.empty() && stdfs::is_directory(from, ec)) {
      stdfs::create_directories(to.parent_path());
      stdfs::copy(from, to, stdfs::copy_options::recursive | stdfs::copy_options::copy_symlinks);
    }
    stdfs::create_directories(to);
  }

  // The trial job's own supervisor: this controller's child in a process
  // group of its own, so its exit wakes run() at once (SIGCHLD; run() reaps
  // it), and it outlives a controller killed with -9, which kf resume adopts.
  void spawn_supervisor(const RunDir& dir) const {
    proc::Command c;
    c.argv = {self_exe().string(), "__supervise", "--run-dir", dir.root.string(), "--metadata", m_o.metadata_db.string()};
    c.out = c.err = proc::Stream::log;
    c.log = dir.supervisor_log();
    c.own_group = true;
    proc::start(c);
  }
  void write(bool force = false);
  void finish();

  SuperviseOptions m_o;
  RunDir m_dir;
  Json m_plan;
  Json m_object;
  std::string m_run;
  ExperimentSpec m_spec;
  std::unique_ptr<tune::Suggester> m_suggester;
  std::optional<MetricsParser> m_metrics; // m_spec's collector, for its metrics
  std::unique_ptr<metadata::Runs> m_runs;
  std::vector<TrialRecord> m_trials;
  bool m_exhausted = false;
  std::string m_end, m_reason, m_message;
  Json m_last_status, m_last_local;
};

void Experiment::create_trial(const tune::Proposal& proposal) {
  const tune::Assignment& a = proposal.assignment;
  std::string name;
  do name = m_run + "-" + random_suffix();
  while (stdfs::exists(trials_dir() / name));
  const RunDir dir = trial_dir(name);
  stdfs::create_directories(dir.logs());
  TrialRecord t;
  t.name = name;
  t.index = m_trials.empty() ? 0 : m_trials.back().index + 1;
  t.assignment = a;
  const std::string ns = json_text(json_field(m_object, "metadata"), "namespace");
  Json job = trial_object(m_spec, name, ns, a);
  Json params = Json::object(), assignments = Json::array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    params[m_spec.space.parameters[i].name] = a[i];
    assignments.push_back({{"name", m_spec.space.parameters[i].name}, {"value", a[i]}});
  }
  t.object = {{"apiVersion", "kubeflow.org/v1beta1"},
              {"kind", "Trial"},
              {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"katib.kubeflow.org/experiment", m_run}}},
                            {"annotations", {{"kf.dev/index", std::to_string(t.index)}}}}},
              {"spec", {{"objective", m_object["spec"]["objective"]}, {"parameterAssignments", assignments},
                        {"runSpec", job}, {"primaryContainerName", m_spec.primary_container}}},
              {"status", {{"startTime", now_rfc3339()}, {"kf.dev/state", "Running"}}}};
  if (m_spec.algorithm.name == "pbt") { // as Katib's pbt service labels its trials
    Json& labels = t.object["metadata"]["labels"];
    labels["pbt.suggestion.katib.kubeflow.org/generation"] = std::to_string(proposal.generation);
    if (proposal.parent) labels["pbt.suggestion.katib.kubeflow.org/parent"] = m_trials.at(*proposal.parent).name;
  }
  local::set_condition(t.object, "Created", "TrialCreated", "Trial is created", now_rfc3339());
  mount_checkpoint_dir(job, name); // after the Trial's runSpec kept the job as written
  metadata::RunRecord rec;
  rec.name = name;
  rec.project = m_plan["controller"].value("project", "");
  rec.kind = job.value("kind", "");
  rec.target = "local";
  rec.parameters = params;
  rec.object = job;
  metadata([&](metadata::Runs& r) { r.start(rec); });
  try {
    PlanOptions po{m_plan["controller"].value("trainerImage", ""), m_plan["controller"].value("trainerPath", "kf-trainer"), free_port,
                   m_plan["controller"].value("trainingRuntimes", Json::array()).get<std::vector<Json>>()};
    for (auto& r : builtin_training_runtimes()) po.training_runtimes.push_back(std::move(r));
    const JobPlan plan = plan_job(job, po);
    if (m_spec.collector.kind == "File") stdfs::create_directories(in_trial(name, m_spec.collector.file_path).parent_path());
    seed_checkpoint(name, proposal.parent);
    job["status"] = Json::object();
    local::set_condition(job, "Created", job.value("kind", "") + "Created", "created", now_rfc3339());
    write_json(dir.plan(), to_json(plan));
    write_json(dir.object(), job);
    local::set_condition(t.object, "Running", "TrialRunning", "Trial is running", now_rfc3339());
    write_json(dir.root / "trial.json", t.object);
    spawn_supervisor(dir);
    say("trial " + name + " created");
    m_trials.push_back(std::move(t));
  } catch (const Error& e) {
    write_json(dir.root / "trial.json", t.object);
    m_trials.push_back(std::move(t));
    set_trial(m_trials.back(), tune::TrialState::Failed, "TrialFailed", std::string("Trial cannot run: ") + e.what());
  }
}

void Experiment::write(bool force) {
  Json& status = m_object["status"];
  write_trial_status(m_spec, m_trials, status);
  Json rows = Json::array();
  for (const auto& t : m_trials) {
    Json params = Json::object();
    for (std::size_t i = 0; i < t.assignment.size(); ++i) params[m_spec.space.parameters[i].name] = t.assignment[i];
    const auto v = objective_of(m_spec, t);
    rows.push_back({{"name", t.name}, {"state", state_name(t.state)}, {"parameters", params},
                    {"objective", v ? Json(*v) : Json(nullptr)}});
  }
  Json local = {{"supervisor", {{"pid", ::getpid()}}}, {"trials", rows}, {"progress", Json::object()}};
  if (!force && status == m_last_status && local == m_last_local) return;
  status["lastReconcileTime"] = now_rfc3339();
  m_last_status = status;
  m_last_local = local;
  write_json(m_dir.object(), m_object);
  write_json(m_dir.local(), local);
}

void Experiment::finish() {
  // The best trial's model is the experiment's.
  if (const TrialRecord* best = best_trial(m_spec, m_trials))
    metadata([&](metadata::Runs& r) {
      if (const auto rec = r.get(best->name))
        for (auto a : rec->artifacts)
          if (a.type == "kf.Model") {
            a.direction = "output";
            r.add_artifact(m_run, a);
          }
    });
  local::set_condition(m_object, m_end, m_reason, m_message, now_rfc3339());
  m_object["status"]["completionTime"] = now_rfc3339();
  metadata([&](metadata::Runs& r) { r.set_state(m_run, m_reason == "ExperimentStopped" ? "Stopped" : m_end, m_message); });
  write(true);
  say(m_message);
}

} // namespace

int run_experiment(const SuperviseOptions& o) {
  Experiment e(o);
  return e.run();
}

} // namespace kf::local
