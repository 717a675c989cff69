#pragma once
// What kube-sim's simulated operators share (internal to kube-sim): the
// Reconciler interface the controller loop drives, writes that behave like
// a controller's (never resurrecting a deleted object), conditions, the
// `sim.kf.dev/*` annotations, Events, SimPod (the kubelet's side of a pod:
// status, logs and its events), and a deterministic model of training curves.
//
// Everything here runs on the controller thread; the Store does the locking.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/kube-sim/store.h"

namespace kubesim::sim {

inline constexpr const char* k_fail = "sim.kf.dev/fail";       // "true" or which replica/task/trial fails
inline constexpr const char* k_restart = "sim.kf.dev/restart"; // which replica fails once, then succeeds
inline constexpr const char* k_slow = "sim.kf.dev/slow";       // milliseconds per step for this object

// The object a step works on, as read when the step began.
struct Target {
  Store& store;
  ResourceType type;
  Json obj;
  std::string ns, name, uid;
};

struct RunState {
  virtual ~RunState() = default;
  int step = 0; // steps taken so far
};

// One simulated operator.
class Reconciler {
public:
  virtual ~Reconciler() = default;
  virtual bool handles(const ResourceType& t) const = 0;
  // Whether a new (or never seen) object gets a lifecycle.
  virtual bool wants(const Json& obj) const = 0;
  // Whether a change to a running object starts its lifecycle over.
  virtual bool restarts(const Json&, const RunState&) const { return false; }
  virtual std::unique_ptr<RunState> start(const Json& obj) const = 0;
  // One step; false when the lifecycle is over (or the object is gone).
  virtual bool step(Target& t, RunState& state) = 0;
};

std::vector<std::unique_ptr<Reconciler>> job_reconcilers(); // PyTorchJob, TFJob
std::unique_ptr<Reconciler> katib_reconciler();
std::unique_ptr<Reconciler> trainjob_reconciler(); // Kubeflow Trainer v2, its JobSet folded in
std::unique_ptr<Reconciler> kserve_reconciler();
std::unique_ptr<Reconciler> argo_reconciler();
std::vector<std::unique_ptr<Reconciler>> misc_reconcilers(); // Notebook, Deployment, bare Pods

// --- objects -------------------------------------------------------------

// The annotation `key`, else the label of that name (sim.kf.dev/* may be
// either), else "".
std::string annotation(const Json& obj, const std::string& key);
// Changes the stored object with `change` when it still has `uid`; false
// when it is gone (deleted, or replaced by another of the same name).
bool update(Store& store, const ResourceType& t, const std::string& ns, const std::string& name,
            const std::string& uid, const std::function<void(Json&)>& change);
bool set_status(Target& t, const Json& status);
// Deletes the object when it still has `uid`.
void remove(Store& store, const ResourceType& t, const std::string& ns, const std::string& name, const std::string& uid);
Json owner_ref(const Json& owner); // controller: true, blockOwnerDeletion: true
ResourceType pod_type(Store& store);

// A condition as the operators write them (lastTransitionTime now; and lastUpdateTime when `update_time`).
Json condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message, bool update_time = false);
// The training operator's setCondition: a new condition replaces one of its
// type (Running and Restarting replace each other); Succeeded or Failed turn
// Running to "False"; nothing changes once Failed.
void set_job_condition(Json& conditions, const Json& cond);
// KServe's (knative's): updates the condition of that type in place, or appends it.
void put_condition(Json& conditions, const Json& cond);
// Katib's setCondition (Experiment, Trial): the same status and reason is no
// change; otherwise the condition of that type is removed and `cond` appended.
void set_katib_condition(Json& conditions, const Json& cond);
bool has_condition(const Json& obj, const std::string& type, const std::string& status = "True");

// --- events (events.cpp) --------------------------------------------------

