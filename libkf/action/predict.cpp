#include <algorithm>
#include <filesystem>

#include "libkf/action/runs.h"
#include "libkf/http/http.h"
#include "libkf/util/error.h"
#include "libkf/util/idx.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace stdfs = std::filesystem;

namespace {

// The newest serving run that is Ready, or the named one.
std::string serving_run(const std::string& wanted, const target::Target& t) {
  if (!wanted.empty()) return wanted;
  const std::string newest = newest_model_server(t, true);
  if (newest.empty()) throw Error("nothing is being served: start it with kf serve (or kf serve --detach)");
  return newest;
}

// t10k-images-idx3-ubyte[.gz] and its labels beside the training data.
std::pair<stdfs::path, stdfs::path> test_set(const stdfs::path& data) {
  std::error_code ec;
  for (const char* ext : {".gz", ""}) {
    const auto images = data / (std::string("t10k-images-idx3-ubyte") + ext);
    const auto labels = data / (std::string("t10k-labels-idx1-ubyte") + ext);
    if (stdfs::exists(images, ec) && stdfs::exists(labels, ec)) return {images, labels};
  }
  throw Error("no IDX test set (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) in " + data.string());
}

// `method` (GET or POST, with `body`) on `url`; the JSON answer, or an Error naming the status.
Json request_json(const Context& ctx, const std::string& method, const std::string& url, const Json* body) {
  http::Client client;
  http::Request req;
  req.method = method;
  req.url = url;
  if (body != nullptr) req.body = body->dump();
  req.headers = {"Content-Type: application/json", "Accept: application/json"};
  req.timeout = std::chrono::seconds(30);
  ctx.reporter.debug(method + " " + url);
  const auto resp = client.perform(req);
  Json out;
  try {
    out = json::parse(resp.body);
  } catch (const Json::exception&) {
    throw Error(url + " answered " + std::to_string(resp.status) + " with a body that is not JSON");
  }
  if (resp.status != 200)
    throw Error(url + " answered " + std::to_string(resp.status) + ": " + out.value("error", resp.body));
  return out;
}

// The server's outputs into r: label, class_name, probabilities.
void read_outputs(PredictResult& r) {
  for (const auto& out : r.response.value("outputs", Json::array())) {
    const std::string name = out.value("name", "");
    if (!out.contains("data") || !out["data"].is_array() || out["data"].empty()) continue;
    if (name == "label" && out["data"][0].is_number_integer()) r.predicted = out["data"][0].get<int>();
    if (name == "class_name" && out["data"][0].is_string()) r.predicted_name = out["data"][0].get<std::string>();
    if (name == "probabilities")
      for (const auto& p : out["data"])
        if (p.is_number()) r.probabilities.push_back(p.get<double>());
  }
  if (r.predicted < 0 && !r.probabilities.empty())
    r.predicted = static_cast<int>(std::max_element(r.probabilities.begin(), r.probabilities.end()) - r.probabilities.begin());
}

} // namespace

PredictResult predict(const Context& ctx, const PredictOptions& o, ProjectTarget& pt) {
  const std::string run = serving_run(o.run.empty() ? o.run : pt.target->resolve(o.run), *pt.target);
  const auto object = pt.target->get(run);
  if (!object) throw Error("run " + str::quote(run) + " does not exist (kf status lists the runs)");
  if (object->value("kind", "") != "InferenceService") throw Error("run " + run + " is a " + object->value("kind", "") + ", not a model server");
  if (target::state_of(*object) != "Ready") throw Error("run " + run + " is not Ready (it is " + target::state_of(*object) + ")");
  const std::string url = (*object)["status"].value("url", "");
  if (o.text) {
    PredictResult r;
    r.url = url + "/v2/models/" + run + "/infer";
    const Json metadata = request_json(ctx, "GET", url + "/v2/models/" + run, nullptr);
    const Json inputs = metadata.value("inputs", Json::array());
    if (inputs.empty() || !inputs[0].is_object() || inputs[0].value("datatype", "") != "BYTES")
      throw Error("run " + run + " serves a model that takes tensors, not text: leave out --text to send a test sample");
    const Json parameters = metadata.value("parameters", Json::object());
    if (parameters.is_object() && parameters.contains("labels") && parameters["labels"].is_array())
      for (const auto& l : parameters["labels"])
        if (l.is_string()) r.class_names.push_back(l.get<std::string>());
    const Json request = {{"id", "kf-predict-text"},
                          {"inputs", {{{"name", inputs[0].value("name", "input")},
                                       {"shape", {1}},
                                       {"datatype", "BYTES"},
                                       {"data", {*o.text}}}}}};
    r.response = request_json(ctx, "POST", r.url, &request);
    read_outputs(r);
    return r;
  }

  // The test set of the data the model was trained on.
  const Json serving = pt.target->describe(run).at(0);
  const Json parameters = serving.value("parameters", Json::object());
  const std::string trained_by = parameters.is_object() ? parameters.value("trainedBy", "") : "";
  if (trained_by.empty())
    throw Error("run " + run + " serves a model kf did not train here, so kf predict has no test set for it");
  std::string data;
  try {
    const Json trained = pt.target->describe(trained_by).at(0);
    for (const auto& a : trained.value("artifacts", Json::array()))
      if (a.value("type", "") == "kf.Dataset" && a.value("direction", "") == "input") data = a.value("uri", "");
  } catch (const Error&) {
    // the training run was deleted
  }
  if (data.empty()) throw Error("the run that trained " + run + "'s model recorded no dataset");
  const auto [images, labels] = test_set(data);
  const auto sample = idx::read_sample(images, labels, static_cast<std::size_t>(o.index));

  PredictResult r;
  r.url = url + "/v2/models/" + run + "/infer";
  r.test_set = images.string();
  r.index = o.index;
  r.label = sample.label;
  Json request = {{"id", "kf-predict-" + std::to_string(o.index)},
                  {"inputs", {{{"name", "input"},
                               {"shape", {1, sample.pixels.size()}},
                               {"datatype", "UINT8"},
                               {"data", sample.pixels}}}}};
  r.response = request_json(ctx, "POST", r.url, &request);
  read_outputs(r);
  return r;
}

} // namespace kf::action
