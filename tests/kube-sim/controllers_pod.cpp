// SimPod: the kubelet's side of a simulated pod. Its status has the real
// shape (phase, conditions, containerStatuses with state and lastState,
// restartCount, hostIP/podIP, startTime, qosClass) so that kubectl's
// READY/STATUS/RESTARTS columns read right; its first container's log lines
// go to the Store (logs.cpp). Its events are the scheduler's Scheduled and
// the kubelet's Pulled, Created and Started per container when it starts
// (again on a restart, counted), and BackOff when its container crashes.
#include <cstdio>

#include "tests/kube-sim/controllers_kit.h"

namespace kubesim::sim {

namespace {

struct NotOurs {};

constexpr const char* k_node = "kube-sim-node"; // the one node every pod runs on

EventSource kubelet() { return {"kubelet", k_node}; }

std::string hex(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string qos_class(const Json& spec) {
  bool any = false, guaranteed = true;
  for (const auto& c : spec.value("containers", Json::array())) {
    const Json r = c.value("resources", Json::object());
    const Json limits = r.value("limits", Json::object()), requests = r.value("requests", Json::object());
    any = any || !limits.empty() || !requests.empty();
    for (const char* k : {"cpu", "memory"})
      if (!limits.contains(k) || (requests.contains(k) && requests[k] != limits[k])) guaranteed = false;
  }
  return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

Json pod_condition(const std::string& type, bool status, const std::string& since) {
  return {{"type", type}, {"status", status ? "True" : "False"}, {"lastProbeTime", nullptr}, {"lastTransitionTime", since}};
}

} // namespace

bool SimPod::create(Store& store, Json pod) {
  m_store = &store;
  const Json md = pod["metadata"];
  name = md.value("name", "");
  ns = md.value("namespace", "");
  m_spec = pod["spec"];
  m_spec["nodeName"] = k_node;
  pod["spec"] = m_spec;
  const auto& containers = m_spec.value("containers", Json::array());
  container = containers.empty() ? "" : containers[0].value("name", "");
  const std::string owner = md.contains("ownerReferences") ? md["ownerReferences"][0].value("uid", "") : "";
  try {
    const auto r = store.write(pod_type(store), ns, name, [&](const Json* current) -> std::optional<Json> {
      if (!current) return pod;
      const Json& cmd = (*current)["metadata"];
      if (owner.empty() || !cmd.contains("ownerReferences") || cmd["ownerReferences"][0].value("uid", "") != owner) throw NotOurs{};
      return *current; // adopted
    }, false);
    uid = r.object["metadata"].value("uid", "");
  } catch (const NotOurs&) {
    gone = true;
    return false;
  }
  m_created = m_started = now_rfc3339();
  phase = "Pending";
  return write();
}

bool SimPod::attach(Store& store, const Json& pod) {
  m_store = &store;
  const Json& md = pod["metadata"];
  name = md.value("name", "");
  ns = md.value("namespace", "");
  uid = md.value("uid", "");
  m_spec = pod.value("spec", Json::object());
  const auto& containers = m_spec.value("containers", Json::array());
  container = containers.empty() ? "" : containers[0].value("name", "");
  // The scheduler's binding (pods/binding sets spec.nodeName), unless the pod names its node.
  if (m_spec.value("nodeName", "").empty()) {
    m_spec["nodeName"] = k_node;
    if (!update(store, pod_type(store), ns, name, uid, [](Json& p) { p["spec"]["nodeName"] = k_node; })) gone = true;
  }
  m_created = m_started = now_rfc3339();
  phase = "Pending";
  return write();
}

bool SimPod::run() {
  if (!gone) { // the scheduler's event once, then the kubelet's for every container (again after a restart)
    const Json about = reference();
    if (phase == "Pending") record_scheduled(*m_store, about, k_node);
    for (const auto& c : m_spec.value("containers", Json::array())) {
      const std::string cname = c.value("name", ""), path = "spec.containers{" + cname + "}";
      record_event(*m_store, kubelet(), about, "Normal", "Pulled",
                   "Container image \"" + c.value("image", "") + "\" already present on machine", path);
      record_event(*m_store, kubelet(), about, "Normal", "Created", "Created container: " + cname, path);
      record_event(*m_store, kubelet(), about, "Normal", "Started", "Started container " + cname, path);
    }
  }
  phase = "Running";
  m_started = now_rfc3339();
  m_ready = true;
  m_terminated = false;
  for (const auto& c : m_spec.value("containers", Json::array())) m_store->log_start(uid, c.value("name", ""));
  return write();
}

void SimPod::log(const std::string& line) {
  if (gone) return;
  const auto pod = m_store->get(pod_type(*m_store), ns, name);
  if (!pod || (*pod)["metadata"].value("uid", "") != uid) {
    gone = true;
    return;
  }
  m_store->log_append(uid, container, line);
}

void SimPod::terminate(int exit_code, const std::string& message) {
  m_exit_code = exit_code;
  m_message = message;
  m_reason = exit_code == 0 ? "Completed" : "Error";
  m_finished = now_rfc3339();
  m_terminated = true;
  m_ready = false;
  for (const auto& c : m_spec.value("containers", Json::array())) m_store->log_end(uid, c.value("name", ""));
}

bool SimPod::finish(int exit_code, const std::string& message) {
  terminate(exit_code, message);
  phase = exit_code == 0 ? "Succeeded" : "Failed";
  return write();
}

bool SimPod::crash(int exit_code) {
  terminate(exit_code, "");
  if (!gone) // format.Pod(pod): NAME_NAMESPACE(UID)
    record_event(*m_store, kubelet(), reference(), "Warning", "BackOff",
                 "Back-off restarting failed container " + container + " in pod " + name + "_" + ns + "(" + uid + ")");
  phase = "Running"; // the kubelet restarts it in place (restartPolicy OnFailure)
  return write();
}

bool SimPod::restart() {
  m_last_state = {{"terminated", {{"exitCode", m_exit_code}, {"reason", m_reason}, {"startedAt", m_started},
                                  {"finishedAt", m_finished}, {"containerID", "containerd://" + hex(fnv1a(uid + container + std::to_string(restarts)))}}}};
  ++restarts;
  return run();
}

void SimPod::remove() {
  if (!gone && m_store) sim::remove(*m_store, pod_type(*m_store), ns, name, uid);
  gone = true;
}

Json SimPod::reference() const {
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"namespace", ns}, {"uid", uid}}}};
}

