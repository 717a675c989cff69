// The training operator (kubeflow.org PyTorchJob, TFJob): one pod per
// replica, `<job>-<type>-<index>`, with the operator's labels, owner
// reference and rendezvous environment; pods go Pending -> Running ->
// Succeeded/Failed printing kf-trainer's lines (one epoch per step); the job
// goes Created -> Running -> Succeeded/Failed (and Restarting) with
// replicaStatuses, startTime and completionTime, conditions kept the way
// the operator's setCondition keeps them. Events on the job as the operator
// records them: SuccessfulCreatePod ("Created pod: NAME"), <Kind>Restarting
// (Warning), <Kind>Succeeded or <Kind>Failed, SuccessfulDeletePod.
#include <algorithm>
#include <sstream>

#include "tests/kube-sim/controllers_kit.h"
#include "libkf/util/strings.h"

namespace kubesim::sim {

namespace {

struct Flavor {
  std::string kind, specs, operator_name, env_style;
  std::vector<std::string> order; // replica types in rank order; others follow
};

const Flavor k_pytorch{"PyTorchJob", "pytorchReplicaSpecs", "pytorchjob-controller", "pytorch", {"Master", "Worker"}};
const Flavor k_tf{"TFJob", "tfReplicaSpecs", "tfjob-controller", "tf", {"Chief", "Master", "Worker", "PS", "Evaluator"}};

struct Replica {
  std::string type; // as in the spec: "Worker"
  int index = 0, rank = -1; // rank -1: does not train (evaluator)
  bool fail = false, restart = false, waiting_restart = false;
  int epoch = 0;
  SimPod pod;
  std::string id() const { return kf::str::lower(type) + "-" + std::to_string(index); }
  bool done() const { return pod.gone || pod.phase == "Succeeded" || pod.phase == "Failed"; }
};

struct JobRun : RunState {
  std::vector<Replica> replicas;
  int world = 0, epochs = 3;
  Curve curve;
  bool finished = false;
};

// "true" selects the first replica; otherwise a comma-separated list of "worker-1" or "<job>-worker-1".
bool selected(const std::string& value, const std::string& job, const Replica& r, bool first) {
  if (value == "true") return first;
  std::stringstream in(value);
  for (std::string item; std::getline(in, item, ',');)
    if (item == r.id() || item == job + "-" + r.id()) return true;
  return false;
}

class JobReconciler : public Reconciler {
public:
  explicit JobReconciler(Flavor f) : m_f(std::move(f)) {}
  bool handles(const ResourceType& t) const override { return t.group == "kubeflow.org" && t.kind == m_f.kind; }
  bool wants(const Json& obj) const override {
    return !has_condition(obj, "Succeeded") && !has_condition(obj, "Failed");
  }
  std::unique_ptr<RunState> start(const Json&) const override { return std::make_unique<JobRun>(); }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<JobRun&>(state);
    if (run.step == 0) return begin(t, run);
    std::string crashed, failed_type;
    bool restarted = false;
    int failed = 0;
    for (auto& r : run.replicas) {
      if (r.done()) continue;
      const std::string who = "kf-trainer[" + std::to_string(r.rank) + "/" + std::to_string(run.world) + "]: ";
      if (r.pod.phase == "Pending") {
        r.pod.run();
        if (r.rank < 0) continue;
        r.pod.log(who + "no GPU (kube-sim); using the CPU path");
        if (run.world > 1) r.pod.log(who + "rendezvous complete at " + t.name + "-" + kf::str::lower(run.replicas[0].type) + "-0:23456");
        continue;
      }
      if (r.waiting_restart) {
        r.waiting_restart = false;
        r.pod.restart();
        r.pod.log(who + "resuming from rank 0's checkpoint at epoch 1");
        restarted = true;
        continue;
      }
      if (r.rank < 0) {
        r.pod.log("kf-trainer: TF_CONFIG task " + kf::str::lower(r.type) + " " + std::to_string(r.index) +
                  " does not train (all-reduce needs no evaluator); exiting");
        r.pod.finish(0);
        continue;
      }
      ++r.epoch;
      const int fail_at = std::min(2, run.epochs);
      if ((r.fail || (r.restart && r.pod.restarts == 0)) && r.epoch == fail_at) {
        r.pod.log("kf-trainer: error: loss is NaN at epoch " + std::to_string(r.epoch));
        if (r.fail) {
          r.pod.finish(1);
          if (failed_type.empty() || failed_type == r.type) {
            failed_type = r.type;
            ++failed;
          }
        } else {
          r.pod.crash(1);
          r.waiting_restart = true;
          r.epoch = 0;
          crashed = r.type;
        }
        continue;
      }
      r.pod.log(run.curve.line(r.epoch));
      if (r.epoch == run.epochs) r.pod.finish(0);
    }
    return conclude(t, run, crashed, restarted, failed, failed_type);
  }

private:
  std::string msg(const Target& t, const std::string& what) const { return m_f.kind + " " + t.name + " " + what; }

