// ClusterTarget's logs: the replica's pod, found by the operators' labels,
// read through pods/log; with follow, across the container's restarts. A
// Workflow's: its steps' pods, as argo logs prints them.
#include <algorithm>
#include <chrono>
#include <set>
#include <ostream>
#include <thread>

#include "libkf/cluster/cluster_target.h"
#include "libkf/target/summary.h"
#include "libkf/target/workflow_tree.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::cluster {

namespace {

std::string meta(const Json& obj, const char* key) { return json_text(json_field(obj, "metadata"), key); }

const Json& container_status(const Json& pod) {
  static const Json empty = Json::object();
  if (!pod.contains("status") || !pod["status"].contains("containerStatuses")) return empty;
  const Json& cs = pod["status"]["containerStatuses"];
  return cs.is_array() && !cs.empty() ? cs[0] : empty;
}

int restarts(const Json& pod) { return container_status(pod).value("restartCount", 0); }

std::string phase(const Json& pod) {
  return pod.contains("status") && pod["status"].is_object() ? pod["status"].value("phase", "") : "";
}

bool is_master(const Json& pod) {
  const auto& labels = pod["metadata"].value("labels", Json::object());
  return labels.value("training.kubeflow.org/job-role", "") == "master";
}

// The pod of `replica` ("" = the master/chief, else the first), or nullopt; `names` gets every replica's name.
std::optional<Json> pick(const std::vector<Json>& pods, const std::string& replica, std::vector<std::string>& names) {
  names.clear();
  for (const auto& p : pods) names.push_back(replica_of(p));
  if (pods.empty()) return std::nullopt;
  if (replica.empty()) {
    for (const auto& p : pods)
      if (is_master(p)) return p;
    return pods.front();
  }
  for (const auto& p : pods) {
    const std::string r = replica_of(p);
    if (r == replica || r == replica + "-0" || meta(p, "name") == replica) return p;
  }
  return std::nullopt;
}

} // namespace