bool SimPod::write() {
  if (gone) return false;
  const bool started = phase != "Pending";
  Json statuses = Json::array();
  for (const auto& c : m_spec.value("containers", Json::array())) {
    const std::string cname = c.value("name", "");
    const std::string id = "containerd://" + hex(fnv1a(uid + cname + std::to_string(restarts)));
    Json state;
    if (!started) state = {{"waiting", {{"reason", "ContainerCreating"}}}};
    else if (!m_terminated) state = {{"running", {{"startedAt", m_started}}}};
    else {
      Json t = {{"exitCode", m_exit_code}, {"reason", m_reason}};
      if (!m_message.empty()) t["message"] = m_message;
      t["startedAt"] = m_started;
      t["finishedAt"] = m_finished;
      t["containerID"] = id;
      state = {{"terminated", t}};
    }
    Json cs = {{"name", cname}, {"state", state}, {"lastState", m_last_state}, {"ready", m_ready},
               {"restartCount", restarts}, {"image", c.value("image", "")}, {"imageID", ""}};
    if (started) cs["containerID"] = id;
    cs["started"] = started && !m_terminated;
    statuses.push_back(cs);
  }
  const std::uint64_t h = fnv1a(uid);
  Json status = {{"phase", phase},
                 {"conditions", {pod_condition("PodReadyToStartContainers", started, m_started),
                                 pod_condition("Initialized", true, m_created), pod_condition("Ready", m_ready, m_started),
                                 pod_condition("ContainersReady", m_ready, m_started),
                                 pod_condition("PodScheduled", true, m_created)}},
                 {"hostIP", "10.0.0.1"},
                 {"podIP", "10.244." + std::to_string(h % 250 + 1) + "." + std::to_string((h >> 8) % 250 + 2)},
                 {"startTime", m_created},
                 {"containerStatuses", statuses},
                 {"qosClass", qos_class(m_spec)}};
  if (!update(*m_store, pod_type(*m_store), ns, name, uid, [&](Json& o) { o["status"] = status; })) gone = true;
  return !gone;
}

} // namespace kubesim::sim
