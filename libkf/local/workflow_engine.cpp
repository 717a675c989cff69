// The local Argo operator (workflow_engine.h): nodes, templates and their
// inputs, retries, suspend, the exit handler and the workflow's own phase.
#include "libkf/local/workflow_engine.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/workflow/expr.h"
#include "libkf/workflow/duration.h"

namespace kf::local {

namespace stdfs = std::filesystem;
using workflow::Scope;
using workflow::Vars;

Json to_json(const WorkflowSettings& s) {
  return {{"trainerImage", s.container.trainer_image}, {"trainerPath", s.container.trainer_path},
          {"artifacts", s.artifacts.string()},          {"cache", s.cache.string()},
          {"cacheEnabled", s.cache_enabled},            {"bwrap", s.bwrap}};
}

WorkflowSettings workflow_settings_from_json(const Json& j) {
  WorkflowSettings s;
  s.container.trainer_image = j.value("trainerImage", "");
  s.container.trainer_path = j.value("trainerPath", "");
  s.artifacts = j.value("artifacts", "");
  s.cache = j.value("cache", "");
  s.cache_enabled = j.value("cacheEnabled", true);
  s.bwrap = j.value("bwrap", "");
  return s;
}

namespace {

std::string random_uid() {
  std::random_device rd;
  const char* hex = "0123456789abcdef";
  std::string u;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) u += '-';
    u += hex[rd() % 16];
  }
  return u;
}

// Argo's node ids: the workflow's name, then the FNV-1a hash of the node's name.
std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string template_type(const Json& t) {
  for (const char* k : {"container", "script", "steps", "dag", "suspend", "resource", "containerSet", "data", "http", "plugin"})
    if (t.contains(k)) return k;
  return "";
}

} // namespace

WorkflowEngine::WorkflowEngine(Json object, WorkflowSettings settings, RunDir dir, PodProcesses& processes)
    : m_wf(std::move(object)), m_settings(std::move(settings)), m_dir(std::move(dir)), m_processes(processes),
      m_store(m_settings.artifacts) {
  replay_journal(m_wf, m_dir.root / "nodes.log");
  m_name = m_wf["metadata"].value("name", "");
  Json& status = m_wf["status"];
  if (!status.is_object()) status = Json::object();
  if (status.contains("nodes") && status["nodes"].is_object())
    for (auto it = status["nodes"].begin(); it != status["nodes"].end(); ++it) count_pod(m_nodes[it.key()] = it.value(), 1);
  status.erase("nodes");
  const Json& spec = m_wf["spec"];
  for (const auto& t : json_field(spec, "templates")) m_templates[json_text(t, "name")] = t;
  const Json& md = m_wf["metadata"];
  if (!md.contains("uid")) m_wf["metadata"]["uid"] = random_uid();
  m_global["workflow.name"] = m_name;
  m_global["workflow.namespace"] = md.value("namespace", "default");
  m_global["workflow.uid"] = m_wf["metadata"].value("uid", "");
  m_global["workflow.creationTimestamp"] = md.value("creationTimestamp", now_rfc3339());
  m_global["workflow.mainEntrypoint"] = spec.value("entrypoint", "");
  m_global["workflow.serviceAccountName"] = spec.value("serviceAccountName", "default");
  Json params = Json::array();
  for (const auto& p : json_field(json_field(spec, "arguments"), "parameters")) {
    const std::string v = p.contains("value") ? workflow::to_text(p["value"]) : "";
    m_global["workflow.parameters." + p.value("name", "")] = v;
    params.push_back({{"name", p.value("name", "")}, {"value", v}});
  }
  m_global["workflow.parameters.json"] = params.dump();
  for (const char* what : {"labels", "annotations"})
    for (const auto& [k, v] : json_field(md, what).items())
      if (v.is_string()) m_global[std::string("workflow.") + what + "." + k] = v.get<std::string>();
  for (const auto& p : json_field(json_field(status, "outputs"), "parameters"))
    if (p.contains("globalName")) m_global["workflow.outputs.parameters." + p.value("globalName", "")] = p.value("value", "");
  restart_lost_pods();
}