  Json template_of(const Json& specs, const std::string& type) const { return specs[type].value("template", Json::object()); }

  bool begin(Target& t, JobRun& run) {
    const Json specs = t.obj.value("spec", Json::object()).value(m_f.specs, Json::object());
    std::vector<std::string> types;
    for (const auto& o : m_f.order)
      if (specs.contains(o)) types.push_back(o);
    for (const auto& [k, v] : specs.items())
      if (std::find(types.begin(), types.end(), k) == types.end()) types.push_back(k);
    const std::string fail = annotation(t.obj, k_fail), restart = annotation(t.obj, k_restart);
    for (const auto& type : types) {
      const int n = specs[type].value("replicas", 1);
      for (int i = 0; i < n; ++i) {
        Replica r;
        r.type = type;
        r.index = i;
        if (kf::str::lower(type) != "evaluator") r.rank = run.world++;
        r.fail = selected(fail, t.name, r, run.replicas.empty());
        r.restart = selected(restart, t.name, r, run.replicas.empty());
        run.replicas.push_back(std::move(r));
      }
    }
    if (!types.empty()) {
      const Json containers = template_of(specs, types[0]).value("spec", Json::object()).value("containers", Json::array());
      const Json main = containers.empty() ? Json::object() : containers[0];
      run.epochs = epochs_of(main);
      run.curve = trainer_curve(main);
    }
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    set_job_condition(conditions, condition("Created", "True", m_f.kind + "Created", msg(t, "is created."), true));
    status["conditions"] = conditions;
    status["replicaStatuses"] = replica_statuses(t, run);
    if (!set_status(t, status)) return false;
    for (auto& r : run.replicas)
      if (r.pod.create(t.store, pod_for(t, run, r, specs)))
        record_event(t.store, {m_f.operator_name, ""}, t.obj, "Normal", "SuccessfulCreatePod", "Created pod: " + r.pod.name);
    return true;
  }

