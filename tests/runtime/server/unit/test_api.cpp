// The endpoints (runtime/server/api.cpp) without sockets: routing, methods,
// metadata bodies, infer/predict responses and every error, with a fake
// Predictor.
#include "runtime/server/api.h"
#include "runtime/server/infer_response.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

using namespace kf::server;
using nlohmann::json;

namespace {

// Label i % 3 for sample i; probabilities one-hot. Throws when told to.
class FakePredictor : public Predictor {
public:
  Prediction predict(const std::vector<float>& x, std::size_t n) override {
    if (fail) throw std::runtime_error("replica exploded");
    seen = x;
    Prediction p;
    p.n = n;
    p.probabilities.assign(n * 3, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
      p.labels.push_back(static_cast<std::int64_t>(i % 3));
      p.probabilities[i * 3 + i % 3] = 1.0f;
    }
    return p;
  }
  bool fail = false;
  std::vector<float> seen;
};

struct Fixture {
  Fixture() : api("mnist", signature(), predictor, metrics) {}
  static ModelSignature signature() {
    ModelSignature s;
    s.sample_shape = {1, 2, 2};
    s.classes = 3;
    return s;
  }
  HttpResponse call(std::string_view method, std::string_view path, std::string_view body = {}) {
    return api.handle({method, path, body, false});
  }
  FakePredictor predictor;
  ServerMetrics metrics;
  Api api;
};

std::string error(const HttpResponse& r) { return std::to_string(r.status) + " " + json::parse(r.body)["error"].get<std::string>(); }

const char* k_infer_body = R"({"id":"a1","inputs":[{"name":"input","datatype":"FP32","shape":[2,4],"data":[1,2,3,4,5,6,7,8]}]})";

} // namespace

TEST_CASE("api: health, server and model metadata") {
  Fixture f;
  CHECK(f.call("GET", "/v2/health/live").body == R"({"live":true})");
  CHECK(f.call("GET", "/v2/health/ready").body == R"({"ready":true})");
  CHECK(f.call("HEAD", "/v2/health/ready").status == 200);
  CHECK(f.call("GET", "/v2/models/mnist/ready").body == R"({"name":"mnist","ready":true})");
  CHECK(f.call("GET", "/v2/models/mnist/versions/1/ready").status == 200);
  CHECK(f.call("GET", "/v1/models/mnist").body == R"({"name":"mnist","ready":true})");
  const json server = json::parse(f.call("GET", "/v2").body);
  CHECK(server["name"] == "kf-server");
  CHECK(server["version"].is_string());
  CHECK(server["extensions"] == json::array());
  CHECK(f.call("GET", "/v2/models/mnist").body ==
        R"({"inputs":[{"datatype":"FP32","name":"input","shape":[-1,4]}],"name":"mnist","outputs":[)"
        R"({"datatype":"FP32","name":"probabilities","shape":[-1,3]},{"datatype":"INT64","name":"label","shape":[-1]}],)"
        R"("platform":"kf","versions":["1"]})");
  CHECK(f.call("GET", "/v2/models/mnist/versions/1").status == 200);
}

TEST_CASE("api: readiness is 503 while draining, liveness stays 200") {
  Fixture f;
  f.api.set_draining();
  CHECK(f.call("GET", "/v2/health/ready").status == 503);
  CHECK(f.call("GET", "/v2/health/ready").body == R"({"ready":false})");
  CHECK(f.call("GET", "/v2/models/mnist/ready").status == 503);
  CHECK(f.call("GET", "/v2/health/live").status == 200);
}

TEST_CASE("api: v2 infer and v1 predict responses") {
  Fixture f;
  const HttpResponse r = f.call("POST", "/v2/models/mnist/infer", k_infer_body);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"model_name":"mnist","model_version":"1","id":"a1","outputs":[)"
                  R"({"name":"probabilities","datatype":"FP32","shape":[2,3],"data":[1,0,0,0,1,0]},)"
                  R"({"name":"label","datatype":"INT64","shape":[2],"data":[0,1]}]})");
  CHECK(f.predictor.seen == std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(f.call("POST", "/v2/models/mnist/versions/1/infer", k_infer_body).status == 200);
  const HttpResponse only = f.call("POST", "/v2/models/mnist/infer",
                                   R"({"outputs":[{"name":"label"}],"inputs":[{"name":"input","datatype":"UINT8",)"
                                   R"("shape":[1,1,2,2],"data":[[[0,51],[102,255]]]}]})");
  CHECK(only.body == R"({"model_name":"mnist","model_version":"1","outputs":[)"
                     R"({"name":"label","datatype":"INT64","shape":[1],"data":[0]}]})");
  CHECK(f.predictor.seen == std::vector<float>{0.0f, 51.0f / 255.0f, 102.0f / 255.0f, 1.0f});
  const HttpResponse v1 = f.call("POST", "/v1/models/mnist:predict", R"({"instances":[[1,2,3,4],[5,6,7,8],[0,0,0,0]]})");
  CHECK(v1.status == 200);
  CHECK(v1.body == R"({"predictions":[0,1,2]})");
}

