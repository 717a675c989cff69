// A batch/v1 Job on this machine, as the Job controller runs it: pods
// ("pod-0", "pod-1", ... in creation order) from the template, at most
// `parallelism` at once, until `completions` succeeded (Indexed: each index
// once, JOB_COMPLETION_INDEX in its environment). A failed pod counts
// against backoffLimit: restartPolicy Never replaces it with a new pod,
// OnFailure restarts it in place. activeDeadlineSeconds ends the Job.
// Status as the controller writes it: startTime, active, ready, succeeded,
// failed, completedIndexes, conditions Complete or Failed (reasons
// BackoffLimitExceeded, DeadlineExceeded), completionTime.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "libkf/local/conditions.h"
#include "libkf/local/controller_run.h"
#include "libkf/local/controllers.h"
#include "libkf/local/gpus.h"
#include "libkf/local/plan.h"
#include "libkf/local/process.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::local {

namespace {

struct Pod {
  std::string name;
  int index = -1; // Indexed: the completion index
  pid_t pid = 0;
  std::uint64_t start_ticks = 0; // with pid, which process it is (process.h)
  std::string state = "Running"; // Running | Succeeded | Failed
  int exit_code = -1;
  int restarts = 0;
  std::shared_ptr<GpuLease> gpus; // its devices, held until it ends
};

// "0-2,4,6-7", as status.completedIndexes.
std::string ranges(const std::set<int>& indexes) {
  std::string out;
  for (auto it = indexes.begin(); it != indexes.end();) {
    int first = *it, last = *it;
    for (++it; it != indexes.end() && *it == last + 1; ++it) last = *it;
    if (!out.empty()) out += ",";
    out += std::to_string(first) + (last > first ? "-" + std::to_string(last) : "");
  }
  return out;
}

class BatchJob : private ControllerRun {
public:
  explicit BatchJob(const SuperviseOptions& o) : ControllerRun(o) {}

  int run() {
    const proc::ChildExitWait child_exit; // a pod's end wakes the loop at once
    std::filesystem::create_directories(m_dir.logs());
    m_start = std::chrono::steady_clock::now();
    m_object["status"]["startTime"] = now_rfc3339();
    record_state("Running", "Job " + m_run + " is running.");
    check_gpus();
    while (m_end.empty()) {
      if (stop_signal() != 0) {
        end("Failed", "Stopped", "Job " + m_run + " was stopped (signal " + std::to_string(stop_signal()) + ").");
        break;
      }
      int status = 0;
      if (const pid_t pid = ::waitpid(-1, &status, WNOHANG); pid > 0) {
        on_exit(pid, proc::exit_code_of(status));
        continue;
      }
      if (m_plan.active_deadline_seconds > 0 &&
          std::chrono::steady_clock::now() - m_start > std::chrono::seconds(m_plan.active_deadline_seconds)) {
        end("Failed", "DeadlineExceeded", "Job was active longer than specified deadline");
        break;
      }
      if (!check_complete()) start_pods();
      write();
      if (m_end.empty()) child_exit.wait(m_o.poll);
    }
    stop_pods();
    local::set_condition(m_object, m_end, m_reason, m_message, now_rfc3339());
    if (m_end == "Complete") m_object["status"]["completionTime"] = now_rfc3339();
    record_state(m_end == "Complete" ? "Succeeded" : m_reason == "Stopped" ? "Stopped" : "Failed", m_message);
    write(true);
    say(m_message);
    return m_end == "Complete" ? 0 : 1;
  }

private:
  void record_state(const std::string& state, const std::string& message) {
    metadata([&](metadata::Runs& runs) { runs.set_state(m_run, state, message); });
  }

  void end(const std::string& type, const std::string& reason, const std::string& message) {
    m_end = type;
    m_reason = reason;
    m_message = message;
  }

  // A pod that requests GPUs starts once that many are free (gpus.h); one
  // that requests more than the machine has never would.
  void check_gpus() {
    const int want = m_plan.replicas.front().gpus;
    if (want > 0) m_gpu_pool = host_gpus();
    if (m_gpu_pool.empty()) return;
    try {
      check_gpu_demand(gpu_demand(m_plan.replicas), m_gpu_pool);
    } catch (const Error& e) {
      end("Failed", "PodFailed", "Job " + m_run + " has failed: each pod " + e.what() + ".");
      return;
    }
    try {
      m_gpu_locks = gpu_lock_dir();
    } catch (const Error& e) {
      end("Failed", "PodFailed", "Job " + m_run + " has failed: " + e.what() + ".");
    }
  }

  // False while the GPUs a new pod needs are held by others (said once, as
  // the scheduler's FailedScheduling event).
  bool take_gpus(Pod& pod, const std::string& name) {
    if (m_gpu_pool.empty()) return true;
    try {
      pod.gpus = GpuLease::try_take(m_gpu_pool, m_plan.replicas.front().gpus, m_gpu_locks);
    } catch (const Error& e) { // the lock files
      end("Failed", "PodFailed", "Job " + m_run + " has failed: " + e.what() + ".");
      return false;
    }
    if (!pod.gpus && !m_warned)
      event("Warning", "FailedScheduling", name, gpus_busy_message(m_plan.replicas.front().gpus, m_gpu_pool));
    m_warned = m_warned || !pod.gpus;
    return pod.gpus != nullptr;
  }

  int active() const {
    int n = 0;
    for (const auto& p : m_pods) n += p.pid > 0;
    return n;
  }

  // The next completion index no pod has taken or finished; -1 when none.
  int next_index() const {
    std::set<int> taken = m_done_indexes;
    for (const auto& p : m_pods)
      if (p.pid > 0) taken.insert(p.index);
    for (int i = 0; i < m_plan.completions; ++i)
      if (!taken.count(i)) return i;
    return -1;
  }

