// ClusterTarget::describe, for `kf status`: the runs' objects as the
// operators report them, read with one list per kind, summarised per kind
// (libkf/target/summary.h). Beside the fields of action::status(), each row
// has progressText ("2/3 running", "5/12 trials, best accuracy=0.91", "3/4
// nodes"), namespace, bestTrial {name, parameters, metrics} of an Experiment,
// and the object's whole status (-o json). A single run adds conditions, pods
// (replica, phase, restarts), recent events of the run and its pods, the
// metrics of the master's last epoch line, an Experiment's trials, a
// Workflow's node tree (nodes: name, type, phase, depth), and for a failed
// run its failing replica's last log lines.
#include "libkf/cluster/cluster_target.h"

#include <algorithm>
#include <sstream>

#include "contract/progress.h"
#include "libkf/target/katib.h"
#include "libkf/target/summary.h"
#include "libkf/target/workflow_tree.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::cluster {

namespace {

const Json& at(const Json& j, const char* key) { return json_field(j, key); }
std::string text(const Json& j, const char* key) { return json_text(j, key); }

// The first container's restartCount.
int restarts_of(const Json& container_statuses) {
  if (!container_statuses.is_array() || container_statuses.empty()) return 0;
  const Json& n = at(container_statuses[0], "restartCount");
  return n.is_number_integer() ? n.get<int>() : 0;
}


// The last metrics line of a log (Katib's StdOut format, contract/progress.h) as {name: value}.
Json last_epoch_metrics(const std::string& log) {
  Json out = Json::object();
  for (const auto& line : str::split(log, '\n'))
    if (const auto m = contract::parse_metrics_line(line); m && !m->values.empty()) {
      out = Json::object();
      for (const auto& [name, value] : m->values) out[name] = value;
    }
  return out;
}

Json view(const Json& object, const std::string& target_name, bool full) {
  const Json& md = at(object, "metadata");
  const Json& status = at(object, "status");
  const target::Summary s = target::summarize(object);
  Json v = {{"name", text(md, "name")},       {"kind", text(object, "kind")}, {"target", target_name},
            {"namespace", text(md, "namespace")}, {"state", s.state},          {"message", s.message},
            {"created", text(md, "creationTimestamp")}};
  if (!s.progress.empty()) v["progressText"] = s.progress;
  if (!s.url.empty()) v["url"] = s.url;
  const Json& annotations = at(md, "annotations");
  v["parameters"] = Json::object();
  if (!text(annotations, "kf.dev/parameters").empty()) {
    try {
      v["parameters"] = json::parse(text(annotations, "kf.dev/parameters"));
    } catch (const Json::exception&) {
    }
  }
  v["metrics"] = Json::object();
  if (const std::string commit = text(annotations, "kf.dev/git-commit"); !commit.empty()) {
    const auto plus = commit.find('+');
    v["git"] = {{"commit", commit.substr(0, plus)}, {"dirty", plus != std::string::npos}};
  }
  if (status.contains("replicaStatuses")) v["replicas"] = status["replicaStatuses"];
  if (status.contains("startTime")) v["startTime"] = status["startTime"];
  if (status.contains("completionTime")) v["completionTime"] = status["completionTime"];
  if (const Json& best = at(status, "currentOptimalTrial"); best.is_object() && !text(best, "bestTrialName").empty()) {
    v["bestTrial"] = {{"name", text(best, "bestTrialName")},
                      {"parameters", target::katib_assignments(at(best, "parameterAssignments"))},
                      {"metrics", target::katib_observed(at(best, "observation"), at(at(object, "spec"), "objective"))}};
    v["metrics"] = v["bestTrial"]["metrics"];
  }
  if (full) {
    if (status.contains("conditions")) v["conditions"] = status["conditions"];
    if (text(object, "kind") == "Workflow") v["nodes"] = target::workflow_tree(object, now_ms() / 1000);
  }
  v["status"] = status.is_null() ? Json::object() : status;
  return v;
}

// The run's and its pods' recent Events (core v1), oldest first, at most `n`.
// An event is about one of them when its involvedObject has that uid (an
// older object of the same name, deleted, leaves its events behind for the
// cluster's --event-ttl) or, lacking a uid, that name. Times are compared to
// the second, as Kubernetes writes them (eventTime, which the events.k8s.io
// API writes instead, has microseconds), and within a second in the order the
// server stored them (resourceVersion), which is the order they happened.
Json recent_events(const ClusterTarget& t, const Json& object, const std::vector<Json>& pods, std::size_t n) {
  Json out = Json::array();
  if (!t.client().resource("v1", "Event")) return out;
  // (uid, name) of an object's metadata or an event's involvedObject.
  const auto id = [](const Json& m) { return std::pair{text(m, "uid"), text(m, "name")}; };
  std::vector<std::pair<std::string, std::string>> about{id(at(object, "metadata"))};
  for (const auto& p : pods) about.push_back(id(at(p, "metadata")));
  kube::ListOptions lo;
  lo.namespace_ = t.namespace_();
  std::vector<Json> events;
  for (const auto& e : t.client().list("v1", "Event", lo)) {
    const auto of = id(at(e, "involvedObject"));
    const auto is_about = [&](const auto& a) { return of.first.empty() ? of.second == a.second : of.first == a.first; };
    if (std::any_of(about.begin(), about.end(), is_about)) events.push_back(e);
  }
  const auto when = [](const Json& e) { // "2026-11-30T14:02:08Z"
    std::string time = text(e, "lastTimestamp");
    if (time.empty()) time = text(e, "eventTime");
    return time.size() > 20 ? time.substr(0, 19) + "Z" : time;
  };
  const auto stored = [](const Json& e) {
    const std::string rv = text(at(e, "metadata"), "resourceVersion");
    return std::pair{rv.size(), rv}; // numbers compared as numbers
  };
  std::stable_sort(events.begin(), events.end(), [&](const Json& a, const Json& b) {
    const std::string ta = when(a), tb = when(b);
    return ta != tb ? ta < tb : stored(a) < stored(b);
  });
  const std::size_t from = events.size() > n ? events.size() - n : 0;
  for (std::size_t i = from; i < events.size(); ++i) {
    const Json& e = events[i];
    out.push_back({{"type", text(e, "type")},
                   {"reason", text(e, "reason")},
                   {"object", text(at(e, "involvedObject"), "kind") + "/" + text(at(e, "involvedObject"), "name")},
                   {"message", text(e, "message")},
                   {"time", when(e)},
                   {"count", at(e, "count").is_number_integer() ? at(e, "count").get<int>() : 1}});
  }
  return out;
}

} // namespace

