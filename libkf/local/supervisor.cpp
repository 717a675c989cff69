#include "libkf/local/supervisor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "libkf/http/http.h"
#include "libkf/local/conditions.h"
#include "libkf/local/controller_run.h"
#include "libkf/local/culler.h"
#include "libkf/local/controllers.h"
#include "libkf/local/gpus.h"
#include "libkf/local/plan.h"
#include "libkf/local/process.h"
#include "libkf/local/progress.h"
#include "libkf/local/run_artifacts.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::local {

namespace {

std::atomic<int> g_stop_signal{0};
extern "C" void on_stop(int sig) { g_stop_signal = sig; }

struct Replica {
  ReplicaPlan plan;
  pid_t pid = 0;
  std::uint64_t start_ticks = 0; // with pid, which process it is (process.h)
  std::string state = "Pending"; // Pending | Running | Succeeded | Failed
  int exit_code = -1;
  int starts = 0;
};

class Supervisor : private ControllerRun {
public:
  explicit Supervisor(const SuperviseOptions& o) : ControllerRun(o), m_restarts(std::max(o.restarts, 0)) {
    for (const auto& r : m_plan.replicas) m_replicas.push_back(Replica{r});
    m_trainjob = m_plan.kind == "TrainJob";
    if (m_plan.kind == "Notebook") m_cull = cull_policy_from_json(m_plan.controller);
  }

  int run() {
    const proc::ChildExitWait child_exit; // a replica's end wakes the loop at once
    if (m_trainjob && json_field(json_field(m_object, "spec"), "suspend") == Json(true)) {
      // Suspended: nothing runs until kf resume sets spec.suspend false and starts a supervisor again.
      // No local.json is written: a run without one is not taken for a lost supervisor's.
      local::set_condition(m_object, "Suspended", "Suspended", "TrainJob is suspended", now_rfc3339());
      write_json(m_dir.object(), m_object);
      metadata([&](metadata::Runs& runs) { runs.set_state(m_run, "Suspended", "TrainJob is suspended"); });
      say("TrainJob " + m_run + " is suspended");
      return 0;
    }
    if (const int epochs = std::atoi(trainer_flag(m_plan.replicas.front(), "--epochs").c_str()); epochs > 0) m_progress.set_epochs(epochs);
    m_started = std::chrono::steady_clock::now();
    if (m_trainjob) set_condition("Created", "Succeeded to create Jobs", "JobsCreationSucceeded");
    if (run_initializers() && take_gpus()) start_all();
    if (m_plan.service) record_model_input();
    else if (!m_done && !m_trainjob) set_condition("Running", m_plan.kind + " " + m_run + " is running.");
    while (!m_done) {
      if (g_stop_signal != 0 || past_deadline()) {
        stop_all();
        finish_stopped();
        break;
      }
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        on_exit(pid, proc::exit_code_of(status));
        continue;
      }
      if (m_plan.service) check_ready();
      else read_progress();
      if (m_plan.kind == "Notebook" && m_ready && !m_done) cull_if_idle();
      write_local();
      child_exit.wait(m_o.poll);
    }
    // Everything is recorded before the run is seen to end, so whoever
    // waits for the end finds the model and the metrics.
    if (!m_plan.service) {
      read_progress();
      record(training_artifacts(m_plan.replicas.front(), m_dir.root, say));
    }
    local::set_condition(m_object, m_final.type, m_final.reason, m_final.message, now_rfc3339());
    m_object["status"]["completionTime"] = now_rfc3339();
    metadata([&](metadata::Runs& runs) { runs.set_state(m_run, m_final.state, m_final.message); });
    write_object();
    say(m_final.message);
    return m_succeeded ? 0 : 1;
  }

private:
  void append_log(const Replica& r, const std::string& line) {
    std::ofstream out(m_dir.log(r.plan.name), std::ios::app);
    out << "kf: " << line << '\n';
  }

  void start(Replica& r) {
    ++r.starts;
    r.exit_code = -1;
    try {
      const auto fds = m_pod_fds.find(r.plan.pod_name());
      r.pid = start_replica(r.plan, m_dir.root, m_dir.log(r.plan.name), {},
                            fds == m_pod_fds.end() ? std::vector<int>{} : fds->second);
      r.start_ticks = process_start_ticks(r.pid);
    } catch (const Error& e) {
      // Nothing to retry: the command is not on this machine.
      append_log(r, e.what());
      r.pid = 0;
      r.state = "Failed";
      r.exit_code = 127;
      m_local_failed = r.plan.name;
      if (m_start_error.empty()) m_start_error = r.plan.name + ": " + e.what();
      say(r.plan.name + ": " + e.what());
      return;
    }
    r.state = "Running";
    say("started " + r.plan.name + " (pid " + std::to_string(r.pid) + ")");
  }