// Who records an event: source.component and reportingComponent
// ("pytorchjob-controller", "kubelet"); source.host and reportingInstance
// (the kubelet's node; "" for controllers).
struct EventSource {
  std::string component, host;
};
// A core v1 Event about `about` (apiVersion, kind, metadata name, namespace,
// uid) as client-go's EventRecorder writes it: named <name>.<hex unix
// nanoseconds> in the object's namespace, type Normal or Warning, count 1,
// first/lastTimestamp now; `field_path` ("spec.containers{pytorch}") for a
// container's events. A repeat (same source, object, type, reason and
// message) bumps count and lastTimestamp of the first instead, as the
// recorder's EventCorrelator does. Events have no owner: as on a real
// cluster they outlive the object (kube-apiserver's --event-ttl of an hour
// is longer than any test; kube-sim never expires them).
void record_event(Store& store, const EventSource& source, const Json& about, const std::string& type,
                  const std::string& reason, const std::string& message, const std::string& field_path = "");
// kube-scheduler's `Scheduled` (Successfully assigned NS/POD to NODE), which
// it writes through events.k8s.io/v1: eventTime (microseconds), action
// Binding, reportingInstance default-scheduler-NODE, and no source, count or
// first/lastTimestamp in the core v1 view.
void record_scheduled(Store& store, const Json& pod, const std::string& node);

// --- determinism ---------------------------------------------------------

std::uint64_t fnv1a(const std::string& s);
// `n` characters of the alphabet Kubernetes uses for generated names.
std::string name_suffix(std::uint64_t seed, std::size_t n);
// "%.4f" style, or "%.6g" style when `general`.
std::string fmt_double(double v, int precision = 4, bool general = false);

// --- training model ------------------------------------------------------

// Final metrics of a training run, a smooth function of its hyperparameters
// (lr, batch-size, optimizer, anything else), and the curve leading there.
struct Curve {
  double accuracy = 0, loss = 0;
  double accuracy_at(int epoch) const; // epoch 1..n approaches `accuracy`
  double loss_at(int epoch) const;
  // kf-trainer's line: "epoch=2 loss=0.4120 accuracy=0.8512 test_loss=0.4450 train_accuracy=0.8412"
  std::string line(int epoch) const;
};
Curve curve(const std::map<std::string, std::string>& params);
// "--lr=0.01" / "--lr 0.01" style flags of a container (command and args).
std::map<std::string, std::string> container_flags(const Json& container);
int epochs_of(const Json& container); // --epochs, clamped to 1..10 (default 3)
Curve trainer_curve(const Json& container); // from its --lr, --optimizer, --batch-size, --momentum, --dropout
// What a container prints: kf-trainer's lines (and an error when `fail`),
// echo's words, anything else a shell trace of its command line ("+ sh -c ...").
std::vector<std::string> container_output(const Json& container, bool fail);

// --- pods ----------------------------------------------------------------

// A pod as the kubelet runs it: one status, the first container's log (the
// others run alongside, silent). Writes only while the pod still has its
// uid; `gone` once it was found deleted.
class SimPod {
public:
  // Creates `pod` (name, namespace, labels, spec set by the caller) as
  // Pending; adopts an existing pod with the same owner. False when gone.
  bool create(Store& store, Json pod);
  bool attach(Store& store, const Json& pod); // one created through the API: now Pending
  bool run();                                   // Running, the containers started
  void log(const std::string& line);
  bool finish(int exit_code, const std::string& message = ""); // terminated: Succeeded, or Failed
  bool crash(int exit_code);                    // terminated, to be restarted (the pod stays Running)
  bool restart();                               // running again: restartCount + 1, a new log
  void remove();                                // deletes it

  std::string name, ns, uid, container;
  std::string phase;                            // "" before create
  bool gone = false;
  int restarts = 0;

private:
  bool write();
  void terminate(int exit_code, const std::string& message);
  Json reference() const; // what its events are about
  Store* m_store = nullptr;
  Json m_spec;
  std::string m_created, m_started, m_finished, m_reason, m_message;
  int m_exit_code = 0;
  bool m_terminated = false, m_ready = false;
  Json m_last_state = Json::object();
};

} // namespace kubesim::sim
