// Steps templates (workflow_engine.h): groups run one after the other, the
// steps of a group in parallel; a step's loop (withItems, withParam,
// withSequence) expands into one step per item, named "step(i:item)"; a
// step whose `when` is false is Skipped.

#include <re2/re2.h>

#include "libkf/local/workflow_engine.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/workflow/expr.h"

namespace kf::local {

using workflow::Scope;
using workflow::Vars;

namespace {

bool has_loop(const Json& step) { return step.contains("withItems") || step.contains("withParam") || step.contains("withSequence"); }

// withSequence: count or start..end (counting down when end < start), each
// number through `format` (printf, one integer conversion; default %d).
Json sequence(const Json& seq, const Vars& vars) {
  const auto number = [&](const char* key, long long fallback) -> long long {
    if (!seq.contains(key)) return fallback;
    const std::string text = workflow::substitute(workflow::to_text(seq[key]), vars, false);
    try {
      return std::stoll(text);
    } catch (const std::exception&) {
      throw Error(std::string("withSequence.") + key + ": " + str::quote(text) + " is not a number");
    }
  };
  const std::string format = seq.value("format", "%d");
  static const re2::RE2 one_int("[^%]*%[-0 +#]*[0-9]*[dxXo][^%]*"); // RE2: linear in the format's length
  if (!re2::RE2::FullMatch(format, one_int)) throw Error("withSequence.format " + str::quote(format) + ": give one integer conversion, as %d or %02X");
  const long long start = number("start", 0);
  std::vector<long long> values;
  if (seq.contains("count")) {
    if (seq.contains("end")) throw Error("withSequence: give count or end, not both");
    for (long long i = 0, n = number("count", 0); i < n; ++i) values.push_back(start + i);
  } else {
    const long long end = number("end", 0);
    for (long long i = start; start <= end ? i <= end : i >= end; i += start <= end ? 1 : -1) values.push_back(i);
  }
  std::string with_ll = format; // the number is a long long
  with_ll.insert(with_ll.find_first_of("dxXo", with_ll.find('%')), "ll");
  Json out = Json::array();
  for (const long long v : values) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" // checked above: one integer conversion
    const int n = std::snprintf(nullptr, 0, with_ll.c_str(), v);
    if (n < 0) throw Error("withSequence.format " + str::quote(format) + ": cannot format " + std::to_string(v));
    std::string item(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(item.data(), item.size(), with_ll.c_str(), v);
#pragma GCC diagnostic pop
    item.pop_back();
    out.push_back(std::move(item));
  }
  return out;
}

// How an item shows in its node's name: Argo's fmt %v, parentheses removed.
std::string describe(const Json& item, Scope& scope) {
  std::string desc;
  if (item.is_object()) {
    std::vector<std::string> vals;
    for (auto it = item.begin(); it != item.end(); ++it) {
      scope["item." + it.key()] = workflow::to_text(it.value());
      vals.push_back(it.key() + ":" + workflow::to_text(it.value()));
    }
    std::sort(vals.begin(), vals.end());
    scope["item"] = item.dump();
    desc = str::join(vals, ",");
  } else if (item.is_array()) {
    std::vector<std::string> vals;
    for (const auto& x : item) vals.push_back(workflow::to_text(x));
    scope["item"] = item.dump();
    desc = '['; // appended: "[" + std::string&& trips GCC 12's -Wrestrict at -O3 (bug 105651)
    desc += str::join(vals, " ");
    desc += ']';
  } else {
    scope["item"] = workflow::to_text(item);
    desc = scope["item"];
  }
  desc.erase(std::remove_if(desc.begin(), desc.end(), [](char c) { return c == '(' || c == ')'; }), desc.end());
  return desc;
}

} // namespace

std::vector<WorkflowEngine::Expanded> WorkflowEngine::expand(const Json& step, const Vars& vars) {
  const std::string name = step.value("name", "");
  if (!has_loop(step)) return {Expanded{name, step, {}}};
  Json items;
  if (step.contains("withItems")) {
    items = step["withItems"];
  } else if (step.contains("withParam")) {
    const std::string text = workflow::substitute(step.value("withParam", ""), vars, false);
    items = json::parse_or_discarded(text);
    if (items.is_discarded() || !items.is_array()) throw Error("withParam value could not be parsed as a JSON list: " + text);
  } else {
    items = sequence(step["withSequence"], vars);
  }
  if (!items.is_array()) throw Error("withItems must be a list");
  std::vector<Expanded> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Expanded e;
    const Json item = items[i].is_string() ? Json(workflow::substitute(items[i].get<std::string>(), vars, false)) : items[i];
    const std::string desc = describe(item, e.item);
    e.name = name + "(" + std::to_string(i) + ":" + desc + ")";
    e.step = step;
    out.push_back(std::move(e));
  }
  return out;
}

