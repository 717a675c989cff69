// The node tree of an Argo Workflow (workflow_tree.h).
#include "libkf/target/workflow_tree.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::target {

namespace {

class Tree {
public:
  Tree(const Json& nodes, std::int64_t now) : m_nodes(nodes), m_now(now) {
    for (auto it = nodes.begin(); it != nodes.end(); ++it) m_by_name[json_text(it.value(), "name")] = &it.value();
  }

  void walk(const Json& n, int depth, Json& out) {
    if (++m_rows > 100000) return;
    out.push_back(row(n, depth));
    for (const Json* c : shown_children(n)) walk(*c, depth + 1, out);
  }

private:
  Json row(const Json& n, int depth) const {
    const std::string display = json_text(n, "displayName");
    const auto started = parse_rfc3339(json_text(n, "startedAt"));
    const auto finished = parse_rfc3339(json_text(n, "finishedAt"));
    Json r = {{"name", display.empty() ? json_text(n, "name") : display},
              {"type", json_text(n, "type")},
              {"phase", json_text(n, "phase")},
              {"message", json_text(n, "message")},
              {"depth", depth},
              {"template", json_text(n, "templateName")},
              {"id", json_text(n, "id")},
              {"startedAt", json_text(n, "startedAt")},
              {"finishedAt", json_text(n, "finishedAt")},
              {"cached", json_field(json_field(n, "memoizationStatus"), "hit") == Json(true)}};
    if (started) r["duration"] = (finished ? *finished : m_now) - *started;
    return r;
  }

  const Json* by_id(const Json& id) const {
    if (!id.is_string() || !m_nodes.contains(id.get<std::string>())) return nullptr;
    return &m_nodes[id.get<std::string>()];
  }

  std::vector<const Json*> shown_children(const Json& n) const {
    const std::string type = json_text(n, "type");
    std::vector<const Json*> out;
    if (type == "Steps") { // the steps of its groups "<name>[0]", "<name>[1]", ...
      for (int i = 0;; ++i) {
        const auto it = m_by_name.find(json_text(n, "name") + "[" + std::to_string(i) + "]");
        if (it == m_by_name.end()) break;
        for (const auto& c : json_field(*it->second, "children"))
          if (const Json* s = by_id(c)) out.push_back(s);
      }
      return out;
    }
    if (type == "DAG") { // its tasks: "<name>.<task>" in this boundary
      const std::string prefix = json_text(n, "name") + ".";
      for (auto it = m_nodes.begin(); it != m_nodes.end(); ++it) {
        const std::string name = json_text(it.value(), "name");
        if (json_text(it.value(), "boundaryID") == json_text(n, "id") && name.rfind(prefix, 0) == 0 &&
            name.find_first_of(".[(", prefix.size()) == std::string::npos)
          out.push_back(&it.value());
      }
      // In the order they started; within a second, a task after those it depends on.
      // (levels: longest path from a task without dependencies, in one topological pass)
      std::map<std::string, int> level, waiting;
      std::map<std::string, const Json*> task;
      for (const Json* t : out) task[json_text(*t, "id")] = t;
      for (const Json* t : out)
        for (const auto& c : json_field(*t, "children"))
          if (c.is_string() && task.count(c.get<std::string>())) ++waiting[c.get<std::string>()];
      std::vector<std::string> ready;
      for (const Json* t : out)
        if (!waiting[json_text(*t, "id")]) ready.push_back(json_text(*t, "id"));
      while (!ready.empty()) {
        const std::string id = ready.back();
        ready.pop_back();
        for (const auto& c : json_field(*task[id], "children")) {
          if (!c.is_string() || !task.count(c.get<std::string>())) continue;
          level[c.get<std::string>()] = std::max(level[c.get<std::string>()], level[id] + 1);
          if (--waiting[c.get<std::string>()] == 0) ready.push_back(c.get<std::string>());
        }
      }
      std::stable_sort(out.begin(), out.end(), [&](const Json* a, const Json* b) {
        const auto key = [&](const Json* x) { return std::tuple(json_text(*x, "startedAt"), level[json_text(*x, "id")], json_text(*x, "displayName")); };
        return key(a) < key(b);
      });
      return out;
    }
    if (type == "Retry" || type == "TaskGroup" || type == "StepGroup") { // its attempts, items, steps (not what follows it)
      const std::string owned = json_text(n, "name") + (type == "StepGroup" ? "." : "(");
      for (const auto& c : json_field(n, "children"))
        if (const Json* s = by_id(c); s && json_text(*s, "name").rfind(owned, 0) == 0) out.push_back(s);
    }
    return out;
  }

  const Json& m_nodes;
  std::int64_t m_now;
  std::map<std::string, const Json*> m_by_name;
  int m_rows = 0;
};

} // namespace

Json workflow_tree(const Json& workflow, std::int64_t now_seconds) {
  Json out = Json::array();
  const Json& nodes = json_field(json_field(workflow, "status"), "nodes");
  if (!nodes.is_object()) return out;
  Tree tree(nodes, now_seconds);
  const std::string root = json_text(json_field(workflow, "metadata"), "name");
  if (nodes.contains(root)) tree.walk(nodes[root], 0, out);
  const std::string exit = root + ".onExit";
  for (auto it = nodes.begin(); it != nodes.end(); ++it)
    if (json_text(it.value(), "name") == exit) tree.walk(it.value(), 0, out);
  return out;
}

std::vector<Json> workflow_pods(const Json& object, const std::string& node, const std::string& run) {
  std::vector<Json> pods, all;
  const Json& nodes = json_field(json_field(object, "status"), "nodes");
  for (auto it = nodes.begin(); nodes.is_object() && it != nodes.end(); ++it)
    if (json_text(it.value(), "type") == "Pod") all.push_back(it.value());
  std::stable_sort(all.begin(), all.end(), [](const Json& a, const Json& b) { return json_text(a, "startedAt") < json_text(b, "startedAt"); });
  if (node.empty()) return all;
  std::vector<std::string> names;
  for (const auto& p : all) {
    names.push_back(json_text(p, "displayName"));
    if (json_text(p, "displayName") == node || json_text(p, "name") == node || json_text(p, "id") == node) pods.push_back(p);
  }
  if (pods.empty())
    throw UsageError("run " + run + " has no step " + str::quote(node) + str::did_you_mean(node, names) +
                     (names.empty() ? " (no step has started)" : " (its steps: " + str::join(names, ", ") + ")"));
  if (pods.size() > 1) {
    std::vector<std::string> full;
    for (const auto& p : pods) full.push_back(json_text(p, "name"));
    throw UsageError("run " + run + " has " + std::to_string(pods.size()) + " steps named " + str::quote(node) + ": name one of " + str::join(full, ", "));
  }
  return pods;
}

} // namespace kf::target
