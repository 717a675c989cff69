// KServe (serving.kserve.io/v1beta1 InferenceService): revision
// `<name>-predictor-<generation, 5 digits>` runs max(minReplicas, 1) predictor
// pods `<revision>-deployment-<hash>-<5 chars>` (labels
// serving.kserve.io/inferenceservice, component: predictor,
// serving.knative.dev/revision), owned by the InferenceService itself (no
// Knative objects in between). Their container is the ServingRuntime's (or
// the predictor's own) and logs kf-server's lines. Conditions IngressReady,
// PredictorReady and Ready go Unknown -> True with the URLs, or False
// (RevisionFailed) with `sim.kf.dev/fail`. A spec change starts a new
// revision and deletes the old revision's pods. `sim.kf.dev/proxy-to`
// (HOST:PORT) goes onto the pods: their API proxy reaches a real server there.
#include <cstdio>

#include "tests/kube-sim/controllers_kit.h"

namespace kubesim::sim {

namespace {

struct ServeRun : RunState {
  std::int64_t generation = 1;
  std::vector<SimPod> pods;
  std::string failure; // the log's error line when failing
};

class KServeReconciler : public Reconciler {
public:
  bool handles(const ResourceType& t) const override { return t.group == "serving.kserve.io" && t.kind == "InferenceService"; }
  bool wants(const Json& obj) const override { return observed(obj) != generation(obj); }
  bool restarts(const Json& obj, const RunState& s) const override {
    return generation(obj) > dynamic_cast<const ServeRun&>(s).generation;
  }
  std::unique_ptr<RunState> start(const Json& obj) const override {
    auto run = std::make_unique<ServeRun>();
    run->generation = generation(obj);
    return run;
  }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<ServeRun&>(state);
    const Json predictor = t.obj.value("spec", Json::object()).value("predictor", Json::object());
    const Json model = predictor.value("model", Json::object());
    char number[24];
    std::snprintf(number, sizeof number, "%05lld", static_cast<long long>(run.generation));
    const std::string revision = t.name + "-predictor-" + number;
    const std::string uri = model.value("storageUri", "");
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    status["observedGeneration"] = run.generation;
    if (run.step == 0) {
      for (const char* type : {"IngressReady", "PredictorReady", "Ready"}) put_condition(conditions, condition(type, "Unknown", "", ""));
      status["conditions"] = conditions;
      status["modelStatus"] = {{"states", {{"activeModelState", "Pending"}, {"targetModelState", "Loading"}}}, {"transitionStatus", "InProgress"}};
      if (!set_status(t, status)) return false;
      retire_old_pods(t, revision);
      const Json container = serving_container(t, predictor, model);
      const int replicas = std::max(1, predictor.value("minReplicas", 1));
      const std::string hash = name_suffix(fnv1a(t.uid + revision), 10);
      for (int i = 0; i < replicas; ++i) {
        Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"},
                    {"metadata", {{"name", revision + "-deployment-" + hash + "-" + name_suffix(fnv1a(t.uid) + static_cast<std::uint64_t>(i), 5)},
                                  {"namespace", t.ns},
                                  {"labels", {{"serving.kserve.io/inferenceservice", t.name}, {"component", "predictor"},
                                              {"app", revision}, {"serving.knative.dev/revision", revision}}},
                                  {"ownerReferences", {owner_ref(t.obj)}}}},
                    {"spec", {{"containers", {container}}, {"restartPolicy", "Always"}}}};
        if (const std::string to = annotation(t.obj, "sim.kf.dev/proxy-to"); !to.empty()) // proxy.cpp
          pod["metadata"]["annotations"] = {{"sim.kf.dev/proxy-to", to}};
        SimPod p;
        p.create(t.store, pod);
        run.pods.push_back(std::move(p));
      }
      return true;
    }
    if (run.step == 1) {
      const bool fail = !annotation(t.obj, k_fail).empty() && annotation(t.obj, k_fail) != "false";
      for (auto& p : run.pods) {
        p.run();
        p.log("kf-server: loading /mnt/models (storage " + uri + ")");
        if (fail) {
          run.failure = "kf-server: error: /mnt/models: no model.safetensors (storage " + uri + ")";
          p.log(run.failure);
          p.crash(1);
        } else {
          p.log("kf-server: serving " + t.name + " on http://0.0.0.0:8080");
        }
      }
      return true;
    }
    const std::string now = now_rfc3339();
    if (!run.failure.empty()) {
      const std::string msg = "Revision \"" + revision + "\" failed with message: Container failed with: " + run.failure + ".";
      put_condition(conditions, condition("PredictorReady", "False", "RevisionFailed", msg));
      put_condition(conditions, condition("Ready", "False", "RevisionFailed", msg));
      status["modelStatus"] = {{"states", {{"activeModelState", ""}, {"targetModelState", "FailedToLoad"}}},
                               {"transitionStatus", "BlockedByFailedLoad"},
                               {"lastFailureInfo", {{"reason", "ModelLoadFailed"}, {"message", run.failure}, {"exitCode", 1}, {"time", now}}},
                               {"copies", {{"failedCopies", run.pods.size()}, {"totalCopies", run.pods.size()}}}};
    } else {
      for (const char* type : {"IngressReady", "PredictorReady", "Ready"}) put_condition(conditions, condition(type, "True", "", ""));
      status["url"] = "http://" + t.name + "." + t.ns + ".example.com";
      status["address"] = {{"url", "http://" + t.name + "-predictor." + t.ns + ".svc.cluster.local"}};
      status["components"] = {{"predictor", {{"url", "http://" + t.name + "-predictor." + t.ns + ".example.com"},
                                             {"address", {{"url", "http://" + t.name + "-predictor." + t.ns + ".svc.cluster.local"}}},
                                             {"latestCreatedRevision", revision}, {"latestReadyRevision", revision},
                                             {"latestRolledoutRevision", revision},
                                             {"traffic", {{{"revisionName", revision}, {"percent", 100}, {"latestRevision", true}}}}}}};
      status["modelStatus"] = {{"states", {{"activeModelState", "Loaded"}, {"targetModelState", "Loaded"}}},
                               {"transitionStatus", "UpToDate"},
                               {"copies", {{"failedCopies", 0}, {"totalCopies", run.pods.size()}}}};
    }
    status["conditions"] = conditions;
    status["deploymentMode"] = "Serverless";
    set_status(t, status);
    return false;
  }

private:
  static std::int64_t generation(const Json& obj) { return obj["metadata"].value("generation", std::int64_t{1}); }
  static std::int64_t observed(const Json& obj) {
    return obj.contains("status") ? obj["status"].value("observedGeneration", std::int64_t{0}) : 0;
  }

