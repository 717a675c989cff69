// DAG templates (workflow_engine.h): a task starts once every task it
// depends on is done and its `depends` (or `dependencies`) holds, else it
// is Omitted; its `when` false, Skipped; a loop makes a TaskGroup of items.
// failFast (the default): after a failure no new task starts. The DAG
// fails when a failed task is not continued on and nothing ran because of
// its failure (a task that depends on A.Failed handles it).
#include <set>

#include "libkf/local/workflow_engine.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/workflow/expr.h"

namespace kf::local {

using workflow::Scope;
using workflow::Vars;

namespace {

std::string depends_expression(const Json& task) {
  if (task.contains("depends")) return task.value("depends", "");
  std::vector<std::string> deps;
  for (const auto& d : json_field(task, "dependencies")) deps.push_back(d.get<std::string>());
  return workflow::depends_of(deps);
}

bool failed(const std::string& phase) { return phase == "Failed" || phase == "Error"; }

// The tasks in an order where each comes after its dependencies; kf::Error
// for an unknown dependency or a cycle.
std::vector<const Json*> topological(const Json& tasks) {
  std::map<std::string, const Json*> by_name;
  for (const auto& t : tasks) by_name[t.value("name", "")] = &t;
  std::vector<const Json*> order;
  std::map<std::string, int> state; // 1 visiting, 2 done
  std::function<void(const Json&, std::vector<std::string>&)> visit = [&](const Json& t, std::vector<std::string>& path) {
    const std::string name = t.value("name", "");
    if (state[name] == 2) return;
    if (state[name] == 1) throw Error("dependency cycle: " + str::join(path, " -> ") + " -> " + name);
    state[name] = 1;
    path.push_back(name);
    for (const auto& d : workflow::depends_tasks(depends_expression(t))) {
      const auto it = by_name.find(d);
      if (it == by_name.end()) throw Error("task " + str::quote(name) + " depends on " + str::quote(d) + ", which is not a task of this dag");
      visit(*it->second, path);
    }
    path.pop_back();
    state[name] = 2;
    order.push_back(&t);
  };
  for (const auto& t : tasks) {
    std::vector<std::string> path;
    visit(t, path);
  }
  return order;
}

} // namespace

workflow::Outcome WorkflowEngine::outcome(const std::string& name) {
  workflow::Outcome o;
  const Json* n = find(name);
  if (!n) return o;
  o.phase = n->value("phase", "");
  if (n->value("type", "") == "TaskGroup") {
    const Json& children = json_field(*n, "children");
    o.all_failed = !children.empty();
    for (const auto& c : children) {
      const auto it = m_nodes.find(c.get<std::string>());
      const std::string p = it == m_nodes.end() ? "" : it->second.value("phase", "");
      o.any_succeeded = o.any_succeeded || p == "Succeeded";
      o.all_failed = o.all_failed && p == "Failed";
    }
  }
  return o;
}

Json* WorkflowEngine::execute_dag(const Call& c, const Json& tmpl, const std::string& tmpl_name, const Scope& inputs) {
  const std::string id = node_id(c.name);
  const Json& dag = tmpl["dag"];
  // The order and each task's dependencies, worked out once per template
  // (not on every pass; an inline template's live in this pass only).
  DagPlan local;
  DagPlan* plan = tmpl_name.empty() ? &local : &m_dag_plans[tmpl_name];
  if (plan->order.empty() && !json_field(dag, "tasks").empty()) {
    try {
      plan->order = topological(json_field(dag, "tasks"));
    } catch (const Error& e) {
      Json& node = *find(c.name);
      if (!fulfilled(node)) mark(node, "Error", e.what());
      return &node;
    }
    for (const Json* t : plan->order) plan->deps.push_back(workflow::depends_tasks(depends_expression(*t)));
  }
  const std::vector<const Json*>& order = plan->order;
  // What this DAG node's finished tasks gave, kept across passes: a pass
  // looks at the tasks not done yet, so a DAG of n tasks costs O(n) in all.
  DagState& st = m_dag_states[c.name];
  st.done.resize(order.size());
  const Vars vars{&st.results, &inputs, &m_global};
  // failFast (default true) stops new tasks after a failure, in a DAG of
  // `dependencies`; with `depends` a task may be waiting for that failure.
  bool uses_depends = false;
  for (const Json* task : order) uses_depends = uses_depends || task->contains("depends");
  const bool fail_fast = !uses_depends && json_field(dag, "failFast") != Json(false);
  // The template's parallelism: at most that many of its tasks running at once.
  int parallelism = 0, active = 0;
  if (tmpl.contains("parallelism")) parallelism = std::atoi(workflow::substitute(workflow::to_text(tmpl["parallelism"]), vars, true).c_str());
  for (std::size_t i = 0; i < order.size() && parallelism > 0; ++i)
    if (const Json* n = find(c.name + "." + order[i]->value("name", "")); !st.done[i] && n && !fulfilled(*n)) ++active;
  bool all_done = true;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (st.done[i]) continue;
    const Json* task = order[i];
    const std::string task_name = task->value("name", "");
    const bool existed = find(c.name + "." + task_name) != nullptr;
    bool may_start = !st.tripped && (parallelism <= 0 || active < parallelism);
    Json* n = execute_task(c.name, id, *task, plan->deps[i], vars, may_start);
    if (n && !existed && !fulfilled(*n)) ++active;
    if (!n || !fulfilled(*n)) {
      all_done = false;
      continue;
    }
    st.done[i] = true;
    const std::string phase = n->value("phase", "");
    if (phase != "Omitted")
      for (const auto& d : plan->deps[i]) st.handled.insert(d);
    if (failed(phase) && !workflow::continues_on(*task, phase) && fail_fast) st.tripped = true;
    if (n->value("type", "") == "TaskGroup") {
      std::vector<const Json*> items;
      for (const auto& ch : json_field(*n, "children"))
        if (const auto it = m_nodes.find(ch.get<std::string>()); it != m_nodes.end()) items.push_back(&it->second);
      add_aggregate(st.results, "tasks." + task_name, items);
    } else {
      add_results(st.results, "tasks." + task_name, *n);
    }
  }
  const bool may_start = !st.tripped;
  const std::set<std::string>& handled = st.handled;
  Json& node = *find(c.name);
  if (fulfilled(node)) return &node;
  bool running = false;
  for (const Json* task : order)
    if (const Json* n = find(c.name + "." + task->value("name", "")); n && !fulfilled(*n)) running = true;
  if (!all_done && (may_start || running)) return &node;
  if (const std::string message = dag_failure(c.name, order, handled); !message.empty()) {
    mark(node, "Failed", message);
    return &node;
  }
  return succeed(node, tmpl, vars);
}

