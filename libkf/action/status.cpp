// `kf status` and `kf delete`: what the target says of its runs.
#include <functional>

#include "libkf/action/runs.h"
#include "libkf/action/serving_stats.h"
#include "libkf/http/http.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace {

// A Ready model server's requests, latency and answers (serving_stats.h):
// its /metrics, and the model.json of the model it serves (a directory of
// this machine). Nothing when the server does not answer. Local runs only:
// a cluster's InferenceService URL is usually not reachable from here.
void add_serving(const Context& ctx, Json& run) {
  if (run.value("kind", "") != "InferenceService" || !run.contains("url") || !run["url"].is_string()) return;
  http::Client client;
  http::Request req;
  req.url = run["url"].get<std::string>() + "/metrics";
  req.timeout = std::chrono::seconds(3);
  std::string text;
  try {
    const auto resp = client.perform(req);
    if (resp.status != 200) return;
    text = resp.body;
  } catch (const std::exception& e) {
    ctx.reporter.debug(req.url + ": " + e.what());
    return;
  }
  run["serving"] = serving_stats(text, served_model_json(ctx, run));
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
    return Json::parse(fs::read_file(std::filesystem::path(dir) / "model.json"));
  } catch (const std::exception& e) {
    ctx.reporter.debug("model.json of " + dir + ": " + e.what());
    return Json::object();
  }
}

std::vector<Json> status(const Context& ctx, const StatusOptions& o, ProjectTarget& pt) {
  auto out = pt.target->describe(o.run);
  if (o.run.empty()) ctx.reporter.debug(std::to_string(out.size()) + " runs on " + pt.target->name());
  for (const auto& run : out) // listed as Unknown; the table has no room for why
    if (o.run.empty() && run.value("unreadable", false)) ctx.reporter.warn(run.value("message", ""));
  else if (out.size() == 1 && pt.target->traits().local_files) add_serving(ctx, out[0]); // a cluster's URL is not ours to reach
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
