// Kubeflow Trainer v2 (trainer.kubeflow.org TrainJob), with its JobSet
// folded in: the (Cluster)TrainingRuntime of spec.runtimeRef gives the
// "node" container (the TrainJob's image, command, args and env override
// it); one pod per node, `<job>-node-0-<index>`, labelled as JobSet labels
// them (jobset.sigs.k8s.io/jobset-name, replicatedjob-name,
// batch.kubernetes.io/job-completion-index) with the torch plugin's PET_*
// environment; pods go Pending -> Running -> Succeeded/Failed printing
// kf-trainer's lines. The TrainJob's status is what the Trainer copies from
// its JobSet: Complete (AllJobsCompleted) or Failed (FailedJobs), and
// jobsStatus. A runtime that does not exist (yet) holds the TrainJob back,
// with a Warning event, as the Trainer's reconcile errors do.
#include <algorithm>

#include "tests/kube-sim/controllers_kit.h"
#include "libkf/util/strings.h"

namespace kubesim::sim {

namespace {

constexpr const char* k_group = "trainer.kubeflow.org";

struct Node {
  int index = 0;
  bool fail = false;
  int epoch = 0;
  SimPod pod;
  bool done() const { return pod.gone || pod.phase == "Succeeded" || pod.phase == "Failed"; }
};

struct TrainJobRun : RunState {
  std::vector<Node> nodes;
  int epochs = 3;
  Curve curve;
  bool finished = false, warned = false;
};

// The runtime's replicated job whose pods are the trainer's (ancestor label "trainer").
Json trainer_job(const Json& runtime) {
  const Json jobs = runtime.value("spec", Json::object()).value("template", Json::object()).value("spec", Json::object()).value(
      "replicatedJobs", Json::array());
  for (const auto& j : jobs)
    if (j.value("template", Json::object()).value("metadata", Json::object()).value("labels", Json::object()).value(
            "trainer.kubeflow.org/trainjob-ancestor-step", "") == "trainer")
      return j;
  return Json::object();
}

class TrainJobReconciler : public Reconciler {
public:
  bool handles(const ResourceType& t) const override { return t.group == k_group && t.kind == "TrainJob"; }
  bool wants(const Json& obj) const override { return !has_condition(obj, "Complete") && !has_condition(obj, "Failed"); }
  std::unique_ptr<RunState> start(const Json&) const override { return std::make_unique<TrainJobRun>(); }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<TrainJobRun&>(state);
    const bool suspend = t.obj.value("spec", Json::object()).value("suspend", false);
    if (suspend || has_condition(t.obj, "Suspended")) return suspension(t, run, suspend);
    if (run.nodes.empty()) return begin(t, run); // not begun until its runtime exists
    const int world = static_cast<int>(run.nodes.size());
    for (auto& n : run.nodes) {
      if (n.done()) continue;
      const std::string who = "kf-trainer[" + std::to_string(n.index) + "/" + std::to_string(world) + "]: ";
      if (n.pod.phase == "Pending") {
        n.pod.run();
        n.pod.log(who + "no GPU (kube-sim); using the CPU path");
        if (world > 1) n.pod.log(who + "rendezvous complete at " + t.name + "-node-0-0." + t.name + ":29500");
        continue;
      }
      ++n.epoch;
      if (n.fail && n.epoch == std::min(2, run.epochs)) {
        n.pod.log("kf-trainer: error: loss is NaN at epoch " + std::to_string(n.epoch));
        n.pod.finish(1);
        continue;
      }
      n.pod.log(run.curve.line(n.epoch));
      if (n.epoch == run.epochs) n.pod.finish(0);
    }
    return conclude(t, run);
  }

private:
  std::optional<Json> runtime_of(Target& t) const {
    const Json ref = t.obj.value("spec", Json::object()).value("runtimeRef", Json::object());
    const std::string kind = ref.value("kind", "ClusterTrainingRuntime");
    const auto type = t.store.find_type(k_group, "v1alpha1", kind == "TrainingRuntime" ? "trainingruntimes" : "clustertrainingruntimes");
    if (!type) return std::nullopt;
    return t.store.get(*type, kind == "TrainingRuntime" ? t.ns : "", ref.value("name", ""));
  }

