// The smaller controllers:
// - Notebook (kubeflow.org, any version): pod `<name>-0` (labels
//   notebook-name, statefulset, statefulset.kubernetes.io/pod-name) owned by
//   the notebook, logging Jupyter's start lines; status readyReplicas,
//   containerState and the pod's conditions. The annotation
//   kubeflow-resource-stopped stops it (pod deleted, readyReplicas 0).
// - Deployment (apps/v1): status replicas/updated/ready/available and
//   observedGeneration, conditions Progressing then Available; no pods.
// - bare Pods (no controller owner): Pending -> Running; with a command and
//   restartPolicy Never/OnFailure -> Succeeded; `sim.kf.dev/fail` -> Failed.
#include "tests/kube-sim/controllers_kit.h"

namespace kubesim::sim {

namespace {

constexpr const char* k_stopped = "kubeflow-resource-stopped";

struct NotebookRun : RunState {
  bool stopped = false;
  SimPod pod;
};

class NotebookReconciler : public Reconciler {
public:
  bool handles(const ResourceType& t) const override { return t.group == "kubeflow.org" && t.kind == "Notebook"; }
  bool wants(const Json& obj) const override {
    const int ready = obj.contains("status") ? obj["status"].value("readyReplicas", -1) : -1;
    return ready != (stopped(obj) ? 0 : 1);
  }
  bool restarts(const Json& obj, const RunState& s) const override { return stopped(obj) != dynamic_cast<const NotebookRun&>(s).stopped; }
  std::unique_ptr<RunState> start(const Json& obj) const override {
    auto run = std::make_unique<NotebookRun>();
    run->stopped = stopped(obj);
    return run;
  }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<NotebookRun&>(state);
    const std::string pod_name = t.name + "-0", now = now_rfc3339();
    Json status = {{"conditions", Json::array()}, {"containerState", Json::object()}, {"readyReplicas", 0}};
    if (run.stopped) {
      const auto pod = t.store.get(pod_type(t.store), t.ns, pod_name);
      if (pod) remove(t.store, pod_type(t.store), t.ns, pod_name, (*pod)["metadata"].value("uid", ""));
      set_status(t, status);
      return false;
    }
    if (run.step == 0) {
      const Json labels = {{"notebook-name", t.name}, {"statefulset", t.name}, {"statefulset.kubernetes.io/pod-name", pod_name}, {"app", t.name}};
      Json spec = t.obj.value("spec", Json::object()).value("template", Json::object()).value("spec", Json::object());
      Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"},
                  {"metadata", {{"name", pod_name}, {"namespace", t.ns}, {"labels", labels}, {"ownerReferences", {owner_ref(t.obj)}}}},
                  {"spec", spec}};
      status["containerState"] = {{"waiting", {{"reason", "ContainerCreating"}}}};
      if (!set_status(t, status)) return false;
      run.pod.create(t.store, pod);
      return true;
    }
    run.pod.run();
    const std::string stamp = "[I " + now.substr(0, 10) + " " + now.substr(11, 8) + ".000 ServerApp] ";
    run.pod.log(stamp + "Jupyter Server 2.14.0 is running at:");
    run.pod.log(stamp + "http://" + pod_name + ":8888/notebook/" + t.ns + "/" + t.name + "/lab");
    status["readyReplicas"] = 1;
    status["containerState"] = {{"running", {{"startedAt", now}}}};
    for (const char* type : {"Initialized", "Ready", "ContainersReady", "PodScheduled"})
      status["conditions"].push_back({{"type", type}, {"status", "True"}, {"lastProbeTime", now}, {"lastTransitionTime", now}});
    set_status(t, status);
    return false;
  }

private:
  static bool stopped(const Json& obj) {
    const Json& md = obj["metadata"];
    return md.contains("annotations") && md["annotations"].is_object() && md["annotations"].contains(k_stopped);
  }
};

struct DeploymentRun : RunState {
  std::int64_t generation = 1;
};

class DeploymentReconciler : public Reconciler {
public:
  bool handles(const ResourceType& t) const override { return t.group == "apps" && t.kind == "Deployment"; }
  bool wants(const Json& obj) const override { return observed(obj) != generation(obj); }
  bool restarts(const Json& obj, const RunState& s) const override { return generation(obj) > dynamic_cast<const DeploymentRun&>(s).generation; }
  std::unique_ptr<RunState> start(const Json& obj) const override {
    auto run = std::make_unique<DeploymentRun>();
    run->generation = generation(obj);
    return run;
  }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<DeploymentRun&>(state);
    const int replicas = t.obj.value("spec", Json::object()).value("replicas", 1);
    const std::string rs = "ReplicaSet \"" + t.name + "-" + name_suffix(fnv1a(t.uid + std::to_string(run.generation)), 10) + "\"";
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    const bool ready = run.step > 0;
    status = {{"observedGeneration", run.generation}};
    if (replicas > 0) {
      status["replicas"] = replicas;
      status["updatedReplicas"] = replicas;
      status[ready ? "readyReplicas" : "unavailableReplicas"] = replicas;
      if (ready) status["availableReplicas"] = replicas;
    }
    put_condition(conditions, ready ? condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", true)
                                    : condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", true));
    put_condition(conditions, ready ? condition("Progressing", "True", "NewReplicaSetAvailable", rs + " has successfully progressed.", true)
                                    : condition("Progressing", "True", "ReplicaSetUpdated", rs + " is progressing.", true));
    status["conditions"] = conditions;
    return set_status(t, status) && !ready;
  }

private:
  static std::int64_t generation(const Json& obj) { return obj["metadata"].value("generation", std::int64_t{1}); }
  static std::int64_t observed(const Json& obj) {
    return obj.contains("status") ? obj["status"].value("observedGeneration", std::int64_t{0}) : 0;
  }
};

struct PodRun : RunState {
  SimPod pod;
};

class PodReconciler : public Reconciler {
public:
  bool handles(const ResourceType& t) const override { return t.group.empty() && t.kind == "Pod"; }
  bool wants(const Json& obj) const override {
    const Json& md = obj["metadata"];
    if (md.contains("ownerReferences"))
      for (const auto& ref : md["ownerReferences"])
        if (ref.value("controller", false)) return false;
    return !obj.contains("status") || obj["status"].value("phase", "").empty();
  }
  std::unique_ptr<RunState> start(const Json&) const override { return std::make_unique<PodRun>(); }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<PodRun&>(state);
    if (run.step == 0) return run.pod.attach(t.store, t.obj);
    const Json spec = t.obj.value("spec", Json::object());
    const Json main = spec.value("containers", Json::array()).empty() ? Json::object() : spec["containers"][0];
    const bool fail = !annotation(t.obj, k_fail).empty() && annotation(t.obj, k_fail) != "false";
    if (run.step == 1) {
      if (!run.pod.run()) return false;
      for (const auto& line : container_output(main, fail)) run.pod.log(line);
      return true;
    }
    const bool ends = spec.value("restartPolicy", "Always") != "Always" && (main.contains("command") || main.contains("args"));
    if (fail) run.pod.finish(1);
    else if (ends) run.pod.finish(0);
    return false;
  }
};

} // namespace

std::vector<std::unique_ptr<Reconciler>> misc_reconcilers() {
  std::vector<std::unique_ptr<Reconciler>> out;
  out.push_back(std::make_unique<NotebookReconciler>());
  out.push_back(std::make_unique<DeploymentReconciler>());
  out.push_back(std::make_unique<PodReconciler>());
  return out;
}

} // namespace kubesim::sim