TEST_CASE("api: every routing error") {
  Fixture f;
  CHECK(error(f.call("GET", "/nope")) == "404 no route for GET /nope");
  CHECK(error(f.call("GET", "/v2/models/mnist/explain")) == "404 no route for GET /v2/models/mnist/explain");
  CHECK(error(f.call("POST", "/v1/models/mnist:explain", "{}")) == "404 no route for POST /v1/models/mnist:explain");
  CHECK(error(f.call("GET", "/v2/models/other")) == "404 model 'other' not found (this server serves 'mnist')");
  CHECK(error(f.call("POST", "/v2/models/other/infer", k_infer_body)) ==
        "404 model 'other' not found (this server serves 'mnist')");
  CHECK(error(f.call("POST", "/v1/models/other:predict", "{}")) ==
        "404 model 'other' not found (this server serves 'mnist')");
  CHECK(error(f.call("GET", "/v1/models/other")) == "404 model 'other' not found (this server serves 'mnist')");
  CHECK(error(f.call("GET", "/v2/models/mnist/versions/2")) == "404 model 'mnist' has no version '2' (its only version is 1)");
  const HttpResponse post_live = f.call("POST", "/v2/health/live");
  CHECK(error(post_live) == "405 method POST is not allowed on /v2/health/live (use GET)");
  CHECK(post_live.allow == "GET, HEAD");
  const HttpResponse get_infer = f.call("GET", "/v2/models/mnist/infer");
  CHECK(error(get_infer) == "405 method GET is not allowed on /v2/models/mnist/infer (use POST)");
  CHECK(get_infer.allow == "POST");
  CHECK(error(f.call("DELETE", "/metrics")) == "405 method DELETE is not allowed on /metrics (use GET)");
  CHECK(error(f.call("PUT", "/v1/models/mnist:predict", "{}")) ==
        "405 method PUT is not allowed on /v1/models/mnist:predict (use POST)");
}

TEST_CASE("api: --protocol turns the other protocol's endpoints off, not health") {
  FakePredictor predictor;
  ServerMetrics metrics;
  Api v2_only("m", Fixture::signature(), predictor, metrics, {false, true});
  CHECK(error(v2_only.handle({"POST", "/v1/models/m:predict", "{}", false})) ==
        "404 the v1 protocol is off (kf-server --protocol=v2)");
  CHECK(error(v2_only.handle({"GET", "/v1/models/m", "", false})) == "404 the v1 protocol is off (kf-server --protocol=v2)");
  CHECK(v2_only.handle({"POST", "/v2/models/m/infer", k_infer_body, false}).status == 200);
  Api v1_only("m", Fixture::signature(), predictor, metrics, {true, false});
  CHECK(error(v1_only.handle({"POST", "/v2/models/m/infer", k_infer_body, false})) ==
        "404 the v2 protocol is off (kf-server --protocol=v1)");
  CHECK(error(v1_only.handle({"GET", "/v2/models/m", "", false})) == "404 the v2 protocol is off (kf-server --protocol=v1)");
  CHECK(v1_only.handle({"GET", "/v2/health/ready", "", false}).status == 200);
  CHECK(v1_only.handle({"GET", "/metrics", "", false}).status == 200);
  CHECK(v1_only.handle({"GET", "/v1/models/m", "", false}).status == 200);
}

TEST_CASE("api: request errors are 400, inference failures 500, 503 once draining") {
  Fixture f;
  CHECK(error(f.call("POST", "/v2/models/mnist/infer", "{")) ==
        "400 malformed JSON at line 1, column 2: unexpected end of input");
  HttpRequest binary{"POST", "/v2/models/mnist/infer", "{}", true};
  CHECK(error(f.api.handle(binary)) ==
        "400 binary tensor data (Inference-Header-Content-Length) is not supported; send the tensor as JSON \"data\"");
  f.predictor.fail = true;
  CHECK(error(f.call("POST", "/v2/models/mnist/infer", k_infer_body)) == "500 inference failed: replica exploded");
  f.api.set_draining();
  CHECK(error(f.call("POST", "/v2/models/mnist/infer", k_infer_body)) == "503 the server is shutting down");
}