  // The predictor's container: its own, else its ServingRuntime's (namespaced, then cluster-wide).
  static Json serving_container(Target& t, const Json& predictor, const Json& model) {
    Json c = predictor.contains("containers") && !predictor["containers"].empty() ? predictor["containers"][0] : Json::object();
    if (c.empty()) {
      const std::string runtime = model.value("runtime", "");
      const std::vector<std::pair<std::string, std::string>> places{{"servingruntimes", t.ns}, {"clusterservingruntimes", ""}};
      for (const auto& [plural, ns] : places) {
        const auto type = t.store.find_type("serving.kserve.io", "v1alpha1", plural);
        const auto rt = type ? t.store.get(*type, ns, runtime) : std::nullopt;
        if (rt && rt->contains("spec") && !(*rt)["spec"].value("containers", Json::array()).empty()) {
          c = (*rt)["spec"]["containers"][0];
          break;
        }
      }
    }
    if (c.empty()) c = {{"image", "kserve/sim-predictor:latest"}};
    c["name"] = "kserve-container";
    if (model.contains("resources")) c["resources"] = model["resources"];
    Json env = c.value("env", Json::array());
    env.push_back({{"name", "STORAGE_URI"}, {"value", model.value("storageUri", "")}});
    c["env"] = env;
    return c;
  }

  static void retire_old_pods(Target& t, const std::string& revision) {
    const ResourceType pods = pod_type(t.store);
    Query q;
    q.ns = t.ns;
    q.label_selector = "serving.kserve.io/inferenceservice=" + t.name + ",serving.knative.dev/revision!=" + revision;
    const Json list = t.store.list(pods, q);
    for (const auto& p : list["items"])
      remove(t.store, pods, t.ns, p["metadata"].value("name", ""), p["metadata"].value("uid", ""));
  }
};

} // namespace

std::unique_ptr<Reconciler> kserve_reconciler() { return std::make_unique<KServeReconciler>(); }

} // namespace kubesim::sim
