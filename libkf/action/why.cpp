// `kf pipeline why RUN STEP`: why a step of a workflow ran or was cached,
// read from the run's description (kf status RUN's nodes).
#include "libkf/action/runs.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::action {

WhyResult pipeline_why(ProjectTarget& pt, const std::string& run, const std::string& step) {
  const Json view = pt.target->describe(run).front();
  if (json_text(view, "kind") != "Workflow")
    throw UsageError("run " + json_text(view, "name") + " is a " + json_text(view, "kind") + ": kf pipeline why is about a Workflow's steps");
  std::vector<std::string> names;
  const Json* found = nullptr;
  for (const auto& n : json_field(view, "nodes")) {
    if (json_text(n, "type") != "Pod") continue;
    names.push_back(json_text(n, "name"));
    if (json_text(n, "name") == step || json_text(n, "id") == step) found = &n;
  }
  if (!found)
    throw UsageError("run " + json_text(view, "name") + " has no step " + str::quote(step) + str::did_you_mean(step, names) +
                     (names.empty() ? " (no step has started)" : " (its steps: " + str::join(names, ", ") + ")"));
  WhyResult r;
  r.run = json_text(view, "name");
  r.step = step;
  r.phase = json_text(*found, "phase");
  r.cached = json_field(*found, "cached") == Json(true);
  r.message = json_text(*found, "message");
  const Json& why = json_field(*found, "why");
  r.recorded = why.is_object();
  r.previous_run = json_text(why, "previousRun");
  for (const auto& c : json_field(why, "changed"))
    if (c.is_string()) r.changed.push_back(c.get<std::string>());
  return r;
}

} // namespace kf::action