// Why a DAG whose tasks are done failed: its first failed task that is not
// continued on and that no task which ran depended on; "" = it did not fail.
std::string WorkflowEngine::dag_failure(const std::string& dag_name, const std::vector<const Json*>& order,
                                        const std::set<std::string>& handled) {
  for (const Json* task : order) {
    const Json* n = find(dag_name + "." + task->value("name", ""));
    if (!n || !failed(n->value("phase", "")) || workflow::continues_on(*task, n->value("phase", ""))) continue;
    if (!handled.count(task->value("name", ""))) return "task '" + n->value("name", "") + "' failed";
  }
  return "";
}

// One task: waits for its dependencies, then Omitted (depends false), or
// run (a loop: a TaskGroup of items, each as a step would run).
Json* WorkflowEngine::execute_task(const std::string& dag_name, const std::string& boundary, const Json& task,
                                   const std::vector<std::string>& deps, const Vars& vars, bool& may_start) {
  const std::string task_name = task.value("name", "");
  const std::string name = dag_name + "." + task_name;
  const std::string expression = depends_expression(task);
  const auto link = [&] {
    if (deps.empty()) add_child(dag_name, name);
    for (const auto& d : deps) add_child(dag_name + "." + d, name);
  };
  Json* n = find(name);
  if (n && fulfilled(*n)) return link(), n;
  if (!n) {
    for (const auto& d : deps)
      if (const Json* dn = find(dag_name + "." + d); !dn || !fulfilled(*dn)) return nullptr;
    try {
      if (!expression.empty() && !workflow::evaluate_depends(expression, [&](const std::string& d) { return outcome(dag_name + "." + d); })) {
        n = &init_node(name, task_name, "Skipped", task.value("template", ""), boundary, "Omitted", "omitted: depends condition not met");
        return link(), n;
      }
    } catch (const Error& e) {
      n = error_node(Call{name, task_name, task, boundary, ""}, "Pod", e.what());
      return link(), n;
    }
    if (!may_start) return nullptr;
  }
  if (!task.contains("withItems") && !task.contains("withParam") && !task.contains("withSequence")) {
    n = run_step(name, task_name, task, vars, boundary);
    return link(), n;
  }
  std::vector<Expanded> items;
  try {
    items = expand(task, vars);
  } catch (const Error& e) {
    n = error_node(Call{name, task_name, task, boundary, ""}, "TaskGroup", e.what());
    return link(), n;
  }
  if (!find(name)) init_node(name, task_name, "TaskGroup", task.value("template", ""), boundary, "Running");
  bool all_done = true;
  std::string failure;
  for (const auto& e : items) {
    const std::string item_name = dag_name + "." + e.name;
    Json* child = run_step(item_name, e.name, task, Vars(&e.item, vars), boundary);
    add_child(name, item_name);
    if (!fulfilled(*child)) all_done = false;
    else if (failed(child->value("phase", "")) && !workflow::continues_on(task, child->value("phase", "")) && failure.empty())
      failure = "child '" + child->value("id", "") + "' failed";
  }
  Json& group = *find(name);
  if (all_done && !fulfilled(group)) mark(group, failure.empty() ? "Succeeded" : "Failed", failure);
  link();
  return &group;
}

} // namespace kf::local
