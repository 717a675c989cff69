// Argo (argoproj.io/v1alpha1 Workflow): runs the entrypoint's DAG tasks
// (dependencies, or the task names in `depends`) or steps groups in order,
// one pod `<workflow>-<template>-<fnv32 of the node name>` per task
// (container `main`, labelled workflows.argoproj.io/workflow, owned by the
// workflow), each Pending -> Running -> Succeeded/Failed over three steps.
// status.nodes has the workflow's DAG/Steps node, StepGroup nodes and a Pod
// node per task with Argo's ids, names, boundaryID and children. A failed
// task fails the workflow (message "child '<id>' failed"), starts nothing
// new (failFast) and marks what depends on it Omitted. Nested dag/steps
// templates are not simulated (the workflow goes to Error).
#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "tests/kube-sim/controllers_kit.h"

namespace kubesim::sim {

namespace {

struct Task {
  std::string name, tmpl, node, id, phase, started, finished, message;
  std::vector<std::string> deps; // task names
  Json arguments = Json::array();  // arguments.parameters
  int group = -1;                // steps: the group's index
  bool fail = false;
  Json container;
  SimPod pod;
};

struct WfRun : RunState {
  std::string kind; // DAG, Steps, Pod (the entrypoint itself is the only task)
  std::string wf, entry, started, finished, phase = "Pending", message;
  std::vector<Task> tasks;
};

std::string node_id(const std::string& wf, const std::string& node) {
  std::uint32_t h = 2166136261u;
  for (const unsigned char c : node) h = (h ^ c) * 16777619u;
  return wf == node ? wf : wf + "-" + std::to_string(h);
}

Task make_task(const std::string& name, const std::string& tmpl, const std::string& node) {
  Task t;
  t.name = name;
  t.tmpl = tmpl;
  t.node = node;
  return t;
}

const Json* find_template(const Json& spec, const std::string& name) {
  for (const auto& t : spec["templates"])
    if (t.value("name", "") == name) return &t;
  return nullptr;
}

class ArgoReconciler : public Reconciler {
public:
  bool handles(const ResourceType& t) const override { return t.group == "argoproj.io" && t.kind == "Workflow"; }
  bool wants(const Json& obj) const override {
    const std::string phase = obj.contains("status") ? obj["status"].value("phase", "") : "";
    return phase.empty() || phase == "Pending" || phase == "Running";
  }
  std::unique_ptr<RunState> start(const Json&) const override { return std::make_unique<WfRun>(); }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<WfRun&>(state);
    const std::string now = now_rfc3339();
    if (run.step == 0) {
      run.started = now;
      const std::string error = plan(t, run);
      if (!error.empty()) {
        run.phase = "Error";
        run.message = error;
        run.finished = now;
      }
      return write(t, run) && error.empty();
    }
    run.phase = "Running";
    for (auto& task : run.tasks) {
      if (task.phase == "Running") {
        task.phase = task.fail ? "Failed" : "Succeeded";
        task.finished = now;
        task.message = task.fail ? "Error (exit code 1)" : "";
        task.pod.finish(task.fail ? 1 : 0, task.fail ? "Error (exit code 1)" : "");
      } else if (task.phase == "Pending") {
        task.phase = "Running";
        task.pod.run();
        for (const auto& l : container_output(task.container, task.fail)) task.pod.log(l);
      }
    }
    const auto failed = std::find_if(run.tasks.begin(), run.tasks.end(), [](const Task& x) { return x.phase == "Failed"; });
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& task : run.tasks) {
        if (!task.phase.empty()) continue;
        bool ready = true, blocked = false;
        for (const auto& d : task.deps) {
          const std::string p = phase_of(run, d);
          ready = ready && p == "Succeeded";
          blocked = blocked || p == "Failed" || p == "Omitted";
        }
        if (blocked) {
          task.phase = "Omitted";
          task.started = task.finished = now;
          task.message = "omitted: depends condition not met";
          changed = true;
        } else if (ready && failed == run.tasks.end()) {
          task.phase = "Pending";
          task.started = now;
          task.pod.create(t.store, pod_for(t, run, task));
        }
      }
    }
    const bool active = std::any_of(run.tasks.begin(), run.tasks.end(), [](const Task& x) { return x.phase == "Pending" || x.phase == "Running"; });
    if (!active) {
      run.phase = failed != run.tasks.end() ? "Failed" : "Succeeded";
      run.finished = now;
      if (failed != run.tasks.end()) run.message = "child '" + failed->id + "' failed";
    }
    return write(t, run) && active;
  }

