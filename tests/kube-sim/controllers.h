#pragma once
// kube-sim's controllers: what makes it behave like a cluster with the
// Kubeflow operators installed (tests/README.md, "Controllers").
//
// One thread reads the Store's events of every type, starts a lifecycle for
// each new object a simulated operator runs (PyTorchJob, TFJob, Katib
// Experiment, KServe InferenceService, Argo Workflow, Notebook, Deployment,
// bare Pods) and advances it one step every Options::step (or the object's
// `sim.kf.dev/slow` milliseconds), writing status the way the status
// subresource does, creating pods whose containers "print" logs into the
// Store, and recording the Events the operators, the scheduler and the
// kubelet would (events.cpp). It also garbage-collects objects whose owners
// (metadata.ownerReferences) are gone. Lifecycle state lives in memory only.
//
// Controllers owns its thread: start() once, stop() (or the destructor)
// joins it; Store::shutdown() also ends it. The Store must outlive it.

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/kube-sim/store.h"

namespace kubesim {

class Controllers {
public:
  struct Options {
    std::chrono::milliseconds step{200}; // how long each lifecycle step takes
  };
  Controllers(Store& store, Options options);
  ~Controllers();
  Controllers(const Controllers&) = delete;
  Controllers& operator=(const Controllers&) = delete;

  void start();
  void stop();

private:
  void run();

  Store& m_store;
  Options m_options;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

} // namespace kubesim
