#pragma once
// The local Argo Workflows controller's operator: one Workflow object
// (object.json) and its status.nodes, advanced by passes as Argo's
// wfOperationCtx does. Each pass walks the templates from the entrypoint:
// a node that is done is read, not redone; a pod whose inputs are resolved
// starts as a host process (a private view of /tmp and its declared paths
// under bubblewrap); a steps group waits for its steps, a DAG task for
// its dependencies. Everything it decides is in status.nodes, so a new
// operator (kf resume, after a kill -9) carries on where the last stopped:
// finished nodes stay finished, a pod that was running starts again.
//
//   workflow_engine.cpp  nodes, templates and their inputs, retries, the pass
//   workflow_steps.cpp   steps: groups of parallel steps, loops (withItems/withParam/withSequence), when
//   workflow_dag.cpp     dag: tasks, dependencies and depends, failFast, targets
//   workflow_pod.cpp     container and script templates: the process, outputs, artifacts, the cache

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "libkf/local/container.h"
#include "libkf/local/run_dir.h"
#include "libkf/util/json.h"
#include "libkf/util/subprocess.h"
#include "libkf/workflow/artifacts.h"
#include "libkf/workflow/template.h"

namespace kf::local {

class GpuLease;

// What the operator needs besides the object (plan.json's controller).
struct WorkflowSettings {
  ContainerOptions container;          // kf's trainer image -> the built kf-trainer
  std::filesystem::path artifacts;     // the project's artifact repository (.kf/artifacts)
  std::filesystem::path cache;         // the project's step cache (.kf/cache)
  bool cache_enabled = true;           // false: kf submit/pipeline run --no-cache
  std::string bwrap;                   // bubblewrap ("" = steps share this machine's filesystem)
};

Json to_json(const WorkflowSettings& s);
WorkflowSettings workflow_settings_from_json(const Json& j);

// How the operator starts and stops a pod's process. On this machine it is
// proc::start and signals to the process group; tests and the fuzzer give a
// fake that starts nothing and ends the pods when they say.
class PodProcesses {
public:
  virtual ~PodProcesses() = default;
  virtual pid_t start(const proc::Command& command) = 0;
  // SIGTERM to the pod's process group, SIGKILL after `grace`; reaped.
  virtual void terminate(pid_t pid, std::chrono::milliseconds grace) = 0;
  // SIGKILL to the process group at once (a deadline passed, or a pod the last operator left).
  virtual void kill(pid_t pid) = 0;
};

// The real processes of this machine.
PodProcesses& host_processes();

// A step or task calling a template.
struct Call {
  std::string name;      // the node's name: "wf[0].hello1", "wf.A", "wf.A(0:x)"
  std::string display;   // its displayName
  Json holder;           // the step or task: template | inline, arguments (already substituted)
  std::string boundary;  // the id of the steps or dag node it belongs to
  std::string retries;   // within a retry node: the attempt, as {{retries}} reads it
};

class WorkflowEngine {
public:
  using Clock = std::chrono::system_clock;

  WorkflowEngine(Json object, WorkflowSettings settings, RunDir dir, PodProcesses& processes = host_processes());

  // One pass over the workflow.
  void operate();
  // A pod's process ended.
  void exited(pid_t pid, int exit_code);
  // SIGTERM, kf stop/delete: every running pod is stopped, the workflow Failed.
  void stop(const std::string& message, std::chrono::milliseconds grace, const std::string& phase = "Failed");
  // kf resume of a running workflow: its suspend nodes succeed.
  void resume_suspended();

  bool done() const;
  // object.json: the Workflow with status.nodes.
  Json object() const;
  bool running_pods() const { return !m_pods.empty(); }
  // Set whenever a pass changed status (object.json is due).
  bool take_changed();

private:
  struct Pod {
    pid_t pid = 0;
    std::string node_id;
    Json tmpl;               // resolved
    std::string cache_key;
    Json cache_parts;
    std::filesystem::path root; // the node's private filesystem (bubblewrap), "" = none
    std::vector<std::filesystem::path> shared; // paths of this machine's /tmp it still sees
    Clock::time_point deadline = Clock::time_point::max();
    bool timed_out = false;
    int gpus = 0;                        // the nvidia.com/gpu its container asks for
    std::shared_ptr<GpuLease> gpu_lease; // the devices it holds from its start to its end (gpus.h)
  };

  // --- nodes (workflow_engine.cpp) ---
  std::string node_id(const std::string& name) const;
  Json* find(const std::string& name);
  Json& init_node(const std::string& name, const std::string& display, const std::string& type, const std::string& tmpl_name,
                  const std::string& boundary, const std::string& phase, const std::string& message = "");
  void mark(Json& node, const std::string& phase, const std::string& message = "");
  void count_pod(const Json& node, int sign); // in or out of status.progress's counts
  void add_child(const std::string& parent, const std::string& child);
  Json* error_node(const Call& c, const std::string& type, const std::string& message);
  static bool fulfilled(const Json& node);
  void journal(const Json& node);

