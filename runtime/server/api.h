#pragma once
// Api: kf-server's endpoints as a function from a request to a response,
// with no sockets (runtime/server/http_server.cpp carries them over HTTP;
// unit tests call handle() directly with a fake Predictor).
//
//   GET  /v2/health/live, /v2/health/ready       {"live": true} / {"ready": true} (503 while draining)
//   GET  /v2                                     server metadata
//   GET  /v2/models/NAME[/versions/1]            model metadata
//   GET  /v2/models/NAME[/versions/1]/ready      {"name": NAME, "ready": true}
//   POST /v2/models/NAME[/versions/1]/infer      Open Inference Protocol v2
//   GET  /v1/models/NAME                         {"name": NAME, "ready": true}
//   POST /v1/models/NAME:predict                 {"instances": [...]} -> {"predictions": [...]}
//   (a text model takes strings, infer_request.h, and answers class names too)
//   GET  /metrics                                Prometheus text
// Errors are {"error": "..."}: 400 bad request, 404 unknown model, version
// or path (or a protocol turned off), 405 wrong method (with Allow), 500
// inference failure, 503 while shutting down. HEAD is served like GET. handle() never throws and is
// thread-safe.

#include "runtime/server/infer_request.h"
#include "runtime/server/metrics.h"
#include "runtime/server/prediction_log.h"
#include "runtime/server/scheduler.h"
#include "runtime/text.h"

#include <atomic>
#include <string>
#include <string_view>

namespace kf::server {

struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // decoded, without the query string
  std::string_view body;
  bool binary_tensors = false; // the Inference-Header-Content-Length header was sent
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string allow; // the Allow header of a 405
};

// Which inference protocols answer (--protocol); the health endpoints
// /v2/health/* and /metrics always do.
struct Protocols {
  bool v1 = true;
  bool v2 = true;
};

class Api {
public:
  // `text`: a text model's tokenizer (requests carry strings); null otherwise.
  // `log`: where answers are logged (--log-file); null for none.
  Api(std::string model_name, ModelSignature signature, Predictor& predictor, ServerMetrics& metrics,
      Protocols protocols = {}, const trainer::TextEncoder* text = nullptr, PredictionLog* log = nullptr);

  HttpResponse handle(const HttpRequest& request);
  // Readiness endpoints answer 503 from now on (shutdown has begun).
  void set_draining() { m_draining = true; }
  const std::string& model_name() const { return m_model_name; }

private:
  HttpResponse model_metadata() const;
  HttpResponse infer(const HttpRequest& request, bool v1);

  std::string m_model_name;
  ModelSignature m_signature;
  Predictor& m_predictor;
  ServerMetrics& m_metrics;
  Protocols m_protocols;
  const trainer::TextEncoder* m_text;
  PredictionLog* m_log;
  std::atomic<bool> m_draining{false};
};

// {"error": message} with `status`.
HttpResponse error_response(int status, std::string_view message);

} // namespace kf::server