Json WorkflowEngine::object() const {
  Json out = m_wf;
  Json nodes = Json::object();
  for (const auto& [id, n] : m_nodes) nodes[id] = n;
  out["status"]["nodes"] = std::move(nodes);
  return out;
}

bool WorkflowEngine::take_changed() {
  const bool c = m_changed;
  m_changed = false;
  return c;
}

bool WorkflowEngine::done() const {
  const std::string phase = m_wf["status"].value("phase", "");
  return phase == "Succeeded" || phase == "Failed" || phase == "Error";
}

// --- nodes ------------------------------------------------------------------

std::string WorkflowEngine::node_id(const std::string& name) const {
  return name == m_name ? m_name : m_name + "-" + std::to_string(fnv1a(name));
}

Json* WorkflowEngine::find(const std::string& name) {
  const auto it = m_nodes.find(node_id(name));
  return it == m_nodes.end() ? nullptr : &it->second;
}

Json& WorkflowEngine::init_node(const std::string& name, const std::string& display, const std::string& type,
                                const std::string& tmpl_name, const std::string& boundary, const std::string& phase,
                                const std::string& message) {
  const std::string id = node_id(name);
  Json n = {{"id", id}, {"name", name}, {"displayName", display}, {"type", type}};
  if (!tmpl_name.empty()) {
    n["templateName"] = tmpl_name;
    n["templateScope"] = "local/" + m_name;
  }
  n["phase"] = phase;
  if (!boundary.empty()) n["boundaryID"] = boundary;
  n["startedAt"] = now_rfc3339();
  if (!message.empty()) n["message"] = message;
  if (const auto old = m_nodes.find(id); old != m_nodes.end()) count_pod(old->second, -1);
  Json& node = m_nodes[id] = std::move(n);
  count_pod(node, 1);
  if (fulfilled(node)) {
    node["finishedAt"] = node["startedAt"];
    journal(node);
  }
  m_changed = true;
  return node;
}

bool WorkflowEngine::fulfilled(const Json& node) {
  const std::string p = node.value("phase", "");
  return p == "Succeeded" || p == "Failed" || p == "Error" || p == "Skipped" || p == "Omitted";
}

void WorkflowEngine::count_pod(const Json& node, int sign) {
  if (node.value("type", "") != "Pod") return;
  m_pod_count += sign;
  if (node.value("phase", "") == "Succeeded") m_pods_succeeded += sign;
}

void WorkflowEngine::mark(Json& node, const std::string& phase, const std::string& message) {
  count_pod(node, -1);
  node["phase"] = phase;
  count_pod(node, 1);
  if (!message.empty()) node["message"] = message;
  else node.erase("message");
  if (fulfilled(node)) {
    node["finishedAt"] = now_rfc3339();
    if (node.value("type", "") == "Pod") node["progress"] = phase == "Succeeded" ? "1/1" : "0/1";
    journal(node);
  }
  m_changed = true;
}

void WorkflowEngine::add_child(const std::string& parent, const std::string& child) {
  Json* p = find(parent);
  if (!p) return;
  const std::string id = node_id(child);
  Json& children = (*p)["children"];
  if (!children.is_array()) children = Json::array();
  for (const auto& c : children)
    if (c == id) return;
  children.push_back(id);
  m_changed = true;
}

Json* WorkflowEngine::error_node(const Call& c, const std::string& type, const std::string& message) {
  Json* n = find(c.name);
  if (!n) n = &init_node(c.name, c.display, type, "", c.boundary, "Error", message);
  else if (!fulfilled(*n)) mark(*n, "Error", message);
  return n;
}

