// `kf status` and `kf delete`: what the target says of its runs.
#include "libkf/action/runs.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::action {

std::vector<Json> status(const Context& ctx, const StatusOptions& o, ProjectTarget& pt) {
  auto out = pt.target->describe(o.run);
  if (o.run.empty()) ctx.reporter.debug(std::to_string(out.size()) + " runs on " + pt.target->name());
  return out;
}

std::vector<std::string> delete_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt) {
  std::vector<std::string> removed, missing;
  for (const auto& name : runs) {
    const std::string run = pt.target->resolve(name);
    if (pt.target->remove(run)) {
      removed.push_back(run);
      ctx.reporter.debug("deleted " + run);
    } else {
      missing.push_back(run);
    }
  }
  if (!missing.empty())
    throw Error(std::string(missing.size() == 1 ? "no run " : "no runs ") + str::join(missing, ", ") +
                (removed.empty() ? "" : " (deleted " + str::join(removed, ", ") + ")"));
  return removed;
}

std::vector<std::string> stop_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt) {
  std::vector<std::string> stopped, missing;
  for (const auto& name : runs) {
    const std::string run = pt.target->resolve(name);
    if (pt.target->stop(run)) {
      stopped.push_back(run);
      ctx.reporter.debug("stopped " + run);
    } else {
      missing.push_back(run);
    }
  }
  if (!missing.empty())
    throw Error(std::string(missing.size() == 1 ? "no run " : "no runs ") + str::join(missing, ", ") +
                (stopped.empty() ? "" : " (stopped " + str::join(stopped, ", ") + ")"));
  return stopped;
}

} // namespace kf::action