  bool launch(Pod& pod) {
    std::vector<std::pair<std::string, std::string>> extra;
    if (pod.index >= 0) extra.emplace_back("JOB_COMPLETION_INDEX", std::to_string(pod.index));
    ReplicaPlan replica = m_plan.replicas.front();
    replica.name = pod.name;
    if (pod.gpus) event("Normal", "Scheduled", pod.name, hand_out_gpus({&replica, 1}, gpu_demand({&replica, 1}), *pod.gpus).scheduled);
    try {
      pod.pid = start_replica(replica, m_dir.root, m_dir.log(pod.name), extra, pod.gpus ? pod.gpus->fds() : std::vector<int>{});
      pod.start_ticks = process_start_ticks(pod.pid);
      pod.state = "Running";
      say("started " + pod.name + " (pid " + std::to_string(pod.pid) + ")");
      return true;
    } catch (const Error& e) {
      std::ofstream(m_dir.log(pod.name), std::ios::app) << "kf: " << e.what() << '\n';
      pod.state = "Failed";
      pod.exit_code = 127;
      ++m_failed;
      end("Failed", "PodFailed", "Job " + m_run + " has failed: " + pod.name + ": " + e.what() + ".");
      return false;
    }
  }

  void start_pods() {
    while (active() < m_plan.parallelism) {
      Pod pod;
      if (m_plan.indexed) {
        pod.index = next_index();
        if (pod.index < 0) return;
      } else if (m_plan.completions > 0) {
        if (m_succeeded + active() >= m_plan.completions) return;
      } else if (m_succeeded > 0) {
        return; // completions unset: once one succeeded, no new pods
      }
      pod.name = "pod-" + std::to_string(m_pods.size());
      if (!take_gpus(pod, pod.name)) return; // Pending until a pod ends
      m_pods.push_back(pod);
      if (!launch(m_pods.back())) return;
    }
  }

  bool check_complete() {
    const bool done = m_plan.completions > 0 ? m_succeeded >= m_plan.completions : m_succeeded > 0 && active() == 0;
    if (done) end("Complete", "CompletionsReached", "Reached expected number of succeeded pods");
    return done;
  }

  Pod* find(pid_t pid) {
    for (auto& p : m_pods)
      if (p.pid == pid) return &p;
    return nullptr;
  }

  void on_exit(pid_t pid, int code) {
    Pod* pod = find(pid);
    if (!pod) return;
    pod->pid = 0;
    pod->exit_code = code;
    say(pod->name + " exited with code " + std::to_string(code));
    if (code == 0) {
      pod->state = "Succeeded";
      pod->gpus.reset();
      ++m_succeeded;
      if (pod->index >= 0) m_done_indexes.insert(pod->index);
      return;
    }
    ++m_failures;
    if (m_failures > m_plan.backoff_limit) {
      pod->state = "Failed";
      pod->gpus.reset();
      ++m_failed;
      end("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
      return;
    }
    if (m_plan.replicas.front().restart_policy == "OnFailure") { // restarted in place, the same pod
      ++pod->restarts;
      std::ofstream(m_dir.log(pod->name), std::ios::app) << "kf: restarting " << pod->name << " (exit code " << code << ")\n";
      launch(*pod); // it keeps its GPUs
      return;
    }
    pod->state = "Failed";
    pod->gpus.reset();
    ++m_failed;
  }

  void stop_pods() {
    for (auto& p : m_pods)
      if (p.pid > 0) {
        p.exit_code = proc::terminate(p.pid, m_o.grace);
        p.pid = 0;
        p.state = "Failed";
        p.gpus.reset();
        ++m_failed;
      }
  }

  void write(bool force = false) {
    Json& status = m_object["status"];
    status["active"] = active();
    status["ready"] = active();
    status["succeeded"] = m_succeeded;
    status["failed"] = m_failed;
    if (m_plan.indexed) status["completedIndexes"] = ranges(m_done_indexes);
    Json pods = Json::array();
    for (const auto& p : m_pods) {
      Json j = {{"name", p.name}, {"type", "Pod"}, {"pid", p.pid}, {"startTicks", p.pid > 0 ? p.start_ticks : 0},
                {"state", p.state}, {"restarts", p.restarts},
                {"exitCode", p.exit_code >= 0 ? Json(p.exit_code) : Json(nullptr)}};
      if (p.index >= 0) j["index"] = p.index;
      pods.push_back(std::move(j));
    }
    Json local = {{"supervisor", {{"pid", ::getpid()}}},
                  {"replicas", pods},
                  {"restarts", m_failures},
                  {"backoffLimit", m_plan.backoff_limit},
                  {"progress", Json::object()}};
    if (!m_events.empty()) local["events"] = m_events;
    if (!force && status == m_last_status && local == m_last_local) return;
    m_last_status = status;
    m_last_local = local;
    write_json(m_dir.object(), m_object);
    write_json(m_dir.local(), local);
  }

  std::vector<Pod> m_pods;
  std::vector<std::string> m_gpu_pool; // this machine's GPUs, when the pods request some
  std::filesystem::path m_gpu_locks;
  bool m_warned = false; // the FailedScheduling event was said
  std::set<int> m_done_indexes;
  int m_succeeded = 0, m_failed = 0, m_failures = 0;
  std::chrono::steady_clock::time_point m_start;
  std::string m_end, m_reason, m_message; // the final condition, once decided
  Json m_last_status, m_last_local;
};

} // namespace

int run_batch_job(const SuperviseOptions& o) {
  BatchJob job(o);
  return job.run();
}

} // namespace kf::local