// One line per node as it finishes, appended: object.json is written at
// most every few passes, this on every one (a write(2), no fsync: a kill -9
// loses nothing the kernel has).
void WorkflowEngine::journal(const Json& node) {
  const std::string line = node.dump() + "\n";
  const int fd = ::open((m_dir.root / "nodes.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] const auto n = ::write(fd, line.data(), line.size());
  ::close(fd);
}

void replay_journal(Json& object, const stdfs::path& journal) {
  std::ifstream in(journal);
  std::string line;
  while (std::getline(in, line)) {
    const Json n = json::parse_or_discarded(line);
    if (n.is_discarded() || !n.contains("id")) continue; // a line cut short by the kill
    Json& slot = object["status"]["nodes"][n.value("id", "")];
    // A node gains children after it finishes (the tasks that depend on it,
    // the next steps group): object.json may know more of them than the line.
    Json children = slot.is_object() ? slot.value("children", Json::array()) : Json::array();
    for (const auto& c : json_field(n, "children"))
      if (std::find(children.begin(), children.end(), c) == children.end()) children.push_back(c);
    slot = n;
    if (!children.empty()) slot["children"] = children;
  }
}

// --- templates ----------------------------------------------------------------

const Json* WorkflowEngine::find_template(const Json& holder, std::string& name, std::string& error) const {
  if (holder.contains("inline")) {
    name = "";
    return &holder["inline"];
  }
  if (holder.contains("templateRef")) {
    error = "templateRef " + str::quote(holder["templateRef"].value("name", "")) +
            ": WorkflowTemplates live on a cluster; the local target runs a Workflow's own templates";
    return nullptr;
  }
  name = holder.value("template", "");
  if (!m_templates.contains(name)) {
    std::vector<std::string> names;
    for (auto it = m_templates.begin(); it != m_templates.end(); ++it) names.push_back(it.key());
    error = "template " + str::quote(name) + " not found" + str::did_you_mean(name, names);
    return nullptr;
  }
  return &m_templates[name];
}

Json* WorkflowEngine::execute(const Call& c) {
  if (Json* node = find(c.name); node && fulfilled(*node)) return node;
  std::string tmpl_name, error;
  const Json* tmpl = find_template(c.holder, tmpl_name, error);
  if (!tmpl) return error_node(c, "Pod", error);
  if (tmpl->contains("retryStrategy") && c.retries.empty()) return execute_retry(c, *tmpl, tmpl_name);
  return execute_template(c, *tmpl, tmpl_name);
}

Json* WorkflowEngine::execute_template(const Call& c, const Json& tmpl, const std::string& tmpl_name) {
  const std::string type = template_type(tmpl);
  const std::string node_type = type == "steps" ? "Steps" : type == "dag" ? "DAG" : type == "suspend" ? "Suspend" : "Pod";
  Json inputs = Json::object();
  Scope in;
  try {
    in = input_scope(tmpl, c.holder, inputs);
  } catch (const Error& e) {
    return error_node(c, node_type, e.what());
  }
  if (type.empty()) return error_node(c, node_type, "template " + str::quote(tmpl_name) + " has nothing to run (container, script, steps, dag or suspend)");
  if (type == "resource" || type == "containerSet" || type == "data" || type == "http" || type == "plugin")
    return error_node(c, node_type,
                      "template " + str::quote(tmpl_name) + ": " + type + " templates need Argo's controller on a cluster (--target); "
                      "the local target runs container, script, steps, dag and suspend templates");
  Json* node = find(c.name);
  if (!node && type != "container" && type != "script") {
    node = &init_node(c.name, c.display, node_type, tmpl_name, c.boundary, "Running");
    if (!inputs.empty()) (*node)["inputs"] = inputs;
  }
  if (type == "steps") return execute_steps(c, tmpl, tmpl_name, in);
  if (type == "dag") return execute_dag(c, tmpl, tmpl_name, in);
  if (type == "suspend") return execute_suspend(c, tmpl, tmpl_name);
  return execute_pod(c, tmpl, tmpl_name, in, inputs);
}

// A template's inputs from the arguments of the step or task that calls it:
// each parameter its argument, else its own value or default; each artifact
// its argument's (from a step's outputs, or raw data), unless optional.
Scope WorkflowEngine::input_scope(const Json& tmpl, const Json& holder, Json& inputs) {
  Scope s;
  const Json& args = json_field(holder, "arguments");
  const Json& declared = json_field(tmpl, "inputs");
  Json params = Json::array();
  for (const auto& p : json_field(declared, "parameters")) {
    const std::string name = p.value("name", "");
    std::optional<std::string> value;
    for (const auto& a : json_field(args, "parameters"))
      if (a.value("name", "") == name && a.contains("value")) value = workflow::to_text(a["value"]);
    if (!value && p.contains("value")) value = workflow::to_text(p["value"]);
    if (!value && p.contains("default")) value = workflow::to_text(p["default"]);
    if (!value) throw Error("inputs.parameters." + name + " was not supplied");
    if (p.contains("enum") && p["enum"].is_array()) {
      bool ok = false;
      for (const auto& e : p["enum"]) ok = ok || workflow::to_text(e) == *value;
      if (!ok) throw Error("inputs.parameters." + name + ": " + str::quote(*value) + " is not one of its enum " + p["enum"].dump());
    }
    s["inputs.parameters." + name] = *value;
    params.push_back({{"name", name}, {"value", *value}});
  }
  if (!params.empty()) {
    inputs["parameters"] = params;
    s["inputs.parameters"] = params.dump();
  }
  Json artifacts = Json::array();
  for (const auto& a : json_field(declared, "artifacts")) {
    const std::string name = a.value("name", "");
    Json got;
    for (const auto& x : json_field(args, "artifacts"))
      if (x.value("name", "") == name) got = x;
    Json record = {{"name", name}};
    if (a.contains("path")) record["path"] = a["path"];
    if (got.contains("from")) {
      const std::string from = got.value("from", "");
      Json ref = json::parse_or_discarded(from);
      if (ref.is_discarded() || !ref.is_object()) throw Error("inputs.artifacts." + name + ": from " + str::quote(from) + " does not name an artifact");
      if (ref.contains("local")) record["local"] = ref["local"];
      else if (!a.value("optional", false)) throw Error("inputs.artifacts." + name + ": " + ref.value("name", "") + " was not produced");
    } else if (got.contains("raw") || a.contains("raw")) {
      record["raw"] = got.contains("raw") ? got["raw"] : a["raw"];
    } else if (got.contains("local")) {
      record["local"] = got["local"];
    } else if (!a.value("optional", false)) {
      throw Error("inputs.artifacts." + name + " was not supplied");
    }
    if (a.contains("path")) s["inputs.artifacts." + name + ".path"] = a.value("path", "");
    artifacts.push_back(record);
  }
  if (!artifacts.empty()) inputs["artifacts"] = artifacts;
  return s;
}

Json* WorkflowEngine::execute_suspend(const Call& c, const Json& tmpl, const std::string& tmpl_name) {
  Json* node = find(c.name);
  if (!node) node = &init_node(c.name, c.display, "Suspend", tmpl_name, c.boundary, "Running");
  if (fulfilled(*node)) return node;
  const Json& s = tmpl["suspend"];
  bool over = m_resume_requested;
  if (s.is_object() && s.contains("duration")) {
    const auto started = parse_rfc3339(node->value("startedAt", "")).value_or(0);
    over = over || static_cast<double>(now_ms()) / 1000.0 >= static_cast<double>(started) + workflow::parse_duration(workflow::to_text(s["duration"]));
  }
  if (!over) return node;
  Json params = Json::array();
  for (const auto& p : json_field(json_field(tmpl, "outputs"), "parameters")) {
    const Json& vf = json_field(p, "valueFrom");
    std::string v = p.contains("value") ? workflow::to_text(p["value"]) : vf.contains("default") ? workflow::to_text(vf["default"]) : "";
    params.push_back({{"name", p.value("name", "")}, {"value", v}});
  }
  if (!params.empty()) (*node)["outputs"]["parameters"] = params;
  mark(*node, "Succeeded", m_resume_requested ? "resumed" : "");
  return node;
}

void WorkflowEngine::resume_suspended() { m_resume_requested = true; }

// A steps or dag template's outputs: parameters from valueFrom.parameter
// ("{{steps.x.outputs.parameters.y}}") or valueFrom.expression, artifacts
// from `from`; globalName ones become the workflow's too.
void WorkflowEngine::finish_outputs(Json& node, const Json& tmpl, const Vars& vars) {
  Json out = Json::object();
  for (const auto& p : json_field(json_field(tmpl, "outputs"), "parameters")) {
    const Json& vf = json_field(p, "valueFrom");
    std::string value;
    if (vf.contains("parameter")) value = workflow::substitute(vf.value("parameter", ""), vars, false);
    else if (vf.contains("expression")) value = workflow::to_text(workflow::evaluate(vf.value("expression", ""), workflow::expression_env(vars.flatten())));
    else if (p.contains("value")) value = workflow::substitute(workflow::to_text(p["value"]), vars, false);
    else if (vf.contains("default")) value = workflow::to_text(vf["default"]);
    Json rec = {{"name", p.value("name", "")}, {"value", value}};
    if (p.contains("globalName")) {
      rec["globalName"] = p["globalName"];
      m_global["workflow.outputs.parameters." + p.value("globalName", "")] = value;
      m_wf["status"]["outputs"]["parameters"].push_back(rec);
    }
    out["parameters"].push_back(rec);
  }
  for (const auto& a : json_field(json_field(tmpl, "outputs"), "artifacts")) {
    if (!a.contains("from")) continue;
    Json ref = json::parse_or_discarded(workflow::substitute(a.value("from", ""), vars, false));
    if (ref.is_discarded() || !ref.is_object()) throw Error("outputs.artifacts." + a.value("name", "") + ": from does not name an artifact");
    ref["name"] = a.value("name", "");
    out["artifacts"].push_back(ref);
  }
  if (!out.empty()) node["outputs"] = out;
}

Json* WorkflowEngine::succeed(Json& node, const Json& tmpl, const Vars& vars) {
  try {
    finish_outputs(node, tmpl, vars);
    mark(node, "Succeeded");
  } catch (const Error& e) {
    mark(node, "Error", e.what());
  }
  return &node;
}

// --- results of finished nodes, as the next steps and tasks read them ------------

void WorkflowEngine::add_results(Scope& scope, const std::string& prefix, const Json& node) {
  scope[prefix + ".id"] = node.value("id", "");
  scope[prefix + ".status"] = node.value("phase", "");
  scope[prefix + ".startedAt"] = node.value("startedAt", "");
  scope[prefix + ".finishedAt"] = node.value("finishedAt", "");
  const Json& out = json_field(node, "outputs");
  if (out.contains("exitCode")) scope[prefix + ".exitCode"] = out.value("exitCode", "");
  if (out.contains("result")) scope[prefix + ".outputs.result"] = out.value("result", "");
  Json params = Json::object();
  for (const auto& p : json_field(out, "parameters")) {
    scope[prefix + ".outputs.parameters." + p.value("name", "")] = p.value("value", "");
    params[p.value("name", "")] = p.value("value", "");
  }
  if (!params.empty()) scope[prefix + ".outputs.parameters"] = params.dump();
  for (const auto& a : json_field(out, "artifacts")) scope[prefix + ".outputs.artifacts." + a.value("name", "")] = a.dump();
}

// A loop's results: outputs.result a JSON list of the items' results (each
// as JSON when it is JSON), outputs.parameters a list of each item's map.
void WorkflowEngine::add_aggregate(Scope& scope, const std::string& prefix, const std::vector<const Json*>& nodes) {
  Json results = Json::array(), params = Json::array();
  std::map<std::string, Json> by_name;
  bool any_result = false;
  for (const Json* n : nodes) {
    const Json& out = json_field(*n, "outputs");
    if (out.contains("result")) {
      any_result = true;
      const Json parsed = json::parse_or_discarded(out.value("result", ""));
      results.push_back(parsed.is_discarded() ? Json(out.value("result", "")) : parsed);
    }
    Json m = Json::object();
    for (const auto& p : json_field(out, "parameters")) {
      m[p.value("name", "")] = p.value("value", "");
      by_name[p.value("name", "")].push_back(p.value("value", ""));
    }
    if (!m.empty()) params.push_back(m);
  }
  if (any_result) scope[prefix + ".outputs.result"] = results.dump();
  if (!params.empty()) scope[prefix + ".outputs.parameters"] = params.dump();
  for (const auto& [name, values] : by_name) scope[prefix + ".outputs.parameters." + name] = values.dump();
}

// --- the pass -------------------------------------------------------------------

void WorkflowEngine::operate() {
  if (done()) return;
  Json& status = m_wf["status"];
  if (status.value("phase", "") != "Running") {
    status["phase"] = "Running";
    if (!status.contains("startedAt")) status["startedAt"] = now_rfc3339();
    m_changed = true;
  }
  const Json& spec = m_wf["spec"];
  if (spec.contains("activeDeadlineSeconds") && m_deadline == Clock::time_point::max()) {
    const auto started = parse_rfc3339(status.value("startedAt", "")).value_or(now_ms() / 1000);
    m_deadline = Clock::time_point(std::chrono::seconds(started + json_field(spec, "activeDeadlineSeconds").get<long long>()));
  }
  if (Clock::now() >= m_deadline && !m_stopping) stop("Step exceeded its deadline", std::chrono::milliseconds(2000));
  check_deadlines();
  Json root_holder = {{"template", spec.value("entrypoint", "")}, {"arguments", json_field(spec, "arguments")}};
  Json* root = execute(Call{m_name, m_name, root_holder, "", ""});
  if (!root || !fulfilled(*root)) {
    finish_workflow(); // progress only
    return;
  }
  if (spec.contains("onExit") && !m_stopping) {
    m_global["workflow.status"] = root->value("phase", "");
    Json failures = Json::array();
    for (const auto& [id, n] : m_nodes)
      if (n.value("type", "") == "Pod" && (n.value("phase", "") == "Failed" || n.value("phase", "") == "Error"))
        failures.push_back({{"displayName", n.value("displayName", "")}, {"message", n.value("message", "")},
                            {"templateName", n.value("templateName", "")}, {"phase", n.value("phase", "")},
                            {"podName", n.value("id", "")}, {"finishedAt", n.value("finishedAt", "")}});
    m_global["workflow.failures"] = failures.dump();
    const auto started = parse_rfc3339(status.value("startedAt", "")).value_or(now_ms() / 1000);
    m_global["workflow.duration"] = std::to_string(static_cast<double>(now_ms()) / 1000.0 - static_cast<double>(started));
    const std::string exit_name = m_name + ".onExit";
    Json* exit = execute(Call{exit_name, exit_name, {{"template", spec.value("onExit", "")}}, "", ""});
    if (!exit || !fulfilled(*exit)) {
      finish_workflow();
      return;
    }
  }
  finish_workflow();
}

// Progress always; the phase once the entrypoint (and the exit handler) are done.
void WorkflowEngine::finish_workflow() {
  Json& status = m_wf["status"];
  const std::string progress = std::to_string(m_pods_succeeded) + "/" + std::to_string(m_pod_count);
  if (status.value("progress", "") != progress) {
    status["progress"] = progress;
    m_changed = true;
  }
  const Json* root = find(m_name);
  if (!root || !fulfilled(*root)) return;
  std::string phase = root->value("phase", "");
  std::string message = root->value("message", "");
  if (phase == "Skipped" || phase == "Omitted") phase = "Succeeded";
  if (const Json* exit = find(m_name + ".onExit")) {
    if (!fulfilled(*exit)) return;
    if (phase == "Succeeded" && exit->value("phase", "") != "Succeeded") {
      phase = "Failed";
      message = "exit handler failed: " + exit->value("message", "");
    }
  }
  status["phase"] = phase;
  if (phase != "Succeeded" && !message.empty()) status["message"] = message;
  status["finishedAt"] = now_rfc3339();
  m_changed = true;
}

} // namespace kf::local
