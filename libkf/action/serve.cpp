#include <filesystem>

#include "libkf/action/runs.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/render/render.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/prometheus.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace stdfs = std::filesystem;

namespace {

bool is_model_dir(const stdfs::path& p) {
  std::error_code ec;
  return stdfs::is_regular_file(p / "model.safetensors", ec) && stdfs::is_regular_file(p / "model.json", ec);
}

std::string model_of(const metadata::RunRecord& r) {
  for (const auto& a : r.artifacts)
    if (a.type == "kf.Model" && a.direction == "output") return a.uri;
  return "";
}

// The model to serve and the run that trained it.
std::pair<std::string, std::string> find_model(const std::string& wanted, const stdfs::path& project_dir) {
  std::error_code ec;
  if (!wanted.empty() && wanted != "@latest" && stdfs::is_directory(wanted, ec)) {
    if (!is_model_dir(wanted))
      throw Error(wanted + " is not a kf model directory (it needs model.safetensors and model.json, as kf-trainer writes them)");
    return {stdfs::absolute(wanted).lexically_normal().string(), ""};
  }
  const auto db = local::metadata_db(project_dir);
  if (!stdfs::exists(db, ec)) throw Error("no trained model yet: run kf train first (or kf serve DIR with a model directory)");
  metadata::Runs runs(db);
  if (!wanted.empty() && wanted != "@latest") {
    const auto r = runs.get(wanted);
    if (!r) throw Error("no run " + str::quote(wanted) + " and no directory of that name (kf status lists the runs)");
    const std::string m = model_of(*r);
    if (m.empty()) throw Error("run " + wanted + " has no model (its state: " + r->state + ")");
    return {m, wanted};
  }
  for (const auto& listed : runs.list()) { // newest first
    if (listed.state != "Succeeded") continue;
    const auto r = runs.get(listed.name);
    if (!r) continue;
    const std::string m = model_of(*r);
    if (!m.empty() && is_model_dir(m)) return {m, r->name};
  }
  throw Error("no trained model yet: run kf train first (or kf serve DIR with a model directory)");
}

// A v2 request body for the model in `dir`: a text for a text model, else
// a UINT8 sample of its input's size (784 when model.json cannot tell).
std::string example_body(const std::string& dir) {
  std::size_t features = 784;
  bool text = false;
  try {
    const Json info = json::parse(fs::read_file(stdfs::path(dir) / "model.json"));
    text = info.contains("text");
    if (info.contains("input") && info["input"].contains("shape")) {
      features = 1;
      for (const auto& d : info["input"]["shape"]) features *= d.get<std::size_t>();
    }
  } catch (const std::exception&) {
    // an export kf cannot read: the generic example
  }
  if (text)
    return R"({"inputs":[{"name":"input","datatype":"BYTES","shape":[1],"data":["my card has not arrived yet"]}]})";
  return R"({"inputs":[{"name":"input","datatype":"UINT8","shape":[1,)" + std::to_string(features) +
         R"(],"data":[0,...]}]})";
}

} // namespace

ServeResult serve(const Context& ctx, const ServeOptions& o, ProjectTarget& pt) {
  const render::Renderer renderer(pt.loaded.project, pt.loaded.dir);
  auto objects = renderer.serving(); // ServingRuntime, InferenceService
  Json& model = objects[1]["spec"]["predictor"]["model"];
  target::SubmitOptions so;
  so.supporting = {objects[0]};
  std::string from;
  if (!pt.target->traits().local_files) {
    // The model is where kf.yaml's serving.storageUri says (the storage
    // initializer fetches it), or a URI given as MODEL.
    if (!o.model.empty() && o.model != "@latest") {
      if (o.model.find("://") == std::string::npos)
        throw UsageError("on a cluster target kf serve takes a model URI (pvc://, s3://, gs://, http(s)://), not " +
                         str::quote(o.model) + "; the default is serving.storageUri of kf.yaml");
      model["storageUri"] = o.model;
    }
    so.parameters = {{"storageUri", model.value("storageUri", "")}};
  } else {
    // A model directory of this machine: one given, or the model a run trained.
    std::string dir;
    std::tie(dir, from) = find_model(o.model, pt.loaded.dir);
    ctx.reporter.debug("serving " + dir + (from.empty() ? "" : " (trained by " + from + ")"));
    model["storageUri"] = "file://" + dir;
    so.parameters = {{"model", dir}};
    if (!from.empty()) so.parameters["trainedBy"] = from;
  }
  const auto submitted = pt.target->submit(objects[1], so);
  const std::string uri = model.value("storageUri", "");
  const std::string dir = pt.target->traits().local_files ? uri.substr(7) : uri;
  return {submitted.run, dir, from, submitted.object, submitted.where,
          pt.target->traits().local_files ? example_body(dir) : example_body("")};
}

long requests_served(http::Client& client, const std::string& url) {
  http::Request req;
  req.url = url + "/metrics";
  req.headers = {"Accept: text/plain"};
  req.timeout = std::chrono::seconds(2);
  try {
    const auto resp = client.perform(req);
    if (resp.status != 200) return -1;
    return static_cast<long>(prometheus::sum_of(resp.body, "kf_server_requests_total").value_or(0));
  } catch (const Error&) {
    return -1;
  }
}

} // namespace kf::action