  bool past_deadline() const {
    return m_plan.active_deadline_seconds > 0 &&
           std::chrono::steady_clock::now() - m_started > std::chrono::seconds(m_plan.active_deadline_seconds);
  }

  // The initializers, one after the other (a TrainJob's dataset and model
  // steps, JobSet's dependsOn: Complete). False when one failed or the run
  // was stopped: the run has finished then.
  bool run_initializers() {
    std::filesystem::create_directories(m_dir.logs());
    for (const auto& plan : m_plan.initializers) m_initializers.push_back(Replica{plan});
    for (auto& r : m_initializers) {
      start(r);
      write_object();
      while (r.pid > 0) {
        int status = 0;
        if (::waitpid(r.pid, &status, WNOHANG) == r.pid) {
          r.pid = 0;
          r.exit_code = proc::exit_code_of(status);
          r.state = r.exit_code == 0 ? "Succeeded" : "Failed";
          say(r.plan.name + " exited with code " + std::to_string(r.exit_code));
        } else if (g_stop_signal != 0 || past_deadline()) {
          r.exit_code = proc::terminate(r.pid, m_o.grace);
          r.pid = 0;
          r.state = "Failed";
        } else {
          write_local();
          std::this_thread::sleep_for(m_o.poll);
        }
      }
      if (r.state != "Succeeded") {
        m_local_failed = r.plan.name;
        if (m_start_error.empty()) m_start_error = r.plan.name + " exited with code " + std::to_string(r.exit_code);
        failed_to_start("initializer " + m_start_error);
        return false;
      }
    }
    return true;
  }

  // The GPUs the pods request, all at once (a gang is scheduled whole), each
  // pod's through CUDA_VISIBLE_DEVICES; while other pods hold them the pods
  // stay Pending. False when the run ended meanwhile (stopped, its deadline,
  // or more GPUs than the machine has).
  bool take_gpus() {
    const GpuDemand demand = gpu_demand(m_plan.replicas);
    const auto gpus = demand.total > 0 ? host_gpus() : std::vector<std::string>{};
    if (gpus.empty()) return true;
    try {
      check_gpu_demand(demand, gpus);
    } catch (const Error& e) {
      return failed_to_start(std::string("it ") + e.what());
    }
    try {
      const auto dir = gpu_lock_dir();
      bool warned = false;
      while (!(m_gpus = GpuLease::try_take(gpus, demand.total, dir))) {
        if (g_stop_signal != 0 || past_deadline()) {
          finish_stopped();
          return false;
        }
        if (!warned)
          event("Warning", "FailedScheduling", demand.pods.front(), gpus_busy_message(demand.total, gpus));
        warned = true;
        write_local();
        std::this_thread::sleep_for(std::max(m_o.poll, std::chrono::milliseconds(100)));
      }
    } catch (const Error& e) { // the lock files
      return failed_to_start(e.what());
    }
    auto handed = hand_out_gpus(m_plan.replicas, demand, *m_gpus);
    for (std::size_t i = 0; i < m_replicas.size(); ++i) m_replicas[i].plan = m_plan.replicas[i];
    m_pod_fds = std::move(handed.pod_fds);
    event("Normal", "Scheduled", demand.pods.front(), handed.scheduled);
    return true;
  }

  bool failed_to_start(const std::string& why) {
    finish("Failed", m_plan.kind + "Failed", m_plan.kind + " " + m_run + " has failed: " + why + ".", "Failed");
    return false;
  }

  // The end of a run stopped by a signal or past its deadline.
  void finish_stopped() {
    if (g_stop_signal != 0)
      finish("Failed", "Stopped", m_plan.kind + " " + m_run + " was stopped (signal " + std::to_string(g_stop_signal.load()) + ").", "Stopped");
    else
      finish("Failed", "DeadlineExceeded", m_plan.kind + " exceeded its active deadline", "Failed");
  }

  void start_all() {
    std::filesystem::create_directories(m_dir.logs());
    for (const auto& v : m_plan.volumes) std::filesystem::create_directories(m_dir.root / v); // absolute stays absolute
    for (auto& r : m_replicas) start(r);
    if (!m_start_error.empty()) {
      stop_all();
      failed_to_start(m_start_error);
    }
    if (!m_object["status"].contains("startTime")) m_object["status"]["startTime"] = now_rfc3339();
  }