void ClusterTarget::logs(const std::string& run, const target::LogOptions& options, std::ostream& out) const {
  auto object = get(run);
  if (!object) throw Error("run " + str::quote(run) + " does not exist on " + m_o.name);
  if (object->value("kind", "") == "Workflow") return workflow_logs(run, options, out);
  std::vector<std::string> names;
  std::optional<Json> pod;
  // A run that has just started may have no pods yet: with -f, wait for them.
  while (!(pod = pick(pods(*object), options.replica, names))) {
    const bool settled = target::summarize(*object).settled;
    if (!names.empty() && !options.replica.empty())
      throw UsageError("run " + run + " has no replica " + str::quote(options.replica) + " (it has " + str::join(names, ", ") + ")");
    if (!options.follow || settled) throw Error("run " + run + " has no pods" + (settled ? "" : " yet"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    object = get(run);
    if (!object) throw Error("run " + str::quote(run) + " was deleted from " + m_o.name);
  }
  const std::string pod_name = meta(*pod, "name");
  auto write = [&out](std::string_view chunk) {
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    out.flush();
    return static_cast<bool>(out);
  };
  int seen = restarts(*pod);
  kube::PodLogOptions lo;
  lo.follow = options.follow;
  lo.tail_lines = options.tail;
  while (true) {
    try {
      m_client->pod_logs(m_o.namespace_, pod_name, lo, write);
    } catch (const kube::ApiError& e) {
      // "container ... is waiting to start: ContainerCreating": with -f, wait for it as for the pods.
      if (!options.follow || e.code() != 400 || std::string(e.what()).find("waiting to start") == std::string::npos) throw;
      const auto run_now = get(run); // an image that never arrives fails the run: stop waiting then
      if (!run_now || target::summarize(*run_now).settled) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      continue;
    }
    if (!options.follow || !out) return;
    // The stream ended: the container stopped (restarted, or done), or the connection broke.
    std::optional<Json> now;
    for (int i = 0; i < 50; ++i) { // a restarting container shows its new count after a moment
      now = m_client->get(kube::ObjectRef{"v1", "Pod", m_o.namespace_, pod_name});
      if (!now || restarts(*now) > seen || phase(*now) == "Succeeded" || phase(*now) == "Failed") break;
      const auto run_now = get(run);
      if (!run_now || target::summarize(*run_now).finished) break;
      if (container_status(*now).contains("state") && container_status(*now)["state"].contains("running")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!now) return; // the pod is gone (the run was deleted)
    if (restarts(*now) > seen) {
      seen = restarts(*now);
      out << "--- " << replica_of(*now) << " restarted (restart " << seen << ") ---\n";
      lo.tail_lines = -1;
      continue;
    }
    const auto run_now = get(run);
    if (phase(*now) == "Succeeded" || phase(*now) == "Failed" || !run_now || target::summarize(*run_now).finished) return;
    lo.tail_lines = 0; // the connection broke under a running container: go on from now
  }
}

// As argo logs: each step's pod in the order the steps started, its lines
// prefixed by the step (unless one step is asked for, or there is only one
// and it is done); -f streams each pod to its end, then the next, until the
// workflow finishes.
void ClusterTarget::workflow_logs(const std::string& run, const target::LogOptions& o, std::ostream& out) const {
  if (!o.replica.empty() || !o.trial.empty()) throw UsageError("run " + run + " is a Workflow: name a step with --node, not --replica or --trial");
  std::set<std::string> done; // pods printed to their end
  for (;;) {
    const auto object = get(run);
    if (!object) throw Error("run " + str::quote(run) + " does not exist on " + m_o.name);
    const bool finished = target::summarize(*object).finished;
    const auto steps = target::workflow_pods(*object, o.node, run);
    const auto all = pods(*object);
    for (const auto& step : steps) {
      const auto pod = std::find_if(all.begin(), all.end(), [&](const Json& p) {
        const Json& a = json_field(json_field(p, "metadata"), "annotations");
        return json_text(a, "workflows.argoproj.io/node-name") == json_text(step, "name") ||
               json_text(a, "workflows.argoproj.io/node-id") == json_text(step, "id") || meta(p, "name") == json_text(step, "id");
      });
      if (pod == all.end() || done.count(meta(*pod, "name"))) continue;
      const std::string prefix = o.node.empty() && (o.follow || steps.size() > 1) ? json_text(step, "displayName") + ": " : "";
      std::string partial;
      const auto write = [&](std::string_view chunk) {
        partial.append(chunk);
        for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
          out << prefix << std::string_view(partial).substr(0, nl + 1);
          partial.erase(0, nl + 1);
        }
        out.flush();
        return static_cast<bool>(out);
      };
      kube::PodLogOptions lo;
      lo.follow = o.follow;
      lo.tail_lines = o.tail;
      try {
        m_client->pod_logs(m_o.namespace_, meta(*pod, "name"), lo, write);
      } catch (const kube::ApiError& e) { // not started yet: its turn comes on a later pass
        if (e.code() != 400) throw;
        continue;
      }
      if (!partial.empty()) out << prefix << partial << '\n';
      done.insert(meta(*pod, "name"));
    }
    if (!o.follow || finished || !out) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

std::vector<std::string> ClusterTarget::failed_replica_tail(const Json& object, std::size_t lines, std::string& replica) const {
  replica.clear();
  for (const auto& p : pods(object)) {
    const Json& cs = container_status(p);
    const Json& term = cs.contains("state") && cs["state"].contains("terminated") ? cs["state"]["terminated"] : Json();
    if (phase(p) != "Failed" && !(term.is_object() && term.value("exitCode", 0) != 0)) continue;
    replica = replica_of(p);
    std::string text;
    kube::PodLogOptions lo;
    lo.tail_lines = static_cast<int>(lines);
    try {
      m_client->pod_logs(m_o.namespace_, meta(p, "name"), lo, [&text](std::string_view chunk) {
        text.append(chunk);
        return true;
      });
    } catch (const kube::ApiError&) {
      return {}; // the log is gone with its container
    }
    std::vector<std::string> out;
    for (const auto& l : str::split(text, '\n'))
      if (!l.empty()) out.push_back(l);
    return out;
  }
  return {};
}

} // namespace kf::cluster