  bool begin(Target& t, TrainJobRun& run) {
    const auto runtime = runtime_of(t);
    if (!runtime) {
      if (!run.warned)
        record_event(t.store, {"trainjob-controller", ""}, t.obj, "Warning", "TrainJobResourcesCreationFailed",
                     "runtime " + t.obj["spec"]["runtimeRef"].value("name", "") + " not found");
      run.warned = true;
      return true;
    }
    const Json job = trainer_job(*runtime);
    Json pod_spec = job.value("template", Json::object()).value("spec", Json::object()).value("template", Json::object()).value(
        "spec", Json::object());
    Json container = Json::object();
    for (const auto& c : pod_spec.value("containers", Json::array()))
      if (c.value("name", "") == "node") container = c;
    const Json trainer = t.obj["spec"].value("trainer", Json::object());
    for (const char* key : {"image", "command", "args"})
      if (trainer.contains(key)) container[key] = trainer[key];
    const int count = trainer.value("numNodes", runtime->value("spec", Json::object()).value("mlPolicy", Json::object()).value("numNodes", 1));
    const std::string fail = annotation(t.obj, k_fail);
    for (int i = 0; i < std::max(count, 1); ++i) {
      Node n;
      n.index = i;
      n.fail = fail == "true" ? i == 0 : fail == "node-" + std::to_string(i);
      run.nodes.push_back(std::move(n));
    }
    run.epochs = epochs_of(container);
    run.curve = trainer_curve(container);
    Json env = container.value("env", Json::array());
    for (const auto& e : trainer.value("env", Json::array())) env.push_back(e);
    for (auto& n : run.nodes) {
      Json c = container;
      c["env"] = env;
      const Json pet = {{"PET_NNODES", std::to_string(run.nodes.size())},
                        {"PET_NPROC_PER_NODE", std::to_string(trainer.value("numProcPerNode", 1))},
                        {"PET_NODE_RANK", std::to_string(n.index)},
                        {"PET_MASTER_ADDR", t.name + "-node-0-0." + t.name},
                        {"PET_MASTER_PORT", "29500"}};
      for (const auto& [k, v] : pet.items()) c["env"].push_back({{"name", k}, {"value", v}});
      Json spec = pod_spec;
      spec["containers"] = Json::array({c});
      if (!spec.contains("restartPolicy")) spec["restartPolicy"] = "OnFailure";
      const Json labels = {{"jobset.sigs.k8s.io/jobset-name", t.name},
                           {"jobset.sigs.k8s.io/replicatedjob-name", "node"},
                           {"batch.kubernetes.io/job-completion-index", std::to_string(n.index)},
                           {"trainer.kubeflow.org/trainjob-ancestor-step", "trainer"}};
      const Json md = {{"name", t.name + "-node-0-" + std::to_string(n.index)}, {"namespace", t.ns}, {"labels", labels},
                       {"ownerReferences", {owner_ref(t.obj)}}};
      n.pod.create(t.store, {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", md}, {"spec", spec}});
    }
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    put_condition(conditions, condition("Created", "True", "JobsCreationSucceeded", "Succeeded to create Jobs"));
    status["conditions"] = conditions;
    t.obj["status"] = status;
    return write_status(t, run);
  }

  // spec.suspend: the JobSet is suspended, its pods deleted (a running
  // TrainJob starts over when resumed), condition Suspended True; set back
  // to false, Suspended False with reason Resumed, and the pods are made.
  bool suspension(Target& t, TrainJobRun& run, bool suspend) {
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    if (suspend) {
      for (auto& n : run.nodes)
        if (!n.pod.gone) n.pod.remove();
      run.nodes.clear();
      put_condition(conditions, condition("Suspended", "True", "Suspended", "TrainJob is suspended"));
    } else {
      put_condition(conditions, condition("Suspended", "False", "Resumed", "TrainJob is resumed"));
    }
    status["conditions"] = conditions;
    status["jobsStatus"] = Json::array({{{"name", "node"}, {"ready", 0}, {"active", 0}, {"succeeded", 0}, {"failed", 0},
                                         {"suspended", suspend ? 1 : 0}}});
    if (!set_status(t, status)) return false;
    t.obj["status"] = status;
    return suspend || begin(t, run);
  }

  bool conclude(Target& t, TrainJobRun& run) {
    const bool all_done = std::all_of(run.nodes.begin(), run.nodes.end(), [](const Node& n) { return n.done(); });
    const bool failed = std::any_of(run.nodes.begin(), run.nodes.end(), [](const Node& n) { return n.pod.phase == "Failed"; });
    if (failed && !all_done)
      for (auto& n : run.nodes)
        if (!n.done()) n.pod.finish(137, "the JobSet failed"); // JobSet stops the other pods
    if (!write_status(t, run)) return false;
    return !run.finished;
  }

  bool write_status(Target& t, TrainJobRun& run) {
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    const bool all_done = std::all_of(run.nodes.begin(), run.nodes.end(), [](const Node& n) { return n.done(); });
    const bool failed = std::any_of(run.nodes.begin(), run.nodes.end(), [](const Node& n) { return n.pod.phase == "Failed"; });
    int active = 0;
    for (const auto& n : run.nodes) active += n.pod.phase == "Running";
    if (!run.finished && all_done && failed) {
      put_condition(conditions, condition("Failed", "True", "FailedJobs", "jobset failed due to one or more job failures"));
      run.finished = true;
    } else if (!run.finished && all_done) {
      put_condition(conditions, condition("Complete", "True", "AllJobsCompleted", "jobset completed successfully"));
      run.finished = true;
    }
    status["conditions"] = conditions;
    // JobSet counts Jobs: the node Job is one Job, active while any of its pods runs.
    status["jobsStatus"] = Json::array({{{"name", "node"},
                                         {"ready", active > 0 ? 1 : 0},
                                         {"active", active > 0 ? 1 : 0},
                                         {"succeeded", run.finished && !failed ? 1 : 0},
                                         {"failed", run.finished && failed ? 1 : 0},
                                         {"suspended", 0}}});
    return set_status(t, status);
  }
};

} // namespace

std::unique_ptr<Reconciler> trainjob_reconciler() { return std::make_unique<TrainJobReconciler>(); }

} // namespace kubesim::sim