  void stop_all() {
    for (auto& r : m_replicas)
      if (r.pid > 0) {
        r.exit_code = proc::terminate(r.pid, m_o.grace);
        r.pid = 0;
        if (r.state == "Running") r.state = "Failed";
      }
  }

  Replica* find(pid_t pid) {
    for (auto& r : m_replicas)
      if (r.pid == pid) return &r;
    return nullptr;
  }

  static bool restartable(const std::string& policy, int code) {
    if (policy == "OnFailure" || policy == "Always") return true;
    if (policy == "ExitCode") return code >= 128; // the operator's rule: signals are retryable, 1-127 permanent
    return false;
  }

  void on_exit(pid_t pid, int code) {
    Replica* r = find(pid);
    if (!r) return;
    r->pid = 0;
    r->exit_code = code;
    r->state = code == 0 ? "Succeeded" : "Failed";
    say(r->plan.name + " exited with code " + std::to_string(code));
    if (code == 0 && !m_plan.service) { // a service that exits is restarted like a failed one
      if (m_plan.success_replica.empty() ? all_succeeded() : r->plan.name == m_plan.success_replica) succeed();
      else write_object();
      return;
    }
    const std::string what = r->plan.name + " exited with code " + std::to_string(code);
    const std::string failed = "1 " + r->plan.type + " replica(s) failed";
    m_local_failed = r->plan.name;
    if (!restartable(r->plan.restart_policy, code)) {
      stop_all();
      finish("Failed", m_plan.kind + "Failed",
             m_plan.kind + " " + m_run + " is failed because " + failed + " (" + what + ", restartPolicy " +
                 r->plan.restart_policy + ").",
             "Failed");
      return;
    }
    if (m_restarts >= m_plan.backoff_limit) {
      stop_all();
      finish("Failed", m_plan.kind + "Failed",
             m_plan.kind + " " + m_run + " has failed because it has reached the specified backoff limit (" +
                 std::to_string(m_plan.backoff_limit) + " restarts; " + what + ").",
             "Failed");
      return;
    }
    ++m_restarts;
    const std::string why = m_plan.kind + " " + m_run + " is restarting because " + failed + " (" + what + "; restart " +
                            std::to_string(m_restarts) + " of at most " + std::to_string(m_plan.backoff_limit) + ").";
    if (m_trainjob) say(why); // JobSet restarts its Jobs without a TrainJob condition
    else set_condition("Restarting", why);
    for (auto& other : m_replicas)
      if (other.pid > 0) {
        proc::terminate(other.pid, m_o.grace);
        other.pid = 0;
      }
    if (m_plan.service) {
      std::error_code ec;
      if (!m_plan.ready_file.empty()) std::filesystem::remove(m_dir.root / m_plan.ready_file, ec);
      m_ready = false;
      if (m_plan.kind == "Notebook") m_object["status"]["readyReplicas"] = 0;
    }
    for (auto& each : m_replicas) {
      append_log(each, "restarting every replica (restart " + std::to_string(m_restarts) + "): " + what);
      start(each);
    }
    if (!m_start_error.empty()) {
      stop_all();
      failed_to_start(m_start_error);
      return;
    }
    if (!m_plan.service && !m_trainjob) set_condition("Running", m_plan.kind + " " + m_run + " is running.");
  }

  bool all_succeeded() const {
    for (const auto& r : m_replicas)
      if (r.state != "Succeeded") return false;
    return true;
  }

