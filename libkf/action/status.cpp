// `kf status` and `kf delete`: what the target says of its runs.
#include <functional>

#include "libkf/action/runs.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::action {

std::vector<Json> status(const Context& ctx, const StatusOptions& o, ProjectTarget& pt) {
  auto out = pt.target->describe(o.run);
  if (o.run.empty()) ctx.reporter.debug(std::to_string(out.size()) + " runs on " + pt.target->name());
  return out;
}

namespace {

// `op` on each run (resolved: @latest); the runs it found. Missing runs are an
// error naming them, and what `done` ("deleted") was done to the others.
std::vector<std::string> each_run(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt,
                                  const std::function<bool(const std::string&)>& op, const std::string& done) {
  std::vector<std::string> found, missing;
  for (const auto& name : runs) {
    const std::string run = pt.target->resolve(name);
    if (op(run)) {
      found.push_back(run);
      ctx.reporter.debug(done + " " + run);
    } else {
      missing.push_back(run);
    }
  }
  if (!missing.empty())
    throw Error(std::string(missing.size() == 1 ? "no run " : "no runs ") + str::join(missing, ", ") +
                (found.empty() ? "" : " (" + done + " " + str::join(found, ", ") + ")"));
  return found;
}

} // namespace

std::vector<std::string> delete_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt) {
  return each_run(ctx, runs, pt, [&pt](const std::string& run) { return pt.target->remove(run); }, "deleted");
}

std::vector<std::string> stop_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt) {
  return each_run(ctx, runs, pt, [&pt](const std::string& run) { return pt.target->stop(run); }, "stopped");
}

} // namespace kf::action