  Json replica_statuses(const Target& t, const JobRun& run) const {
    Json out = Json::object();
    for (const auto& r : run.replicas) {
      if (!out.contains(r.type)) {
        const Json labels = {{"training.kubeflow.org/job-name", t.name}, {"training.kubeflow.org/operator-name", m_f.operator_name},
                             {"training.kubeflow.org/replica-type", kf::str::lower(r.type)}};
        std::string selector;
        for (const auto& [k, v] : labels.items()) selector += (selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
        out[r.type] = {{"labelSelector", {{"matchLabels", labels}}}, {"selector", selector}};
      }
      const char* key = r.pod.phase == "Succeeded" ? "succeeded" : r.pod.phase == "Failed" ? "failed"
                        : r.pod.phase == "Running" ? "active" : nullptr;
      if (key) out[r.type][key] = out[r.type].value(key, 0) + 1;
    }
    return out;
  }

  Json pod_for(const Target& t, const JobRun& run, const Replica& r, const Json& specs) const {
    Json tmpl = template_of(specs, r.type);
    Json md = tmpl.value("metadata", Json::object());
    Json labels = md.value("labels", Json::object());
    labels["training.kubeflow.org/job-name"] = t.name;
    labels["training.kubeflow.org/operator-name"] = m_f.operator_name;
    labels["training.kubeflow.org/replica-type"] = kf::str::lower(r.type);
    labels["training.kubeflow.org/replica-index"] = std::to_string(r.index);
    if (r.type == "Master" || r.type == "Chief") labels["training.kubeflow.org/job-role"] = "master";
    Json spec = tmpl.value("spec", Json::object());
    const std::string policy = specs[r.type].value("restartPolicy", "Never");
    spec["restartPolicy"] = policy == "ExitCode" ? "Never" : policy;
    const Json rendezvous = rendezvous_env(t, run, r);
    for (auto& c : spec["containers"]) {
      Json env = c.value("env", Json::array());
      for (const auto& [k, v] : rendezvous.items()) env.push_back({{"name", k}, {"value", v}});
      c["env"] = env;
    }
    Json pod_md = {{"name", t.name + "-" + r.id()}, {"namespace", t.ns}, {"labels", labels}, {"ownerReferences", {owner_ref(t.obj)}}};
    if (md.contains("annotations")) pod_md["annotations"] = md["annotations"];
    return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", pod_md}, {"spec", spec}};
  }

  Json rendezvous_env(const Target& t, const JobRun& run, const Replica& r) const {
    if (m_f.env_style == "pytorch")
      return {{"MASTER_ADDR", t.name + "-" + kf::str::lower(run.replicas[0].type) + "-0"}, {"MASTER_PORT", "23456"},
              {"WORLD_SIZE", std::to_string(run.world)}, {"RANK", std::to_string(std::max(r.rank, 0))}, {"PYTHONUNBUFFERED", "1"}};
    Json cluster = Json::object();
    for (const auto& x : run.replicas)
      if (x.rank >= 0) cluster[kf::str::lower(x.type)].push_back(t.name + "-" + x.id() + "." + t.ns + ".svc:2222");
    const Json tf = {{"cluster", cluster}, {"task", {{"type", kf::str::lower(r.type)}, {"index", r.index}}}, {"environment", "cloud"}};
    return {{"TF_CONFIG", tf.dump()}};
  }

  bool conclude(Target& t, JobRun& run, const std::string& crashed, bool restarted, int failed, const std::string& failed_type) {
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    const std::string now = now_rfc3339();
    if (run.step == 1) {
      status["startTime"] = now;
      set_job_condition(conditions, condition("Running", "True", m_f.kind + "Running", msg(t, "is running."), true));
    }
    // The operator records each outcome as an event on the job too, with the
    // condition's reason and message; a failed job's is "Normal", as the
    // training operator has it.
    const EventSource op{m_f.operator_name, ""};
    if (!crashed.empty()) {
      const std::string why = msg(t, "is restarting because 1 " + crashed + " replica(s) failed.");
      set_job_condition(conditions, condition("Restarting", "True", m_f.kind + "Restarting", why, true));
      record_event(t.store, op, t.obj, "Warning", m_f.kind + "Restarting", why);
    }
    if (restarted) set_job_condition(conditions, condition("Running", "True", m_f.kind + "Running", msg(t, "is running."), true));
    const bool all_done = std::all_of(run.replicas.begin(), run.replicas.end(), [](const Replica& r) { return r.done(); });
    if (!run.finished && failed > 0) {
      const std::string why = msg(t, "is failed because " + std::to_string(failed) + " " + failed_type + " replica(s) failed.");
      set_job_condition(conditions, condition("Failed", "True", m_f.kind + "Failed", why, true));
      record_event(t.store, op, t.obj, "Normal", m_f.kind + "Failed", why);
      run.finished = true;
      status["completionTime"] = now;
    } else if (!run.finished && all_done) {
      const std::string why = msg(t, "is successfully completed.");
      set_job_condition(conditions, condition("Succeeded", "True", m_f.kind + "Succeeded", why, true));
      record_event(t.store, op, t.obj, "Normal", m_f.kind + "Succeeded", why);
      run.finished = true;
      status["completionTime"] = now;
    }
    status["conditions"] = conditions;
    status["replicaStatuses"] = replica_statuses(t, run);
    status["lastReconcileTime"] = now;
    if (!set_status(t, status)) return false;
    if (run.finished) {
      const std::string policy = t.obj.value("spec", Json::object()).value("runPolicy", Json::object()).value("cleanPodPolicy", "None");
      for (auto& r : run.replicas)
        if (!r.pod.gone && (policy == "All" || (policy == "Running" && !r.done()))) {
          r.pod.remove();
          record_event(t.store, op, t.obj, "Normal", "SuccessfulDeletePod", "Deleted pod: " + r.pod.name);
        }
    }
    return !all_done;
  }

  Flavor m_f;
};

} // namespace

std::vector<std::unique_ptr<Reconciler>> job_reconcilers() {
  std::vector<std::unique_ptr<Reconciler>> out;
  out.push_back(std::make_unique<JobReconciler>(k_pytorch));
  out.push_back(std::make_unique<JobReconciler>(k_tf));
  return out;
}

} // namespace kubesim::sim
