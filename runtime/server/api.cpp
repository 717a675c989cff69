// Routing, method checks and the endpoints' bodies.
#include "runtime/server/api.h"

#include "runtime/server/infer_response.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <vector>

#ifndef KF_SERVER_VERSION
#define KF_SERVER_VERSION "0.0.0"
#endif

namespace kf::server {

namespace {

enum class Method { get, post };

struct Route {
  std::string_view endpoint; // metrics label
  Method method;
  std::optional<std::string_view> model;   // routes under a model name
  std::optional<std::string_view> version; // /versions/V
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at <= path.size()) {
    std::size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    if (end > at) out.push_back(path.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

std::optional<Route> match(std::string_view path) {
  const std::vector<std::string_view> s = split_path(path);
  const std::size_t n = s.size();
  if (n == 1 && s[0] == "metrics") return Route{"metrics", Method::get, {}, {}};
  if (n >= 1 && s[0] == "v2") {
    if (n == 1) return Route{"server_metadata", Method::get, {}, {}};
    if (n == 3 && s[1] == "health" && s[2] == "live") return Route{"live", Method::get, {}, {}};
    if (n == 3 && s[1] == "health" && s[2] == "ready") return Route{"ready", Method::get, {}, {}};
    if (n >= 3 && s[1] == "models") {
      Route r{"", Method::get, s[2], {}};
      std::size_t rest = 3;
      if (n >= 5 && s[3] == "versions") {
        r.version = s[4];
        rest = 5;
      }
      if (n == rest) r.endpoint = "model_metadata";
      else if (n == rest + 1 && s[rest] == "ready") r.endpoint = "model_ready";
      else if (n == rest + 1 && s[rest] == "infer") r.endpoint = "infer", r.method = Method::post;
      else return std::nullopt;
      return r;
    }
  }
  if (n == 3 && s[0] == "v1" && s[1] == "models") {
    const std::size_t colon = s[2].rfind(':');
    if (colon == std::string_view::npos) return Route{"v1_model", Method::get, s[2], {}};
    if (s[2].substr(colon + 1) == "predict") return Route{"v1_predict", Method::post, s[2].substr(0, colon), {}};
  }
  return std::nullopt;
}

std::string squote(std::string_view s) {
  std::string out = "'";
  out += s;
  out += '\'';
  return out;
}

// Decrements the in-flight gauge on every way out.
struct InFlight {
  explicit InFlight(ServerMetrics& m) : metrics(m) { metrics.in_flight(1); }
  ~InFlight() { metrics.in_flight(-1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ServerMetrics& metrics;
};

HttpResponse ok_json(const nlohmann::json& j) {
  HttpResponse r;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

// "v1" or "v2" when the route belongs to a protocol that is turned off.
const char* protocol_off(const Route& route, const Protocols& protocols) {
  const std::string_view e = route.endpoint;
  if ((e == "v1_model" || e == "v1_predict") && !protocols.v1) return "v1";
  if ((e == "server_metadata" || e == "model_metadata" || e == "model_ready" || e == "infer") && !protocols.v2)
    return "v2";
  return nullptr;
}

} // namespace

HttpResponse error_response(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = encode_error(message);
  return r;
}

Api::Api(std::string model_name, ModelSignature signature, Predictor& predictor, ServerMetrics& metrics,
         Protocols protocols, const trainer::TextEncoder* text, PredictionLog* log)
    : m_model_name(std::move(model_name)), m_signature(std::move(signature)), m_predictor(predictor),
      m_metrics(metrics), m_protocols(protocols), m_text(text), m_log(log) {}

HttpResponse Api::handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string_view endpoint = "unknown";
  HttpResponse res;
  try {
    const std::optional<Route> route = match(request.path);
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (!route) {
      res = error_response(404, "no route for " + std::string(request.method) + " " + std::string(request.path));
    } else if ((route->method == Method::get && !get) || (route->method == Method::post && request.method != "POST")) {
      endpoint = route->endpoint;
      const char* allowed = route->method == Method::get ? "GET" : "POST";
      res = error_response(405, "method " + std::string(request.method) + " is not allowed on " +
                                    std::string(request.path) + " (use " + allowed + ")");
      res.allow = route->method == Method::get ? "GET, HEAD" : "POST";
    } else if (const char* off = protocol_off(*route, m_protocols)) {
      endpoint = route->endpoint;
      res = error_response(404, std::string("the ") + off + " protocol is off (kf-server --protocol=" +
                                    (m_protocols.v1 ? "v1" : "v2") + ")");
    } else if (route->model && *route->model != m_model_name) {
      endpoint = route->endpoint;
      res = error_response(404, "model " + squote(*route->model) + " not found (this server serves " +
                                    squote(m_model_name) + ")");
    } else if (route->version && *route->version != "1") {
      endpoint = route->endpoint;
      res = error_response(404, "model " + squote(m_model_name) + " has no version " + squote(*route->version) +
                                    " (its only version is 1)");
    } else {
      endpoint = route->endpoint;
      if (endpoint == "live") {
        res = ok_json({{"live", true}});
      } else if (endpoint == "ready" || endpoint == "model_ready" || endpoint == "v1_model") {
        const bool ready = !m_draining;
        nlohmann::json body = {{"ready", ready}};
        if (endpoint != "ready") body = {{"name", m_model_name}, {"ready", ready}};
        res = ok_json(body);
        if (!ready) res.status = 503;
      } else if (endpoint == "server_metadata") {
        res = ok_json({{"name", "kf-server"}, {"version", KF_SERVER_VERSION}, {"extensions", nlohmann::json::array()}});
      } else if (endpoint == "model_metadata") {
        res = model_metadata();
      } else if (endpoint == "metrics") {
        res.body = m_metrics.render();
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      } else {
        res = infer(request, endpoint == "v1_predict");
      }
    }
  } catch (const std::exception& e) {
    res = error_response(500, std::string("internal error: ") + e.what());
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  m_metrics.request(endpoint, res.status, took.count());
  return res;
}

HttpResponse Api::model_metadata() const {
  const auto f = static_cast<std::int64_t>(m_signature.features());
  const auto k = static_cast<std::int64_t>(m_signature.classes);
  nlohmann::json input = {{"name", m_signature.input_name}, {"datatype", "FP32"}, {"shape", {-1, f}}};
  if (m_signature.text) input = {{"name", m_signature.input_name}, {"datatype", "BYTES"}, {"shape", {-1}}};
  nlohmann::json outputs = {{{"name", k_probabilities}, {"datatype", "FP32"}, {"shape", {-1, k}}},
                            {{"name", k_label}, {"datatype", "INT64"}, {"shape", {-1}}}};
  if (!m_signature.labels.empty()) outputs.push_back({{"name", k_class_name}, {"datatype", "BYTES"}, {"shape", {-1}}});
  nlohmann::json body = {{"name", m_model_name}, {"versions", {"1"}}, {"platform", "kf"},
                         {"inputs", {input}}, {"outputs", outputs}};
  if (!m_signature.labels.empty()) body["parameters"] = {{"labels", m_signature.labels}};
  return ok_json(body);
}

HttpResponse Api::infer(const HttpRequest& request, bool v1) {
  InFlight in_flight(m_metrics);
  if (request.binary_tensors)
    return error_response(400, "binary tensor data (Inference-Header-Content-Length) is not supported; "
                               "send the tensor as JSON \"data\"");
  ParsedRequest parsed = v1 ? parse_predict_request(request.body, m_signature)
                            : parse_infer_request(request.body, m_signature);
  if (const auto* e = std::get_if<RequestError>(&parsed)) return error_response(e->status, e->message);
  InferRequest& r = std::get<InferRequest>(parsed);
  if (!r.texts.empty()) {
    if (m_text == nullptr) return error_response(500, "inference failed: the model has no tokenizer");
    const std::size_t f = m_text->features();
    r.data.resize(r.texts.size() * f);
    for (std::size_t i = 0; i < r.texts.size(); ++i) m_text->encode(r.texts[i], r.data.data() + i * f);
  }
  Prediction p;
  try {
    p = m_predictor.predict(r.data, r.batch);
  } catch (const std::exception& e) {
    if (m_draining) return error_response(503, "the server is shutting down");
    return error_response(500, std::string("inference failed: ") + e.what());
  }
  m_metrics.predictions(p.labels, p.probabilities, m_signature.labels);
  if (m_log != nullptr) {
    if (!r.id) r.id = m_log->next_id(); // the v2 response returns it, for matching labels later
    m_log->write(m_model_name, r, p, m_signature.labels);
  }
  HttpResponse res;
  res.body = v1 ? encode_predict_response(p, m_signature.labels) : encode_infer_response(m_model_name, r, p, m_signature.labels);
  return res;
}

} // namespace kf::server