  // --- templates ---
  const Json* find_template(const Json& holder, std::string& name, std::string& error) const;
  Json* execute(const Call& c);
  Json* execute_template(const Call& c, const Json& tmpl, const std::string& tmpl_name);
  Json* execute_retry(const Call& c, const Json& tmpl, const std::string& tmpl_name);
  bool retry_again(Json& parent, const Json& last, const Json& retry_strategy, std::size_t count);
  bool backoff_over(Json& parent, const Json& last, const Json& backoff, std::size_t count);
  Json* execute_suspend(const Call& c, const Json& tmpl, const std::string& tmpl_name);
  workflow::Scope input_scope(const Json& tmpl, const Json& holder, Json& inputs);
  void finish_outputs(Json& node, const Json& tmpl, const workflow::Vars& vars);
  // A steps or dag node whose children ended well: its outputs, then Succeeded (Error if they cannot be resolved).
  Json* succeed(Json& node, const Json& tmpl, const workflow::Vars& vars);
  workflow::Scope pod_scope(const Call& c, const Json& tmpl) const;
  void restart_lost_pods();

  // --- steps (workflow_steps.cpp) ---
  Json* execute_steps(const Call& c, const Json& tmpl, const std::string& tmpl_name, const workflow::Scope& inputs);
  Json* execute_step_group(const std::string& name, const Json& group, const std::string& boundary, const workflow::Vars& vars,
                           int parallelism, workflow::Scope& results);
  Json* run_step(const std::string& name, const std::string& display, const Json& step, const workflow::Vars& vars,
                 const std::string& boundary);
  struct Expanded {
    std::string name;        // "hello" or "hello(0:a)"
    Json step;               // with the item substituted
    workflow::Scope item;    // item, item.key
  };
  std::vector<Expanded> expand(const Json& step, const workflow::Vars& vars);

  // --- dag (workflow_dag.cpp) ---
  Json* execute_dag(const Call& c, const Json& tmpl, const std::string& tmpl_name, const workflow::Scope& inputs);
  workflow::Outcome outcome(const std::string& name);
  std::string dag_failure(const std::string& dag_name, const std::vector<const Json*>& order, const std::set<std::string>& handled);
  Json* execute_task(const std::string& dag_name, const std::string& boundary, const Json& task,
                     const std::vector<std::string>& deps, const workflow::Vars& vars, bool& may_start);

  // --- pods (workflow_pod.cpp) ---
  Json* execute_pod(const Call& c, const Json& tmpl, const std::string& tmpl_name, const workflow::Scope& inputs,
                    const Json& inputs_record);
  void start_pod(Json& node, Pod& pod);
  bool take_gpus(Json& node, Pod& pod);
  std::string prepare_pod(const Call& c, const Json& tmpl, const workflow::Scope& inputs, const Json& inputs_record, Pod& pod);
  void finish_pod(Pod& pod, int exit_code);
  void collect_outputs(Json& node, const Pod& pod, int exit_code);
  std::filesystem::path host_path(const Pod& pod, const std::string& path) const;
  std::vector<std::string> sandbox_argv(const Pod& pod, const std::filesystem::path& cwd) const;
  bool cache_hit(Json& node, const std::string& key, const Json& tmpl);
  void cache_store(const Json& node, const Pod& pod);
  Json record_why(const Json& node, const Pod& pod);
  void check_deadlines();

  // --- results into scopes ---
  void add_results(workflow::Scope& scope, const std::string& prefix, const Json& node);
  void add_aggregate(workflow::Scope& scope, const std::string& prefix, const std::vector<const Json*>& nodes);

  void finish_workflow();

  Json m_wf;                               // status without nodes ...
  std::map<std::string, Json> m_nodes;     // ... which are here, by id (references stay valid)
  WorkflowSettings m_settings;
  RunDir m_dir;
  PodProcesses& m_processes;
  workflow::ArtifactStore m_store;
  std::string m_name;
  Json m_templates = Json::object();
  workflow::Scope m_global;
  std::map<pid_t, Pod> m_pods;
  std::set<std::string> m_running;       // the node ids of m_pods
  long long m_pod_count = 0, m_pods_succeeded = 0; // status.progress, kept by count_pod()
  std::map<std::string, Pod> m_waiting;  // by node id: prepared pods parallelism holds back
  struct DagPlan {
    std::vector<const Json*> order;              // the tasks (in m_templates) in topological order
    std::vector<std::vector<std::string>> deps;  // each one's dependencies (its depends' names)
  };
  std::map<std::string, DagPlan> m_dag_plans;    // by template name
  struct DagState {
    std::vector<bool> done;            // by DagPlan order: finished, its results in `results`
    workflow::Scope results;           // tasks.NAME.* of the finished tasks
    std::set<std::string> handled;     // tasks whose failure a task that ran depended on
    bool tripped = false;              // failFast: a task failed, no new task starts
  };
  std::map<std::string, DagState> m_dag_states;  // by DAG node name
  bool m_changed = false;
  bool m_stopping = false;
  std::string m_stop_message;
  bool m_resume_requested = false;
  Clock::time_point m_deadline = Clock::time_point::max();
};

// The nodes a journal (nodes.log: one finished node per line, appended as
// each finishes) holds, over those of object.json: what a kill -9 between
// two object.json writes would lose.
void replay_journal(Json& object, const std::filesystem::path& journal);

} // namespace kf::local