private:
  static std::string phase_of(const WfRun& run, const std::string& task) {
    for (const auto& x : run.tasks)
      if (x.name == task) return x.phase;
    return "Succeeded"; // an unknown name constrains nothing
  }

  // The tasks of the entrypoint; an error message when the spec cannot run.
  static std::string plan(const Target& t, WfRun& run) {
    const Json spec = t.obj.value("spec", Json::object());
    run.wf = t.name;
    run.entry = spec.value("entrypoint", "");
    const Json* entry = spec.contains("templates") ? find_template(spec, run.entry) : nullptr;
    if (!entry) return "invalid spec: spec.entrypoint: template " + run.entry + " not found";
    std::vector<Task> tasks;
    if (entry->contains("dag")) {
      run.kind = "DAG";
      for (const auto& x : (*entry)["dag"].value("tasks", Json::array())) {
        Task task = make_task(x.value("name", ""), x.value("template", ""), t.name + "." + x.value("name", ""));
        task.arguments = x.value("arguments", Json::object()).value("parameters", Json::array());
        task.deps = x.value("dependencies", std::vector<std::string>{});
        std::string depends = x.value("depends", "");
        for (auto& ch : depends) if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = ' ';
        std::stringstream in(depends);
        for (std::string w; in >> w;) task.deps.push_back(w.substr(0, w.find('.')));
        tasks.push_back(task);
      }
    } else if (entry->contains("steps")) {
      run.kind = "Steps";
      std::vector<std::string> previous;
      int g = 0;
      for (const auto& group : (*entry)["steps"]) {
        std::vector<std::string> names;
        for (const auto& x : group) {
          Task task = make_task(x.value("name", ""), x.value("template", ""), t.name + "[" + std::to_string(g) + "]." + x.value("name", ""));
          task.deps = previous;
          task.arguments = x.value("arguments", Json::object()).value("parameters", Json::array());
          task.group = g;
          names.push_back(task.name);
          tasks.push_back(task);
        }
        previous = names;
        ++g;
      }
    } else {
      run.kind = "Pod";
      tasks.push_back(make_task(t.name, run.entry, t.name));
    }
    const std::string fail = annotation(t.obj, k_fail);
    std::set<std::string> failing;
    std::stringstream in(fail);
    for (std::string item; std::getline(in, item, ',');) failing.insert(item == "true" && !tasks.empty() ? tasks[0].name : item);
    for (auto& task : tasks) {
      const Json* tmpl = find_template(spec, task.tmpl);
      if (!tmpl) return "invalid spec: templates." + run.entry + ": template " + task.tmpl + " not found";
      if (tmpl->contains("dag") || tmpl->contains("steps"))
        return "kube-sim: nested dag/steps templates are not simulated (templates." + task.tmpl + ")";
      task.container = tmpl->contains("container") ? (*tmpl)["container"] : tmpl->contains("script") ? (*tmpl)["script"] : Json{{"image", "argoproj/argoexec"}};
      task.container["name"] = "main";
      task.container.erase("source");
      if (tmpl->contains("script")) task.container["source"] = (*tmpl)["script"].value("source", "");
      std::string text = task.container.dump();
      const auto substitute = [&](const std::string& scope, const Json& params) {
        for (const auto& p : params) {
          if (!p.contains("value")) continue;
          const std::string from = "{{" + scope + ".parameters." + p.value("name", "") + "}}";
          const std::string to = p["value"].is_string() ? p["value"].get<std::string>() : p["value"].dump();
          for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
        }
      };
      substitute("workflow", spec.value("arguments", Json::object()).value("parameters", Json::array()));
      substitute("inputs", task.arguments);
      substitute("inputs", tmpl->value("inputs", Json::object()).value("parameters", Json::array())); // defaults
      task.container = kf::json::parse(text);
      task.id = node_id(t.name, task.node);
      task.fail = failing.count(task.name) > 0;
    }
    run.tasks = std::move(tasks);
    return "";
  }

  static Json pod_for(const Target& t, const WfRun& run, const Task& task) {
    const Json* tmpl = find_template(t.obj["spec"], task.tmpl);
    Json md = tmpl ? tmpl->value("metadata", Json::object()) : Json::object();
    Json labels = md.value("labels", Json::object());
    labels["workflows.argoproj.io/workflow"] = t.name;
    Json annotations = md.value("annotations", Json::object());
    annotations["workflows.argoproj.io/node-name"] = task.node;
    annotations["workflows.argoproj.io/node-id"] = task.id;
    annotations["kubectl.kubernetes.io/default-container"] = "main";
    Json c = task.container;
    c.erase("source");
    const std::string name = run.kind == "Pod" ? t.name : t.name + "-" + task.tmpl + task.id.substr(t.name.size());
    return {{"apiVersion", "v1"}, {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", t.ns}, {"labels", labels}, {"annotations", annotations},
                          {"ownerReferences", {owner_ref(t.obj)}}}},
            {"spec", {{"containers", {c}}, {"restartPolicy", "Never"}}}};
  }

  static Json node(const WfRun& run, const std::string& id, const std::string& name, const std::string& display,
                   const std::string& type, const std::string& tmpl, const std::string& phase, const std::string& started,
                   const std::string& finished) {
    Json n = {{"id", id}, {"name", name}, {"displayName", display}, {"type", type}};
    if (!tmpl.empty()) n["templateName"] = tmpl;
    n["templateScope"] = "local/" + run.wf;
    n["phase"] = phase;
    if (!started.empty()) n["startedAt"] = started;
    if (!finished.empty()) n["finishedAt"] = finished;
    return n;
  }

  static bool write(Target& t, const WfRun& run) {
    Json nodes = Json::object();
    int total = 0, done = 0;
    const bool over = run.phase != "Pending" && run.phase != "Running";
    const std::string root = t.name;
    for (const auto& task : run.tasks) {
      ++total;
      done += task.phase == "Succeeded";
      if (task.phase.empty()) continue;
      const bool skipped = task.phase == "Omitted";
      Json n = node(run, task.id, task.node, task.name, skipped ? "Skipped" : "Pod", task.tmpl, task.phase, task.started, task.finished);
      if (run.kind != "Pod") n["boundaryID"] = root;
      if (!skipped) {
        n["progress"] = task.phase == "Succeeded" ? "1/1" : "0/1";
        n["hostNodeName"] = "kube-sim-node";
      }
      if (!task.message.empty()) n["message"] = task.message;
      if (task.phase == "Succeeded" || task.phase == "Failed") n["outputs"] = {{"exitCode", task.fail ? "1" : "0"}};
      nodes[task.id] = n;
    }
    const std::string progress = std::to_string(done) + "/" + std::to_string(total);
    if (run.kind == "DAG" || run.kind == "Steps") {
      Json r = node(run, root, root, root, run.kind, run.entry, run.phase == "Pending" ? "Running" : run.phase, run.started, over ? run.finished : "");
      r["progress"] = progress;
      nodes[root] = r;
      link(t, run, nodes);
    }
    Json status = {{"phase", run.phase}, {"startedAt", run.started}};
    if (over) status["finishedAt"] = run.finished;
    status["progress"] = progress;
    if (!nodes.empty()) status["nodes"] = nodes;
    if (!run.message.empty()) status["message"] = run.message;
    status["conditions"] = over ? Json{{{"type", "PodRunning"}, {"status", "False"}}, {{"type", "Completed"}, {"status", "True"}}}
                                : Json{{{"type", "PodRunning"}, {"status", run.phase == "Running" ? "True" : "False"}}};
    return update(t.store, t.type, t.ns, t.name, t.uid, [&](Json& o) {
      o["status"] = status;
      o["metadata"]["labels"]["workflows.argoproj.io/phase"] = run.phase;
      o["metadata"]["labels"]["workflows.argoproj.io/completed"] = over ? "true" : "false";
    });
  }

  // children: DAG tasks point at their dependents; steps go root -> [0] -> its steps -> [1] ...
  static void link(const Target& t, const WfRun& run, Json& nodes) {
    // (nodes is an ordered_json: adding a key may move the others, so no references are kept)
    nodes[t.name]["children"] = Json::array();
    for (const auto& task : run.tasks) {
      if (!nodes.contains(task.id)) continue;
      if (run.kind == "DAG") {
        if (task.deps.empty()) nodes[t.name]["children"].push_back(task.id);
        for (const auto& d : task.deps)
          for (const auto& x : run.tasks)
            if (x.name == d && nodes.contains(x.id)) nodes[x.id]["children"].push_back(task.id);
        continue;
      }
      const std::string gname = t.name + "[" + std::to_string(task.group) + "]", gid = node_id(t.name, gname);
      if (!nodes.contains(gid)) {
        nodes[gid] = node(run, gid, gname, "[" + std::to_string(task.group) + "]", "StepGroup", "", task.phase, task.started, task.finished);
        nodes[gid]["boundaryID"] = t.name;
        nodes[gid]["children"] = Json::array();
        if (task.group == 0) nodes[t.name]["children"].push_back(gid);
        for (const auto& x : run.tasks)
          if (x.group == task.group - 1 && nodes.contains(x.id)) nodes[x.id]["children"].push_back(gid);
      }
      nodes[gid]["children"].push_back(task.id);
      if (task.phase == "Failed" || task.phase == "Running" || task.phase == "Pending") nodes[gid]["phase"] = task.phase;
    }
  }
};

} // namespace

std::unique_ptr<Reconciler> argo_reconciler() { return std::make_unique<ArgoReconciler>(); }

} // namespace kubesim::sim
