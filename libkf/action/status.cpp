// `kf status` and `kf delete`: what the target says of its runs.
#include <functional>
#include <map>

#include "libkf/action/runs.h"
#include "libkf/action/serving_stats.h"
#include "libkf/target/summary.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace {

// A model server's requests, latency and answers (serving_stats.h): the
// target's /metrics text of it (a local server's, or a cluster's predictor
// pods' through the API server), and the model.json of the model it serves
// when that is a directory of this machine. Nothing when no server answers.
void add_serving(const Context& ctx, const target::Target& t, Json& run) {
  if (run.value("kind", "") != "InferenceService") return;
  const auto text = t.serving_metrics(run.value("name", ""));
  if (!text) {
    ctx.reporter.debug("no model server of " + run.value("name", "") + " answered /metrics");
    return;
  }
  run["serving"] = serving_stats(*text, served_model_json(ctx, run));
}

} // namespace

std::string newest_model_server(const target::Target& t, bool ready) {
  for (const auto& name : t.list()) {
    std::optional<Json> o;
    try {
      o = t.get(name);
    } catch (const Error&) { // a damaged run is no model server (kf status shows why)
      continue;
    }
    if (o && o->value("kind", "") == "InferenceService" && (!ready || target::state_of(*o) == "Ready")) return name;
  }
  return "";
}

Json served_model_json(const Context& ctx, const Json& described) {
  const Json parameters = described.value("parameters", Json::object());
  const std::string dir = parameters.is_object() ? parameters.value("model", "") : "";
  if (dir.empty()) return Json::object();
  try {
    return json::parse(fs::read_file(std::filesystem::path(dir) / "model.json"));
  } catch (const std::exception& e) {
    ctx.reporter.debug("model.json of " + dir + ": " + e.what());
    return Json::object();
  }
}

std::vector<Json> status(const Context& ctx, const StatusOptions& o, ProjectTarget& pt) {
  auto out = pt.target->describe(o.run);
  if (o.run.empty()) ctx.reporter.debug(std::to_string(out.size()) + " runs on " + pt.target->name());
  if (o.run.empty()) {
    for (const auto& run : out) // listed as Unknown; the table has no room for why
      if (run.value("unreadable", false)) ctx.reporter.warn(run.value("message", ""));
  } else if (out.size() == 1) { // one run in detail: a model server's numbers too (a listing shows none)
    add_serving(ctx, *pt.target, out[0]);
  }
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
  if (!missing.empty()) {
    std::vector<std::string> quoted;
    for (const auto& run : missing) quoted.push_back(str::quote(run));
    throw Error((missing.size() == 1 ? "run " + quoted[0] + " does not exist" : "runs " + str::join(quoted, ", ") + " do not exist") +
                " (kf status lists the runs)" + (found.empty() ? "" : "; " + done + " " + str::join(found, ", ")));
  }
  return found;
}

} // namespace

std::vector<std::string> delete_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt) {
  return each_run(ctx, runs, pt, [&pt](const std::string& run) { return pt.target->remove(run); }, "deleted");
}

std::vector<StoppedRun> stop_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt) {
  std::map<std::string, std::string> finished; // run -> the state it had ended in
  const auto stop = [&](const std::string& run) {
    if (const auto object = pt.target->get(run); object && target::is_finished(*object)) {
      const std::vector<Json> shown = pt.target->describe(run); // its state as kf status shows it ("Stopped")
      finished[run] = shown.empty() ? "" : shown[0].value("state", "");
      if (finished[run].empty()) finished[run] = target::summarize(*object).state;
    }
    return pt.target->stop(run); // also on an ended run: locally it ends what a lost supervisor left running
  };
  std::vector<StoppedRun> out;
  for (const std::string& run : each_run(ctx, runs, pt, stop, "stopped")) out.push_back({run, finished[run]});
  return out;
}

} // namespace kf::action