  void succeed() {
    // Workers end with the Master; give them the grace period, then stop them.
    const auto deadline = std::chrono::steady_clock::now() + m_o.grace;
    for (auto& r : m_replicas) {
      while (r.pid > 0 && std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(r.pid, &status, WNOHANG) == r.pid) {
          r.pid = 0;
          r.exit_code = proc::exit_code_of(status);
          r.state = r.exit_code == 0 ? "Succeeded" : "Failed";
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    stop_all();
    m_succeeded = true;
    finish("Succeeded", m_plan.kind + "Succeeded", m_plan.kind + " " + m_run + " is successfully completed.", "Succeeded");
  }

  // A service is Ready once its process has written the ready file
  // (kf-server's --port-file: it listens), or once its ready URL answers
  // 200 (Jupyter's /api/status; asked every 200 ms at most).
  bool answers_ready() {
    if (m_plan.ready_url.empty()) {
      std::error_code ec;
      return std::filesystem::exists(m_dir.root / m_plan.ready_file, ec);
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - m_last_probe < std::chrono::milliseconds(200)) return false;
    m_last_probe = now;
    try {
      if (!m_http) m_http = std::make_unique<http::Client>();
      http::Request req;
      req.url = m_plan.ready_url;
      req.timeout = std::chrono::seconds(2);
      return m_http->perform(req).status == 200;
    } catch (const Error&) {
      return false;
    }
  }

  void check_ready() {
    if (m_ready || !answers_ready()) return;
    m_ready = true;
    m_object["status"]["url"] = m_plan.url;
    if (m_plan.kind == "Notebook") { // the notebook controller's status: its pod's
      m_object["status"]["readyReplicas"] = 1;
      m_object["status"]["containerState"] = {{"running", {{"startedAt", now_rfc3339()}}}};
    } else {
      m_object["status"]["address"] = {{"url", m_plan.url}};
      local::set_condition(m_object, "PredictorReady", "", "", now_rfc3339());
    }
    set_condition("Ready", m_plan.kind + " " + m_run + " is ready at " + m_plan.url + ".");
  }

  // Kubeflow's culler (culler.h): a notebook idle for the policy's time is stopped and kept.
  void cull_if_idle() {
    const CullPolicy& policy = m_cull;
    const auto now = std::chrono::steady_clock::now();
    if (policy.idle_seconds <= 0 || !m_http || now - m_last_cull_check < std::chrono::duration<double>(policy.check_seconds))
      return;
    m_last_cull_check = now;
    std::optional<double> idle;
    try {
      http::Request req;
      req.url = m_plan.ready_url;
      req.timeout = std::chrono::seconds(2);
      const auto resp = m_http->perform(req);
      if (resp.status == 200) idle = idle_seconds(resp.body, now_ms() / 1000);
    } catch (const Error&) {
    }
    if (!idle || *idle < policy.idle_seconds) return;
    stop_all();
    m_object["metadata"]["annotations"]["kubeflow-resource-stopped"] = now_rfc3339();
    finish("Failed", "Culled",
           "Notebook " + m_run + " was culled: idle for " + std::to_string(static_cast<long>(*idle)) +
               " s (ENABLE_CULLING, CULL_IDLE_TIME " + std::to_string(static_cast<long>(policy.idle_seconds)) + " s)",
           "Stopped");
  }

  // What a service serves: the model directory (its kf.Model artifact, shared with the run that trained it).
  void record_model_input() { record(served_model(m_plan.replicas.front(), say)); }

  void set_condition(const std::string& type, const std::string& message, const std::string& reason = "") {
    local::set_condition(m_object, type, reason.empty() ? m_plan.kind + type : reason, message, now_rfc3339());
    write_object();
    metadata([&](metadata::Runs& runs) { runs.set_state(m_run, type, message); });
  }

  // The run's end; run() records it once the artifacts are in.
  void finish(const std::string& type, const std::string& reason, const std::string& message, const std::string& state) {
    m_final = {type, reason, message, state};
    if (m_plan.kind == "Notebook") {
      m_object["status"]["readyReplicas"] = 0;
      m_object["status"]["containerState"] = {{"terminated", {{"finishedAt", now_rfc3339()}}}};
    }
    // A TrainJob's end is its JobSet's: Complete (AllJobsCompleted) or Failed (FailedJobs).
    if (m_trainjob && type == "Succeeded") m_final = {"Complete", "AllJobsCompleted", "jobset completed successfully", state};
    else if (m_trainjob && reason == m_plan.kind + "Failed") m_final.reason = "FailedJobs";
    write_object();
    m_done = true;
  }

  void write_object() {
    Json statuses = Json::object();
    for (const auto& type : m_plan.types) {
      int active = 0, succeeded = 0, failed = 0;
      for (const auto& r : m_replicas)
        if (r.plan.type == type) {
          active += r.state == "Running";
          succeeded += r.state == "Succeeded";
          failed += r.state == "Failed";
        }
      statuses[type] = {{"active", active}, {"succeeded", succeeded}, {"failed", failed}};
    }
    if (m_trainjob) m_object["status"]["jobsStatus"] = jobs_status();
    else m_object["status"]["replicaStatuses"] = statuses;
    m_object["status"]["lastReconcileTime"] = now_rfc3339();
    write_json(m_dir.object(), m_object);
    write_local(true);
  }

  // A TrainJob's jobsStatus: JobSet's replicated jobs, counted as Jobs (each of one Job here).
  Json jobs_status() const {
    Json out = Json::array();
    auto add = [&](const std::string& name, const std::vector<const Replica*>& pods) {
      bool running = false, all_done = !pods.empty(), started = false;
      for (const auto* r : pods) {
        running = running || r->state == "Running";
        all_done = all_done && r->state == "Succeeded";
        started = started || r->starts > 0;
      }
      const bool failed = m_done && !m_succeeded && started && !all_done; // a Job fails only once the run does
      out.push_back({{"name", name}, {"ready", running ? 1 : 0}, {"active", running ? 1 : 0}, {"succeeded", all_done ? 1 : 0},
                     {"failed", failed ? 1 : 0}, {"suspended", 0}});
    };
    for (const auto& r : m_initializers) add(r.plan.type, {&r});
    for (const auto& type : m_plan.types) {
      std::vector<const Replica*> pods;
      for (const auto& r : m_replicas)
        if (r.plan.type == type) pods.push_back(&r);
      add(type, pods);
    }
    return out;
  }

  void write_local(bool force = false) {
    Json replicas = Json::array();
    for (const auto* list : {&m_initializers, &m_replicas})
      for (const auto& r : *list)
        replicas.push_back({{"name", r.plan.name},
                            {"type", r.plan.type},
                            {"pid", r.pid},
                            {"startTicks", r.pid > 0 ? r.start_ticks : 0},
                            {"state", r.state},
                            {"restarts", r.starts > 0 ? r.starts - 1 : 0},
                            {"exitCode", r.exit_code >= 0 ? Json(r.exit_code) : Json(nullptr)}});
    Json local = {{"supervisor", {{"pid", ::getpid()}}},
                  {"replicas", replicas},
                  {"restarts", m_restarts},
                  {"backoffLimit", m_plan.backoff_limit},
                  {"progress", m_progress.to_json()}};
    if (!m_local_failed.empty()) local["failedReplica"] = m_local_failed;
    if (!m_events.empty()) local["events"] = m_events;
    if (!force && local == m_last_local) return;
    m_last_local = local;
    write_json(m_dir.local(), local);
  }

  // New lines of the success replica's log: progress and per-epoch metrics.
  void read_progress() {
    std::ifstream in(m_dir.log(m_plan.success_replica.empty() ? m_plan.replicas.front().name : m_plan.success_replica),
                     std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(m_progress_offset));
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break; // a partial line: read it when it is complete
      m_progress_offset += line.size() + 1;
      if (auto epoch = m_progress.feed(line)) {
        metadata::EpochRecord rec{epoch->epoch, epoch->values, now_ms()};
        metadata([&](metadata::Runs& runs) { runs.add_epoch(m_run, rec); });
      }
    }
  }

  void record(const std::vector<metadata::ArtifactRecord>& artifacts) {
    for (const auto& a : artifacts) metadata([&](metadata::Runs& runs) { runs.add_artifact(m_run, a); });
  }

  std::vector<Replica> m_replicas;
  std::unique_ptr<GpuLease> m_gpus; // held from start_all to the end of the run
  std::map<std::string, std::vector<int>> m_pod_fds; // each pod's lock fds, which its processes keep
  std::vector<Replica> m_initializers;
  bool m_trainjob = false;
  CullPolicy m_cull; // a notebook's idle culling (off: idle_seconds 0)
  std::chrono::steady_clock::time_point m_started;
  int m_restarts = 0;
  bool m_done = false, m_succeeded = false, m_ready = false;
  std::unique_ptr<http::Client> m_http; // a service's readiness probe
  std::chrono::steady_clock::time_point m_last_probe, m_last_cull_check;
  struct Final { std::string type, reason, message, state; } m_final;
  std::string m_local_failed;
  std::string m_start_error; // a replica that could not start
  std::size_t m_progress_offset = 0;
  Progress m_progress;
  Json m_last_local;
};

} // namespace

int stop_signal() { return g_stop_signal.load(); }

int run_gang(const SuperviseOptions& o) {
  Supervisor s(o);
  return s.run();
}

int supervise(const SuperviseOptions& o) {
  const RunDir dir{o.run_dir};
  FileLock lock(dir.lock(), false);
  if (!lock.locked()) throw Error("run " + o.run_dir.filename().string() + " already has a supervisor");
  struct sigaction sa{};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  const auto plan = read_json(dir.plan());
  if (!plan) throw Error("run " + o.run_dir.filename().string() + " has no plan.json");
  const std::string kind = plan->value("kind", "");
  if (kind == "Job") return run_batch_job(o);
  if (kind == "Experiment") return run_experiment(o);
  if (kind == "Workflow") return run_workflow(o);
  return run_gang(o);
}

} // namespace kf::local