std::vector<Json> ClusterTarget::describe(const std::string& name) const {
  const ClusterTarget& t = *this;
  std::vector<Json> out;
  if (name.empty()) {
    for (const auto& object : t.objects()) out.push_back(view(object, t.name(), false));
    return out;
  }
  const std::string run = t.resolve(name);
  const auto object = t.get(run);
  if (!object) throw Error("run " + str::quote(run) + " does not exist on " + t.name() + " (kf status lists the runs)");
  Json v = view(*object, t.name(), true);
  Json pods = Json::array();
  const std::vector<Json> pod_objects = t.pods(*object);
  for (const auto& p : pod_objects) {
    const Json& cs = at(at(p, "status"), "containerStatuses");
    pods.push_back({{"name", text(at(p, "metadata"), "name")},
                    {"replica", replica_of(p)},
                    {"phase", text(at(p, "status"), "phase")},
                    {"restarts", restarts_of(cs)}});
  }
  v["pods"] = pods;
  v["events"] = recent_events(t, *object, pod_objects, 10);
  const std::string kind = text(*object, "kind");
  if (kind == "PyTorchJob" || kind == "TFJob" || kind == "TrainJob") { // the metrics the trainer printed last (Katib's StdOut format)
    std::string log;
    try {
      kube::PodLogOptions lo;
      lo.tail_lines = 50;
      for (const auto& p : pod_objects)
        if (replica_of(p) == "master-0" || replica_of(p) == "chief-0" || replica_of(p) == "node-0" || pods.size() == 1) {
          t.client().pod_logs(t.namespace_(), text(at(p, "metadata"), "name"), lo, [&log](std::string_view c) {
            log.append(c);
            return true;
          });
          break;
        }
    } catch (const kube::ApiError&) {
    }
    v["metrics"] = last_epoch_metrics(log);
  }
  if (kind == "Experiment") {
    Json trials = Json::array();
    kube::ListOptions lo;
    lo.namespace_ = t.namespace_();
    lo.label_selector = "katib.kubeflow.org/experiment=" + run;
    if (t.client().resource("kubeflow.org/v1beta1", "Trial"))
      for (const auto& tr : t.client().list("kubeflow.org/v1beta1", "Trial", lo)) {
        Json obj = tr;
        obj["kind"] = "Trial";
        trials.push_back({{"name", text(at(tr, "metadata"), "name")},
                          {"state", target::summarize(obj).state},
                          {"lineage", target::katib_lineage(at(tr, "metadata"))},
                          {"parameters", target::katib_assignments(at(at(tr, "spec"), "parameterAssignments"))},
                          {"metrics", target::katib_observed(at(at(tr, "status"), "observation"), at(at(tr, "spec"), "objective"))}});
      }
    v["trials"] = trials;
  }
  if (text(v, "state") == "Failed") {
    std::string replica;
    const auto tail = t.failed_replica_tail(*object, 10, replica);
    if (!replica.empty()) {
      v["failedReplica"] = replica;
      v["logTail"] = tail;
    }
  }
  out.push_back(std::move(v));
  return out;
}

} // namespace kf::cluster