Json* WorkflowEngine::execute_steps(const Call& c, const Json& tmpl, const std::string& tmpl_name, const Scope& inputs) {
  (void)tmpl_name;
  const std::string id = node_id(c.name);
  Scope results; // steps.NAME.* of the groups done
  const Vars vars{&results, &inputs, &m_global};
  const Json& groups = tmpl["steps"];
  int parallelism = 0;
  if (tmpl.contains("parallelism")) parallelism = std::atoi(workflow::substitute(workflow::to_text(tmpl["parallelism"]), vars, false).c_str());
  std::vector<std::string> previous; // the ids of the last group's steps
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const std::string sg_name = c.name + "[" + std::to_string(i) + "]";
    Json* sg = execute_step_group(sg_name, groups[i], id, vars, parallelism, results);
    if (i == 0) add_child(c.name, sg_name);
    for (const auto& p : previous)
      if (const auto it = m_nodes.find(p); it != m_nodes.end()) add_child(it->second.value("name", ""), sg_name);
    Json& node = *find(c.name);
    if (!fulfilled(*sg)) return &node;
    const std::string phase = sg->value("phase", "");
    if (phase == "Failed" || phase == "Error") {
      if (!fulfilled(node)) mark(node, phase, sg->value("message", ""));
      return &node;
    }
    previous.clear();
    for (const auto& child : json_field(*sg, "children")) previous.push_back(child.get<std::string>());
  }
  Json& node = *find(c.name);
  if (fulfilled(node)) return &node;
  return succeed(node, tmpl, vars);
}

Json* WorkflowEngine::execute_step_group(const std::string& name, const Json& group, const std::string& boundary, const Vars& vars,
                                         int parallelism, Scope& results) {
  if (!find(name)) init_node(name, name.substr(name.rfind('[')), "StepGroup", "", boundary, "Running");
  bool all_done = true;
  std::string failed;
  int active = 0;
  for (const auto& step : group) {
    std::vector<Expanded> items;
    try {
      items = expand(step, vars);
    } catch (const Error& e) {
      Json& sg = *find(name);
      mark(sg, "Error", e.what());
      return &sg;
    }
    std::vector<const Json*> done;
    for (const auto& e : items) {
      const std::string child_name = name + "." + e.name;
      Json* child = find(child_name);
      if (!child || !fulfilled(*child)) {
        const Vars v(&e.item, vars);
        if (!child && parallelism > 0 && active >= parallelism) {
          all_done = false;
          continue;
        }
        child = run_step(child_name, e.name, step, v, boundary);
      }
      add_child(name, child_name);
      if (!fulfilled(*child)) {
        all_done = false;
        ++active;
        continue;
      }
      const std::string phase = child->value("phase", "");
      if ((phase == "Failed" || phase == "Error") && !workflow::continues_on(step, phase) && failed.empty())
        failed = "child '" + child->value("id", "") + "' failed";
      done.push_back(child);
    }
    const std::string prefix = "steps." + step.value("name", "");
    if (has_loop(step)) add_aggregate(results, prefix, done);
    else if (done.size() == 1) add_results(results, prefix, *done.front());
  }
  Json& sg = *find(name);
  if (all_done && !fulfilled(sg)) mark(sg, failed.empty() ? "Succeeded" : "Failed", failed);
  return &sg;
}

// One step (or loop item) of a group: Skipped when its `when` is false,
// else its template with the arguments resolved in the group's scope.
Json* WorkflowEngine::run_step(const std::string& name, const std::string& display, const Json& step, const Vars& vars,
                               const std::string& boundary) {
  Json* existing = find(name);
  if (existing && fulfilled(*existing)) return existing;
  const Call call{name, display, step, boundary, ""};
  try {
    if (step.contains("when") && !existing) { // a started step's `when` held
      const std::string when = workflow::substitute(step.value("when", ""), vars, false);
      if (!workflow::evaluate_when(when))
        return &init_node(name, display, "Skipped", step.value("template", ""), boundary, "Skipped", "when '" + when + "' evaluated false");
    }
    Json holder = step;
    if (step.contains("arguments")) holder["arguments"] = workflow::substitute_all(step["arguments"], vars, false);
    return execute(Call{name, display, holder, boundary, ""});
  } catch (const Error& e) {
    return error_node(call, "Pod", e.what());
  }
}

} // namespace kf::local