TEST_CASE("api: /metrics counts requests by endpoint and code") {
  Fixture f;
  f.call("GET", "/v2/health/live");
  f.call("GET", "/v2/health/live");
  f.call("POST", "/v2/models/mnist/infer", k_infer_body);
  f.call("POST", "/v2/models/mnist/infer", "{");
  f.call("GET", "/nope");
  const HttpResponse m = f.call("GET", "/metrics");
  CHECK(m.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(m.body.find("kf_server_requests_total{endpoint=\"live\",code=\"200\"} 2\n") != std::string::npos);
  CHECK(m.body.find("kf_server_requests_total{endpoint=\"infer\",code=\"200\"} 1\n") != std::string::npos);
  CHECK(m.body.find("kf_server_requests_total{endpoint=\"infer\",code=\"400\"} 1\n") != std::string::npos);
  CHECK(m.body.find("kf_server_requests_total{endpoint=\"unknown\",code=\"404\"} 1\n") != std::string::npos);
  CHECK(m.body.find("kf_server_request_errors_total 2\n") != std::string::npos);
  CHECK(m.body.find("kf_server_request_duration_seconds_count{endpoint=\"infer\"} 2\n") != std::string::npos);
  CHECK(m.body.find("kf_server_request_duration_seconds_bucket{endpoint=\"infer\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
  CHECK(m.body.find("kf_server_inference_requests_in_flight 0\n") != std::string::npos);
}

TEST_CASE("responses: error bodies are valid JSON whatever the message holds") {
  CHECK(encode_error("a \"quoted\"\nline") == R"({"error":"a \"quoted\"\nline"})");
  CHECK(encode_error(std::string("bad \xff byte")) == "{\"error\":\"bad \xef\xbf\xbd byte\"}");
  Prediction p;
  p.n = 1;
  p.probabilities = {0.1f, 1e-10f, 0.9f};
  p.labels = {2};
  InferRequest r;
  r.outputs = {Output::probabilities};
  CHECK(encode_infer_response("m", r, p) == R"({"model_name":"m","model_version":"1","outputs":[)"
                                            R"({"name":"probabilities","datatype":"FP32","shape":[1,3],"data":[0.1,1e-10,0.9]}]})");
  CHECK(encode_predict_response(p) == R"({"predictions":[2]})");
  // A model with class names answers them too.
  const std::vector<std::string> names = {"a", "b", "c\"q"};
  r.outputs = {Output::class_name, Output::label};
  CHECK(encode_infer_response("m", r, p, names) == R"({"model_name":"m","model_version":"1","outputs":[)"
                                                   R"({"name":"class_name","datatype":"BYTES","shape":[1],"data":["c\"q"]},)"
                                                   R"({"name":"label","datatype":"INT64","shape":[1],"data":[2]}]})");
  CHECK(encode_predict_response(p, names) == R"({"predictions":["c\"q"]})");
}

TEST_CASE("api: --log-file gets one line per answered instance, with the request's id or a made-up one") {
  const std::string path = "/tmp/kf-server-unit-log-" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  FakePredictor predictor;
  ServerMetrics metrics;
  {
    PredictionLog log(path, PredictionLog::Mode::all);
    Api api("mnist", Fixture::signature(), predictor, metrics, {}, nullptr, &log);
    CHECK(api.handle({"POST", "/v2/models/mnist/infer", k_infer_body, false}).status == 200);
    const HttpResponse no_id = api.handle({"POST", "/v2/models/mnist/infer",
                                           R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[0,0,0,1]}]})",
                                           false});
    CHECK(json::parse(no_id.body)["id"].get<std::string>().rfind("kf-", 0) == 0);
    CHECK(api.handle({"POST", "/v1/models/mnist:predict", R"({"instances":[[1,2,3,4]]})", false}).status == 200);
    CHECK(api.handle({"POST", "/v2/models/mnist/infer", R"({"inputs":[]})", false}).status == 400); // not logged
  }
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["id"] == "a1");
  CHECK(lines[0]["index"] == 0);
  CHECK(lines[1]["index"] == 1);
  CHECK(lines[1]["model"] == "mnist");
  CHECK(lines[1]["input"] == json::array({5, 6, 7, 8}));
  CHECK(lines[1]["label"] == 1);
  CHECK(lines[1]["confidence"] == 1.0);
  CHECK_FALSE(lines[1].contains("class")); // the model has no class names
  CHECK(lines[1]["time"].get<std::string>().size() == 24); // 2026-12-05T17:00:00.123Z
  CHECK(lines[2]["id"].get<std::string>().rfind("kf-", 0) == 0);
  CHECK(lines[3]["id"].get<std::string>().rfind("kf-", 0) == 0);
  CHECK(lines[3]["id"] != lines[2]["id"]);
  std::remove(path.c_str());
  // Mode response: answers only; request: inputs only.
  {
    PredictionLog log(path, PredictionLog::Mode::response);
    Api api("mnist", Fixture::signature(), predictor, metrics, {}, nullptr, &log);
    api.handle({"POST", "/v2/models/mnist/infer", k_infer_body, false});
  }
  {
    PredictionLog log(path, PredictionLog::Mode::request);
    Api api("mnist", Fixture::signature(), predictor, metrics, {}, nullptr, &log);
    api.handle({"POST", "/v2/models/mnist/infer", k_infer_body, false});
  }
  std::ifstream again(path);
  std::vector<json> modes;
  for (std::string line; std::getline(again, line);) modes.push_back(json::parse(line));
  REQUIRE(modes.size() == 4);
  CHECK_FALSE(modes[0].contains("input"));
  CHECK(modes[0].contains("label"));
  CHECK(modes[2].contains("input"));
  CHECK_FALSE(modes[2].contains("label"));
  std::remove(path.c_str());
  CHECK_THROWS_WITH(PredictionLog::parse_mode("some"), "unknown --log-mode 'some' (expected all, request or response)");
  CHECK_THROWS_WITH(PredictionLog("/nonexistent-dir/x.jsonl", PredictionLog::Mode::all),
                    "cannot open --log-file /nonexistent-dir/x.jsonl: No such file or directory");
}
